"""rnncells.files: portable paths for records (no machine path in anything a results folder commits)."""

from __future__ import annotations

from pathlib import Path

from rnncells.files import portable_path, resolve_recorded


def test_a_relative_path_is_kept_as_given_and_an_absolute_one_made_relative(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert portable_path("../shared/data/edm") == "../shared/data/edm"
    assert portable_path(Path("corpus") / "edm") == "corpus/edm"
    assert portable_path(tmp_path / "corpus" / "edm") == "corpus/edm"  # relative to the working directory
    run = tmp_path / "results" / "grid" / "runs" / "control-lstm-1"
    recorded = portable_path(tmp_path / "results" / "grid" / "dataset", run)
    assert recorded == "../../dataset"
    assert resolve_recorded(recorded, run).resolve() == (tmp_path / "results" / "grid" / "dataset").resolve()
    assert resolve_recorded("/elsewhere/dataset", run) == Path("/elsewhere/dataset")  # an older, absolute record
