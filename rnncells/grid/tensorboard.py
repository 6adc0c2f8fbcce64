"""TensorBoard over a results folder: every run's small scalar file and HParams session, rebuilt from its files.

A committed results folder keeps each run's ``metrics.csv`` but not its ``tensorboard/`` logs (results/.gitignore),
so ``rnncells tensorboard RESULTS`` (and ``grid finish``) write, per run folder, ``events.out.tfevents.1.scalars``
(every metrics.csv column against the step, the best validation loss and the run's mean tonality from
``RESULTS/evaluation/summary.csv`` at the last step) and ``events.out.tfevents.0.hparams`` (the run's HParams
session, finished), both through :mod:`rnncells.training.tensorboard`. ``tensorboard --logdir RESULTS`` then shows
every learning curve and compares the runs in the HParams tab. The files have fixed wall times (training seconds
from metrics.csv), so a rebuild gives the same bytes.
"""

from __future__ import annotations

import math
from pathlib import Path

from rnncells.errors import InputError
from rnncells.evaluation.folder import SUMMARY_FILE, EvaluationFolder
from rnncells.study.grid_folder import GridPaths
from rnncells.training.run_folder import RunFolder
from rnncells.training.tensorboard import run_hparams, write_hparams, write_scalar_file

# summary.csv's metrics logged per run, as tonality_<metric> (lower is more tonal)
TONALITY_METRICS = ("general", "cmm", "lm", "centr")


def _tonality(paths: GridPaths) -> dict[str, dict[str, float]]:
    """Each scored model's mean per tonality metric (empty without an evaluation)."""
    if not (paths.evaluation / SUMMARY_FILE).is_file():
        return {}
    summary = EvaluationFolder(paths.evaluation).read_summary()
    means: dict[str, dict[str, float]] = {}
    for row in summary[summary["metric"].isin(TONALITY_METRICS)].itertuples():
        means.setdefault(str(row.model_name), {})[f"tonality_{row.metric}"] = float(row.mean)
    return means


def rebuild_tensorboard(root: Path) -> list[Path]:
    """Write every run's scalar file and HParams session in the results folder ``root``; return the run folders.

    A run's songs are found under its folder's name (a grid names its song sets so), else its model name.
    Runs without a metrics.csv row (not started) are skipped; a run with no evaluated songs has no tonality
    scalars (TensorBoard's HParams table leaves them blank).
    """
    paths = GridPaths(Path(root))
    if not paths.runs.is_dir():
        raise InputError(f"{root}: no runs/ folder; give a grid results folder such as results/edm-paper")
    tonality = _tonality(paths)
    done = []
    for run_dir in sorted(p for p in paths.runs.iterdir() if p.is_dir()):
        folder = RunFolder(run_dir)
        rows = folder.read_metrics() if folder.is_run() else []
        if not rows:
            continue
        best = folder.best_score("val_loss")
        summary = {
            "best_val_loss": math.nan if best is None else best,
            **(tonality.get(run_dir.name) or tonality.get(folder.model_name, {})),
        }
        if write_scalar_file(run_dir, rows, summary) is None:
            raise InputError("the tensorboard package is not installed: pip install tensorboard")
        write_hparams(run_dir, run_hparams(folder.read_config(), folder.read_record()), finished=True, at=0.0)
        done.append(run_dir)
    return done
