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


def test_dataset_build_holds_its_folder_and_a_second_build_is_refused(tmp_path):
    from rnncells.config.dataset import DatasetConfig
    from rnncells.data.build import build_dataset

    process = holder(tmp_path / "dataset")  # as a first `dataset build` into the same folder
    try:
        with pytest.raises(FolderLocked, match=rf"in use by PID {process.pid} .*\(rnncells train\)"):
            build_dataset(DatasetConfig(source=str(tmp_path / "nowhere")), tmp_path / "dataset", progress=False)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()


def test_evaluate_holds_its_folder_through_the_figures(tmp_path, monkeypatch, capsys):
    from rnncells.cli import main
    from rnncells.music.melody import Note
    from rnncells.music.midi import write_midi
    from rnncells.report import set_figures

    for index in range(3):
        write_midi(
            tmp_path / "midi" / f"tune{index}.mid", [Note(2 * i, 60 + (i * (index + 1)) % 12, 2) for i in range(16)]
        )
    probes = []

    def figures_while_probing(out, figures_dir):
        probe = subprocess.run(
            [sys.executable, "-c", HOLD.replace("time.sleep(60)", "pass"), str(out)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        probes.append(probe.returncode == 1 and f"in use by PID {os.getpid()}" in probe.stderr)
        return []

    monkeypatch.setattr(set_figures, "evaluation_figures", figures_while_probing)
    assert main(["evaluate", str(tmp_path / "midi"), "--out", str(tmp_path / "evaluation")]) == 0, capsys.readouterr()
    assert probes == [True]  # a second writer was refused while the figures were drawn
    process = holder(tmp_path / "evaluation")
    try:
        assert main(["evaluate", str(tmp_path / "midi"), "--out", str(tmp_path / "evaluation")]) == 2
        assert f"in use by PID {process.pid}" in capsys.readouterr().err
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()


@pytest.mark.parametrize("command", [["tables", "EVAL", "--out", "OUT"], ["render", "OUT", "--png"]])
def test_tables_and_render_are_refused_on_a_folder_another_process_writes(tmp_path, capsys, command):
    from rnncells.cli import main

    (tmp_path / "eval").mkdir()
    process = holder(tmp_path / "out")
    try:
        argv = [{"EVAL": str(tmp_path / "eval"), "OUT": str(tmp_path / "out")}.get(a, a) for a in command]
        assert main(argv) == 2
        assert f"in use by PID {process.pid}" in capsys.readouterr().err
        assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [".lock"]  # nothing written beside it
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
