"""The run registry of a grid: one small JSON file per run, ``OUT/registry/<run>.json``.

An entry says what the grid last did with a run, which the run folder alone cannot say: ``status`` (pending,
running, done or failed), ``attempts`` (training attempts so far), ``error`` (the last line of a failed attempt's
log) and ``pid`` (the process training it while it runs: a local grid's worker, rnncells.grid.worker, or a
``rnncells train`` process; so that a grid started again after a crash can stop a trainer the crash left behind;
rnncells.grid.supervise). How far a run got is read from its run folder
(rnncells.training.run_folder), never from here.
"""

from __future__ import annotations

import json
from pathlib import Path

from rnncells.files import write_json_atomic
from rnncells.study.grid_folder import GridPaths

STATUSES = ("pending", "running", "done", "failed")
FRESH = {"status": "pending", "attempts": 0, "error": None, "pid": None}


def entry_path(paths: GridPaths, name: str) -> Path:
    """The registry file of the run called ``name``."""
    return paths.registry / f"{name}.json"


def read_entry(paths: GridPaths, name: str) -> dict:
    """The run's registry entry (a fresh ``pending`` entry if it has none, or one no longer readable)."""
    path = entry_path(paths, name)
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return dict(FRESH)
    return {**FRESH, **saved} if isinstance(saved, dict) else dict(FRESH)


def write_entry(paths: GridPaths, name: str, **changes) -> dict:
    """Update the run's entry with ``changes`` (status, attempts, error, pid) atomically; returns the new entry."""
    unknown = set(changes) - set(FRESH)
    if unknown:
        raise KeyError(f"registry entries have no field(s) {', '.join(sorted(unknown))}")
    if "status" in changes and changes["status"] not in STATUSES:
        raise ValueError(f"registry status {changes['status']!r}: use one of {', '.join(STATUSES)}")
    entry = {**read_entry(paths, name), **changes}
    write_json_atomic(entry_path(paths, name), entry)
    return entry
