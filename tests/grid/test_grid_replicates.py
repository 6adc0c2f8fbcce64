"""Replicates on a tiny grid: a folder of seed-0 runs and a folder of seed-1 runs (trained with ``--set
axes.seed=[1]``) are reused by content into one 2-seed grid without training anything; selection and the
run-level tables then work over the seeds."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from rnncells.evaluation.folder import EvaluationFolder

CONFIGURATIONS = ["control-gru-1", "control-gru-2"]


@pytest.fixture(scope="module")
def replicated(replicated_grid) -> Path:
    return replicated_grid


def test_seed_folders_are_reused_into_one_two_seed_grid_without_training(replicated):
    seed1 = replicated.parent / "seed1"
    assert sorted(p.name for p in (seed1 / "runs").iterdir()) == [f"{c}-seed1" for c in CONFIGURATIONS]
    assert tomllib.loads((seed1 / "runs" / "control-gru-1-seed1" / "config.toml").read_text())["train"]["seed"] == 1
    reused = json.loads((replicated / "reused.json").read_text())
    names = [f"{c}-seed{s}" for c in CONFIGURATIONS for s in (0, 1)]
    assert sorted(reused) == sorted(names)
    assert {Path(source).parent.parent.name for source in reused.values()} == {"seed0", "seed1"}
    assert reused["control-gru-1-seed0"].endswith("seed0/runs/control-gru-1")
    assert not (replicated / "logs").exists() or not list((replicated / "logs").iterdir())  # nothing trained
    for name in names:
        registry = json.loads((replicated / "registry" / f"{name}.json").read_text())
        assert registry["status"] == "done" and registry["attempts"] == 0


def test_selection_averages_the_seeds_best_validation_losses(replicated):
    selection = json.loads((replicated / "selection.json").read_text())
    for group in ("control-gru",):
        entry = selection[group]
        for configuration, runs in entry["run_scores"].items():
            assert sorted(runs) == [f"{configuration}-seed0", f"{configuration}-seed1"]
            for run, score in runs.items():
                metrics = pd.read_csv(replicated / "runs" / run / "metrics.csv")
                assert score == pytest.approx(metrics["val_loss"].min())
            assert entry["candidates"][configuration] == pytest.approx(sum(runs.values()) / 2)
        assert entry["selected"] == min(entry["candidates"], key=entry["candidates"].get)
        assert entry["runs"] == [f"{entry['selected']}-seed0", f"{entry['selected']}-seed1"]
        assert "over 2 seed(s)" in entry["why"]


def test_run_level_tables_aggregate_the_seeds_and_test_the_family(replicated):
    tables = EvaluationFolder(replicated / "evaluation").read_replicates()
    songs = pd.read_csv(replicated / "evaluation" / "songs.csv")
    configurations = tables["configurations"].query("metric == 'general'").set_index("configuration")
    for configuration in CONFIGURATIONS:
        means = [songs[songs["model_name"] == f"{configuration}-seed{s}"]["general"].mean() for s in (0, 1)]
        row = configurations.loc[configuration]
        assert row["seeds"] == 2 and row["songs"] == 20
        assert row["mean"] == pytest.approx(sum(means) / 2)
        assert row["seed_sd"] == pytest.approx(pd.Series(means).std())
        assert row["ci_low"] <= row["mean"] <= row["ci_high"]
    selection = json.loads((replicated / "selection.json").read_text())
    family = {entry["selected"] for entry in selection.values()} | {"dataset"}
    assert set(configurations.index[configurations["in_family"]]) == family
    tests = tables["run_tests"]
    assert len(tests) == 1 and set(tests["configuration_a"]) | set(tests["configuration_b"]) == family
    assert (tests["p_holm"] >= tests["p_value"]).all()
    test = tests.iloc[0]  # the selected configuration (2 seeds) against the dataset (one set, no seed variance)
    assert test["test"] in {"mixed", "welch-runs"} and test["ci_low"] <= test["estimate"] <= test["ci_high"]
    assert test["df"] == 1 if test["test"] == "mixed" else test["df"] > 0
    assert test["smallest_p"] == pytest.approx(1 / 3) and test["p_permutation"] >= test["smallest_p"]  # C(3, 1) splits
    variance = tables["variance"].set_index("source")
    run_means = tables["runs"].query("model_name != 'dataset'")["general"]  # as stored: 7 significant digits
    assert variance.loc["seed", "df"] == 2 and variance["sum_sq"].sum() == pytest.approx(
        ((run_means - run_means.mean()) ** 2).sum(), rel=1e-5
    )


def test_replicate_configurations_gives_only_those_every_seed_and_selection_compares_the_seeds_in_common():
    from rnncells.config.dataset import DatasetConfig
    from rnncells.config.records import ConfigError
    from rnncells.grid.config import GridConfig
    from rnncells.grid.plan import plan_runs
    from rnncells.grid.selection import _shared_seed_means

    def grid(**fields) -> GridConfig:
        axes = {"cell": ["gru"], "layers": [1, 2]}
        return GridConfig(dataset=DatasetConfig(variants=["control"]), axes=axes, **fields)

    runs = plan_runs(grid(seeds=[0, 1, 2], replicate_configurations=["control-gru-2"]))
    assert [(r.name, r.train.seed) for r in runs] == [
        ("control-gru-1-seed0", 0),
        ("control-gru-2-seed0", 0),
        ("control-gru-2-seed1", 1),
        ("control-gru-2-seed2", 2),
    ]
    # control-gru-2 is better on average over its three seeds but worse on the seed both have: seed 0 decides
    scores = {
        "control-gru-1": {"control-gru-1-seed0": 1.0},
        "control-gru-2": {"control-gru-2-seed0": 1.1, "control-gru-2-seed1": 0.5, "control-gru-2-seed2": 0.5},
    }
    means, shared = _shared_seed_means(runs, scores)
    assert shared == [0] and means == {"control-gru-1": 1.0, "control-gru-2": 1.1}
    full = plan_runs(grid(seeds=[0, 1]))
    scores = {c: {f"{c}-seed0": 1.0, f"{c}-seed1": s} for c, s in (("control-gru-1", 0.4), ("control-gru-2", 0.2))}
    assert _shared_seed_means(full, scores) == ({"control-gru-1": 0.7, "control-gru-2": 0.6}, [0, 1])
    with pytest.raises(ConfigError, match="control-gru-9 is not a configuration of this grid"):
        plan_runs(grid(seeds=[0, 1], replicate_configurations=["control-gru-9"]))
    with pytest.raises(ConfigError, match="replicate_configurations needs seeds"):
        grid(replicate_configurations=["control-gru-2"]).validate()


def test_the_index_answers_with_the_configurations_mean_over_seeds(replicated):
    import re

    from rnncells.grid.index import answer

    page = (replicated / "index.html").read_text()
    configurations = pd.read_csv(replicated / "evaluation" / "configurations.csv")
    general = configurations[configurations["metric"] == "general"].set_index("configuration")
    selected = json.loads((replicated / "selection.json").read_text())["control-gru"]["selected"]
    mean, sd = general.loc[selected, "mean"], general.loc[selected, "seed_sd"]
    assert f"Most tonal selected model: {selected} (general tonality {mean:.2f} ± {sd:.2f} over " in page
    assert re.search(r"over \d+ songs of 2 seeds\)", page) and "lower is more tonal" in page
    rows = [{"model": "a", "tonality": "4.50 ± 0.10", "n": 100, "loss": ""}]
    rows += [{"model": "b", "tonality": "3.90 ± 0.20", "n": 100, "loss": ""}]
    assert answer(rows).startswith("Most tonal selected model: b (general tonality 3.90 ± 0.20 over 100 songs)")


def test_evaluate_scores_another_mode_with_the_grids_family(replicated, tmp_path, capsys):
    """`rnncells evaluate --leave-out` (paper_scripts/12's corrected mode): the configurations selection passed over
    stay out of the run-level family, as in the grid's own evaluation."""
    from rnncells.cli import main

    selection = json.loads((replicated / "selection.json").read_text())["control-gru"]
    [passed_over] = [c for c in CONFIGURATIONS if c != selection["selected"]]
    sets = [str(p) for p in sorted((replicated / "songs").iterdir())]
    for name, extra in (("all", []), ("family", ["--leave-out", passed_over])):
        command = ["evaluate", *sets, "--dataset", str(replicated / "dataset"), "--mode", "corrected", *extra]
        assert main([*command, "--out", str(tmp_path / name)]) == 0
    every, family = (EvaluationFolder(tmp_path / n).read_replicates()["run_tests"] for n in ("all", "family"))
    named = set(family["configuration_a"]) | set(family["configuration_b"])
    assert named == {selection["selected"], "dataset"} and len(family) == 1
    assert passed_over in set(every["configuration_a"]) | set(every["configuration_b"]) and len(every) == 3

    command = ["evaluate", *sets, "--dataset", str(replicated / "dataset"), "--leave-out", "control-gru-9"]
    assert main([*command, "--out", str(tmp_path / "typo")]) == 2  # a typo would keep the family whole
    said = capsys.readouterr().err.strip().splitlines()
    assert len(said) == 1 and "--leave-out control-gru-9: no song set has that configuration" in said[0]
    assert f"name one of: {', '.join(sorted(CONFIGURATIONS))}" in said[0] and not (tmp_path / "typo").exists()
