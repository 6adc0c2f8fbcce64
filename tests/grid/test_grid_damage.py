"""Damaged bookkeeping in a grid's results folder: shown by status, made again when it can be, and never a reason
to write the tables without a model (the grid stops with one line naming the file and the fix)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from rnncells.grid.config import GridConfig
from rnncells.grid.damage import GridDamageError, check_before_finishing, check_before_training
from rnncells.grid.plan import plan_runs
from rnncells.grid.runner import finish_grid, run_grid
from rnncells.grid.status import format_status, status_rows
from rnncells.locks import FolderLocked
from rnncells.study.grid_folder import GridPaths
from tests.test_locks import holder
from tests.training.test_run_folder import saved_run


def finished_grid(tmp_path: Path) -> tuple[GridConfig, GridPaths]:
    """Two finished runs (control-lstm-1, control-lstm-2) of a grid, as their trainers left them."""
    grid = GridConfig(name="fake", axes={"cell": ["lstm"], "layers": [1, 2]})
    grid.dataset.variants = ["control"]
    grid.train = {"epochs": 2}
    paths = GridPaths(tmp_path / "out")
    for run in plan_runs(grid):
        saved_run(paths.runs / run.name, epochs=2)
    return grid, paths


def test_status_shows_a_damaged_run_and_names_the_file(tmp_path):
    grid, paths = finished_grid(tmp_path)
    (paths.runs / "control-lstm-1" / "state.json").write_text("garbage")
    paths.run_folder("control-lstm-2").metrics_path.write_bytes(b"\x00\xff" * 50)
    rows = status_rows(grid, paths)
    assert [row["status"] for row in rows] == ["damaged", "damaged"]
    assert "control-lstm-1/state.json: damaged" in rows[0]["error"]
    assert "control-lstm-2/metrics.csv" in rows[1]["error"]
    assert format_status(rows).splitlines()[-1] == "2 damaged"


def test_views_are_left_to_the_trainer_and_other_damage_stops_the_grid_before_training(tmp_path):
    grid, paths = finished_grid(tmp_path)
    runs = plan_runs(grid)
    assert check_before_training(runs, paths) == []
    paths.run_folder("control-lstm-2").named_checkpoint("best").unlink()
    assert check_before_training(runs, paths) == ["control-lstm-2"]
    (paths.runs / "control-lstm-1" / "run.json").write_text("{")
    with pytest.raises(GridDamageError) as stopped:
        check_before_training(runs, paths)
    message = str(stopped.value)
    assert "control-lstm-1/run.json: " in message and "delete" in message and "\n" not in message


def test_tables_are_never_written_without_a_damaged_or_lost_model(tmp_path):
    grid, paths = finished_grid(tmp_path)
    runs = plan_runs(grid)
    (paths.runs / "control-lstm-1" / "state.json").write_text("garbage")
    with pytest.raises(GridDamageError, match="state.json: damaged .* the tables would lose control-lstm-1: run"):
        finish_grid(grid, runs, paths, progress=False)
    assert not (paths.root / "selection.json").exists() and not paths.tables.exists()

    (paths.root / "selection.json").write_text(json.dumps({"control-lstm": {"selected": "control-lstm-1"}}))
    shutil.rmtree(paths.runs / "control-lstm-1")
    with pytest.raises(GridDamageError, match="selection.json: control-lstm-1 was selected before"):
        check_before_finishing(runs, paths, {"control-lstm-2"})
    check_before_finishing(runs, paths, {"control-lstm-1", "control-lstm-2"})


def test_a_second_grid_on_the_same_results_folder_is_refused(tmp_path):
    grid, paths = finished_grid(tmp_path)
    process = holder(paths.root)
    try:
        with pytest.raises(FolderLocked, match=f"in use by PID {process.pid}"):
            run_grid(grid, paths.root, progress=False)
        with pytest.raises(FolderLocked, match=f"in use by PID {process.pid}"):
            finish_grid(grid, plan_runs(grid), paths, progress=False)
    finally:
        process.kill()
        process.wait()
