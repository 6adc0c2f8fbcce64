"""A grid file -> the list of runs it asks for: every variant x every combination of the axes."""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field
from typing import Any

from rnncells.config.model import ModelConfig
from rnncells.config.records import ConfigError
from rnncells.config.train import TrainConfig, resolve_train_configs
from rnncells.evaluation.replicates import split_replicate
from rnncells.grid.config import MAX_GRID_RUNS, GridConfig
from rnncells.training.run_types import RunConfig


@dataclass(frozen=True)
class PlannedRun:
    """One training run of a grid: its folder name and its resolved configs."""

    name: str
    model: ModelConfig
    train: TrainConfig
    dataset: dict[str, Any] = field(default_factory=dict, hash=False)  # the grid's [dataset] parameters

    @property
    def group(self) -> tuple[str, str]:
        """Runs of one group compete in selection: same variant and cell (the study picked a depth per pair)."""
        return self.train.variant, self.model.cell

    @property
    def configuration(self) -> str:
        """The run's name without its seed: the runs of one configuration are replicates (seeds) of it."""
        return split_replicate(self.name)[0]

    @property
    def config(self) -> RunConfig:
        """The run's resolved config, as the grid writes it to ``RUN/config.toml`` for ``rnncells train --config``."""
        return RunConfig(dict(self.dataset), self.model, self.train)


def run_name(variant: str, values: dict, axes: dict[str, list]) -> str:
    """``control-lstm-3``, plus ``-units256`` style parts for every other swept axis (``-seed1`` for replicates), in
    the axes' alphabetical order: the names runs of a seed axis were given before ``seeds`` existed."""
    name = f"{variant}-{values['cell']}-{values['layers']}"
    extra = [f"{axis.replace('_', '')}{values[axis]}" for axis in sorted(axes) if axis not in ("cell", "layers")]
    return "-".join([name, *extra])


def plan_runs(grid: GridConfig) -> list[PlannedRun]:
    """Every variant x every combination of the grid's axes, in a stable order.

    ``cell`` and ``layers`` are always axes (naming the runs); without an ``[axes]`` entry their one value is
    the grid's ``[model]`` value, else the default. Variants come from ``[dataset] variants``, never ``[train]``.
    With replicates (``seeds``, or the ``seed`` axis) every configuration is planned once per seed, its name
    carrying ``-seedN`` (``control-gru-2-seed1``, ``control-lstm-1-seed1-units128``); the seeds of one configuration
    follow each other. With ``replicate_configurations`` only those configurations get every seed, the others the
    first (e.g. a size sweep on seed 0, its selected sizes on seeds 0-2; selection then compares the seeds in common).
    """
    if grid.size() > MAX_GRID_RUNS:  # refused before the runs are expanded
        raise ConfigError(f"[axes]: the grid asks for {grid.size():,} runs, more than the {MAX_GRID_RUNS:,} allowed")
    if "variant" in grid.train:
        raise ConfigError("[train] variant: the grid's variants come from [dataset] variants")
    defaults = ModelConfig()
    axes = {
        "cell": [grid.model.get("cell", defaults.cell)],
        "layers": [grid.model.get("layers", defaults.layers)],
        **{axis: values for axis, values in grid.axes.items() if axis != "seed"},
    }
    names, seeds = list(axes), grid.replicate_seeds
    runs = []
    for variant in grid.dataset.variants:
        for combination, seed in itertools.product(itertools.product(*(axes[n] for n in names)), seeds or [None]):
            values = {**grid.model, **grid.train, **dict(zip(names, combination))}
            values["variant"] = variant
            values["seed"] = values.get("seed", 0) if seed is None else seed
            if variant in grid.epochs:
                values["epochs"] = grid.epochs[variant]
            if values.get("layers", 1) > values.get("max_layers", 5):  # a grid asking for deep runs allows them
                values["max_layers"] = values["layers"]
            model, train = resolve_train_configs(values)
            named = axes if seed is None else {**axes, "seed": seeds}
            name = run_name(variant, {**values, "cell": model.cell, "layers": model.layers}, named)
            runs.append(PlannedRun(name, model, train, asdict(grid.dataset)))
    if grid.replicate_configurations:
        runs = _replicate_only(runs, grid.replicate_configurations, (seeds or [0])[0])
    return runs


def _replicate_only(runs: list[PlannedRun], configurations: list[str], first_seed: int) -> list[PlannedRun]:
    """The runs of ``configurations`` with every seed, the others' with the first seed only."""
    known = {run.configuration for run in runs}
    unknown = [name for name in configurations if name not in known]
    if unknown:
        raise ConfigError(
            f"replicate_configurations: {', '.join(unknown)} is not a configuration of this grid "
            f"(its configurations: {', '.join(sorted(known))})"
        )
    return [run for run in runs if run.configuration in configurations or run.train.seed == first_seed]
