"""OUT/history.jsonl: every grid start with its command, commit, wall time, exit and versions."""

from __future__ import annotations

import pytest

from rnncells.grid.history import recorded
from rnncells.study.grid_folder import GridPaths


def test_each_start_is_recorded_and_completed_however_it_ends(tmp_path):
    with recorded(tmp_path, "grid run", ["rnncells", "grid", "run", "x.toml"]):
        with recorded(tmp_path, "grid finish", ["rnncells", "grid", "finish"]):  # nested, as run_grid finishes
            pass
    with pytest.raises(KeyboardInterrupt), recorded(tmp_path, "grid run", ["again"]):
        raise KeyboardInterrupt
    with pytest.raises(ValueError), recorded(tmp_path, "grid run", ["broken"]):
        raise ValueError("no such corpus\nsecond line")
    entries = GridPaths(tmp_path).read_history()
    assert [(e["action"], e["exit"]) for e in entries] == [
        ("grid run", "done"),
        ("grid finish", "done"),
        ("grid run", "interrupted"),
        ("grid run", "failed: no such corpus"),
    ]
    assert entries[0]["command"] == ["rnncells", "grid", "run", "x.toml"]
    assert all(e["wall_seconds"] >= 0 and e["ended"] >= e["started"] for e in entries)
    assert all({"python", "keras", "backend", "rnncells"} <= set(e["versions"]) for e in entries)
    assert entries[0]["commit"] is None or len(entries[0]["commit"].split("+")[0]) == 40


def test_a_line_cut_short_by_a_crash_is_skipped(tmp_path):
    with recorded(tmp_path, "grid run", ["one"]):
        pass
    with open(tmp_path / "history.jsonl", "a") as handle:
        handle.write('{"action": "grid ru')
    assert [e["command"] for e in GridPaths(tmp_path).read_history()] == [["one"]]


def test_the_record_names_no_machine_path(tmp_path, monkeypatch):
    out = tmp_path / "results" / "grid"
    monkeypatch.chdir(tmp_path)
    with recorded(out, "grid run", ["/opt/venv/bin/rnncells", "grid", "run", str(tmp_path / "g.toml"), "--jobs"]):
        pass
    entry = GridPaths(out).read_history()[0]
    assert entry["command"][1:] == ["grid", "run", "g.toml", "--jobs"]  # relative to the working directory
    assert not entry["command"][0].startswith("/") and entry["command"][0].endswith("opt/venv/bin/rnncells")
    assert entry["cwd"] == "../.."  # the working directory, relative to the results folder
