"""Cost-function validation (docs/method.md §5): does a lower training loss give more tonal songs, or more copying?

The experiment keeps every step checkpoint of one run (``step-0000250-loss-2.3456.keras``: the step and the
training loss at it are in the name), draws the same song(s) from each with one primer and seed, and scores them
with ``rnncells evaluate --dataset`` (tonality and memorisation). :func:`checkpoint_table` reads that evaluation
back, one row per checkpoint; :func:`cost_validation` writes the table (CSV and LaTeX) and a figure of the loss
against general tonality and against the longest run shared with a training song, with Spearman's rank correlation
of each (``rnncells plot checkpoints EVALUATION --out PREFIX``).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from rnncells.errors import InputError
from rnncells.evaluation.folder import EvaluationFolder
from rnncells.files import write_text_atomic
from rnncells.report.figure_base import new_figure, save_figure
from rnncells.report.latex import number, to_latex

CHECKPOINT_NAME = re.compile(r"step-(?P<step>\d+)-loss-(?P<loss>\d+(\.\d+)?)")
COLUMNS = {"general": "general tonality", "cmm": "CMM", "lm": "LM", "centr": "CENTR", "shared_run": "shared run"}


def checkpoint_table(evaluation_dir: str | Path) -> pd.DataFrame:
    """One row per step checkpoint: step, training loss, songs, the means of the tonality metrics, the longest
    shared run and the copied share, in step order. Song sets not named like a checkpoint are refused."""
    songs = EvaluationFolder(evaluation_dir).read_songs()
    songs = songs[songs["model_name"] != "dataset"] if "model_name" in songs else songs
    rows = []
    for name, group in songs.groupby("model_name", sort=False):
        match = CHECKPOINT_NAME.search(str(name))
        if match is None:
            raise InputError(
                f"{evaluation_dir}: song set {name!r} is not named after a step checkpoint "
                "(like step-0000250-loss-2.3456); generate each set with --name set to its checkpoint's file name "
                "without .keras"
            )
        row = {"step": int(match["step"]), "loss": float(match["loss"]), "songs": len(group)}
        row |= {column: float(group[column].mean()) for column in COLUMNS if column in group}
        if "copied" in group:
            row["copied"] = float(group["copied"].mean())
        rows.append(row)
    if not rows:
        raise InputError(f"{evaluation_dir}: no generated song sets; run paper_scripts/08_cost_function_validation.sh")
    return pd.DataFrame(rows).sort_values("step", ignore_index=True)


def rank_correlation(table: pd.DataFrame, column: str) -> tuple[float, float]:
    """Spearman's rho between the training loss and ``column`` over the checkpoints, and its p-value (NaN when
    fewer than three checkpoints or a constant column)."""
    if len(table) < 3 or table[column].nunique() < 2 or table["loss"].nunique() < 2:
        return float("nan"), float("nan")
    result = spearmanr(table["loss"], table[column])
    return float(result.statistic), float(result.pvalue)


def cost_validation_figure(table: pd.DataFrame, title: str = ""):
    """Loss against general tonality (left) and against the longest shared run (right), coloured by step."""
    panels = [column for column in ("general", "shared_run") if column in table]
    figure, axes = new_figure(4.2 * len(panels), 3.6, ncols=len(panels), squeeze=False)
    for axis, column in zip(axes[0], panels):
        points = axis.scatter(table["loss"], table[column], c=table["step"], cmap="viridis", s=28)
        rho, p = rank_correlation(table, column)
        axis.set_xlabel("training loss at the checkpoint")
        axis.set_ylabel(COLUMNS[column] + (" (lower: more tonal)" if column == "general" else " (intervals)"))
        axis.set_title(f"Spearman rho {rho:.2f}, p {p:.3g}" if np.isfinite(rho) else "too few checkpoints")
        axis.invert_xaxis()  # training goes left to right
    figure.colorbar(points, ax=axes[0].tolist(), label="training step")
    if title:
        figure.suptitle(title)
    return figure


def cost_validation_latex(table: pd.DataFrame, caption: str) -> str:
    """The per-checkpoint table as a LaTeX table (booktabs), one row per checkpoint."""
    shown = pd.DataFrame(
        {
            "step": table["step"].astype(str),
            "loss": [number(v, 4) for v in table["loss"]],
            **{COLUMNS[c]: [number(v) for v in table[c]] for c in COLUMNS if c in table},
            **({"copied": [number(v, 2) for v in table["copied"]]} if "copied" in table else {}),
        }
    ).set_index("step")
    return to_latex(shown, caption, "tab:cost-validation")


def cost_validation(evaluation_dir: str | Path, out_path: str | Path, title: str = "") -> list[Path]:
    """Write ``<out>.csv``, ``<out>.tex``, ``<out>.png`` and ``<out>.pdf`` for the checkpoints' evaluation."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    table = checkpoint_table(evaluation_dir)
    csv_path, tex_path = out_path.with_name(out_path.name + ".csv"), out_path.with_name(out_path.name + ".tex")
    write_text_atomic(csv_path, table.to_csv(index=False))
    rho, p = rank_correlation(table, "general")
    caption = (
        f"Cost-function validation{': ' + title if title else ''}. One row per step checkpoint; the same primer and "
        f"seed for every song. Spearman's rho between loss and general tonality: {number(rho, 2)} (p {number(p, 3)})."
    )
    write_text_atomic(tex_path, cost_validation_latex(table, caption))
    return [csv_path, tex_path, *save_figure(cost_validation_figure(table, title), out_path)]
