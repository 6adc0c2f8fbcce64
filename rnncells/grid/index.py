"""``OUT/index.html``: the grid's outputs, linked, rendered from the template ``index.html.j2`` (package data).

The page opens with the answer (the most tonal selected model, the lowest validation loss) and the selected models
as an HTML table: general tonality (mean ± std, with its confidence interval where the evaluation has one),
corpus-likeness (the mean overlapped area of Yang and Lerch's features with the training songs, where measured) and
validation loss. Then why each model was selected, the tables rendered as HTML with links to their ``.tex`` (and
tables.pdf), the songs to listen to (each model's best and most representative song with its piano roll and a
player, then all its songs; a player only where the audio file exists, and how to render the others;
:mod:`rnncells.grid.listen`), the run table of ``rnncells grid status``, every figure (PNG shown, PDF linked), the
evaluation files and the song folders. Every link is relative to ``OUT`` and no machine path is written, so the
folder can be moved, committed or published as it is. :func:`write_index` renders it again from a finished folder
without training, generating or scoring anything (``rnncells grid index``).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import jinja2

from rnncells.errors import InputError
from rnncells.evaluation.folder import EvaluationFolder
from rnncells.files import portable_path, write_text_atomic
from rnncells.generation.song_set import SongSetFolder
from rnncells.grid.config import GridConfig
from rnncells.grid.listen import ListeningPage, general_label, render_listening
from rnncells.grid.status import status_rows
from rnncells.grid.tex_tables import read_tex_tables
from rnncells.locks import folder_lock
from rnncells.study.grid_folder import GRID_FILE, GridPaths, selected_runs

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
    return {
        "models": models,
        "problem": listening.problem if listening else None,
        "hint": listening.hint if listening else "",
        "missing": any(not song["ogg"] for model in models for song in model["songs"]),
    }


def _number(value, digits: int = 2) -> str:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return ""
    return "" if value != value else f"{value:.{digits}f}"


def results_rows(selection: dict, evaluation: EvaluationFolder) -> list[dict]:
    """One row per selected model: tonality (``general``: mean ± std, interval where the summary has one),
    corpus-likeness (mean overlapped area with the training songs, where measured) and the selection score."""
    try:
        summary = evaluation.read_summary()
    except (OSError, ValueError):
        summary = None
    comparison = evaluation.read_comparison() if evaluation.path.is_dir() else None
    replicates = evaluation.read_replicates() if evaluation.is_complete() else None
    rows = []
    for group, entry in selection.items():
        model = entry.get("selected")
        if not model:
            continue
        row = {"group": group, "model": model, "tonality": "", "interval": "", "likeness": "", "n": ""}
        seeded = [run for run in entry.get("runs") or [] if run != model]  # a configuration of replicated runs
        if seeded and replicates is not None:
            row |= _configuration_row(replicates["configurations"], model)
        elif summary is not None and "metric" in summary:
            found = summary[(summary["model_name"] == model) & (summary["metric"] == "general")]
            if len(found):
                first = found.iloc[0]
                row |= {"tonality": f"{_number(first['mean'])} ± {_number(first['std'])}", "n": int(first["n"])}
                low, high = "ci_low", "ci_high"  # a confidence interval of the mean, when the summary has one
                if low in found and high in found:
                    row["interval"] = f"[{_number(first[low])}, {_number(first[high])}]"
        if comparison is not None and "overlapped_area" in comparison:
            areas = comparison[comparison["model_name"].isin([model, *seeded])]["overlapped_area"]
            row["likeness"] = _number(areas.mean()) if len(areas) else ""
        row["loss"] = _number(entry.get("score"), 4) if entry.get("select_by", "val_loss") == "val_loss" else ""
        row["score"] = _number(entry.get("score"), 4)
        rows.append(row)
    return rows


def _configuration_row(configurations, configuration: str) -> dict:
    """A replicated configuration's general tonality: the mean over seeds of its run means ± the between-seed SD,
    with its hierarchical bootstrap interval (rnncells.evaluation.replicates)."""
    found = configurations[(configurations["configuration"] == configuration) & (configurations["metric"] == "general")]
    if not len(found):
        return {}
    first = found.iloc[0]
    seeds = int(first["seeds"])
    return {
        "tonality": f"{_number(first['mean'])} ± {_number(first['seed_sd'])}",
        "interval": f"[{_number(first['ci_low'])}, {_number(first['ci_high'])}]",
        "n": f"{int(first['songs'])} songs of {seeds} seeds",
    }


def answer(rows: list[dict]) -> str:
    """The page's first sentence: the most tonal selected model (lowest general tonality: docs/method.md §4) and
    the one with the lowest validation loss."""
    tonal = [r for r in rows if r["tonality"]]
    if not tonal:
        return "No selected model has been scored yet."
    best = min(tonal, key=lambda r: float(r["tonality"].split(" ")[0]))
    songs = best["n"] if isinstance(best["n"], str) else f"{best['n']} songs"
    text = f"Most tonal selected model: {best['model']} (general tonality {best['tonality']} over {songs})."
    losses = [r for r in rows if r["loss"]]
    if losses:
        lowest = min(losses, key=lambda r: float(r["loss"]))
        text += f" Lowest validation loss: {lowest['model']} ({lowest['loss']})."
    return text


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
        return Path(path).relative_to(paths.root).as_posix()

    rows = status_rows(grid, paths)
    song_folders = (  # hidden ones are a generate's staging folders (rnncells.generation.song_set)
        sorted(p for p in paths.songs.iterdir() if p.is_dir() and not p.name.startswith("."))
        if paths.songs.is_dir()
        else []
    )
    results = results_rows(selection, EvaluationFolder(paths.evaluation))
    return {
        "name": grid.name,
        "source": portable_path(grid.dataset.source),
        "answer": answer(results),
        "results": results,
        "html_tables": read_tex_tables(list(tables), paths.root),
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
        "songs": [
            {"path": relative(p), "n_midi": len(list(p.glob("*.mid"))), "left_out": SongSetFolder(p).midi_left_out}
            for p in song_folders
        ],
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


def rewrite_index(grid: GridConfig, paths: GridPaths) -> Path:
    """Render ``OUT/index.html`` again from what the finished folder holds (selection.json, tables, figures,
    evaluation, audio files): nothing is trained, generated, scored, drawn or rendered."""
    if not paths.selection_path.is_file():
        raise InputError(f"{paths.selection_path}: missing; finish the grid first (`rnncells grid finish`)")
    with folder_lock(paths.root, "rnncells grid index"):  # checked first: a wrong --out makes no folder
        return _rewrite_index(grid, paths, paths.read_selection())


def _rewrite_index(grid: GridConfig, paths: GridPaths, selection: dict) -> Path:
    first_seeds = [selected_runs(entry)[0] for entry in selection.values() if entry.get("selected")]
    figures = sorted(paths.figures.glob("*.png")) if paths.figures.is_dir() else []
    tables = sorted(paths.tables.glob("*.tex")) if paths.tables.is_dir() else []
    pdf = paths.tables / "tables.pdf"
    listening = render_listening(paths, first_seeds, progress=False, render=False)
    return write_index(grid, paths, selection, figures, tables, pdf if pdf.is_file() else None, listening)
