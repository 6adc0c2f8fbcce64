"""One writer per folder: a second process is refused in one line naming the holder; a dead holder frees the folder."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rnncells.locks import LOCK_FILE, FolderLocked, folder_lock

HOLD = """
import sys, time
from rnncells.locks import folder_lock
with folder_lock(sys.argv[1], "rnncells train"):
    print("held", flush=True)
    time.sleep(60)
"""


def holder(folder: Path) -> subprocess.Popen:
    """A process holding the lock of ``folder`` until it is killed."""
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(folder)], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "held"
    return process


def test_a_second_writer_is_refused_naming_the_holder_and_a_killed_holder_frees_the_folder(tmp_path):
    process = holder(tmp_path / "run")
    try:
        with pytest.raises(FolderLocked) as refused:
            with folder_lock(tmp_path / "run"):
                pass
        message = str(refused.value)
        assert f"PID {process.pid} on {socket.gethostname()} (rnncells train)" in message
        assert "\n" not in message and str(tmp_path / "run") in message
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    with folder_lock(tmp_path / "run"):  # the kernel let go of the dead holder's lock
        assert (tmp_path / "run" / LOCK_FILE).read_text().split()[0] == str(os.getpid())


def test_locks_are_reentrant_in_one_process_and_separate_per_folder(tmp_path):
    with folder_lock(tmp_path / "grid"):
        with folder_lock(tmp_path / "grid"):
            with folder_lock(tmp_path / "grid" / "runs" / "a"):
                pass
        process = subprocess.run(
            [sys.executable, "-c", HOLD.replace("time.sleep(60)", "pass"), str(tmp_path / "grid")],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert process.returncode == 1 and "FolderLocked" in process.stderr  # still held after the inner exit
    started = time.monotonic()
    with folder_lock(tmp_path / "grid"):  # released after the outermost exit
        assert time.monotonic() - started < 5


def test_a_folder_made_for_a_writer_that_fails_before_writing_is_removed_again(tmp_path):
    with pytest.raises(ValueError):
        with folder_lock(tmp_path / "new"):
            raise ValueError("bad input")
    assert not (tmp_path / "new").exists()
    (tmp_path / "old").mkdir()
    with pytest.raises(ValueError):
        with folder_lock(tmp_path / "old"):
            raise ValueError("bad input")
    assert (tmp_path / "old" / LOCK_FILE).is_file()


def test_grid_plan_is_refused_on_a_folder_another_process_writes(tmp_path, capsys):
    from rnncells.cli import main

    process = holder(tmp_path / "out")  # as a running `grid run` holds its results folder
    try:
        config = Path(__file__).resolve().parents[1] / "configs" / "quick.toml"
        plan = ["grid", "plan", str(config), "--out", str(tmp_path / "out"), "--no-measure"]
        assert main(plan) == 2
        assert f"in use by PID {process.pid}" in capsys.readouterr().err
        assert not (tmp_path / "out" / "dataset").exists()  # nothing built beside the writer
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
