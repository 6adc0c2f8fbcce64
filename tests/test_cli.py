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
