"""The run-level test (rnncells.evaluation.mixed_model): a hand-checked case, a known effect found, a false-positive
rate near alpha with no effect, and each fallback taken where the mixed model cannot be fitted."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from rnncells.evaluation.mixed_model import TESTS, Side, compare, mixed_model, welch


def runs(rng: np.random.Generator, means: list[float], songs: int = 20, sd: float = 0.5) -> Side:
    return Side.of([rng.normal(mean, sd, songs) for mean in means])


def test_a_balanced_case_by_hand():
    """Two runs each of three songs: run means 2, 4 against 6, 10, songs' variance 1. REML's seed variance is
    (n * variance of run means - song variance) / n = (3 * 5 - 1) / 3, and the t on run means has 2 df."""
    result = compare(Side.of([[1, 2, 3], [3, 4, 5]]), Side.of([[5, 6, 7], [9, 10, 11]]))
    assert (result.test, result.df) == ("mixed", 2)
    assert result.estimate == pytest.approx(-5.0)
    assert result.seed_variance == pytest.approx(14 / 3, rel=1e-3)
    se = math.sqrt(5.0)  # pooled variance of run means 5, times 1/2 + 1/2
    assert result.p_value == pytest.approx(2 * stats.t.sf(5 / se, 2), rel=1e-4)  # 0.155
    assert (result.ci_low, result.ci_high) == pytest.approx((-5 - 4.3027 * se, -5 + 4.3027 * se), rel=1e-4)


def test_a_large_effect_with_small_seed_spread_is_found_with_three_seeds():
    """3 seeds against 3 (where a permutation test cannot go below p 0.1): a gap of 0.8 with a seed SD of 0.2;
    with a seed spread too small for the songs to show (SD 0.05), the fit sits at zero seed variance and Welch's t
    on run means finds it instead."""
    rng = np.random.default_rng(1)
    result = compare(runs(rng, [4.0, 4.2, 3.8]), runs(rng, [4.8, 5.0, 4.6]))
    assert (result.test, result.df) == ("mixed", 4) and result.p_value < 0.01 and result.seed_variance > 0
    assert result.ci_low < -0.8 < result.ci_high < 0
    small = compare(runs(rng, [4.0, 4.05, 3.95]), runs(rng, [4.5, 4.55, 4.45]))
    assert small.test == "welch-runs" and small.p_value < 0.01 and small.ci_high < 0


@pytest.mark.filterwarnings("error")  # statsmodels' warnings are judged, never leaked
def test_no_effect_gives_uniform_p_values_and_a_false_positive_rate_near_alpha():
    """60 null draws of 3 seeds against 3 (seed SD 0.2, 20 songs of SD 0.5): about 5% below 0.05, p roughly
    uniform; a z test instead of the t would reject about twice as often."""
    rng = np.random.default_rng(7)
    results = [
        compare(runs(rng, list(rng.normal(0, 0.2, 3))), runs(rng, list(rng.normal(0, 0.2, 3)))) for _ in range(60)
    ]
    p = np.array([r.p_value for r in results])
    assert not np.isnan(p).any() and {r.test for r in results} <= {"mixed", "welch-runs"}
    assert np.mean(p < 0.05) <= 0.1
    assert stats.kstest(p, "uniform").pvalue > 0.01


def test_a_baseline_has_no_seed_variance_and_two_baselines_compare_their_songs():
    rng = np.random.default_rng(3)
    dataset = Side.of([rng.normal(5.0, 0.5, 100)], seeded=False)
    model = runs(rng, [4.0, 4.2, 3.8])
    result = compare(model, dataset)
    assert (result.test, result.df) == ("mixed", 2) and result.p_value < 0.05  # df from the model's 3 runs only
    assert result.ci_low < -1.0 < result.ci_high
    other = Side.of([rng.normal(5.0, 0.5, 50)], seeded=False)
    songs = compare(dataset, other)
    expected = stats.ttest_ind(dataset.runs[0], other.runs[0], equal_var=False)
    assert songs.test == "welch-songs" and songs.p_value == pytest.approx(expected.pvalue)


@pytest.mark.filterwarnings("error")  # statsmodels' warnings are judged, never leaked
def test_degenerate_fits_fall_back_and_say_which_test_was_used():
    # Identical run means: the seed variance sits at zero, so the mixed model is refused and Welch on run means
    # (here with zero spread on one side) gives the answer.
    flat = Side.of([[1.0, 2.0, 3.0]] * 3)
    spread = Side.of([[2.0, 3.0, 4.0], [3.0, 4.0, 5.0], [4.0, 5.0, 6.0]])
    assert mixed_model(flat, flat) is None
    result = compare(flat, spread)
    assert result.test in TESTS and result.test in {"mixed", "welch-runs"}
    assert compare(flat, flat).test == "welch-runs" and compare(flat, flat).p_value == 1.0
    # One seed against one: no between-run degrees of freedom, no test at all (not a song-level one).
    one = compare(Side.of([[1.0, 2.0]]), Side.of([[3.0, 4.0]]))
    assert one.test == "none" and math.isnan(one.p_value)
    # A partly finished replicate: one seed against three borrows the seed variance of the three.
    rng = np.random.default_rng(5)
    partial = compare(runs(rng, [4.0]), runs(rng, [4.5, 4.6, 4.4]))
    assert (partial.test, partial.df) == ("mixed", 2)
    assert welch(runs(rng, [4.0]), runs(rng, [4.5, 4.6])).test == "none"  # Welch needs two run means a side


def _draw(rng: np.random.Generator, runs_b: int, seeded_b: bool) -> tuple[Side, Side]:
    a = Side.of([rng.normal(4.5 + rng.normal(0, 0.2), 0.6, 100) for _ in range(3)])
    return a, Side.of([rng.normal(4.5 + rng.normal(0, 0.2), 0.6, 100) for _ in range(runs_b)], seeded_b)


@pytest.mark.filterwarnings("error")
def test_a_fit_with_a_negative_variance_is_refused_quietly():
    """Draw 50 of this sequence (found by search), 3 seeds against 1: statsmodels' standard error takes the square
    root of a negative variance. The fit counts as degenerate, without a warning escaping, and with one seed on a
    side there is nothing to fall back on."""
    rng = np.random.default_rng(0)
    for trial in range(50):
        _draw(rng, [1, 3][trial % 2], trial % 4 != 1)
    a, b = _draw(rng, 1, True)
    assert mixed_model(a, b) is None and compare(a, b).test == "none"
