"""Runs reused by content: a planned run equal to a finished run of another results folder is copied, not trained.

Two runs are the same run when they train the same model (every ``[model]`` field), the same way (every
``[train]`` field that changes the weights, epochs included; ``save_every_seconds``, ``checkpoint_every_steps`` and
``keep_checkpoints`` do not), on the same data (the variant's ``content_hash``: the songs.jsonl bytes, split labels
included, and the vocabulary) and the same backend. :func:`content_key` hashes exactly that; names, paths and grids
play no part, so a grid file's ``reuse = ["results/edm-paper"]`` (or ``rnncells grid run --reuse DIR``) finds the
LSTM runs of the pitch-only grid from the LSTM/NAS/UGRNN grid, or any run of any grid.

A source run is used when it is finished and undamaged and its songs can be had: either its weights are there
(``checkpoints/``), or it is archived and its results folder holds its song set made with this grid's
``[generate]`` settings, which is copied too. Everything is copied (never linked), through a temporary folder
renamed into place, so a kill leaves either no run or the whole run. ``OUT/reused.json`` lists what came from where.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import asdict
from pathlib import Path

from rnncells.config.generate import GenerateConfig
from rnncells.data.folder import DatasetFolder
from rnncells.files import portable_path
from rnncells.generation.song_set import SongSetFolder
from rnncells.grid.plan import PlannedRun
from rnncells.grid.registry import write_entry
from rnncells.locks import LOCK_FILE
from rnncells.study.grid_folder import GridPaths
from rnncells.training.damage import run_damage
from rnncells.training.run_folder import RunError, RunFolder
from rnncells.training.run_types import OPERATIONAL_FIELDS
from rnncells.training.schedule import run_complete

WEIGHT_NEUTRAL = tuple(field for field in OPERATIONAL_FIELDS if field != "epochs")


def content_key(dataset_hash: str, model: dict, train: dict, backend: str) -> str:
    """``sha256:…`` of what decides a run's weights (module docstring)."""
    train = {key: value for key, value in train.items() if key not in WEIGHT_NEUTRAL}
    content = {"data": dataset_hash, "model": model, "train": train, "backend": backend}
    return "sha256:" + hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def planned_key(run: PlannedRun, dataset: Path, backend: str) -> str:
    """The content key of a run a grid is about to train on its built ``dataset``."""
    dataset_hash = DatasetFolder(dataset).read_manifest(run.train.variant)["content_hash"]
    return content_key(dataset_hash, asdict(run.model), asdict(run.train), backend)


def finished_key(folder: RunFolder) -> str | None:
    """The content key of a finished, undamaged run folder; None for anything else."""
    try:
        config, record = folder.read_config(), folder.read_record()
        if not run_complete(folder, config.train) or run_damage(folder, deep=False):
            return None
    except (RunError, OSError, ValueError):
        return None
    backend = record.get("versions", {}).get("backend", "tensorflow")
    return content_key(str(record.get("dataset_hash")), asdict(config.model), asdict(config.train), backend)


def source_runs(sources: list[str | Path]) -> list[Path]:
    """Every run folder under the given results folders (``DIR/runs/*``) or runs folders (``DIR/*``)."""
    found = []
    for source in map(Path, sources):
        runs = source / "runs" if (source / "runs").is_dir() else source
        found += sorted(path for path in runs.glob("*") if RunFolder(path).config_path.is_file())
    return found


def _songs_of(run_dir: Path, settings: GenerateConfig) -> Path | None:
    """The source run's song set made with ``settings``, when its results folder holds one."""
    songs = run_dir.parent.parent / "songs" / run_dir.name
    folder = SongSetFolder(songs)
    return songs if folder.made_with(settings) and not folder.damage(deep=False) else None


def _copy_into_place(source: Path, target: Path) -> None:
    staging = target.with_name(f".{target.name}.reuse-tmp")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(source, staging, ignore=shutil.ignore_patterns(LOCK_FILE, ".*.tmp"))
    if target.exists():
        shutil.rmtree(target)
    os.replace(staging, target)


def reuse_runs(
    runs: list[PlannedRun], paths: GridPaths, sources: list[str | Path], backend: str, songs: GenerateConfig
) -> dict[str, str]:
    """Copy every planned run that is still fresh here and equals a usable finished run in ``sources``
    (module docstring); returns {run name: source folder} and records it in ``OUT/reused.json``."""
    if not sources:
        return {}
    by_key: dict[str, Path] = {}
    for run_dir in source_runs(sources):
        key = finished_key(RunFolder(run_dir))
        if key and run_dir.resolve() != (paths.runs / run_dir.name).resolve():
            by_key.setdefault(key, run_dir)
    reused = paths.read_reused()
    for run in runs:
        source = by_key.get(planned_key(run, paths.dataset, backend))
        if source is None or not paths.run_folder(run.name).is_fresh():
            continue
        song_set = _songs_of(source, songs)
        if RunFolder(source).is_archived() and song_set is None:
            continue  # no weights and no songs: it would have to be trained anyway
        _copy_into_place(source, paths.runs / run.name)
        if song_set is not None and not SongSetFolder(paths.songs / run.name).made_with(songs):
            paths.songs.mkdir(parents=True, exist_ok=True)
            _copy_into_place(song_set, paths.songs / run.name)
            SongSetFolder(paths.songs / run.name).rename_model(run.name)  # its seed counts: control-gru-2-seed0
        write_entry(paths, run.name, status="done", pid=None, error=None)
        reused[run.name] = portable_path(source.resolve(), paths.root.resolve())  # relative to the results folder
    if reused:
        paths.write_reused(reused)
    return {name: reused[name] for name in (run.name for run in runs) if name in reused}
