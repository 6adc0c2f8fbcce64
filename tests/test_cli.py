"""The command line as a user runs it: real processes, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.data.test_dataset_build import broken_folder


def rnncells(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rnncells.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=600
    )


def test_help_explains_every_command():
    result = rnncells("--help")
    assert result.returncode == 0 and "dataset" in result.stdout
    build = rnncells("dataset", "build", "--help")
    assert "music21:essenFolksong" in build.stdout and "--strict" in build.stdout


def test_dataset_build_and_info(tmp_path):
    folder = broken_folder(tmp_path / "midi")
    out = tmp_path / "ds"
    result = rnncells("dataset", "build", "--source", str(folder), "--out", str(out), "--quiet")
    assert result.returncode == 0, result.stderr
    assert "4 songs kept from 10 files" in result.stdout and "Traceback" not in result.stderr
    info = rnncells("dataset", "info", str(out), "--json")
    described = {v["variant"]: v for v in json.loads(info.stdout)}
    assert set(described) == {"control", "interval", "transposed"}
    assert described["transposed"]["songs"] == 48 and described["control"]["skipped_files"] == 6
    text = rnncells("dataset", "info", str(out / "interval")).stdout
    assert text.startswith("interval (pitch)") and "vocabulary" in text


def test_bad_input_is_one_line_and_exit_2(tmp_path):
    for args in (
        ["--source", str(tmp_path / "missing")],
        ["--source", "music21:nothing"],
        ["--source", str(tmp_path), "--split", "a,b"],
    ):
        result = rnncells("dataset", "build", *args, "--out", str(tmp_path / "o"), "--quiet")
        assert result.returncode == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("rnncells: error:"), result.stderr
    folder = broken_folder(tmp_path / "midi")
    strict = rnncells("dataset", "build", "--source", str(folder), "--out", str(tmp_path / "s"), "--strict", "--quiet")
    assert strict.returncode == 2 and "--strict" in strict.stderr and "Traceback" not in strict.stderr
    info = rnncells("dataset", "info", str(tmp_path / "midi"))
    assert info.returncode == 2 and "not a dataset" in info.stderr


def test_train_and_generate_from_config_files_with_flags_on_top(small_dataset, tmp_path):
    from rnncells.runs import read_run_config

    config = tmp_path / "run.toml"
    config.write_text(
        '[model]\ncell = "gru"\nunits = 16\nembedding_dim = 12\n'
        "[train]\nepochs = 1\nbatch_size = 8\nseq_length = 16\nlearning_rate = 0.01\nclip_norm = 1.5\n"
    )
    run = tmp_path / "run"
    trained = rnncells(
        "train", "--config", str(config), "--dataset", str(small_dataset), "--out", str(run), "--seed", "3", "--quiet"
    )
    assert trained.returncode == 0, trained.stderr
    assert "epoch 1: loss " in trained.stdout and "val_loss" in trained.stdout
    saved = read_run_config(run / "config.toml")
    assert (saved.model.cell, saved.model.units, saved.model.embedding_dim) == ("gru", 16, 12)
    assert (saved.train.clip_norm, saved.train.seed, saved.train.batch_size) == (1.5, 3, 8)

    sampling = tmp_path / "generate.toml"
    sampling.write_text('[generate]\nn_songs = 3\nlength = 8\nsampling = "topk"\n')
    songs = tmp_path / "songs"
    generated = rnncells("generate", "--run", str(run), "--out", str(songs), "--config", str(sampling), "--top-k", "2")
    assert generated.returncode == 0, generated.stderr
    assert len(list(songs.glob("song_*.mid"))) == 3
    used = json.loads((songs / "generation.json").read_text())["config"]
    assert (used["n_songs"], used["length"], used["sampling"], used["top_k"]) == (3, 8, "topk", 2)
