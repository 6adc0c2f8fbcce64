"""`rnncells report`: the study's answer, tests, baseline and costs, read back from a finished grid's own files."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from rnncells.cli import main
from rnncells.grid.grid_file import load_grid
from rnncells.grid.runner import run_grid
from tests.grid.test_grid_run import tiny_grid


@pytest.fixture(scope="module")
def finished_grid(small_dataset, tmp_path_factory) -> Path:
    source = Path(json.loads((small_dataset / "dataset.json").read_text())["source"])
    folder = tmp_path_factory.mktemp("report-grid")
    config = tiny_grid(folder, source, cells='["lstm"]', layers="[1, 2]")  # a depth curve needs depths, not cells
    out = folder / "out"
    run_grid(load_grid(config), out, jobs=2, generate_all=True, progress=False)
    songs = [str(p) for p in sorted((out / "songs").iterdir())]
    corrected = ["evaluate", *songs, "--dataset", str(out / "dataset"), "--mode", "corrected"]
    assert main([*corrected, "--out", str(out / "evaluation-corrected")]) == 0
    return out


def test_report_names_the_most_tonal_model_from_the_evaluation(finished_grid, tmp_path, capsys):
    assert main(["report", str(finished_grid), "--out", str(tmp_path / "report")]) == 0
    summary = pd.read_csv(finished_grid / "evaluation" / "summary.csv")
    selection = json.loads((finished_grid / "selection.json").read_text())
    chosen = summary[summary["model_name"].isin([e["selected"] for e in selection.values()])]
    general = chosen[chosen["metric"] == "general"].sort_values("mean")
    best, mean = general.iloc[0]["model_name"], general.iloc[0]["mean"]
    readme = (tmp_path / "report" / "README.md").read_text()
    assert f"the most tonal model is **{best}**" in readme and f"{mean:.3f}" in readme
    baseline = summary[(summary["model_name"] == "dataset") & (summary["metric"] == "general")]["mean"].iloc[0]
    assert "The dataset baseline" in readme and f"{baseline:.3f}" in readme
    numbers = json.loads((tmp_path / "report" / "numbers.json").read_text())["out"]
    assert numbers["headline"][0]["model"] == best
    assert {row["run"] for row in numbers["training_cost"]} == {p.name for p in (finished_grid / "runs").iterdir()}
    songs = pd.read_csv(finished_grid / "evaluation" / "songs.csv")
    for point in numbers["depth_curve"]:  # every run's mean, by variant, cell and depth
        own = songs[(songs["variant"] == point["variant"]) & (songs["cell"] == point["cell"])]
        assert point["general"] == pytest.approx(own[own["layers"] == point["layers"]]["general"].mean())
    assert len(numbers["depth_curve"]) == 4  # 2 variants x 2 depths
    corrected = pd.read_csv(finished_grid / "evaluation-corrected" / "summary.csv")
    corrected = corrected[corrected["metric"] == "general"].set_index("model_name")["mean"]
    assert {row["model"]: row["general"] for row in numbers["headline_corrected"]} == pytest.approx(
        {row["model"]: corrected[row["model"]] for row in numbers["headline_corrected"]}
    )
    assert "scored in corrected mode" in readme
    figures = {p.name for p in (tmp_path / "report" / "figures").iterdir()}
    assert {"out-depth_curve.pdf", "out-box_general.png"} <= figures
    lstm = [e["selected"] for group, e in selection.items() if group.endswith("-lstm")]
    assert {f"out-embedding-{run}.png" for run in lstm} <= figures and "nearest tokens by cosine" in readme
    assert "Published numbers" in readme
    pdf = tmp_path / "report" / "report.pdf"
    assert pdf.read_bytes()[:4] == b"%PDF"


def test_report_is_the_same_when_run_again(finished_grid, tmp_path):
    for name in ("a", "b"):
        assert main(["report", str(finished_grid), "--out", str(tmp_path / name), "--no-pdf"]) == 0
    for file in ("README.md", "numbers.json", "report.tex"):
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes()


def test_report_again_into_its_folder_keeps_only_the_figures_it_shows(finished_grid, tmp_path):
    out = tmp_path / "report"
    (out / "figures").mkdir(parents=True)
    for suffix in (".png", ".pdf"):  # an earlier report's figure of a run renamed since
        (out / "figures" / f"out-embedding-old-name{suffix}").write_bytes(b"old")
    assert main(["report", str(finished_grid), "--out", str(out), "--no-pdf"]) == 0
    tex = (out / "report.tex").read_text()
    shown = {p.stem for p in (out / "figures").iterdir()}
    assert "out-embedding-old-name" not in shown and shown and all(f"figures/{stem}" in tex for stem in shown)


def test_report_on_a_folder_that_is_no_grid_is_one_line(tmp_path, capsys):
    assert main(["report", str(tmp_path), "--out", str(tmp_path / "report")]) == 2
    assert "run `rnncells grid run` first" in capsys.readouterr().err


RHYTHM_GRID = """
name = "rhythm"
[dataset]
source = "{source}"
representation = "pitch_duration"
variants = ["control"]
train_ratio = 0.7
validation_ratio = 0.3
test_ratio = 0.0
[axes]
cell = ["lstm"]
units = [8, 16]
[epochs]
control = 2
[model]
embedding_dim = 8
[train]
batch_size = 4
seq_length = 16
[generate]
n_songs = 6
length = 16
[evaluate]
rhythm = true
"""


def test_report_on_a_rhythm_grid_follows_its_units_axis(finished_grid, small_dataset, tmp_path):
    source = Path(json.loads((small_dataset / "dataset.json").read_text())["source"])
    config = tmp_path / "rhythm.toml"
    config.write_text(RHYTHM_GRID.format(source=source))
    out = tmp_path / "rhythm"
    run_grid(load_grid(config), out, jobs=2, generate_all=True, progress=False)
    assert main(["report", str(finished_grid), str(out), "--out", str(tmp_path / "report"), "--no-pdf"]) == 0
    numbers = json.loads((tmp_path / "report" / "numbers.json").read_text())["rhythm"]
    selected = json.loads((out / "selection.json").read_text())["control-lstm"]["selected"]
    assert [(row["model"], row["units"]) for row in numbers["headline"]] == [(selected, int(selected[-2:].strip("s")))]
    songs = pd.read_csv(out / "evaluation" / "songs.csv")
    curve = {(point["units"], round(point["general"], 9)) for point in numbers["depth_curve"]}
    for units in (8, 16):
        own = songs[songs["model_name"] == f"control-lstm-1-units{units}"]["general"].mean()
        assert (units, round(own, 9)) in curve
    readme = (tmp_path / "report" / "README.md").read_text()
    assert f"(control-lstm, {numbers['headline'][0]['units']} units)" in readme and "the size curve" in readme
    assert "Published numbers, rhythm study" in readme and "Rhythm grid `rhythm`" in readme
    assert (tmp_path / "report" / "figures" / "rhythm-size_curve.pdf").is_file()
    answer = readme.split("## The answer")[1].split("\n## ")[0]  # a rhythm-aware score is not set against a pitch one
    assert "grid(s) scored on pitches, paper mode" in answer and "grid(s) scored rhythm-aware, paper mode" in answer
    tables = (out / "tables" / "table_representative_songs.tex").read_text()
    assert "control-lstm-1-units8" in tables and "control-lstm-1-units16" in tables  # not LSTM-1 twice
    published = (out / "tables" / "table_published.tex").read_text()
    assert "rhythm study" in published and "2.06 \\pm 0.66" in published  # control LSTM CMM, rhythm study


@pytest.mark.parametrize(
    ("generals", "meaning"), [((9.0, 6.0, 5.0, 4.5), "more tonal"), ((4.5, 5.0, 6.0, 9.0), "less tonal")]
)
def test_cost_validation_says_what_the_sign_of_rho_means(tmp_path: Path, generals: tuple, meaning: str) -> None:
    """Loss falls over the checkpoints; the sentence reads rho's sign the right way round (lower general = tonal)."""
    from rnncells.study.grid_folder import GridPaths
    from rnncells.study.sections import cost_validation_section

    folder = tmp_path / "grid" / "cost_validation"
    folder.mkdir(parents=True)
    table = pd.DataFrame({"step": [30, 60, 90, 120], "loss": [2.8, 2.4, 2.2, 2.0], "songs": 1, "general": generals})
    table.to_csv(folder / "cost_validation.csv", index=False)
    section = cost_validation_section(GridPaths(tmp_path / "grid"), tmp_path / "report", "g")
    assert f"lower loss went with {meaning} songs" in section.lines[0]
    assert (
        "rho between the training loss and mean general tonality is " + ("1.00" if meaning == "more tonal" else "-1.00")
        in section.lines[0]
    )
    table["val_loss"] = [3.0, 2.9, 2.95, 2.8]
    table.to_csv(folder / "cost_validation.csv", index=False)
    (folder / "cost_validation.json").write_text('{"val_loss": {"interval_95": [-0.4, 0.9]}}')
    line = cost_validation_section(GridPaths(tmp_path / "grid"), tmp_path / "report", "g").lines[0]
    assert "between the validation loss and mean general tonality" in line and "interval -0.40 to 0.90" in line
    assert "do not show loss and tonality moving together" in line
    assert "a checkpoint every 30 steps" in line and "Against the training loss rho is" in line
    seeds = pd.concat([table.assign(seed=0), table.assign(seed=1)])  # two seeds' checkpoints at the same steps
    seeds.to_csv(folder / "cost_validation.csv", index=False)
    (folder / "cost_validation.json").write_text(
        '{"val_loss": {"interval_95": [-0.4, 0.9]}, "loss": {"interval_95": [0.5, 1.0]}}'
    )
    line = cost_validation_section(GridPaths(tmp_path / "grid"), tmp_path / "report", "g").lines[0]
    assert line.startswith("2 run(s) trained again with a checkpoint every 30 steps")
    rho = "1.00" if meaning == "more tonal" else "-1.00"
    assert f"Against the training loss rho is {rho}, interval 0.50 to 1.00: lower loss went with {meaning}" in line
    (folder / "cost_validation.json").write_text(
        '{"val_loss": {"interval_95": [-0.4, 0.9]}, "loss": {"interval_95": [-0.3, 0.6]}}'
    )
    line = cost_validation_section(GridPaths(tmp_path / "grid"), tmp_path / "report", "g").lines[0]
    assert f"Against the training loss rho is {rho}, interval -0.30 to 0.60: that interval holds 0 as well." in line


def test_what_differs_says_which_weights_the_tables_use():
    from rnncells.study.sections import weights_difference

    scored = pd.DataFrame({"model_name": ["control-lstm-1", "control-lstm-1-final", "dataset"]})
    line = weights_difference([scored])
    assert "best-validation weights" in line and "1 sets named <run>-final, e.g. control-lstm-1-final" in line
    assert "were not scored" in weights_difference([scored.iloc[[0, 2]]])


def test_depth_curve_leaves_out_baselines_and_final_weights():
    from types import SimpleNamespace

    from rnncells.study.result import depth_curve

    names = ["control-lstm-1", "control-lstm-2", "control-lstm-1-final", "control-ngram-1", "dataset-train-cut"]
    songs = pd.DataFrame(
        {
            "model_name": names + ["dataset"],
            "variant": ["control"] * 4 + ["dataset-cut", "dataset"],
            "cell": ["lstm", "lstm", "lstm", "ngram", "", ""],
            "layers": [1, 2, 1, 1, None, None],
            "general": [4.0, 5.0, 100.0, 100.0, 100.0, 100.0],
        }
    )
    curve = depth_curve(SimpleNamespace(songs=songs, axis="layers", sizes={}))
    assert curve[["cell", "layers", "general"]].values.tolist() == [["lstm", 1, 4.0], ["lstm", 2, 5.0]]


def test_report_on_a_two_seed_grid_opens_with_the_run_level_verdict(replicated_grid, tmp_path):
    """The 2-seed tiny grid (tests/conftest.py): the opening names the configuration and its seeds, the numbers
    come from the run-level tables the grid wrote, and the variance decomposition has its table and figure."""
    from rnncells.evaluation.folder import EvaluationFolder

    assert main(["report", str(replicated_grid), "--out", str(tmp_path / "report"), "--no-pdf"]) == 0
    selection = json.loads((replicated_grid / "selection.json").read_text())["control-gru"]
    tables = EvaluationFolder(replicated_grid / "evaluation").read_replicates()
    general = tables["configurations"].query("metric == 'general'").set_index("configuration")
    chosen = general.loc[selection["selected"]]
    readme = (tmp_path / "report" / "README.md").read_text()
    opening = readme.split("## The answer")[1].split("\n## ")[0]
    assert f"**{selection['selected']}** is the only selected configuration on `both` (2 seeds per" in opening
    assert f"mean general tonality {chosen['mean']:.3f}" in opening
    assert f"[{chosen['ci_low']:.3f}, {chosen['ci_high']:.3f}]" in opening and f"SD {chosen['seed_sd']:.3f}" in opening
    dataset = general.loc["dataset"]
    test = tables["run_tests"].iloc[0]  # the selected configuration against the dataset: the opening quotes it
    assert test["test"] in {"mixed", "welch-runs"} and f"Holm p {test['p_holm']:.2g})" in opening
    assert (
        "Against the baselines (each a single song set, with no between-seed variance): dataset (train split" in opening
        and f"{dataset['mean']:.3f}" in opening
    )
    numbers = json.loads((tmp_path / "report" / "numbers.json").read_text())["both"]
    headline = numbers["headline"][0]
    assert (headline["model"], headline["seeds"], headline["songs"]) == (selection["selected"], 2, 20)
    assert headline["general"] == pytest.approx(chosen["mean"])  # the mean of the two run means
    expected = tables["run_tests"].to_dict("records")  # the tables the grid wrote, recomputed alike by the report
    for got, want in zip(numbers["run_tests"], expected, strict=True):
        assert got == {key: pytest.approx(v) if isinstance(v, float) else v for key, v in want.items()}
    assert "where the variance comes from" in readme and "ANOVA of run means" in readme
    assert (tmp_path / "report" / "figures" / "both-variance.pdf").is_file()
    # The answer seed by seed: each seed's own choice of depth (its run's best validation loss) and the leader
    by_seed = pd.read_csv(tmp_path / "report" / "both-seeds.csv", dtype=str).set_index("seeds")
    assert list(by_seed.index) == ["seed 0", "seed 1", "mean, all seeds"]
    for seed in (0, 1):
        own = {name: runs[f"{name}-seed{seed}"] for name, runs in selection["run_scores"].items()}
        chosen = min(own, key=own.get)
        assert by_seed.loc[f"seed {seed}", ["leader", "control-gru"]].tolist() == [chosen, chosen.rsplit("-", 1)[1]]
    assert by_seed.loc["mean, all seeds", "leader"] == selection["selected"]
    assert "Seed by seed, seed 0 and seed 1 " in opening and "their mean names " + selection["selected"] in opening
    assert "the answer seed by seed" in (tmp_path / "report" / "report.tex").read_text()
    assert [row["seeds"] for row in numbers["seed_leaders"]] == list(by_seed.index)


def test_report_sets_a_budget_grid_beside_the_study_recipe(finished_grid, tmp_path):
    """A copy of the tiny grid whose runs say they decayed per N steps and stopped early is a budget grid: the
    report draws both depth curves side by side, tabulates them and opens with whether depth helps under it."""
    import dataclasses
    import shutil

    from rnncells.training.run_folder import RunFolder

    longer = tmp_path / "longer"
    shutil.copytree(finished_grid, longer, ignore=shutil.ignore_patterns("checkpoints", "tensorboard"))
    for folder in (longer / "runs").iterdir():
        run = RunFolder(folder)
        config = run.read_config()
        run.write_config(dataclasses.replace(config, train=dataclasses.replace(config.train, lr_decay_steps=505)))
    assert main(["report", str(finished_grid), str(longer), "--out", str(tmp_path / "report"), "--no-pdf"]) == 0
    readme = (tmp_path / "report" / "README.md").read_text()
    opening = readme.split("## The answer")[1].split("\n## ")[0]
    assert opening.count('"Depth does not help"') == 2  # control and interval LSTM, each against the tiny grid
    assert "## longer: the depth curve under two training budgets" in readme
    assert "rate 0.01 × 0.97 per 505 steps" in readme and "rate 0.01 × 0.97^epoch" in readme
    assert (tmp_path / "report" / "figures" / "longer-budget_curve.png").is_file()
    numbers = json.loads((tmp_path / "report" / "numbers.json").read_text())
    [pair] = numbers["budget_comparison"]["longer"]
    assert pair["reference"] == "out" and len(pair["rows"]) == 8  # 2 grids x 2 variants x 2 depths


def test_grids_with_unequal_seeds_are_ranked_together_with_a_caveat(finished_grid, replicated_grid, tmp_path):
    out = tmp_path / "report"
    assert main(["report", str(replicated_grid), str(finished_grid), "--out", str(out), "--no-pdf"]) == 0
    opening = (out / "README.md").read_text().split("## The answer")[1].split("\n## ")[0]
    runs = pd.read_csv(replicated_grid / "evaluation" / "runs.csv")
    selected = {e["selected"] for e in json.loads((replicated_grid / "selection.json").read_text()).values()}
    general = runs[runs["configuration"].isin(selected)]["general"]
    assert "different numbers of seeds per configuration (`both` 2, `out` 1)" in opening
    assert f"range from {general.min():.3f} to {general.max():.3f}" in opening
