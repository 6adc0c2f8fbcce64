"""`grid plan`: each run's training steps counted from the dataset, and an estimate measured on this machine."""

from __future__ import annotations

import json
from pathlib import Path

from rnncells.cli import main
from rnncells.data.vocab import Vocabulary
from rnncells.data.windows import load_variant, study_windows
from rnncells.grid.estimate import RunCost, estimate_costs, format_costs, steps_per_epoch
from rnncells.grid.grid_file import load_grid
from rnncells.grid.paths import grid_paths
from rnncells.grid.plan import plan_runs
from rnncells.grid.runner import train_command
from tests.grid.test_grid_run import tiny_grid


def test_steps_per_epoch_are_the_runs_training_windows(small_dataset, tmp_path):
    source = Path(json.loads((small_dataset / "dataset.json").read_text())["source"])
    runs = plan_runs(load_grid(tiny_grid(tmp_path, source)))
    counts = steps_per_epoch(runs, small_dataset)
    manifest, rows = load_variant(small_dataset, "interval")
    tokens = [r["tokens"] for r in rows if r["split"] == "train"]
    expected = study_windows(tokens, Vocabulary(manifest["vocabulary"], "interval"), 8, 16).n_windows
    assert counts["interval-gru-1"] == expected > 0


def test_estimate_measures_each_shape_once_and_totals(small_dataset, tmp_path):
    source = Path(json.loads((small_dataset / "dataset.json").read_text())["source"])
    runs = plan_runs(load_grid(tiny_grid(tmp_path, source)))
    told: list[str] = []
    costs = estimate_costs(runs, small_dataset, progress=told.append)
    assert len(told) == 2  # lstm-1 and gru-1: control and interval share each measurement
    assert all(cost.seconds and cost.seconds > 0 for cost in costs)
    assert [cost.steps for cost in costs] == [3 * cost.steps_per_epoch for cost in costs]
    text = format_costs(costs, jobs=2)
    assert f"{len(runs)} runs, {sum(c.steps for c in costs)} training steps" in text and "--jobs 2" in text


def test_format_without_measurement_counts_steps_only():
    text = format_costs([RunCost("control-lstm-1", 300, 3), RunCost("transposed-lstm-1", 50, 36)])
    assert text.splitlines()[-1] == "2 runs, 2700 training steps"
    long = format_costs([RunCost("transposed-lstm-1-seed2-units128", 90, 14), RunCost("control-lstm-1", 200, 1)])
    header, *rows, _ = long.splitlines()
    assert len({len(line) for line in [header, *rows]}) == 1  # the columns line up under a long name
    assert rows[0].startswith("transposed-lstm-1-seed2-units128 ")


def test_grid_plan_command_prints_every_run(small_dataset, tmp_path, capsys):
    source = Path(json.loads((small_dataset / "dataset.json").read_text())["source"])
    config = tiny_grid(tmp_path, source)
    assert main(["grid", "plan", str(config), "--out", str(tmp_path / "out"), "--no-measure"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split()[0] for line in lines[1:-1]] == [run.name for run in plan_runs(load_grid(config))]


def test_each_grid_job_gets_its_share_of_the_cores(tmp_path):
    grid = load_grid(tiny_grid(tmp_path, tmp_path))
    run = plan_runs(grid)[0]
    command = train_command(run, grid_paths(grid, tmp_path / "out"), "jax", 4)
    assert command[command.index("--backend") + 1] == "jax" and command[command.index("--threads") + 1] == "4"
