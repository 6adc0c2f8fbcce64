"""Older records rewritten without absolute paths: mapped into the results tree, formatting kept, runs undamaged."""

from __future__ import annotations

import json
from pathlib import Path

from rnncells.files import damaged_files, record_files, write_json_atomic
from rnncells.grid.portable import make_records_portable
from rnncells.training.run_folder import RunFolder
from rnncells.training.run_types import RunState

OLD = "/old/machine/out/paper"  # where the results folder lay when its records were written


def old_results(tmp_path: Path) -> Path:
    """``results/paper`` as an older grid left it: every record holding absolute paths of that machine."""
    results = tmp_path / "checkout" / "results"
    paper = results / "paper"
    run = RunFolder(paper / "runs" / "control-lstm-1")
    run.write_record({"dataset": f"{OLD}/dataset", "model_name": "control-lstm-1"})
    run.write_metrics([])
    run.write_state(RunState(1, 3, 1.5), record_files(run.path, ["run.json"]))
    (run.path / "config.toml").write_text('[dataset]\nsource = "/old/machine/shared/edm"\nseed = 0\n')
    songs = paper / "songs" / "control-lstm-1"
    write_json_atomic(songs / "generation.json", {"run": f"{OLD}/runs/control-lstm-1", "dataset": f"{OLD}/dataset"})
    write_json_atomic(paper / "evaluation" / "evaluation.json", {"inputs": [{"path": f"{OLD}/songs/control-lstm-1"}]})
    entry = {
        "command": ["/old/machine/checkout/rnncells/cli.py", "grid", "run", "--out", OLD, "--source", "/tmp/x"],
        "cwd": "/old/machine/checkout",
    }
    (paper / "history.jsonl").write_text(json.dumps(entry, sort_keys=True) + "\n")
    (paper / "grid.toml").write_text('name = "paper"\nreuse = ["/old/machine/out/paper"]\n')
    return results


def test_records_become_relative_and_runs_stay_undamaged(tmp_path):
    results = old_results(tmp_path)
    paper = results / "paper"
    changed = make_records_portable(results)
    assert len(changed) == 6
    run = RunFolder(paper / "runs" / "control-lstm-1")
    assert run.read_record()["dataset"] == "../../dataset"  # relative to the run folder
    assert damaged_files(run.path, run.recorded_files()) == []  # state.json's digest of run.json follows
    assert 'source = "../shared/edm"' in (run.path / "config.toml").read_text()  # as typed from the checkout
    generation = json.loads((paper / "songs" / "control-lstm-1" / "generation.json").read_text())
    assert generation == {"dataset": "../../dataset", "run": "../../runs/control-lstm-1"}
    evaluation = json.loads((paper / "evaluation" / "evaluation.json").read_text())
    assert evaluation["inputs"][0]["path"] == "../songs/control-lstm-1"
    entry = json.loads((paper / "history.jsonl").read_text())
    assert entry["command"] == ["rnncells/cli.py", "grid", "run", "--out", "results/paper", "--source", "x"]
    assert entry["cwd"] == "../.."  # the checkout, from the results folder
    assert 'reuse = ["results/paper"]' in (paper / "grid.toml").read_text()
    for path in paper.rglob("*"):
        assert not path.is_file() or "/old/" not in path.read_text(), path
    assert make_records_portable(results) == []  # nothing left to rewrite
