"""A grid table's numbers from an evaluation summary: a model's statistic, its standard error and a column's
decimals, the best means in bold, the selected models marked, and the notes under the table."""

from __future__ import annotations

import math

import pandas as pd

from rnncells.report.grid_layout import GridLayout
from rnncells.report.latex import (
    METRIC_KEY,
    METRIC_LABELS,
    bold,
    decimals_for,
    mark,
    tied_best,
)


def model_stat(summary: pd.DataFrame, model_name: str, metric: str, stat: str) -> float:
    row = summary[(summary["model_name"] == model_name) & (summary["metric"] == metric)]
    return float(row[stat].iloc[0])


def songs_per_model(summary: pd.DataFrame, models: pd.DataFrame) -> str:
    counted = summary[summary["model_name"].isin(models["model_name"]) & (summary["metric"] == "general")]
    counts = sorted(set(counted["n"].astype(int)))
    if not counts:
        return "0"
    return str(counts[0]) if len(counts) == 1 else f"{counts[0]}-{counts[-1]}"


def _uncertainty(summary: pd.DataFrame, model: str, metric: str, stat: str) -> float:
    """The standard error of a model's ``stat`` (mean, std or variance) of ``metric`` over its songs."""
    n, std = model_stat(summary, model, metric, "n"), model_stat(summary, model, metric, "std")
    if n < 2:
        return math.nan
    return {"mean": std / math.sqrt(n), "std": std / math.sqrt(2 * (n - 1))}.get(stat, std**2 * math.sqrt(2 / (n - 1)))


def column_decimals(summary: pd.DataFrame, models: pd.DataFrame, metric: str, stat: str) -> int:
    """A column's decimals: the first significant digit of its models' median standard error."""
    errors = pd.Series([_uncertainty(summary, m, metric, stat) for m in models["model_name"]]).dropna()
    return decimals_for(float(errors.median()) if len(errors) else math.nan, significant=1)


def emphasis(
    cells: dict[str, dict[str, str]],
    means: dict[str, dict[str, float]],
    layout: GridLayout,
    same: dict[str, set[frozenset[str]]],
    selected: set[str],
) -> dict[str, dict[str, str]]:
    """Bold the best (lowest) mean of each column (a cell's models, per metric) and the means tied with it;
    mark the selected models."""
    for metric in next(iter(means.values()), {}):
        for group in dict.fromkeys(layout.group_of.values()):
            column = {m: values[metric] for m, values in means.items() if layout.group_of[m] == group}
            for model in tied_best(column, same.get(metric, set()) if same else None):
                cells[model][METRIC_LABELS.get(metric, metric)] = bold(cells[model][METRIC_LABELS.get(metric, metric)])
    for model in selected & set(cells):
        cells[model] = {sub: mark(cell) for sub, cell in cells[model].items()}
    return cells


def marked_models(models: pd.DataFrame, selected: set[str] | None) -> set[str]:
    """The selected models to mark: only where the table also holds models that were not selected."""
    names = set(models["model_name"])
    return set() if not selected or names <= set(selected) else names & set(selected)


def table_notes(summary: pd.DataFrame, models: pd.DataFrame, marked: set[str], tested: bool, what: str) -> str:
    n = songs_per_model(summary, models)
    text = f"n = {n} songs per model. {METRIC_KEY}."
    if what:
        tie = "the Mann--Whitney test (Holm) cannot tell from it" if tested else "equal to it at the printed digits"
        text += f" Bold: the lowest {what} of each column and every {what} {tie}."
    if marked:
        text += r" $^\dagger$: the depth that validation loss selected for its variant and cell."
    return text
