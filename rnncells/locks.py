"""One writer per folder: an advisory lock (``fcntl.flock``) on a lock file inside the folder a command writes.

``rnncells grid run``, ``grid finish`` and ``grid plan`` lock the grid's results folder, ``train`` (also as a grid's
or a Slurm array's task) its run folder, ``generate`` its song folder and ``evaluate`` its evaluation folder. A second
writer on the same folder stops at once with one line naming the holder's PID and host (:class:`FolderLocked`, exit
code 2 on the command line). The kernel releases the lock when the holder's process ends, however it ends
(SIGKILL included), so a stale lock file never blocks anyone; the file itself stays, holding the last holder's
PID and host. Folder owners (rnncells.training.run_folder, rnncells.generation.song_set) treat :data:`LOCK_FILE` as
none of their files.

Locks are re-entrant within one process (the grid holds its results folder while it finishes, and finishing
locks it too); a child process inherits none of them, so a grid's training subprocess locks only its run folder.
"""

from __future__ import annotations

import fcntl
import functools
import inspect
import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from rnncells.errors import RnncellsError

LOCK_FILE = ".lock"
F = TypeVar("F", bound=Callable[..., Any])

_held: dict[Path, tuple[int, int, int]] = {}  # folder -> (owning pid, file descriptor, depth)
_guard = threading.Lock()


class FolderLocked(RnncellsError, RuntimeError):
    """Another process writes the folder; the message names its PID and host."""


def _holder(fd: int) -> str:
    """``PID 123 on host (rnncells train)`` as the holder wrote it into the lock file, or a plain description."""
    try:
        text = os.pread(fd, 200, 0).decode("utf-8", errors="replace").split()
    except OSError:
        text = []
    if len(text) >= 2 and text[0].isdigit():
        return f"PID {text[0]} on {text[1]}" + (f" ({' '.join(text[2:])})" if text[2:] else "")
    return "another process"


def _acquire(folder: Path, what: str) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _holder(fd)
        os.close(fd)
        raise FolderLocked(
            f"{folder}: in use by {holder}; one writer per folder: wait for it to end or stop it, then run this again"
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()} {socket.gethostname()} {what}\n".encode(), 0)
    return fd


@contextmanager
def folder_lock(folder: str | Path, what: str = "rnncells") -> Iterator[Path]:
    """Hold the lock of ``folder`` (created if missing) for the ``with`` block; ``what`` (e.g. ``rnncells train``)
    names this writer in the message another writer gets. Raises :class:`FolderLocked` at once when another
    process holds it. A folder created here is removed again when the block fails before writing anything."""
    path = Path(os.path.abspath(folder))
    created = False
    with _guard:
        pid, fd, depth = _held.get(path, (0, -1, 0))
        if pid == os.getpid():
            _held[path] = (pid, fd, depth + 1)
        else:
            created = not path.exists()
            fd = _acquire(path, what)
            _held[path] = (os.getpid(), fd, 1)
    failed = True
    try:
        yield path
        failed = False
    finally:
        with _guard:
            pid, fd, depth = _held[path]
            if depth > 1:
                _held[path] = (pid, fd, depth - 1)
            else:
                del _held[path]
                if failed and created and os.listdir(path) == [LOCK_FILE]:  # a writer that wrote nothing
                    (path / LOCK_FILE).unlink()
                    path.rmdir()
                os.close(fd)  # closing the only descriptor releases the lock


def locks_folder(argument: str, what: str) -> Callable[[F], F]:
    """Decorate a function that writes the folder given as its ``argument`` so it holds that folder's lock while
    it runs (``@locks_folder("out_dir", "rnncells evaluate")``)."""

    def decorate(function: F) -> F:
        signature = inspect.signature(function)

        @functools.wraps(function)
        def locked(*args: Any, **kwargs: Any) -> Any:
            with folder_lock(signature.bind(*args, **kwargs).arguments[argument], what):
                return function(*args, **kwargs)

        return locked  # type: ignore[return-value]

    return decorate
