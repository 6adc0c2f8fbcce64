"""A grid file: one study (a dataset, a grid of runs, selection, generation, evaluation), read from TOML.

``configs/*.toml`` are grid files; :func:`load_grid` reads and checks one whole (rnncells.grid.validate) before
anything trains.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rnncells.config.settings import (
    VARIANTS,
    ConfigError,
    DatasetConfig,
    EvaluateConfig,
    GenerateConfig,
    ModelConfig,
    TrainConfig,
    from_dict,
    read_toml,
)


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
    select_by: str = "val_loss"
    generate_all: bool = False
    backend: str = "tensorflow"
    reuse: list[str] = field(default_factory=list)  # results folders whose equal runs are copied (grid/reuse.py)
    seeds: list[int] = field(default_factory=list)  # replicates: every configuration trained once per seed

    @property
    def replicate_seeds(self) -> list[int] | None:
        """The seeds every configuration is trained with (``seeds``, or the ``seed`` axis, which means the same);
        None for a grid without replicates (each run takes ``[train] seed``, 0 by default)."""
        if self.seeds:
            return list(self.seeds)
        return list(self.axes["seed"]) if "seed" in self.axes else None

    def validate(self) -> None:
        self.dataset.validate()
        self.generate.validate()
        self.evaluate.validate()
        known = {f.name for f in dataclasses.fields(ModelConfig)} | {f.name for f in dataclasses.fields(TrainConfig)}
        for axis, values in self.axes.items():
            if axis not in known or axis == "variant":
                raise ConfigError(f"grid axis {axis!r} is not a model or training field (variants come from [dataset])")
            if not isinstance(values, list) or not values:
                raise ConfigError(f"grid axis {axis!r} needs a non-empty list of values")
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
        if self.select_by not in ("val_loss", "loss"):
            raise ConfigError(f"select_by {self.select_by!r}: use 'val_loss' or 'loss'")


def apply_overrides(tables: dict[str, Any], overrides: list[str], where: str) -> dict[str, Any]:
    """Set ``KEY=VALUE`` pairs (``axes.units=[128, 256]``, ``train.epochs=5``, ``name="x"``) in a grid file's
    tables, the value read as TOML (a bare word is a string). Returns new tables; the file is not changed."""
    tables = dict(tables)
    for override in overrides:
        key, equals, text = override.partition("=")
        names = key.strip().split(".")
        if not equals or not all(names):
            raise ConfigError(f"--set {override!r}: use KEY=VALUE, e.g. --set axes.units=[128,256]")
        try:
            value = tomllib.loads(f"value = {text.strip()}")["value"]
        except tomllib.TOMLDecodeError:
            value = text.strip()
        table = tables
        for name in names[:-1]:
            if not isinstance(table.get(name, {}), dict):
                raise ConfigError(f"--set {override!r}: {where} has {name!r} as a value, not a table")
            table[name] = table = dict(table.get(name, {}))
        table[names[-1]] = value
    return tables


def load_grid(path: str | Path, source: str | None = None, overrides: list[str] | None = None) -> GridConfig:
    """Read a grid TOML file (``configs/*.toml``); ``source`` replaces ``[dataset] source`` when given, and each
    ``KEY=VALUE`` of ``overrides`` replaces one value (see :func:`apply_overrides`) before anything is checked."""
    from rnncells.grid.validate import check_grid_plan, check_grid_tables

    where = str(path)
    tables = apply_overrides(read_toml(path), overrides or [], where)
    known = {f.name for f in dataclasses.fields(GridConfig)}
    unknown = sorted(set(tables) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    check_grid_tables(tables, where)  # every value's type and range, one line each (rnncells.grid.validate)
    values = dict(tables)
    dataset = {**tables.get("dataset", {}), **({"source": source} if source else {})}
    values["dataset"] = from_dict(DatasetConfig, dataset, f"{where} [dataset]")
    values["generate"] = from_dict(GenerateConfig, tables.get("generate", {}), f"{where} [generate]")
    values["evaluate"] = from_dict(EvaluateConfig, tables.get("evaluate", {}), f"{where} [evaluate]")
    values.setdefault("name", Path(path).stem)
    grid = GridConfig(**values)
    try:
        grid.validate()
    except ConfigError as error:
        raise ConfigError(f"{where}: {error}") from None
    check_grid_plan(grid, where)
    return grid
