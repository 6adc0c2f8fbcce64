"""A grid file -> the list of runs it asks for: every variant x every combination of the axes."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

from rnncells.config import GridConfig, ModelConfig, TrainConfig, resolve_train_configs


@dataclass(frozen=True)
class PlannedRun:
    """One training run of a grid: its folder name and its resolved configs."""

    name: str
    model: ModelConfig
    train: TrainConfig

    @property
    def group(self) -> tuple[str, str]:
        """Runs of one group compete in selection: same variant and cell (the study picked a depth per pair)."""
        return self.train.variant, self.model.cell

    def train_arguments(self, dataset_dir: Path, run_dir: Path) -> list[str]:
        """``rnncells train`` arguments that reproduce this run (used locally and in Slurm job arrays)."""
        m, t = self.model, self.train
        args = [
            "train",
            "--dataset",
            str(dataset_dir),
            "--out",
            str(run_dir),
            "--variant",
            t.variant,
            "--cell",
            m.cell,
            "--layers",
            str(m.layers),
            "--units",
            str(m.units),
            "--epochs",
            str(t.epochs),
            "--batch-size",
            str(t.batch_size),
            "--seq-length",
            str(t.seq_length),
            "--learning-rate",
            repr(t.learning_rate),
            "--lr-decay",
            repr(t.lr_decay),
            "--dropout",
            repr(m.dropout),
            "--mode",
            t.mode,
            "--seed",
            str(t.seed),
            "--checkpoint-every",
            str(t.checkpoint_every_steps),
            "--quiet",
        ]
        if m.layers > 5:
            args.append("--allow-deep")
        return args


def run_name(variant: str, values: dict, axes: dict[str, list]) -> str:
    """``control-lstm-3``, plus ``-units256`` style parts for every other swept axis."""
    name = f"{variant}-{values['cell']}-{values['layers']}"
    extra = [f"{axis.replace('_', '')}{values[axis]}" for axis in sorted(axes) if axis not in ("cell", "layers")]
    return "-".join([name, *extra])


def plan_runs(grid: GridConfig) -> list[PlannedRun]:
    """Every variant x every combination of the grid's axes, in a stable order."""
    axes = {"cell": ["lstm"], "layers": [1], **grid.axes}
    names = list(axes)
    runs = []
    for variant in grid.dataset.variants:
        for combination in itertools.product(*(axes[n] for n in names)):
            values = {**grid.model, **grid.train, **dict(zip(names, combination))}
            values["variant"] = variant
            values["seed"] = values.get("seed", 0)
            if variant in grid.epochs:
                values["epochs"] = grid.epochs[variant]
            if values.get("layers", 1) > 5:
                values["max_layers"] = values["layers"]
            model, train = resolve_train_configs(values)
            runs.append(
                PlannedRun(
                    run_name(variant, {**values, "cell": model.cell, "layers": model.layers}, axes), model, train
                )
            )
    return runs
