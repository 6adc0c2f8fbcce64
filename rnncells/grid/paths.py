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
    selection.json         the configuration chosen per (variant, cell), its runs (one per seed), every run's score
                           and why (read and written only through GridPaths)
    songs/<model>/         generated songs of each selected model
    evaluation/            per-song metrics, statistics, tests (rnncells.evaluation.evaluate)
    tables/                the LaTeX tables and tables.pdf
    figures/               box plots, learning curves, piano rolls, span plot
    audio/<model>/         song_NNN.ogg for every song, song_NNN.wav for the best and most representative
                           (rnncells.grid.listen; rendered once)
    index.html             everything above, linked; the songs playable
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from rnncells.errors import RnncellsError
from rnncells.files import write_json_atomic
from rnncells.grid.config import GridConfig
from rnncells.training.run_folder import RunFolder

DEFAULT_ROOT = Path("out")
SELECTION_FILE = "selection.json"


class SelectionError(RnncellsError, ValueError):
    """A selection.json that is missing or damaged; the message names it and the fix."""


def selected_runs(entry: dict) -> list[str]:
    """The run names of one selection.json entry: every seed of the selected configuration (``runs``), or the
    selected run itself in a selection written before replicates; empty when the group has none."""
    if not entry.get("selected"):
        return []
    return list(entry.get("runs") or [entry["selected"]])


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

    @property
    def selection_path(self) -> Path:
        return self.root / SELECTION_FILE

    def write_selection(self, selection: dict) -> Path:
        """Write selection.json: per (variant, cell) group, the chosen configuration and why."""
        return write_json_atomic(self.selection_path, selection)

    def read_selection(self) -> dict:
        """selection.json; :class:`SelectionError` (one line naming the file and the fix) when missing or damaged."""
        try:
            selection = json.loads(self.selection_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SelectionError(f"{self.selection_path}: missing; run `rnncells grid finish`") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise SelectionError(
                f"{self.selection_path}: damaged ({type(error).__name__}); run `rnncells grid finish` again"
            ) from None
        if not isinstance(selection, dict) or not all(isinstance(e, dict) for e in selection.values()):
            raise SelectionError(f"{self.selection_path}: not a table of groups; run `rnncells grid finish` again")
        return selection


def grid_paths(grid: GridConfig, out: str | Path | None = None) -> GridPaths:
    """The results folder: ``out``, else the grid's ``out``, else ``out/<grid name>`` (ignored by git)."""
    return GridPaths(Path(out or grid.out or DEFAULT_ROOT / grid.name))
