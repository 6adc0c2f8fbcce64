"""Where a grid writes: the results folder and its parts.

Results folder (``OUT``; default ``out/<grid name>``, a folder git ignores, so a grid run leaves the checkout
clean; the committed results under ``results/`` are made with an explicit ``--out results/<name>``)::

    grid.toml              the resolved grid
    history.jsonl          every start of `grid run`/`grid finish`: command, commit, wall time, exit, versions
    reused.json            runs copied from other grids' results folders by content (rnncells.grid.reuse)
    dataset/               the dataset variants (reused when its parameters match)
    runs/<name>/           one run folder per training run (rnncells.training.run_folder); config.toml is written by
    the grid registry/<name>.json   the run's status: pending, running, done or failed; attempts; last error; pid
    logs/<name>.log        the run's training output
    selection.json         the run chosen per (variant, cell) and why
    songs/<model>/         generated songs of each selected model
    evaluation/            per-song metrics, statistics, tests (rnncells.evaluation.evaluate)
    tables/                the LaTeX tables and tables.pdf
    figures/               box plots, learning curves, piano rolls, span plot
    audio/<model>/         song_NNN.ogg of the best and most representative song (--audio all: every song)
                           (rnncells.grid.listen; rendered once)
    index.html             everything above, linked; the songs playable
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rnncells.grid.config import GridConfig
from rnncells.training.run_folder import RunFolder

DEFAULT_ROOT = Path("out")


@dataclass(frozen=True)
class GridPaths:
    """Where a grid writes each of its outputs (module docstring)."""

    root: Path

    @property
    def dataset(self) -> Path:
        return self.root / "dataset"

    @property
    def runs(self) -> Path:
        return self.root / "runs"

    @property
    def registry(self) -> Path:
        return self.root / "registry"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def songs(self) -> Path:
        return self.root / "songs"

    @property
    def evaluation(self) -> Path:
        return self.root / "evaluation"

    @property
    def tables(self) -> Path:
        return self.root / "tables"

    @property
    def figures(self) -> Path:
        return self.root / "figures"

    def run_folder(self, name: str) -> RunFolder:
        """The run folder of the run called ``name`` (read and written only through rnncells.training.run_folder)."""
        return RunFolder(self.runs / name)

    def log(self, name: str) -> Path:
        return self.logs / f"{name}.log"


def grid_paths(grid: GridConfig, out: str | Path | None = None) -> GridPaths:
    """The results folder: ``out``, else the grid's ``out``, else ``out/<grid name>`` (ignored by git)."""
    return GridPaths(Path(out or grid.out or DEFAULT_ROOT / grid.name))
