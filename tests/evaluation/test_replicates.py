"""Run-level statistics: names, per-run means, the hierarchical bootstrap's coverage, the permutation test and the
variance decomposition, on synthetic data with known means."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from rnncells.evaluation.replicates import (
    configuration_stats,
    hierarchical_bootstrap,
    permutation_test,
    replicate_name,
    replicate_tables,
    run_means,
    smallest_p,
    split_replicate,
    variance_decomposition,
)


def test_names_carry_the_seed_and_a_set_without_one_is_its_own_configuration():
    assert replicate_name("control-gru-2", 1) == "control-gru-2-seed1"
    assert split_replicate("control-gru-2-seed1") == ("control-gru-2", 1)
    assert split_replicate("control-lstm-1-seed12-units128") == ("control-lstm-1-units128", 12)
    assert split_replicate("ngram-3") == ("ngram-3", None) and split_replicate("dataset") == ("dataset", None)


def songs_of(runs: dict[str, list[float]], variant: str = "control", cell: str = "gru", layers: float = 1.0):
    rows = []
    for name, values in runs.items():
        rows += [
            {"model_name": name, "variant": variant, "cell": cell, "layers": layers, "index": i, "general": v}
            for i, v in enumerate(values)
        ]
    frame = pd.DataFrame(rows)
    for metric in ("cmm", "lm", "centr"):
        frame[metric] = frame["general"]
    return frame


def test_configuration_mean_is_the_mean_of_run_means_with_the_between_seed_sd():
    songs = songs_of({"a-gru-1-seed0": [1.0, 2.0, 3.0], "a-gru-1-seed1": [5.0], "dataset": [7.0, 9.0]})
    runs = run_means(songs)
    assert list(runs["configuration"]) == ["a-gru-1", "a-gru-1", "dataset"]
    assert list(runs["seed"].astype(object)) == [0, 1, pd.NA]
    stats = configuration_stats(songs, runs, n_boot=200).query("metric == 'general'").set_index("configuration")
    assert stats.loc["a-gru-1", "mean"] == pytest.approx(3.5)  # (2 + 5) / 2, not the song mean 2.75
    assert stats.loc["a-gru-1", "seed_sd"] == pytest.approx(np.std([2.0, 5.0], ddof=1))
    assert stats.loc["a-gru-1", "seeds"] == 2 and stats.loc["a-gru-1", "songs"] == 4
    assert math.isnan(stats.loc["dataset", "seed_sd"])  # one run: no between-seed spread, no crash
    assert 7.0 <= stats.loc["dataset", "ci_low"] <= stats.loc["dataset", "ci_high"] <= 9.0


def test_hierarchical_bootstrap_covers_the_known_mean():
    """10 seeds with a seed effect (sd 1) and 30 songs each (sd 2): the 95% interval holds the true mean about
    95% of the time (percentile intervals with 10 groups run a little narrow)."""
    rng = np.random.default_rng(7)
    hits, trials = 0, 200
    for _ in range(trials):
        groups = [rng.normal(4.0 + rng.normal(0, 1.0), 2.0, 30) for _ in range(10)]
        low, high = hierarchical_bootstrap(groups, n_boot=500, rng=rng)
        hits += low <= 4.0 <= high
    assert 0.87 <= hits / trials <= 0.995


def test_hierarchical_bootstrap_widens_with_the_seed_spread():
    rng = np.random.default_rng(1)
    songs = [rng.normal(0, 1, 50) for _ in range(3)]
    narrow = hierarchical_bootstrap(songs, rng=np.random.default_rng(0))
    wide = hierarchical_bootstrap([s + shift for s, shift in zip(songs, (-2, 0, 2))], rng=np.random.default_rng(0))
    assert wide[1] - wide[0] > 2 * (narrow[1] - narrow[0])


def test_permutation_test_is_exact_and_knows_its_floor():
    assert permutation_test([1.0, 2.0, 3.0], [11.0, 12.0, 13.0]) == pytest.approx(2 / 20)  # C(6, 3) splits
    assert smallest_p(3, 3) == pytest.approx(0.1) and smallest_p(2, 2) == pytest.approx(1 / 3)
    assert permutation_test([1.0, 2.0], [1.5, 1.5]) == pytest.approx(1.0)
    assert permutation_test([1.0], [2.0]) == pytest.approx(1.0)  # one run each: nothing to tell apart
    many = permutation_test(np.arange(10.0), np.arange(10.0) + 20)  # C(20, 10) > MAX_EXACT: random splits
    assert many < 0.001


def test_replicate_tables_test_the_family_only():
    songs = pd.concat(
        [
            songs_of({f"c-gru-1-seed{s}": [1.0 + s, 2.0 + s] for s in range(3)}),
            songs_of({f"c-gru-2-seed{s}": [9.0 + s, 9.5 + s] for s in range(3)}, layers=2.0),
            songs_of({"dataset": [5.0, 6.0]}, variant="dataset", cell=""),
            songs_of({"c-gru-1-seed0-final": [0.5, 1.0]}),  # the selected run's final weights: not tested
        ]
    )
    tables = replicate_tables(songs, leave_out=["c-gru-2"], n_boot=100)
    tests = tables["run_tests"]
    assert list(zip(tests["configuration_a"], tests["configuration_b"])) == [("c-gru-1", "dataset")]
    # The permutation check, 1 against 3 runs: only the observed split is as extreme, 1 of C(4, 1), the floor
    assert tests["p_permutation"].iloc[0] == pytest.approx(0.25) == tests["smallest_p"].iloc[0]
    # The mixed model, by hand: seed variance 1 - 0.5/2 = 0.75 (run means 1.5, 2.5, 3.5; songs' variance 0.5), the
    # dataset without one; SE^2 = (0.75 + 0.5/2)/3 + 0.5/2, t on 3 - 1 = 2 df
    test = tests.iloc[0]
    assert (test["test"], test["df"]) == ("mixed", 2) and test["estimate"] == pytest.approx(-3.0)
    assert test["seed_variance"] == pytest.approx(0.75, rel=1e-3)
    assert test["p_value"] == pytest.approx(2 * stats.t.sf(3 / math.sqrt(1 / 3 + 0.25), 2), rel=1e-3)
    family = tables["configurations"].drop_duplicates("configuration").set_index("configuration")["in_family"]
    assert family.to_dict() == {"c-gru-1": True, "c-gru-2": False, "dataset": True, "c-gru-1-final": False}


def test_variance_decomposition_finds_the_factor_that_moves_the_means():
    rows = []
    for variant, shift in (("control", 0.0), ("interval", 3.0)):
        for cell in ("lstm", "gru"):
            for layers in (1, 2):
                for noise in (-0.1, 0.1):
                    rows.append(
                        {
                            "configuration": f"{variant}-{cell}-{layers}",
                            "variant": variant,
                            "cell": cell,
                            "layers": layers,
                            "general": 4.0 + shift + noise,
                        }
                    )
    baselines = [
        {"model_name": "dataset", "configuration": "dataset", "variant": "dataset", "cell": "", "general": 0.0},
        {
            "model_name": "control-ngram-2",
            "configuration": "control-ngram-2",
            "variant": "control",
            "cell": "ngram",
            "layers": 2,
            "general": 9.0,
        },  # a baseline, though it has a "cell"
        {
            "model_name": "control-lstm-1-seed0-final",
            "configuration": "control-lstm-1-final",
            "variant": "control",
            "cell": "lstm",
            "layers": 1,
            "general": 7.0,
        },  # the same network as control-lstm-1-seed0, other weights
    ]
    runs = pd.DataFrame([{"model_name": r["configuration"], **r} for r in rows] + baselines)
    table = variance_decomposition(runs).set_index("source")
    total = 16 * 1.5**2 + 16 * 0.1**2
    assert table["sum_sq"].sum() == pytest.approx(total)
    assert table.loc["representation", "sum_sq"] == pytest.approx(16 * 1.5**2)
    assert table.loc["cell", "sum_sq"] == pytest.approx(0.0, abs=1e-9)
    assert table.loc["seed", "df"] == 8 and table.loc["seed", "sum_sq"] == pytest.approx(0.16)
    assert table.loc["representation", "p_value"] < 1e-6 and table.loc["depth", "p_value"] > 0.9


def test_variance_decomposition_with_one_seed_has_no_seed_row_to_test_against():
    runs = pd.DataFrame(
        {"configuration": ["a", "b"], "variant": ["control", "interval"], "cell": ["gru"] * 2, "layers": [1, 1]}
    ).assign(general=[1.0, 2.0])
    table = variance_decomposition(runs).set_index("source")
    assert table.loc["seed", "df"] == 0 and table["p_value"].isna().all()
