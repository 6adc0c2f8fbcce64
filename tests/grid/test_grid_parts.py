"""The grid's parts without training: selection by each select_by, status rows, the registry, process
supervision, the index page and the default results folder."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from rnncells.config.records import ConfigError
from rnncells.grid.config import GridConfig
from rnncells.grid.grid_file import load_grid
from rnncells.grid.index import template, write_index
from rnncells.grid.paths import DEFAULT_ROOT, grid_paths
from rnncells.grid.plan import plan_runs
from rnncells.grid.registry import read_entry, write_entry
from rnncells.grid.selection import select_runs
from rnncells.grid.status import best_score, format_status, status_rows
from rnncells.grid.supervise import process_alive, stop_orphan, trainer_alive
from rnncells.study.grid_folder import GridPaths
from rnncells.training.run_folder import RunFolder
from rnncells.training.run_types import RunState

REPO = Path(__file__).resolve().parents[2]

# Two depths of one (variant, cell): depth 1 has the lower validation loss, depth 2 the lower training loss.
# Each run's state.json claims the opposite, so a selection reading state.json instead of the chosen metrics.csv
# column picks the wrong run either way.
LOSSES = {
    "control-lstm-1": {"loss": [2.0, 1.5], "val_loss": [2.2, 1.9], "state": 9.0},
    "control-lstm-2": {"loss": [1.8, 1.1], "val_loss": [2.4, 2.1], "state": 0.5},
}


def fake_grid(
    tmp_path: Path, select_by: str, losses_by_run: dict | None = None, seeds: list[int] | None = None
) -> tuple[GridConfig, GridPaths]:
    grid = GridConfig(name="fake", axes={"cell": ["lstm"], "layers": [1, 2]}, select_by=select_by, seeds=seeds or [])
    grid.dataset.variants = ["control"]
    grid.train = {"epochs": 2}
    grid.validate()
    paths = GridPaths(tmp_path / "out")
    for name, losses in (losses_by_run or LOSSES).items():
        folder = RunFolder(paths.runs / name)
        rows = [
            {
                "epoch": epoch + 1,
                "step": 10 * (epoch + 1),
                "loss": loss,
                "accuracy": 0.5,
                "perplexity": math.exp(loss),
                "val_loss": val_loss,
                "val_accuracy": 0.4,
                "val_perplexity": math.exp(val_loss),
                "learning_rate": 0.002,
                "seconds": 1.0,
            }
            for epoch, (loss, val_loss) in enumerate(zip(losses["loss"], losses["val_loss"]))
        ]
        folder.write_metrics(rows)
        folder.write_state(RunState(2, 20, losses["state"]))
    return grid, paths


@pytest.mark.parametrize(
    ("select_by", "chosen", "score"), [("val_loss", "control-lstm-1", 1.9), ("loss", "control-lstm-2", 1.1)]
)
def test_select_by_reads_the_chosen_column_of_each_runs_metrics(tmp_path, select_by, chosen, score):
    grid, paths = fake_grid(tmp_path, select_by)
    runs = plan_runs(grid)
    assert [run.name for run in runs] == list(LOSSES)
    assert {run.name: best_score(paths, run, select_by) for run in runs} == {
        name: min(losses[select_by]) for name, losses in LOSSES.items()
    }
    entry = select_runs(grid, runs, paths)["control-lstm"]
    assert (entry["selected"], entry["score"], entry["select_by"]) == (chosen, score, select_by)
    measure = "validation loss" if select_by == "val_loss" else "training loss"
    assert entry["why"].startswith(f"lowest best {measure} {score:.4f}")
    rows = status_rows(grid, paths)
    assert [row[f"best_{select_by}"] for row in rows] == [f"{min(v[select_by]):.4f}" for v in LOSSES.values()]
    assert format_status(rows).splitlines()[0].split()[3] == f"best_{select_by}"
    assert format_status(rows).splitlines()[-1] == "2 done"


# Two seeds: depth 2's seed 1 is the lowest of all, but depth 1 is lower on the mean over seeds.
SEEDED = {
    "control-lstm-1-seed0": {"loss": [2.0, 1.5], "val_loss": [2.2, 1.90], "state": 1.0},
    "control-lstm-1-seed1": {"loss": [2.0, 1.5], "val_loss": [2.2, 1.92], "state": 1.0},
    "control-lstm-2-seed0": {"loss": [2.0, 1.5], "val_loss": [2.2, 2.10], "state": 1.0},
    "control-lstm-2-seed1": {"loss": [2.0, 1.5], "val_loss": [2.2, 1.80], "state": 1.0},
}


def test_selection_over_seeds_takes_the_mean_of_each_runs_best_and_records_every_seed(tmp_path):
    grid, paths = fake_grid(tmp_path, "val_loss", SEEDED, seeds=[0, 1])
    runs = plan_runs(grid)
    assert [run.name for run in runs] == list(SEEDED)
    assert [run.train.seed for run in runs] == [0, 1, 0, 1]
    assert {run.configuration for run in runs} == {"control-lstm-1", "control-lstm-2"}
    entry = select_runs(grid, runs, paths)["control-lstm"]
    assert entry["selected"] == "control-lstm-1" and entry["runs"] == ["control-lstm-1-seed0", "control-lstm-1-seed1"]
    assert entry["score"] == pytest.approx(1.91) and entry["candidates"]["control-lstm-2"] == pytest.approx(1.95)
    assert entry["run_scores"]["control-lstm-2"] == {"control-lstm-2-seed0": 2.1, "control-lstm-2-seed1": 1.8}
    assert entry["why"].startswith("lowest mean best validation loss over 2 seed(s), 1.9100 (seed 0 1.9000, seed 1")
    assert "control-lstm-2 1.9500 (seed 0 2.1000, seed 1 1.8000)" in entry["why"]
    assert paths.read_selection() == json.loads((paths.root / "selection.json").read_text())
    assert paths.read_selection()["control-lstm"]["runs"] == entry["runs"]


def test_a_seed_axis_means_the_same_as_seeds_and_both_at_once_are_refused(tmp_path):
    axis = GridConfig(axes={"cell": ["gru"], "layers": [2], "seed": [0, 1]})
    listed = GridConfig(axes={"cell": ["gru"], "layers": [2]}, seeds=[0, 1])
    for grid in (axis, listed):
        grid.dataset.variants = ["control"]
        assert [(r.name, r.train.seed) for r in plan_runs(grid)] == [
            ("control-gru-2-seed0", 0),
            ("control-gru-2-seed1", 1),
        ]
    sized = GridConfig(axes={"cell": ["lstm"], "units": [128]}, seeds=[1])  # named as a seed axis always was
    sized.dataset.variants = ["control"]
    assert [r.name for r in plan_runs(sized)] == ["control-lstm-1-seed1-units128"]
    assert plan_runs(sized)[0].configuration == "control-lstm-1-units128"
    with pytest.raises(ConfigError, match="keep one"):
        GridConfig(axes={"cell": ["gru"], "seed": [0]}, seeds=[1]).validate()
    with pytest.raises(ConfigError, match="distinct whole numbers"):
        GridConfig(seeds=[1, 1]).validate()
    assert [r.name for r in plan_runs(GridConfig(axes={"cell": ["gru"], "layers": [1]}))] == [
        f"{v}-gru-1" for v in GridConfig().dataset.variants
    ]  # no seeds asked: the names stay as they were


def test_unfinished_runs_are_not_selected_and_a_damaged_state_reads_as_not_started(tmp_path):
    grid, paths = fake_grid(tmp_path, "val_loss")
    grid.train = {"epochs": 3}  # both runs now have an epoch to go
    runs = plan_runs(grid)
    entry = select_runs(grid, runs, paths)["control-lstm"]
    assert entry["selected"] is None and entry["missing"] == list(LOSSES)
    (paths.runs / "control-lstm-1" / "state.json").write_text("{not json")
    rows = {row["run"]: row for row in status_rows(grid, paths)}
    assert rows["control-lstm-1"]["epochs"] == "0/3" and rows["control-lstm-2"]["epochs"] == "2/3"


def test_registry_entries_update_and_refuse_unknown_fields(tmp_path):
    paths = GridPaths(tmp_path)
    assert read_entry(paths, "a") == {"status": "pending", "attempts": 0, "error": None, "pid": None}
    write_entry(paths, "a", status="running", pid=123, attempts=1)
    assert write_entry(paths, "a", status="failed", pid=None, error="boom") == {
        "status": "failed",
        "attempts": 1,
        "error": "boom",
        "pid": None,
    }
    with pytest.raises(ValueError, match="status 'lost'"):
        write_entry(paths, "a", status="lost")
    with pytest.raises(KeyError, match="no field"):
        write_entry(paths, "a", colour="red")
    (paths.registry / "b.json").write_text("{half")
    assert read_entry(paths, "b")["status"] == "pending"


def test_only_a_trainer_naming_the_run_folder_is_stopped(tmp_path):
    run_dir = tmp_path / "runs" / "control-lstm-1"
    sleeper = [sys.executable, "-c", "import sys, time; time.sleep(60)"]
    ours = subprocess.Popen([*sleeper, "--out", str(run_dir)])
    other = subprocess.Popen([*sleeper, "--out", str(tmp_path / "runs" / "another")])
    try:
        assert trainer_alive(ours.pid, run_dir) and not trainer_alive(other.pid, run_dir)
        assert not stop_orphan(other.pid, run_dir) and not stop_orphan(None, run_dir)
        assert stop_orphan(ours.pid, run_dir)
        ours.wait(timeout=10)
        assert not process_alive(ours.pid) and process_alive(other.pid)
        assert not trainer_alive(ours.pid, run_dir)
    finally:
        for process in (ours, other):
            process.kill()
            process.wait()


def test_index_page_is_rendered_from_the_packaged_template_and_escaped(tmp_path):
    grid, paths = fake_grid(tmp_path, "val_loss")
    grid.dataset.source = "melodies/<b>&co"
    selection = select_runs(grid, plan_runs(grid), paths)
    (paths.songs / "control-lstm-1").mkdir(parents=True)
    (paths.songs / "control-lstm-1" / "song_000.mid").write_bytes(b"")
    paths.figures.mkdir()
    figure = paths.figures / "box_CMM.png"
    page = write_index(grid, paths, selection, [figure, figure.with_suffix(".pdf")], [], None).read_text()
    assert template().render  # the template ships inside the package (pyproject.toml package data)
    assert "melodies/&lt;b&gt;&amp;co" in page and "<b>&co" not in page
    assert '<a href="songs/control-lstm-1">songs/control-lstm-1</a> (1 MIDI files)' in page
    assert '<img src="figures/box_CMM.png"' in page and 'href="figures/box_CMM.pdf"' in page
    assert "<th>best_val_loss</th>" in page and "<td>control-lstm-2</td>" in page
    assert "<b>control-lstm</b>: control-lstm-1 — lowest best validation loss 1.9000" in page
    pyproject = (REPO / "pyproject.toml").read_text()
    assert '"rnncells.grid" = ["*.j2"]' in pyproject


def test_results_go_to_an_ignored_folder_by_default():
    quick = load_grid(REPO / "configs" / "quick.toml")
    assert grid_paths(quick).root == DEFAULT_ROOT / "quick" == Path("out/quick")
    assert grid_paths(quick, "results/quick").root == Path("results/quick")
    for path in ("out/quick/index.html", "slurm/quick/train.sbatch"):
        assert subprocess.run(["git", "check-ignore", "-q", path], cwd=REPO, check=False).returncode == 0, path
    assert subprocess.run(["git", "check-ignore", "-q", "results/quick/index.html"], cwd=REPO).returncode == 1
