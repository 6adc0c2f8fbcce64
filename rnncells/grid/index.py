"""``OUT/index.html``: the grid's outputs, linked, rendered from the template ``index.html.j2`` (package data).

The page lists the tables (tables.pdf first), the selected model per (variant, cell) and why, the songs to listen
to (each model's best and most representative song with its piano roll and a WAV player, then all its songs in a
collapsible list of Ogg players; :mod:`rnncells.grid.listen`), the run table of ``rnncells grid status``, every
figure (PNG shown, PDF linked), the evaluation files and the song folders. Links are relative to ``OUT``, so the
folder can be moved or published as it is.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import jinja2

from rnncells.evaluation.folder import EvaluationFolder
from rnncells.files import write_text_atomic
from rnncells.grid.config import GridConfig
from rnncells.grid.listen import ListeningPage, general_label
from rnncells.grid.status import status_rows
from rnncells.study.grid_folder import GRID_FILE, GridPaths

TEMPLATE = "index.html.j2"


def template() -> jinja2.Template:
    """The page template, read from the installed package (pyproject.toml ships it as package data)."""
    text = resources.files("rnncells.grid").joinpath(TEMPLATE).read_text(encoding="utf-8")
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    return environment.from_string(text)


def listening_context(listening: ListeningPage | None) -> dict:
    """The Listen section as plain values (tonality to two decimals)."""
    models = []
    for entry in listening.models if listening else []:
        picks = [{**vars(pick), "general": general_label(pick.general)} for pick in entry.picks]
        songs = [{**song, "general": general_label(song["general"])} for song in entry.songs]
        models.append({"model": entry.model, "picks": picks, "songs": songs})
    return {"models": models, "problem": listening.problem if listening else None}


def index_context(
    grid: GridConfig,
    paths: GridPaths,
    selection: dict,
    figures: list[Path],
    tables: list[Path],
    pdf: Path | None,
    listening: ListeningPage | None = None,
) -> dict:
    """What the template shows, as plain values with paths relative to the results folder."""

    def relative(path: Path) -> str:
        return str(Path(path).relative_to(paths.root))

    rows = status_rows(grid, paths)
    song_folders = (  # hidden ones are a generate's staging folders (rnncells.generation.song_set)
        sorted(p for p in paths.songs.iterdir() if p.is_dir() and not p.name.startswith("."))
        if paths.songs.is_dir()
        else []
    )
    return {
        "name": grid.name,
        "source": grid.dataset.source,
        "n_runs": len(rows),
        "config": GRID_FILE,
        "tables": [relative(p) for p in ([pdf] if pdf else []) + list(tables)],
        "selection": selection,
        "select_by": grid.select_by,
        "columns": [c for c in (rows[0] if rows else {}) if c not in ("attempts", "error")],
        "rows": rows,
        "figures": [
            {"png": relative(p), "pdf": relative(p.with_suffix(".pdf"))} for p in figures if p.suffix == ".png"
        ],
        "evaluation": [relative(p) for p in EvaluationFolder(paths.evaluation).table_paths()],
        "songs": [{"path": relative(p), "n_midi": len(list(p.glob("*.mid")))} for p in song_folders],
        "listening": listening_context(listening),
    }


def write_index(
    grid: GridConfig,
    paths: GridPaths,
    selection: dict,
    figures: list[Path],
    tables: list[Path],
    pdf: Path | None,
    listening: ListeningPage | None = None,
) -> Path:
    """Render ``OUT/index.html`` (module docstring) and return its path."""
    page = template().render(index_context(grid, paths, selection, figures, tables, pdf, listening))
    return write_text_atomic(paths.index, page)
