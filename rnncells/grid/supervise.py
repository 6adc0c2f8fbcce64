"""Process supervision: the grid's training workers (:class:`Trainers`), and through /proc: is a process alive, is it
still the trainer we started, stop a stray one.

The grid records each trainer's PID in the run registry. After a crash of the grid (or a SIGKILL of its process
group gone half-way) such a PID may name a trainer still writing into the run folder, a process that has exited,
or, after PID reuse, some unrelated program. These helpers tell them apart by the command line the kernel keeps in
``/proc/PID/cmdline``, so the grid never signals a process it did not start: a ``rnncells train`` process names its
run folder there, a grid's worker (rnncells.grid.worker) the grid's runs folder.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from rnncells.grid.worker import MODULE as WORKER_MODULE


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
    arguments = command_arguments(pid)
    return None if arguments is None else " ".join(arguments)


def command_arguments(pid: int) -> list[str] | None:
    """The process's command-line arguments; None when there is no such process."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return [part.decode(errors="replace") for part in raw.split(b"\0")[:-1]] if raw else []


def trainer_alive(pid: int | None, run_dir: Path) -> bool:
    """True while ``pid`` is alive and still a process working on ``run_dir``: its command line names it, or it is
    a worker of the runs folder holding it (a worker trains one run at a time, and the registry names its PID only
    for the run it trains)."""
    if not pid or not process_alive(pid):
        return False
    arguments = command_arguments(pid)
    if not arguments:
        return False
    run_dir = Path(run_dir).resolve()
    if WORKER_MODULE in arguments and "--runs" in arguments[:-1]:
        return arguments[arguments.index("--runs") + 1] == str(run_dir.parent)
    return str(run_dir) in " ".join(arguments)


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
    """The grid's training workers (rnncells.grid.worker), one per job slot (thread), each started when its slot first
    needs it and kept for the slot's next runs. Once the grid is stopping (Ctrl-C, SIGTERM) none starts and no
    task is sent, and each worker busy with a run is asked once to commit and stop (SIGTERM:
    rnncells.training.trainer.StopRequested). A worker whose run did not end with code 0 is retired, so the slot's
    next run gets a fresh process."""

    def __init__(self, command: list[str]) -> None:
        self.command = command
        self.stopping = False
        self.lock = threading.Lock()
        self.slot = threading.local()
        self.workers: set[subprocess.Popen] = set()  # every live worker
        self.busy: set[subprocess.Popen] = set()  # those given a run

    def start(self, log: IO[str]) -> subprocess.Popen | None:
        """This slot's worker, started now (its start-up messages going to ``log``) if the slot has none; None once
        the grid is stopping."""
        with self.lock:
            if self.stopping:
                return None
            process = getattr(self.slot, "process", None)
            if process is None or process.poll() is not None:
                process = subprocess.Popen(
                    self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True
                )
                self.slot.process = process
                self.workers.add(process)
            self.busy.add(process)
            return process

    def train(self, process: subprocess.Popen, task: dict) -> int:
        """Have the worker ``process`` train one run (rnncells.grid.worker.task); returns its exit code, that of
        the worker itself when it died during the run."""
        assert process.stdin is not None and process.stdout is not None
        try:
            process.stdin.write(json.dumps(task) + "\n")
            process.stdin.flush()
            reply = process.stdout.readline()
        except OSError:  # the worker is gone (BrokenPipeError)
            reply = ""
        code = int(json.loads(reply)["code"]) if reply else (process.wait() or 1)
        with self.lock:
            self.busy.discard(process)
        if code:
            self._retire(process)
        return code

    def _retire(self, process: subprocess.Popen) -> None:
        if getattr(self.slot, "process", None) is process:
            self.slot.process = None
        _close(process)
        with self.lock:
            self.workers.discard(process)

    def stop(self) -> None:
        with self.lock:
            self.stopping = True
            for process in self.busy:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)

    def close(self) -> None:
        """Let every worker go (its stdin closes, it exits) and wait for each."""
        with self.lock:
            workers, self.workers = list(self.workers), set()
        for process in workers:
            _close(process)


def _close(process: subprocess.Popen, timeout: float = 60.0) -> None:
    """Close the worker's pipes and wait for it to exit (it exits when its stdin closes, after a run in progress)."""
    for pipe in (process.stdin, process.stdout):
        try:
            if pipe is not None:
                pipe.close()
        except OSError:
            pass
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        terminate(process.pid)
        process.wait()
