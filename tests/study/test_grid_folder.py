"""The grid results folder's own files, read and written through their one owner (rnncells.study.grid_folder)."""

from __future__ import annotations

import pytest

from rnncells.study.grid_folder import GridFolderError, GridPaths


def test_selection_round_trips_and_damage_names_the_file_and_the_fix(tmp_path):
    paths = GridPaths(tmp_path)
    assert paths.selected_runs() == set()
    with pytest.raises(GridFolderError, match="selection.json: missing; run `rnncells grid run`"):
        paths.read_selection()
    selection = {"control/lstm": {"selected": "control-lstm-2", "why": "lowest"}, "interval/gru": {"selected": None}}
    paths.write_selection(selection)
    assert paths.read_selection() == selection and paths.selected_runs() == {"control-lstm-2"}
    paths.selection_path.write_text("{not json", encoding="utf-8")
    with pytest.raises(GridFolderError, match=r"selection.json: damaged .*grid finish"):
        paths.read_selection()
    assert paths.selected_runs() == set()


def test_grid_file_reused_and_history_round_trip(tmp_path):
    paths = GridPaths(tmp_path)
    assert paths.read_grid_tables() == {} and paths.read_reused() == {} and paths.read_history() == []
    paths.write_grid_file('name = "g"\n[axes]\nlayers = [1, 2]\n')
    assert paths.read_grid_tables() == {"name": "g", "axes": {"layers": [1, 2]}}
    paths.write_reused({"control-lstm-1": "../other"})
    assert paths.read_reused() == {"control-lstm-1": "../other"}
    paths.write_history([{"id": "a", "action": "grid run"}, {"id": "b"}])
    with open(tmp_path / "history.jsonl", "a", encoding="utf-8") as file:
        file.write('{"id": "cut sho')  # a line a crash cut short is passed over
    assert [entry["id"] for entry in paths.read_history()] == ["a", "b"]
