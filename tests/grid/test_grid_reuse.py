"""Runs reused by content across grids: equal runs are copied (weights or, when archived, their songs), others train."""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict

from rnncells.config.model import ModelConfig
from rnncells.config.train import TrainConfig
from rnncells.grid.reuse import content_key
from tests.grid.test_grid_run import edm40, grid, tiny_grid  # noqa: F401 (edm40 is a fixture)


def test_content_key_follows_what_changes_the_weights():
    model, train = asdict(ModelConfig(cell="lstm")), asdict(TrainConfig(epochs=3))
    key = content_key("sha256:data", model, train, "tensorflow")
    assert key == content_key(
        "sha256:data", dict(model), {**train, "save_every_seconds": 5.0, "keep_checkpoints": 1}, "tensorflow"
    )
    assert key != content_key("sha256:other", model, train, "tensorflow")
    assert key != content_key("sha256:data", {**model, "units": 64}, train, "tensorflow")
    assert key != content_key("sha256:data", model, {**train, "epochs": 4}, "tensorflow")
    assert key != content_key("sha256:data", model, {**train, "learning_rate": 0.5}, "tensorflow")
    assert key != content_key("sha256:data", model, train, "jax")


def test_second_grid_copies_equal_runs_and_trains_the_rest(tmp_path, edm40):  # noqa: F811
    first, second = tmp_path / "first", tmp_path / "second"
    config = tiny_grid(tmp_path, edm40, cells='["lstm"]')
    assert grid("run", str(config), "--out", str(first), "--jobs", "2", "--quiet").returncode == 0
    # keep control-lstm-1 as committed results keep runs: a record and songs, no weights
    shutil.rmtree(first / "runs" / "control-lstm-1" / "checkpoints")
    other = tmp_path / "other"
    other.mkdir()
    config = tiny_grid(other, edm40, cells='["lstm", "rnn"]')
    done = grid("run", str(config), "--out", str(second), "--reuse", str(first), "--jobs", "2", "--quiet")
    assert done.returncode == 0, done.stderr[-2000:]

    reused = json.loads((second / "reused.json").read_text())
    assert sorted(reused) == ["control-lstm-1", "interval-lstm-1"]
    for name in reused:  # copied, not trained: no trainer log, the same records and songs byte for byte
        assert not (second / "logs" / f"{name}.log").exists()
        for part in ("runs/{}/metrics.csv", "runs/{}/state.json", "songs/{}/songs.jsonl"):
            assert (second / part.format(name)).read_bytes() == (first / part.format(name)).read_bytes()
    assert not (second / "runs" / "control-lstm-1" / "checkpoints").exists()
    assert (second / "runs" / "interval-lstm-1" / "checkpoints" / "best.keras").is_file()
    for name in ("control-rnn-1", "interval-rnn-1"):
        assert (second / "logs" / f"{name}.log").is_file() and name not in reused
    summary = (second / "evaluation" / "summary.csv").read_text()
    assert all(f"{variant}-{cell}-1" in summary for variant in ("control", "interval") for cell in ("lstm", "rnn"))
