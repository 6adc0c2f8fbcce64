"""Damage of a run folder: what no longer matches state.json's record, or cannot be read (README "Bad files").

state.json records the size and sha256 of the files of each save (rnncells.training.run_folder RECORDED_FILES); the
resume point is checked by reading it (every array's CRC, and its progress against state.json's); run.json, config.toml,
vocabulary.json and metrics.csv by reading them. Every file is read through
:class:`rnncells.training.run_folder.RunFolder`.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from rnncells.config.records import ConfigError
from rnncells.files import Damage, damaged_files
from rnncells.training.resume_point import read_resume_point
from rnncells.training.run_folder import (
    CONFIG_FILE,
    METRICS_FILE,
    RECORD_FILE,
    STATE_FILE,
    VOCABULARY_FILE,
    RunError,
    RunFolder,
)


def run_damage(folder: RunFolder, deep: bool = True) -> list[Damage]:
    """What is damaged or missing in a started run folder (rnncells.training.run_folder's docstring), one line each;
    ``deep`` reads every recorded file and the resume point in full, else compares sizes. Empty for a sound or
    unstarted run."""
    if not folder.is_run():
        return []
    found: dict[Path, str] = {}
    _progress_damage(folder, found, deep)
    readers = {
        RECORD_FILE: folder.read_record,
        CONFIG_FILE: folder.read_config,
        VOCABULARY_FILE: folder.read_vocabulary,
        METRICS_FILE: folder.read_metrics,
    }
    for name, read in readers.items():
        if folder.path / name not in found:
            try:
                read()
            except (RunError, ConfigError) as error:
                found[folder.path / name] = str(error)
    return [Damage(path, line) for path, line in sorted(found.items())]


def _progress_damage(folder: RunFolder, found: dict[Path, str], deep: bool) -> None:
    """Damage of state.json, of the files it records and of the resume point, added to ``found``."""
    state_path, resume_path = folder.path / STATE_FILE, folder.resume_path
    state = recorded = resumed = None
    try:
        state = folder.read_state()
        recorded = folder.recorded_files() if state else None
    except RunError as error:
        found[state_path] = str(error)
    if folder.is_archived() and state_path not in found:
        # a record without weights: only what it kept is checked
        recorded = {k: v for k, v in (recorded or {}).items() if not k.startswith(folder.checkpoints.name + "/")}
        for damaged in damaged_files(folder.path, recorded, deep) if recorded else []:
            found.setdefault(damaged.path, damaged.message)
        return
    if resume_path.is_file() and deep:
        try:
            resumed = read_resume_point(folder).state
        except RunError as error:
            found[resume_path] = str(error)
    elif resume_path.is_file() and not zipfile.is_zipfile(resume_path):  # cheap: its zip directory only
        found[resume_path] = f"{resume_path}: damaged (not a zip file)"
    elif not resume_path.is_file() and state is not None:
        found[resume_path] = f"{resume_path}: missing, so the run cannot continue"
    if state is None and state_path not in found and resume_path.is_file():
        found[state_path] = f"{state_path}: missing though the run has a resume point"
    elif state is not None and resumed is not None and resumed != state:
        found[state_path] = f"{state_path}: behind the run's resume point (a save was cut short)"
    for damaged in damaged_files(folder.path, recorded, deep) if recorded is not None else []:
        found.setdefault(damaged.path, damaged.message)
    for path in map(folder.named_checkpoint, ("last", "best") if resume_path.is_file() else ()):
        if not path.is_file():  # every save writes both after the resume point
            found.setdefault(path, f"{path}: missing")
    if state is not None and recorded is None:  # an older run, without a record of its files
        try:
            if len(folder.read_metrics()) != state.epochs_done:
                found[folder.metrics_path] = f"{folder.metrics_path}: not one row per epoch of the {state.epochs_done}"
        except RunError as error:
            found[folder.metrics_path] = str(error)
