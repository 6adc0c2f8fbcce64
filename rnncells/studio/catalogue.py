"""The runs the studio offers: every run folder below the runs folder, as the model list shows them.

The runs folder comes from ``--runs DIR`` (after the ``--`` of ``streamlit run``), else ``$RNNCELLS_STUDIO_RUNS``,
else the model shipped in ``results/models``. Runs are read with :class:`rnncells.training.run_folder.RunFolder`; one
that cannot be read is left out with one line saying why.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from rnncells.studio.engine import one_line
from rnncells.training.run_folder import RECORD_FILE, RunFolder

RUNS_ENV = "RNNCELLS_STUDIO_RUNS"
SHIPPED_RUNS = Path(__file__).resolve().parents[2] / "results" / "models"
CELL_NAMES = {"lstm": "LSTM", "gru": "GRU", "rnn": "vanilla RNN", "ugrnn": "UGRNN", "nas": "NAS"}


def runs_folder(argv: list[str] | None = None) -> Path:
    """The runs folder: ``--runs DIR`` in ``argv`` (default: the script's arguments), else
    ``$RNNCELLS_STUDIO_RUNS``, else the shipped ``results/models``."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--runs", type=Path)
    known, _ = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    if known.runs is not None:
        return known.runs
    return Path(os.environ[RUNS_ENV]) if os.environ.get(RUNS_ENV) else SHIPPED_RUNS


# ----------------------------------------------------------------------------------------------------
# The runs on offer


@dataclass
class RunChoice:
    """One trained run of the runs folder, as the model list shows it."""

    path: Path
    name: str  # the folder relative to the runs folder, so copies of one model stay apart
    model_name: str
    variant: str
    cell: str
    layers: int
    units: int | None
    representation: str
    best_val_loss: float | None
    best_epoch: int | None
    epochs: int

    @property
    def label(self) -> str:
        loss = f"val loss {self.best_val_loss:.3f}" if self.best_val_loss is not None else "no val loss"
        cell = CELL_NAMES.get(self.cell, self.cell)
        return f"{self.name} · {self.variant} · {cell} · depth {self.layers} · {loss}"


def best_validation_loss(run: RunFolder) -> tuple[float | None, int | None, int]:
    """``(lowest val_loss, its epoch, epochs trained)`` of a run (None without validation)."""
    best, best_epoch, epochs = None, None, 0
    for row in run.read_metrics():
        epochs = max(epochs, row["epoch"])
        value = row["val_loss"]
        if not math.isnan(value) and (best is None or value < best):
            best, best_epoch = value, row["epoch"]
    return best, best_epoch, epochs


def find_runs(runs_dir: Path) -> tuple[list[RunChoice], list[str]]:
    """Every run folder at or below ``runs_dir`` (sorted by path), and one line per run folder that could not
    be read."""
    runs, problems = [], []
    if not runs_dir.is_dir():
        return runs, problems
    for record in sorted(runs_dir.rglob(RECORD_FILE)):
        run = RunFolder(record.parent)
        folder = run.path
        try:
            info = run.read_record()
            loss, epoch, epochs = best_validation_loss(run)
            name = folder.relative_to(runs_dir).as_posix() if folder != runs_dir else folder.resolve().name
            runs.append(
                RunChoice(
                    folder,
                    name,
                    info["model_name"],
                    info["variant"],
                    info["cell"],
                    int(info["layers"]),
                    info.get("units"),
                    info.get("representation", "pitch"),
                    loss,
                    epoch,
                    epochs,
                )
            )
        except (OSError, ValueError, KeyError, TypeError) as error:
            problems.append(f"{folder}: unreadable run, left out ({type(error).__name__}: {one_line(error)})")
    return runs, problems
