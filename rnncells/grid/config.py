"""A grid file: one study (a dataset, a grid of runs, selection, generation, evaluation), read from TOML.

``configs/*.toml`` are grid files; :func:`rnncells.grid.grid_file.load_grid` reads and checks one whole before
anything trains.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from rnncells.config.baseline import BaselineConfig
from rnncells.config.dataset import VARIANTS, DatasetConfig
from rnncells.config.evaluate import EvaluateConfig
from rnncells.config.generate import GenerateConfig
from rnncells.config.model import ModelConfig
from rnncells.config.records import ConfigError
from rnncells.config.train import TrainConfig

MAX_GRID_RUNS = 100_000  # a plan beyond this is refused before it is expanded


@dataclass
class GridConfig:
    """A whole study: one dataset, a grid of runs (every combination of the ``axes``), then selection,
    generation, evaluation and tables. ``axes`` may sweep any ModelConfig or TrainConfig field; ``epochs``
    gives epochs per variant; ``model`` and ``train`` hold the values shared by every run."""

    name: str = "grid"
    out: str = ""
    dataset: DatasetConfig = field(default_factory=DatasetConfig)
    axes: dict[str, list] = field(default_factory=lambda: {"cell": ["lstm"], "layers": [1]})
    epochs: dict[str, int] = field(default_factory=dict)
    model: dict[str, Any] = field(default_factory=dict)
    train: dict[str, Any] = field(default_factory=dict)
    generate: GenerateConfig = field(default_factory=GenerateConfig)
    evaluate: EvaluateConfig = field(default_factory=EvaluateConfig)
    baseline: BaselineConfig = field(default_factory=BaselineConfig)  # the n-gram baselines beside the models
    select_by: str = "val_loss"
    generate_all: bool = False
    score_final_weights: bool = False  # also score the selected runs' final weights as <run>-final (grid/beside.py)
    backend: str = "tensorflow"
    reuse: list[str] = field(default_factory=list)  # results folders whose equal runs are copied (grid/reuse.py)
    seeds: list[int] = field(default_factory=list)  # replicates: every configuration trained once per seed
    # with seeds: only these configurations (run names without the seed) get every seed, the others the first one
    replicate_configurations: list[str] = field(default_factory=list)

    @property
    def replicate_seeds(self) -> list[int] | None:
        """The seeds every configuration is trained with (``seeds``, or the ``seed`` axis, which means the same);
        None for a grid without replicates (each run takes ``[train] seed``, 0 by default)."""
        if self.seeds:
            return list(self.seeds)
        return list(self.axes["seed"]) if "seed" in self.axes else None

    def size(self) -> int:
        """How many runs the grid asks for (variants x each axis's values), counted without planning them."""
        return len(self.dataset.variants) * math.prod(len(values) for values in self.axes.values())

    def validate(self) -> None:
        self.dataset.validate()
        self.generate.validate()
        self.evaluate.validate()
        self.baseline.validate()
        known = {f.name for f in dataclasses.fields(ModelConfig)} | {f.name for f in dataclasses.fields(TrainConfig)}
        for axis, values in self.axes.items():
            if axis not in known or axis == "variant":
                raise ConfigError(f"grid axis {axis!r} is not a model or training field (variants come from [dataset])")
            if not isinstance(values, list) or not values:
                raise ConfigError(f"grid axis {axis!r} needs a non-empty list of values")
        runs = self.size()
        if runs > MAX_GRID_RUNS:
            raise ConfigError(
                f"[axes]: the grid asks for {runs:,} runs ({len(self.dataset.variants)} variant(s) x "
                f"{' x '.join(str(len(v)) for v in self.axes.values())} axis values), more than the {MAX_GRID_RUNS:,} "
                "allowed; sweep fewer values or split it into several grid files"
            )
        for variant in self.epochs:
            if variant not in VARIANTS:
                raise ConfigError(f"[epochs] {variant!r}: use one of {', '.join(VARIANTS)}")
        if self.backend not in ("tensorflow", "jax", "torch"):
            raise ConfigError(f"backend {self.backend!r}: use tensorflow (the default), jax or torch")
        if self.seeds and "seed" in self.axes:
            raise ConfigError("seeds and [axes] seed both ask for replicates: keep one (seeds = [0, 1, 2])")
        seeds = self.replicate_seeds or []
        if any(not isinstance(s, int) or isinstance(s, bool) or s < 0 for s in seeds) or len(set(seeds)) < len(seeds):
            raise ConfigError(f"seeds = {seeds}: expected distinct whole numbers >= 0, e.g. seeds = [0, 1, 2]")
        if self.replicate_configurations and not seeds:
            raise ConfigError(
                "replicate_configurations needs seeds: add seeds = [0, 1, 2] (the first seed is every configuration's)"
            )
        if not all(isinstance(c, str) for c in self.replicate_configurations):
            raise ConfigError(
                f"replicate_configurations = {self.replicate_configurations}: expected run names without the seed, "
                'e.g. ["control-gru-1-units256"]'
            )
        if self.select_by not in ("val_loss", "loss"):
            raise ConfigError(f"select_by {self.select_by!r}: use 'val_loss' or 'loss'")
