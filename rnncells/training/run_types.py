"""What a run is, held in memory: its resolved configs, its name, its progress and its resume point.

The run folder (:mod:`rnncells.training.run_folder`) is the one module that reads and writes them on disk.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from rnncells.config.dataset import DatasetConfig
from rnncells.config.model import ModelConfig
from rnncells.config.records import to_toml
from rnncells.config.train import TrainConfig

# Fields that change how a run is carried out (how long, how often it saves) but not what it computes.
OPERATIONAL_FIELDS = ("epochs", "save_every_seconds", "checkpoint_every_steps", "keep_checkpoints")


@dataclass(frozen=True)
class RunConfig:
    """The resolved configs of one run: the dataset parameters it was trained on, its model and its recipe, and the
    sampling settings it was tuned with (``generate``: GenerateConfig fields, empty for most runs)."""

    dataset: dict[str, Any]
    model: ModelConfig
    train: TrainConfig
    generate: dict[str, Any] = field(default_factory=dict)

    def to_toml(self) -> str:
        dataset = {k: v for k, v in self.dataset.items() if k in DatasetConfig.__dataclass_fields__}
        tables = {"dataset": dataset, "model": self.model, "train": self.train}
        return to_toml({**tables, "generate": self.generate} if self.generate else tables)

    def same_run_as(self, other: RunConfig) -> list[str]:
        """The fields (``model.units``, ``train.seed`` …) in which ``other`` is a different run (epochs may grow)."""
        changed = [f"model.{k}" for k, v in asdict(self.model).items() if asdict(other.model)[k] != v]
        changed += [
            f"train.{k}"
            for k, v in asdict(self.train).items()
            if k not in OPERATIONAL_FIELDS and asdict(other.train)[k] != v
        ]
        return changed


def model_name(variant: str, model: ModelConfig) -> str:
    """``control-lstm-3`` (with ``-u256`` when the units differ from the study's 128)."""
    suffix = "" if model.units == 128 else f"-u{model.units}"
    return f"{variant}-{model.cell}-{model.layers}{suffix}"


@dataclass(frozen=True)
class RunState:
    """Where a run stands after its last finished epoch."""

    epochs_done: int = 0
    step: int = 0
    best_val_loss: float = math.inf


@dataclass
class ResumePoint:
    """Everything a run needs to continue exactly, committed as one file (the run folder's resume point,
    :func:`rnncells.training.resume_point.write_resume_point`).

    ``arrays`` holds the model's and optimizer's variables by name; ``state`` and ``metrics`` are the run's
    progress and its metrics rows up to ``state.epochs_done``. One atomic rename writes them all, so a kill at
    any instant leaves either the previous resume point or this one, never a mix.
    """

    state: RunState
    metrics: list[dict]
    arrays: dict[str, np.ndarray]
