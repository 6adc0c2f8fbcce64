"""Yang & Lerch in full: closed-form distance statistics against brute force, overlap equal to metrics'."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnncells.music.metrics import MetricInputError
from rnncells.music.yang_lerch import COMPARISON_MEASURES, compare_feature, compare_feature_sets, distance_curves


def brute_statistics(g: np.ndarray, r: np.ndarray) -> dict[str, float]:
    def within(values):
        return np.array([abs(a - b) for i, a in enumerate(values) for b in values[i + 1 :]])

    inter = np.abs(g[:, None] - r[None, :]).ravel()
    result = {"set_mean": g.mean(), "set_std": g.std(), "train_mean": r.mean(), "train_std": r.std()}
    for name, sample in (("intra", within(g)), ("inter", inter), ("train_intra", within(r))):
        result[f"{name}_mean"], result[f"{name}_std"] = sample.mean(), sample.std()
    return result


@pytest.mark.parametrize("seed", range(6))
def test_statistics_equal_brute_force_and_overlap_equals_compare_feature_sets(seed):
    rng = np.random.default_rng(seed)
    g = rng.integers(0, 12, int(rng.integers(2, 40))).astype(float) if seed % 2 else rng.normal(3, 2, 30)
    r = rng.integers(0, 15, int(rng.integers(2, 60))).astype(float) if seed % 2 else rng.normal(2, 1, 45)
    got = compare_feature(g, r)
    assert list(got) == list(COMPARISON_MEASURES)
    for name, value in brute_statistics(g, r).items():
        assert got[name] == pytest.approx(value, rel=1e-9, abs=1e-9), name
    expected = compare_feature_sets([{"x": v} for v in g], [{"x": v} for v in r])["x"]
    # The same density, summed directly instead of through gaussian_kde: equal up to rounding.
    assert got["overlapped_area"] == pytest.approx(expected["overlapped_area"], rel=1e-9, abs=1e-12)
    assert got["kl_divergence"] == pytest.approx(expected["kl_divergence"], rel=1e-9, abs=1e-12)
    assert 0.0 <= got["overlapped_area_intra"] <= 1.0 and got["kl_divergence_intra"] >= 0.0


def test_alike_and_apart_sets():
    rng = np.random.default_rng(0)
    reference = rng.normal(0, 1, 300)
    alike = compare_feature(rng.normal(0, 1, 100), reference)
    assert alike["overlapped_area"] > 0.9 and alike["overlapped_area_intra"] > 0.8
    apart = compare_feature(rng.normal(30, 1, 100), reference)
    assert apart["overlapped_area"] < 0.01 and apart["overlapped_area_intra"] < 0.01
    assert apart["inter_mean"] == pytest.approx(30, abs=0.5)


def test_constant_and_single_song_sets():
    same = compare_feature([3.0] * 5, [3.0] * 8)
    assert same["overlapped_area"] == 1.0 and same["kl_divergence_intra"] == 0.0 and same["intra_std"] == 0.0
    one = compare_feature([4.0], [1.0, 2.0, 3.0])
    assert math.isnan(one["intra_mean"]) and math.isnan(one["overlapped_area_intra"])
    assert one["inter_mean"] == pytest.approx(2.0) and 0.0 <= one["overlapped_area"] <= 1.0
    with pytest.raises(MetricInputError, match="at least 2 finite"):
        compare_feature([1.0], [1.0])
    with pytest.raises(MetricInputError, match="finite"):
        compare_feature([float("nan")], [1.0, 2.0])


def test_distance_curves_integrate_to_one():
    rng = np.random.default_rng(4)
    curves = distance_curves(rng.integers(0, 10, 50), rng.integers(0, 12, 80))
    step = curves["distance"][1] - curves["distance"][0]
    assert curves["distance"][0] >= 0.0
    for name in ("train_intra", "set_intra", "inter"):
        assert curves[name].sum() * step == pytest.approx(1.0)
    assert np.isnan(distance_curves([2.0], [1.0, 5.0])["set_intra"]).all()
    assert distance_curves([2.0, 2.0], [2.0, 2.0])["inter"].sum() > 0
