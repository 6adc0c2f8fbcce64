"""What was run in a grid's results folder, and how long it took: ``OUT/history.jsonl``, one line per start.

Each ``rnncells grid run`` or ``grid finish`` appends an entry when it starts (the command line, the working
directory, the host, the source commit when rnncells runs from a git checkout, the start time) and completes it when
it ends: the end time, the wall seconds, the exit (``done``, ``failed: <first line>``, ``interrupted``) and the
library versions. A grid resumed after a stop therefore shows every start, and the total wall time is their sum.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from rnncells.files import portable_path
from rnncells.study.grid_folder import GridPaths


def source_commit() -> str | None:
    """The git commit of the rnncells source when it runs from a checkout (with ``+dirty`` for local edits)."""
    here = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True, text=True)
        dirty = subprocess.run(
            ["git", "-C", str(here), "status", "--porcelain", "--", "rnncells"], capture_output=True, text=True
        )
    except OSError:
        return None
    if commit.returncode != 0:
        return None
    return commit.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@contextmanager
def recorded(root: Path, action: str, argv: list[str] | None = None) -> Iterator[dict]:
    """Append this start to the history, and complete its entry however the block ends."""
    root.mkdir(parents=True, exist_ok=True)
    entry = {
        "id": f"{os.getpid()}-{time.time_ns()}",
        "action": action,
        # no machine path in a committed record: absolute arguments relative to the working directory, and that
        # directory relative to the results folder (rnncells.files.portable_path)
        "command": [portable_path(a) if os.path.isabs(a) else a for a in (argv if argv is not None else sys.argv)],
        "cwd": portable_path(Path.cwd(), root.resolve()),
        "host": platform.node(),
        "commit": source_commit(),
        "started": _now(),
    }
    GridPaths(root).write_history([*GridPaths(root).read_history(), entry])
    start = time.monotonic()
    status = "interrupted"
    try:
        yield entry
        status = "done"
    except BaseException as error:
        status = (
            "interrupted"
            if isinstance(error, KeyboardInterrupt)
            else f"failed: {(str(error).strip().splitlines() or [type(error).__name__])[0][:200]}"
        )
        raise
    finally:
        from rnncells.training.trainer import versions

        entry |= {
            "ended": _now(),
            "wall_seconds": round(time.monotonic() - start, 1),
            "exit": status,
            "versions": versions(),
        }
        folder = GridPaths(root)
        folder.write_history([entry if e.get("id") == entry["id"] else e for e in folder.read_history()])
