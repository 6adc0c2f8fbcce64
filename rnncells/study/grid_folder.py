"""A grid's results folder: where each part lies, and the one module that reads and writes the folder's own files
(``grid.toml``, ``selection.json``, ``reused.json``, ``history.jsonl``; ``index.html`` is written through
:meth:`GridPaths.index`). The parts with formats of their own have their own owners: run folders
(rnncells.training.run_folder), song sets (rnncells.generation.song_set), the evaluation folder
(rnncells.evaluation.folder), the dataset (rnncells.data.folder). The grid (rnncells.grid) writes the folder; the study
report (rnncells.study) reads it.

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
    audio/<model>/         song_NNN.ogg for every song, song_NNN.wav for the best and most representative
                           (rnncells.grid.listen; rendered once)
    index.html             everything above, linked; the songs playable
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rnncells.config.records import ConfigError, read_toml
from rnncells.errors import RnncellsError
from rnncells.files import write_json_atomic, write_text_atomic
from rnncells.training.run_folder import RunFolder

GRID_FILE = "grid.toml"
SELECTION_FILE = "selection.json"
REUSED_FILE = "reused.json"
HISTORY_FILE = "history.jsonl"
INDEX_FILE = "index.html"


class GridFolderError(RnncellsError, ValueError):
    """A file of the grid's results folder that cannot be read."""


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
    def index(self) -> Path:
        return self.root / INDEX_FILE

    @property
    def selection_path(self) -> Path:
        return self.root / SELECTION_FILE

    # -- grid.toml: the resolved grid, written by every command that plans runs -------------------------------------
    def write_grid_file(self, text: str) -> Path:
        """Write the resolved grid (``grid.toml``) atomically; returns its path."""
        return write_text_atomic(self.root / GRID_FILE, text)

    def read_grid_tables(self) -> dict[str, Any]:
        """The resolved grid's TOML tables; empty when there is none or it cannot be read."""
        try:
            return read_toml(self.root / GRID_FILE)
        except (ConfigError, OSError):
            return {}

    # -- selection.json: per (variant, cell), the configuration chosen, its runs (one per seed), every run's score
    # and why ----------------------------------------------------------------------------------------------------
    def write_selection(self, selection: dict[str, dict]) -> Path:
        return write_json_atomic(self.selection_path, selection)

    def read_selection(self) -> dict[str, dict]:
        """``selection.json``; raises :class:`GridFolderError` when it is missing or damaged."""
        try:
            selection = json.loads(self.selection_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise GridFolderError(f"{self.selection_path}: missing; run `rnncells grid run` first") from None
        except (OSError, ValueError) as error:
            raise GridFolderError(
                f"{self.selection_path}: damaged ({type(error).__name__}); run `rnncells grid finish` again"
            ) from None
        if not isinstance(selection, dict) or not all(isinstance(entry, dict) for entry in selection.values()):
            raise GridFolderError(f"{self.selection_path}: damaged (not a table of groups); run `rnncells grid finish`")
        return selection

    def selected_runs(self) -> set[str]:
        """The runs selection.json chose, every seed's (none when it is missing or unreadable)."""
        try:
            return {name for entry in self.read_selection().values() for name in selected_runs(entry)}
        except GridFolderError:
            return set()

    # -- reused.json: runs copied by content from other results folders -----------------------------------------------
    def read_reused(self) -> dict[str, str]:
        path = self.root / REUSED_FILE
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}

    def write_reused(self, reused: dict[str, str]) -> Path:
        return write_json_atomic(self.root / REUSED_FILE, reused)

    # -- history.jsonl: every start of `grid run` / `grid finish` (rnncells.grid.history) ---------------------------
    def read_history(self) -> list[dict]:
        """The entries of ``history.jsonl``, oldest first (none when the grid never ran there)."""
        path = self.root / HISTORY_FILE
        if not path.is_file():
            return []
        entries = []
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a line cut short by a crash says nothing; the others still count
        return entries

    def write_history(self, entries: list[dict]) -> Path:
        return write_text_atomic(
            self.root / HISTORY_FILE, "".join(json.dumps(e, sort_keys=True) + "\n" for e in entries)
        )
