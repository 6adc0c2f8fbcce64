"""The study report: grid result folders in, ``README.md``, ``report.tex``/``report.pdf`` and ``numbers.json`` out.

Every number comes from the folders' own files (``selection.json``, ``evaluation/`` through
:class:`~rnncells.evaluation.EvaluationFolder`, each run's metrics through :class:`~rnncells.runs.RunFolder`), so
running ``rnncells report RESULTS... --out DIR`` again on the same folders writes the same report. For each grid it
answers the study's question on that corpus: which (variant, cell) model, at its selected depth, has the lowest mean
general tonality (lower is more tonal, docs/method.md §4), whether that lead is significant (Mann-Whitney U,
Holm-corrected, rank-biserial effect size), how it compares with the dataset baseline, how much of its output is
copied from the training songs and whether the ranking holds on the songs that are not, the depth curve when every
run was scored, and what each run cost to train. The published numbers (another corpus) are shown beside ours.
"""

from __future__ import annotations

import json
import math
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from rnncells.evaluation import BASELINE_MODEL, EvaluationFolder
from rnncells.files import write_json_atomic, write_text_atomic
from rnncells.grid.paths import GridPaths
from rnncells.report.latex import escape_latex, to_latex
from rnncells.report.tables import PUBLISHED_BASELINE, PUBLISHED_PITCH_STUDY, compile_pdf
from rnncells.runs import RunError, RunFolder

HEADLINE_METRIC = "general"


class ReportError(ValueError):
    """A results folder that cannot be reported on; the message names it and the fix."""


@dataclass
class GridResult:
    """What the report reads of one grid's results folder."""

    paths: GridPaths
    selection: dict
    summary: pd.DataFrame
    tests: pd.DataFrame
    songs: pd.DataFrame
    record: dict

    @property
    def name(self) -> str:
        return self.paths.root.name


def read_result(root: Path) -> GridResult:
    """Read one grid results folder written by ``rnncells grid run``."""
    paths = GridPaths(Path(root))
    selection_path = paths.root / "selection.json"
    evaluation = EvaluationFolder(paths.evaluation)
    if not selection_path.is_file() or not evaluation.is_complete():
        raise ReportError(f"{paths.root}: no selection.json or complete evaluation/; run `rnncells grid run` first")
    try:
        selection = json.loads(selection_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ReportError(f"{selection_path}: damaged ({error.msg}); run `rnncells grid finish` again") from None
    summary, songs, record = evaluation.read_summary(), evaluation.read_songs(), evaluation.read_record()
    return GridResult(paths, selection, summary, evaluation.read_tests(), songs, record)


def _mean_std(summary: pd.DataFrame, model: str, metric: str) -> tuple[float, float]:
    row = summary[(summary["model_name"] == model) & (summary["metric"] == metric)]
    return (float(row["mean"].iloc[0]), float(row["std"].iloc[0])) if len(row) else (math.nan, math.nan)


def headline(result: GridResult) -> pd.DataFrame:
    """One row per selected model: its depth, mean and std of every metric, copied share, non-copied tonality."""
    rows = []
    for group, entry in sorted(result.selection.items()):
        model = entry.get("selected")
        if not model or model not in set(result.summary["model_name"]):
            continue
        songs = result.songs[result.songs["model_name"] == model]
        row = {"model": model, "group": group, "layers": int(songs["layers"].iloc[0]), "songs": len(songs)}
        for metric in ("cmm", "lm", "centr", HEADLINE_METRIC):
            row[metric], row[f"{metric}_std"] = _mean_std(result.summary, model, metric)
        if "copied" in songs:
            kept = songs[songs["copied"] < 0.5]
            row["copied_share"] = float(songs["copied"].mean())
            row["general_not_copied"] = float(kept[HEADLINE_METRIC].mean()) if len(kept) else math.nan
        rows.append(row)
    if not rows:
        raise ReportError(f"{result.paths.root}: no selected model was evaluated; run `rnncells grid finish`")
    return pd.DataFrame(rows).sort_values(HEADLINE_METRIC, kind="stable").reset_index(drop=True)


def depth_curve(result: GridResult) -> pd.DataFrame:
    """Mean general tonality of every evaluated run by variant, cell and depth (empty unless every run was scored)."""
    songs = result.songs[result.songs["model_name"] != BASELINE_MODEL]
    curve = songs.groupby(["variant", "cell", "layers"])[HEADLINE_METRIC].mean().reset_index()
    per_group = curve.groupby(["variant", "cell"]).size()
    return curve if len(per_group) and per_group.max() > 1 else curve.iloc[0:0]


def lead_tests(result: GridResult, best: str) -> pd.DataFrame:
    """The Mann-Whitney tests of the best model against every other set on general tonality."""
    tests = result.tests[result.tests["metric"] == HEADLINE_METRIC]
    return tests[(tests["model_a"] == best) | (tests["model_b"] == best)].reset_index(drop=True)


def training_cost(result: GridResult) -> pd.DataFrame:
    """Per run: epochs, steps and seconds of training (the sum of its epochs' measured seconds)."""
    rows = []
    for folder in sorted(p for p in result.paths.runs.iterdir() if p.is_dir()) if result.paths.runs.is_dir() else []:
        try:
            metrics = RunFolder(folder).read_metrics()
        except RunError:
            continue
        if metrics:
            seconds = sum(row["seconds"] for row in metrics)
            rows.append({"run": folder.name, "epochs": metrics[-1]["epoch"], "steps": metrics[-1]["step"],
                         "seconds": round(seconds, 1)})  # fmt: skip
    return pd.DataFrame(rows, columns=["run", "epochs", "steps", "seconds"])


def _answer(result: GridResult, table: pd.DataFrame) -> list[str]:
    best = table.iloc[0]
    baseline = _mean_std(result.summary, BASELINE_MODEL, HEADLINE_METRIC)
    scope = (result.record.get("dataset") or {}).get("scope", "the training split")
    lines = [
        f"On `{result.name}`, the most tonal model is **{best['model']}** ({best['group']}, {best['layers']} "
        f"layer(s)): mean general tonality {best[HEADLINE_METRIC]:.3f} ± {best[f'{HEADLINE_METRIC}_std']:.3f} over "
        f"{best['songs']} songs (lower is more tonal).",
    ]
    if not math.isnan(baseline[0]):
        lines.append(f"The dataset baseline ({scope}) scores {baseline[0]:.3f} ± {baseline[1]:.3f}.")
    if len(table) > 1:
        second = table.iloc[1]
        tests = lead_tests(result, best["model"])
        pair = tests[(tests["model_a"] == second["model"]) | (tests["model_b"] == second["model"])]
        verdict = ""
        if len(pair):
            test = pair.iloc[0]
            verdict = (
                f" (Mann-Whitney p = {test['p_value']:.3g}, Holm-corrected {test['p_holm']:.3g}, "
                f"rank-biserial r = {test['rank_biserial']:+.2f}: "
                f"{'significant' if bool(test['significant']) else 'not significant'} at 0.05)"
            )
        lines.append(f"Second is {second['model']} with {second[HEADLINE_METRIC]:.3f}{verdict}.")
    if "copied_share" in table:
        ranked = table.sort_values("general_not_copied", kind="stable")
        leader = ranked.iloc[0]["model"]
        holds = "the ranking holds" if leader == best["model"] else f"the ranking changes: {leader} leads"
        lines.append(
            f"{best['copied_share']:.0%} of {best['model']}'s songs copy a run of the training songs; on the songs "
            f"that do not, {holds}."
        )
    return lines


def _markdown(frame: pd.DataFrame) -> str:
    def cell(value: object) -> str:
        return f"{value:.3f}" if isinstance(value, float) else str(value)

    head = "| " + " | ".join(map(str, frame.columns)) + " |\n|" + "---|" * len(frame.columns) + "\n"
    return head + "".join("| " + " | ".join(cell(v) for v in row) + " |\n" for row in frame.itertuples(index=False))


def _published() -> pd.DataFrame:
    rows = []
    for metric, variants in PUBLISHED_PITCH_STUDY.items():
        for variant, cells in variants.items():
            rows.append({"metric": metric, "variant": variant,
                         **{cell: f"{m:.2f} ± {s:.2f}" for cell, (m, s) in cells.items()}})  # fmt: skip
    for metric, (mean, std) in PUBLISHED_BASELINE.items():
        rows.append({"metric": metric, "variant": "dataset", "LSTM": f"{mean:.2f} ± {std:.2f}"})
    return pd.DataFrame(rows).fillna("")


def _sections(results: list[GridResult]) -> tuple[list[str], dict, list[tuple[str, pd.DataFrame]]]:
    """The README's lines, the numbers behind them, and the tables for the LaTeX report."""
    lines, numbers, tables = ["# The study on this corpus", ""], {}, []
    for result in results:
        table = headline(result)
        curve, cost = depth_curve(result), training_cost(result)
        lines += [f"## {result.name}", "", *_answer(result, table), "", "Selected models (best depth per variant "
                  "and cell by the grid's selection rule):", "", _markdown(table), ""]  # fmt: skip
        if len(curve):
            lines += ["Depth curve (mean general tonality of every run):", "", _markdown(curve), ""]
        if len(cost):
            lines += [f"Training cost: {len(cost)} runs, {cost['steps'].sum()} steps, {cost['seconds'].sum() / 60:.1f} "
                      "minutes of measured epoch time.", "", _markdown(cost), ""]  # fmt: skip
        numbers[result.name] = {"headline": table.to_dict("records"), "depth_curve": curve.to_dict("records"),
                                "training_cost": cost.to_dict("records")}  # fmt: skip
        tables.append((f"{result.name}: selected models", table))
    lines += ["## Published numbers (the original study, another corpus)", "", _markdown(_published()), ""]
    return lines, numbers, tables


def _latex(tables: list[tuple[str, pd.DataFrame]], readme_lines: list[str]) -> str:
    body = []
    for caption, frame in tables:
        shown = frame.map(lambda v: f"{v:.3f}" if isinstance(v, float) else escape_latex(v))
        shown.columns = [escape_latex(c) for c in shown.columns]
        body.append(to_latex(shown.set_index(shown.columns[0]), escape_latex(caption), "tab:" + str(len(body))))
    published = _published().map(lambda v: escape_latex(v).replace("±", r"$\pm$"))
    body.append(to_latex(published.set_index("metric"), "Published numbers (another corpus)", "tab:published"))
    text = "\n\n".join(escape_latex(line.replace("**", "").replace("`", "")) for line in readme_lines
                       if line and not line.startswith(("|", "#")))  # fmt: skip
    return (
        "\\documentclass{article}\n\\usepackage[margin=2cm]{geometry}\n\\usepackage{booktabs,multirow,adjustbox,caption}\n"
        "\\usepackage[T1]{fontenc}\n\\usepackage[utf8]{inputenc}\n\\begin{document}\n\\section*{The study}\n"
        + text
        + "\n\n"
        + "\n\n".join(body)
        + "\n\\end{document}\n"
    )


def write_report(result_dirs: list[Path], out: Path, pdf: bool = True) -> list[Path]:
    """Write README.md, numbers.json, report.tex and (with pdflatex) report.pdf for the given result folders."""
    results = [read_result(Path(d)) for d in result_dirs]
    lines, numbers, tables = _sections(results)
    out = Path(out)
    written = [
        write_text_atomic(out / "README.md", "\n".join(lines)),
        write_json_atomic(out / "numbers.json", numbers),
        write_text_atomic(out / "report.tex", _latex(tables, lines)),
    ]
    if pdf and shutil.which("pdflatex"):
        written.append(compile_pdf(out / "report.tex"))
    return written
