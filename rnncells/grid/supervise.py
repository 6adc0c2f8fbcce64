"""Process supervision: the grid's running trainers (:class:`Trainers`), and through /proc: is a process alive, is it
still the trainer we started, stop a stray one.

The grid records each trainer's PID in the run registry. After a crash of the grid (or a SIGKILL of its process
group gone half-way) such a PID may name a trainer still writing into the run folder, a process that has exited,
or, after PID reuse, some unrelated program. These helpers tell them apart by the command line the kernel keeps in
``/proc/PID/cmdline``, so the grid never signals a process it did not start.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


def process_alive(pid: int) -> bool:
    """True while ``pid`` is a live process (a zombie, killed but not yet reaped by its parent, counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[0] != "Z"


def command_line(pid: int) -> str | None:
    """The process's command line, arguments joined by spaces; None when there is no such process."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return raw.replace(b"\0", b" ").decode(errors="replace")


def trainer_alive(pid: int | None, run_dir: Path) -> bool:
    """True while ``pid`` is alive and still a process working on ``run_dir`` (its command line names it)."""
    if not pid or not process_alive(pid):
        return False
    command = command_line(pid)
    return command is not None and str(Path(run_dir).resolve()) in command


def terminate(pid: int, timeout: float = 5.0) -> None:
    """SIGTERM ``pid``, wait up to ``timeout`` seconds for it to go, then SIGKILL it."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while process_alive(pid):
        if time.monotonic() > deadline:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            return
        time.sleep(0.05)


def stop_orphan(pid: int | None, run_dir: Path) -> bool:
    """Stop a trainer a killed grid left running on ``run_dir`` (it would write into the same folder).

    Only a live process whose command line names ``run_dir`` is signalled; returns True when one was stopped.
    """
    if not trainer_alive(pid, run_dir):
        return False
    assert pid is not None  # trainer_alive is False without a PID
    terminate(pid)
    return True


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises KeyboardInterrupt in the main thread, as Ctrl-C does: a grid stopped by
    ``kill`` (or Slurm's scancel) stops its trainers cleanly and completes its history entry. Elsewhere a no-op."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(number: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class Trainers:
    """The grid's running trainers. Once the grid is stopping (Ctrl-C, SIGTERM) none starts or restarts, and each
    running one is asked once to commit and stop (SIGTERM: rnncells.training.trainer.StopRequested)."""

    def __init__(self) -> None:
        self.stopping = False
        self.lock = threading.Lock()
        self.running: set[subprocess.Popen] = set()

    def start(self, command: list[str], log: IO[str]) -> subprocess.Popen | None:
        with self.lock:
            if self.stopping:
                return None
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
            self.running.add(process)
            return process

    def wait(self, process: subprocess.Popen) -> int:
        code = process.wait()
        with self.lock:
            self.running.discard(process)
        return code

    def stop(self) -> None:
        with self.lock:
            self.stopping = True
            for process in self.running:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
