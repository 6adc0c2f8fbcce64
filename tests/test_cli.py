"""The command line as a user runs it: real processes, exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.data.test_dataset_build import broken_folder

REPO = Path(__file__).resolve().parents[1]


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
    from rnncells.training.run_folder import read_run_config

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


def one_line_error(result: subprocess.CompletedProcess) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1 and lines[0].startswith("rnncells: error: "), result.stderr
    return lines[0]


def test_argument_errors_are_one_line_naming_the_help_to_read():
    assert one_line_error(rnncells("train", "--dataset", "d")).endswith(
        "the following arguments are required: --out (see `rnncells train --help`)"
    )
    assert "invalid choice: 'bogus'" in one_line_error(rnncells("bogus"))
    assert "--note-steps: 0: expected a whole number >= 1" in one_line_error(
        rnncells("generate", "--run", "r", "--out", "o", "--note-steps", "0")
    )
    assert "--jobs: 0: expected a whole number >= 1" in one_line_error(rnncells("grid", "run", "g.toml", "--jobs", "0"))


def test_nan_and_out_of_range_numbers_are_refused_on_every_command():
    for args, message in (
        (["train", "--dataset", "d", "--out", "o", "--learning-rate", "nan"], "learning_rate = nan"),
        (["train", "--dataset", "d", "--out", "o", "--learning-rate", "inf"], "learning_rate = inf"),
        (["train", "--dataset", "d", "--out", "o", "--lr-decay", "-0.5"], "lr_decay -0.5"),
        (["train", "--dataset", "d", "--out", "o", "--checkpoint-every", "-3"], "checkpoint_every_steps -3"),
        (["generate", "--run", "r", "--out", "o", "--temperature", "nan"], "temperature = nan"),
        (["generate", "--run", "r", "--out", "o", "--bars", "-1"], "bars -1"),
        (["generate", "--run", "r", "--out", "o", "--bars", "0"], "bars 0"),
        (["generate", "--run", "r", "--out", "o", "--bpm", "0"], "bpm 0.0"),
        (["generate", "--run", "r", "--out", "o", "--top-k", "0"], "top_k 0"),
        (["dataset", "build", "--source", "s", "--out", "o", "--variants", ","], "variants []"),
        (["evaluate", "--out", "o", "--span", "1"], "span = 1 (flag --span) is out of range: allowed 2 to 4096"),
        (["evaluate", "--out", "o", "--span", "1000000"], "span = 1000000 (flag --span) is out of range"),
    ):
        assert message in one_line_error(rnncells(*args)), args


def closed_pipe(*args: str) -> subprocess.CompletedProcess:
    """The command with its output going into a pipe whose reader has gone (`rnncells ... | head -1`)."""
    read, write = os.pipe()
    os.close(read)
    try:
        command = [sys.executable, "-m", "rnncells.cli", *args]
        return subprocess.run(command, stdout=write, stderr=subprocess.PIPE, text=True, timeout=600)
    finally:
        os.close(write)


def test_a_closed_pipe_ends_quietly(small_dataset, tmp_path):
    info = closed_pipe("dataset", "info", str(small_dataset), "--json")
    assert info.returncode == 141 and info.stderr == ""
    status = closed_pipe("grid", "status", str(REPO / "configs" / "quick.toml"), "--out", str(tmp_path / "o"))
    assert status.returncode == 141 and status.stderr == ""


def test_a_second_writer_of_a_folder_exits_2_naming_the_first(tmp_path):
    from tests.test_locks import holder

    process = holder(tmp_path / "out")
    try:
        evaluate = one_line_error(rnncells("evaluate", "--out", str(tmp_path / "out")))
        quick = str(REPO / "configs" / "quick.toml")
        grid = one_line_error(rnncells("grid", "run", quick, "--out", str(tmp_path / "out")))
    finally:
        process.kill()
        process.wait()
    assert f"in use by PID {process.pid} on " in evaluate and f"in use by PID {process.pid} on " in grid


def test_a_bug_keeps_its_traceback_while_bad_input_gets_one_line(monkeypatch, capsys):
    import pytest

    from rnncells import cli
    from rnncells.config.records import ConfigError

    def broken(args):  # a programming error: a KeyError from a missing dict entry
        return {}["missing"]

    monkeypatch.setitem(cli.HANDLERS, "report", broken)
    with pytest.raises(KeyError):
        cli.main(["report", "somewhere", "--out", "elsewhere"])

    def bad_input(args):
        raise ConfigError("grid.toml: [train] seed = -1: use 0 <= seed < 2**32")

    monkeypatch.setitem(cli.HANDLERS, "report", bad_input)
    assert cli.main(["report", "somewhere", "--out", "elsewhere"]) == 2
    err = capsys.readouterr().err
    assert err == "rnncells: error: grid.toml: [train] seed = -1: use 0 <= seed < 2**32\n"
