"""The study's LaTeX tables (docs/method.md §4 "Tables emitted") from an evaluation folder, and a PDF of them.

``write_tables`` reads what ``rnncells.evaluation.evaluate.evaluate_song_sets`` wrote (summary.csv, best_songs.csv,
representative_songs.csv, comparison.csv, memorisation.csv, evaluation.json; through
:class:`rnncells.evaluation.folder.EvaluationFolder`) and writes one ``.tex`` per table (pandas ``Styler.to_latex``,
booktabs rules, ``\\multirow`` blocks) plus ``tables.tex``, a standalone document that ``\\input``'s them all.
The grid tables (rows = variants, column groups = cells) hold rnncells's models; every song set, MIDI sets and the
baseline included, is in the song tables and the set tables of :mod:`rnncells.report.set_tables`. The baseline
is named with its scope (``train split, 170 songs``) wherever it appears.
A paper that ``\\input``'s a single table needs the packages booktabs, multirow, adjustbox and siunitx.
Publication rules (docs/method.md §4): numbers in decimal-aligned siunitx columns; a mean ± std with the decimals
of the std's two significant digits, a mean alone with those of its standard error's first; whole numbers without
decimals; the lowest mean of a column in bold with every mean the Mann–Whitney test (Holm, tests.csv) cannot tell
from it; the depth validation loss selected marked with a dagger; columns all zero folded into the caption.
"""

from __future__ import annotations

import math
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from rnncells.errors import RnncellsError
from rnncells.evaluation.columns import BASELINE_MODEL, SCOPE_COLUMN
from rnncells.evaluation.folder import SUMMARY_FILE, EvaluationFolder, EvaluationFolderError
from rnncells.files import write_text_atomic
from rnncells.report.grid_layout import NAMED_VARIANTS, GridLayout, grid_frame, grid_layout, grid_models
from rnncells.report.latex import (
    LATEX_PACKAGES,
    METRIC_KEY,
    METRIC_LABELS,
    PM,
    decimals_for,
    escape_latex,
    latex_index,
    mean_std,
    number,
    numbers,
    to_latex,
)
from rnncells.report.published import published_latex
from rnncells.report.set_tables import set_tables
from rnncells.report.table_numbers import (
    column_decimals,
    emphasis,
    marked_models,
    model_stat,
    songs_per_model,
    table_notes,
)

INSTALL_HINT = "apt-get install texlive-latex-recommended texlive-latex-extra texlive-science lmodern"


class TablesError(RnncellsError, RuntimeError):
    """Tables cannot be written or compiled; the message names the file and the fix."""


@dataclass
class _Evaluation:
    """What the tables read from an evaluation folder (comparison and memorisation: None without a dataset)."""

    summary: pd.DataFrame
    best: pd.DataFrame
    representative: pd.DataFrame
    comparison: pd.DataFrame | None
    memorisation: pd.DataFrame | None
    record: dict
    same: dict[str, set[frozenset[str]]]  # per metric, the pairs of sets the test cannot tell apart


def _untold_pairs(folder: EvaluationFolder) -> dict[str, set[frozenset[str]]]:
    """Per metric, the model pairs tests.csv finds no significant difference between (after Holm)."""
    try:
        tests = folder.read_tests()
    except EvaluationFolderError:
        return {}
    same: dict[str, set[frozenset[str]]] = {str(metric): set() for metric in tests["metric"].unique()}
    for row in tests[~tests["significant"].astype(bool)].itertuples():
        same.setdefault(str(row.metric), set()).add(frozenset((str(row.model_a), str(row.model_b))))
    return same


def _read_evaluation(eval_dir: Path) -> _Evaluation:
    folder = EvaluationFolder(eval_dir)
    try:
        evaluation = _Evaluation(
            folder.read_summary(),
            folder.read_best_songs(),
            folder.read_representative_songs(),
            folder.read_comparison(),
            folder.read_memorisation(),
            folder.read_record() if folder.is_complete() else {},
            _untold_pairs(folder),
        )
    except EvaluationFolderError as error:
        raise TablesError(str(error)) from None
    if evaluation.summary.loc[evaluation.summary["model_name"] != BASELINE_MODEL].empty:
        raise TablesError(f"{folder.path / SUMMARY_FILE}: no generated models in it; evaluate at least one song set")
    return evaluation


def _stat_table(
    evaluation: _Evaluation, models: pd.DataFrame, layout: GridLayout, stat: str, what: str, selected: set[str]
) -> str:
    summary = evaluation.summary
    decimals = {m: column_decimals(summary, models, m, stat) for m in METRIC_LABELS}
    names = list(models["model_name"])
    columns = {m: numbers([model_stat(summary, name, m, stat) for name in names], decimals[m]) for m in METRIC_LABELS}
    cells = {name: {METRIC_LABELS[m]: columns[m][i] for m in METRIC_LABELS} for i, name in enumerate(names)}
    marked = marked_models(models, selected)
    if stat == "mean":
        means = {name: {m: model_stat(summary, name, m, "mean") for m in METRIC_LABELS} for name in names}
        cells = emphasis(cells, means, layout, evaluation.same, marked)
    else:
        cells = emphasis(cells, {}, layout, {}, marked)
    frame = grid_frame(layout, models, list(METRIC_LABELS.values()), cells)
    notes = table_notes(summary, models, marked, bool(evaluation.same), "mean" if stat == "mean" else "")
    caption = (
        f"{what} of the tonality metrics over the songs of each model ({layout.note}); decimals follow the "
        f"standard error. {notes}"
    )
    return to_latex(frame, caption, f"tab:{stat}")


def _mean_std_table(evaluation: _Evaluation, models: pd.DataFrame, layout: GridLayout, selected: set[str]) -> str:
    summary, parts, marked = evaluation.summary, [], marked_models(models, selected)
    for metric, metric_label in METRIC_LABELS.items():
        cells = {
            name: {"mean": mean_std(*(model_stat(summary, name, metric, stat) for stat in ("mean", "std")))}
            for name in models["model_name"]
        }
        means = {name: {"mean": model_stat(summary, name, metric, "mean")} for name in models["model_name"]}
        same = {"mean": evaluation.same.get(metric, set())} if evaluation.same else {}
        cells = emphasis(cells, means, layout, same, marked)
        parts.append(grid_frame(layout, models, ["mean"], cells, row_prefix=(metric_label,)))
    frame = pd.concat(parts)
    if isinstance(frame.columns, pd.MultiIndex):
        frame.columns = pd.MultiIndex.from_tuples(
            [(group, sub if sub == "L" else rf"mean {PM} std") for group, sub in frame.columns]
        )
    caption = (
        f"Mean {PM} standard deviation (sample) of each tonality metric over the songs of each model "
        f"({layout.note}); the std's two significant digits set the decimals. "
        f"{table_notes(summary, models, marked, bool(evaluation.same), 'mean')}"
    )
    return to_latex(frame, caption, "tab:mean-std")


def scopes(summary: pd.DataFrame) -> dict[str, str]:
    """Each set's scope (summary.csv's scope column; the baseline's says which split and how many songs)."""
    if SCOPE_COLUMN not in summary:
        return {}
    return dict(summary.drop_duplicates("model_name").set_index("model_name")[SCOPE_COLUMN].astype(str))


def _model_label(row: pd.Series, scope: dict[str, str]) -> str:
    if row["model_name"] == BASELINE_MODEL:
        return scope.get(BASELINE_MODEL) or "training set"
    if row["variant"] in NAMED_VARIANTS:
        return str(row["model_name"])
    return f"{str(row['cell']).upper()}-{int(row['layers'])}"


def _song_table(songs: pd.DataFrame, summary: pd.DataFrame, extra: list[str], caption: str, label: str) -> str:
    midi = summary.loc[summary["variant"].isin(NAMED_VARIANTS), "model_name"].unique().tolist()
    order = list(grid_models(summary)["model_name"]) + midi + [BASELINE_MODEL]
    present = set(songs["model_name"])
    songs = songs.set_index("model_name").loc[[name for name in order if name in present]].reset_index()
    scope = scopes(summary)
    keys = [(str(row["variant"]), _model_label(row, scope)) for _, row in songs.iterrows()]
    named = dict(zip(keys, songs["model_name"], strict=True))
    if len(named) < songs["model_name"].nunique():  # two models share a label (LSTM-1 at 128 and 256 units)
        ours = set(grid_models(summary)["model_name"])
        keys = [(v, str(n) if n in ours else label) for (v, label), n in zip(keys, songs["model_name"], strict=True)]
    frame = pd.DataFrame(
        {
            "song": [escape_latex(song) for song in songs["song_id"]],
            **{METRIC_LABELS[m]: [number(v) for v in songs[m]] for m in METRIC_LABELS},
            **{column: [number(v) for v in songs[column]] for column in extra},
        }
    )
    frame.index = latex_index(keys, ["variant", "model"])
    lines = to_latex(frame, caption, label).splitlines()
    # The dataset is the reference, not one more model: set it apart (once, if no block rule is there).
    for position, line in enumerate(lines):
        if line.startswith(f"{BASELINE_MODEL} & ") and lines[position - 1] != r"\midrule":
            lines.insert(position, r"\midrule")
            break
    return "\n".join(lines) + "\n"


def _baseline_table(summary: pd.DataFrame) -> str:
    baseline = summary[summary["model_name"] == BASELINE_MODEL].set_index("metric")
    labels = {**METRIC_LABELS, "general": "general"}
    rows = {}
    for metric, label in labels.items():
        stats = baseline.loc[metric]
        n, std = int(stats["n"]), float(stats["std"])
        # mean, std and variance to their standard error's first digit; min and max are songs' exact scores
        decimals = decimals_for(std / math.sqrt(n) if n > 1 else math.nan, significant=1)
        rows[label] = [str(n)] + [number(float(stats[stat]), decimals) for stat in ("mean", "variance", "std")]
        rows[label] += [number(float(stats[stat])) for stat in ("min", "max")]
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=["n", "mean", "variance", "std", "min", "max"])
    frame.index = pd.Index(list(rows), name="metric")
    scope = scopes(summary).get(BASELINE_MODEL) or f"{int(baseline.loc['cmm', 'n'])} training songs"
    caption = (
        f"Dataset baseline: the tonality metrics of the dataset's songs ({escape_latex(scope)}, control variant), "
        "scored like the generated songs; variance and std are sample estimates (ddof = 1). "
        f"{METRIC_KEY}."
    )
    return to_latex(frame, caption, "tab:baseline")


def _document(inputs: list[str], evaluation: dict, n_sets: int) -> str:
    settings = evaluation.get("settings", {})
    described = ", ".join(f"{key} = {value}" for key, value in settings.items()) or "not recorded"
    body = "\n".join(rf"\input{{{name}}}" for name in inputs)
    return (
        "\\documentclass{article}\n"
        "\\usepackage[T1]{fontenc}\n"
        "\\usepackage{lmodern}\n"
        "\\usepackage[margin=2cm]{geometry}\n"
        + "".join(f"\\usepackage{{{package}}}\n" for package in LATEX_PACKAGES)
        + "\\usepackage{caption}\n"
        "\\captionsetup[table]{position=above, skip=6pt, font=small}\n"
        "\\begin{document}\n"
        "\\section*{Tonality of the generated melodies}\n"
        f"Tables for {n_sets} song sets; metric settings: {escape_latex(described)}. {METRIC_KEY}.\n\n"
        f"{body}\n"
        "\\end{document}\n"
    )


def _grid_tables(evaluation: _Evaluation, models: pd.DataFrame, selected: set[str]) -> dict[str, str]:
    """Mean, variance, std and mean ± std of rnncells's models: rows = variants, column groups = cells."""
    layout = grid_layout(models)
    return {
        "table_mean": _stat_table(evaluation, models, layout, "mean", "Mean", selected),
        "table_variance": _stat_table(evaluation, models, layout, "variance", "Variance (sample)", selected),
        "table_std": _stat_table(evaluation, models, layout, "std", "Standard deviation (sample)", selected),
        "table_mean_std": _mean_std_table(evaluation, models, layout, selected),
    }


def _song_tables(evaluation: _Evaluation) -> dict[str, str]:
    """The best and the most representative song of every set, the baseline last."""
    summary = evaluation.summary
    sets = summary.loc[summary["model_name"] != BASELINE_MODEL].drop_duplicates("model_name")
    n = songs_per_model(summary, sets)
    return {
        "table_best_songs": _song_table(
            evaluation.best,
            summary,
            ["general"],
            f"Best song of each model: the lowest general tonality (CMM + LM + CENTR) among its {n} songs.",
            "tab:best-songs",
        ),
        "table_representative_songs": _song_table(
            evaluation.representative,
            summary,
            ["distance"],
            "Most representative song of each model: the song nearest (Euclidean) to the model's mean "
            "(CMM, LM, CENTR) point; distance = its distance to that point.",
            "tab:representative-songs",
        ),
    }


def write_tables(
    eval_dir: Path, out_dir: Path, *, published: bool = True, selected: list[str] | None = None
) -> list[Path]:
    """Write the study's tables, one ``.tex`` each, and ``tables.tex`` (a standalone document); return paths.

    Tables: mean, variance, std (rows = variants, column groups = cells), mean ± std with a multirow block per
    metric (when the evaluation holds rnncells models), best songs, most representative songs, the dataset
    baseline (when the evaluation has one), every set side by side, memorisation and Yang & Lerch's feature
    comparison (with a dataset; :mod:`rnncells.report.set_tables`) and, with ``published``, docs/method.md §11's
    published anchors (another corpus). ``selected``: the models validation loss selected (a grid's
    selection.json), marked in the grid tables where they hold other depths too.
    """
    eval_dir, out_dir = Path(eval_dir), Path(out_dir)
    evaluation = _read_evaluation(eval_dir)
    summary = evaluation.summary
    models = grid_models(summary)
    tables = _grid_tables(evaluation, models, set(selected or ())) if not models.empty else {}
    tables |= _song_tables(evaluation)
    if (summary["model_name"] == BASELINE_MODEL).any():
        tables["table_baseline"] = _baseline_table(summary)
    tables |= set_tables(summary, evaluation.comparison, evaluation.memorisation, evaluation.record, evaluation.same)
    if published:
        rhythm = bool(evaluation.record.get("settings", {}).get("rhythm"))
        tables["table_published"] = published_latex(rhythm)
    paths = [write_text_atomic(out_dir / f"{name}.tex", text) for name, text in tables.items()]
    n_sets = summary.loc[summary["model_name"] != BASELINE_MODEL, "model_name"].nunique()
    paths.append(write_text_atomic(out_dir / "tables.tex", _document(list(tables), evaluation.record, n_sets)))
    return paths


def compile_pdf(tex_path: Path) -> Path:
    """Run ``pdflatex -interaction=nonstopmode -halt-on-error`` twice in the file's folder; return the PDF."""
    tex_path = Path(tex_path)
    if shutil.which("pdflatex") is None:
        raise TablesError(f"pdflatex not found (needed for {tex_path}): {INSTALL_HINT}")
    if not tex_path.is_file():
        raise TablesError(f"{tex_path}: no such file; expected a LaTeX document such as tables.tex")
    command = ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", tex_path.name]
    for _ in range(2):  # the second pass resolves references
        result = subprocess.run(
            command, cwd=tex_path.parent, capture_output=True, text=True, errors="replace", check=False
        )
        if result.returncode != 0:
            errors = [line for line in result.stdout.splitlines() if line.startswith("!")]
            reason = errors[0] if errors else f"exit status {result.returncode}"
            hint = f"; {INSTALL_HINT}" if "not found" in reason else ""
            log = tex_path.with_suffix(".log")
            raise TablesError(f"pdflatex failed on {tex_path}: {reason}{hint} (see {log})")
    return tex_path.with_suffix(".pdf")
