"""Where a grid writes: its results folder (rnncells.study.grid_folder describes and owns it)."""

from __future__ import annotations

from pathlib import Path

from rnncells.grid.config import GridConfig
from rnncells.study.grid_folder import GridPaths

DEFAULT_ROOT = Path("out")


def grid_paths(grid: GridConfig, out: str | Path | None = None) -> GridPaths:
    """The results folder: ``out``, else the grid's ``out``, else ``out/<grid name>`` (ignored by git)."""
    return GridPaths(Path(out or grid.out or DEFAULT_ROOT / grid.name))
