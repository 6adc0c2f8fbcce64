"""Reading a grid file: TOML tables, ``--set KEY=VALUE`` overrides, then every check (rnncells.grid.validate)
before anything trains; the result is a :class:`rnncells.grid.config.GridConfig`."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from rnncells.config.baseline import BaselineConfig
from rnncells.config.dataset import DatasetConfig
from rnncells.config.evaluate import EvaluateConfig
from rnncells.config.generate import GenerateConfig
from rnncells.config.records import ConfigError, from_dict, parse_toml_value, read_toml
from rnncells.grid.config import GridConfig
from rnncells.grid.validate import check_grid_plan, check_grid_tables


def apply_overrides(tables: dict[str, Any], overrides: list[str], where: str) -> dict[str, Any]:
    """Set ``KEY=VALUE`` pairs (``axes.units=[128, 256]``, ``train.epochs=5``, ``name="x"``) in a grid file's
    tables, the value read as TOML (a bare word is a string). Returns new tables; the file is not changed."""
    tables = dict(tables)
    for override in overrides:
        key, equals, text = override.partition("=")
        names = key.strip().split(".")
        if not equals or not all(names):
            raise ConfigError(f"--set {override!r}: use KEY=VALUE, e.g. --set axes.units=[128,256]")
        value = parse_toml_value(text.strip(), f"--set {key.strip()}")
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
    values["baseline"] = from_dict(BaselineConfig, tables.get("baseline", {}), f"{where} [baseline]")
    values.setdefault("name", Path(path).stem)
    grid = GridConfig(**values)
    try:
        grid.validate()
    except ConfigError as error:
        raise ConfigError(f"{where}: {error}") from None
    check_grid_plan(grid, where)
    return grid
