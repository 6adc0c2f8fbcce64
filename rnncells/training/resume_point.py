"""A run's resume point (``checkpoints/resume.npz``): committed as one atomic file, read back to continue exactly.

The run folder's files are read and written in rnncells.training.run_folder (which names this file's path,
:attr:`RunFolder.resume_path`); the resume point's own file is read and written only here, and the views it
says (metrics.csv and state.json, :func:`write_views`) go through :class:`RunFolder`.
"""

from __future__ import annotations

import json
from dataclasses import asdict

import numpy as np

from rnncells.files import record_files, write_atomic
from rnncells.training.run_folder import RECORDED_FILES, RunError, RunFolder
from rnncells.training.run_types import ResumePoint, RunState


def write_resume_point(folder: RunFolder, point: ResumePoint) -> None:
    """Commit ``point`` as one atomic file; the views (:func:`write_views`) follow once the checkpoints are out."""
    meta = json.dumps({"state": asdict(point.state), "metrics": point.metrics}, allow_nan=True)
    arrays = {**point.arrays, "__meta__": np.frombuffer(meta.encode("utf-8"), dtype=np.uint8)}
    write_atomic(folder.resume_path, lambda tmp: np.savez(tmp, **arrays), suffix=".npz")


def write_views(folder: RunFolder, point: ResumePoint) -> None:
    """metrics.csv and state.json as the resume point says; state.json goes last, so once it names an epoch,
    everything of that epoch (resume point, checkpoints, metrics) is on disk, and it records the size and sha256
    of each (RECORDED_FILES) for :func:`rnncells.training.damage.run_damage`."""
    folder.write_metrics(point.metrics)
    recorded = [name for name in RECORDED_FILES if (folder.path / name).is_file()]
    folder.write_state(point.state, record_files(folder.path, recorded))


def committed_state(folder: RunFolder) -> RunState | None:
    """The state of the last committed resume point (None before the first commit)."""
    return read_resume_point(folder).state if folder.resume_path.is_file() else None


def read_resume_point(folder: RunFolder) -> ResumePoint:
    """The last committed resume point of a run folder."""
    path = folder.resume_path
    fix = f"delete {folder.path} and train it again"
    if not path.is_file():
        raise RunError(f"{path}: missing, so the run cannot continue; {fix}")
    try:
        with np.load(path) as saved:
            arrays = {name: saved[name] for name in saved.files}
        meta = json.loads(arrays.pop("__meta__").tobytes().decode("utf-8"))
        state = RunState(**meta["state"])
    except Exception as error:  # a truncated or foreign file: name it, never a traceback
        raise RunError(f"{path}: damaged ({type(error).__name__}); {fix}") from None
    return ResumePoint(state, meta["metrics"], arrays)
