"""Cost-function validation (docs/method.md §5): does a lower loss give more tonal songs, or more copying?

The experiment keeps every step checkpoint of a run over the whole run (``step-0000250-loss-2.3456.keras``: the step
and the training loss at it are in the name), for several seeds, draws 100 songs (one batch) from each with one
primer and sampling seed, and scores them with ``rnncells evaluate --dataset`` (tonality and memorisation); each set
is named after its checkpoint, with its run's seed in front (``seed1-step-0000250-loss-2.3456``).
:func:`checkpoint_table` reads that evaluation back, one row per checkpoint (the means of its songs), with each
checkpoint's validation loss when the runs are given (rnncells.training.checkpoint_losses). :func:`cost_validation`
writes the table (CSV and LaTeX), a summary (JSON) and a figure of general tonality against the validation loss (x
axis) beside the training loss, with Spearman's rho on the checkpoint means and a 95% interval from a moving-block
bootstrap within each seed (:func:`block_bootstrap_interval`: neighbouring checkpoints are not independent)
(``rnncells plot checkpoints EVALUATION --run RUN ... --out PREFIX``).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from scipy.stats import spearmanr

from rnncells.errors import InputError
from rnncells.evaluation.folder import EvaluationFolder
from rnncells.files import write_text_atomic
from rnncells.report.figure_base import new_figure, save_figure
from rnncells.report.latex import number, to_latex

CHECKPOINT_NAME = re.compile(r"(?:seed(?P<seed>\d+)-)?step-(?P<step>\d+)-loss-(?P<loss>\d+(\.\d+)?)")
BOOTSTRAP_SAMPLES = 2000
COLUMNS = {"general": "general tonality", "cmm": "CMM", "lm": "LM", "centr": "CENTR", "shared_run": "shared run"}
SONG_COLUMNS_READ = (*COLUMNS, "copied")  # all checkpoint_table reads of songs.csv, beside the song's model


def checkpoint_table(evaluation_dir: str | Path, losses: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per step checkpoint: seed, step, training loss, validation loss (from ``losses``, rows of seed, step
    and val_loss; NaN without), songs, the means of the tonality metrics, the longest shared run and the copied
    share, by seed and step. Song sets not named like a checkpoint are refused."""
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
        seed = int(match["seed"]) if match["seed"] is not None else 0
        row = {"seed": seed, "step": int(match["step"]), "loss": float(match["loss"]), "songs": len(group)}
        row |= {column: float(group[column].mean()) for column in COLUMNS if column in group}
        if "copied" in group:
            row["copied"] = float(group["copied"].mean())
        rows.append(row)
    if not rows:
        raise InputError(f"{evaluation_dir}: no generated song sets; run paper_scripts/08_cost_function_validation.sh")
    table = pd.DataFrame(rows)
    if losses is not None and len(losses):
        table = table.merge(losses[["seed", "step", "val_loss"]], on=["seed", "step"], how="left")
    else:
        table["val_loss"] = np.nan
    columns = ["seed", "step", "loss", "val_loss"]
    table = table[columns + [c for c in table.columns if c not in columns]]
    return table.sort_values(["seed", "step"], ignore_index=True)


def rank_correlation(table: pd.DataFrame, column: str, x: str = "loss") -> tuple[float, float]:
    """Spearman's rho between ``x`` (the training loss, or ``val_loss``) and ``column`` over the checkpoints, and
    its p-value (NaN when fewer than three checkpoints or a constant column)."""
    table = table.dropna(subset=[x, column])
    if len(table) < 3 or table[column].nunique() < 2 or table[x].nunique() < 2:
        return float("nan"), float("nan")
    result = spearmanr(table[x], table[column])
    return float(result.statistic), float(result.pvalue)


def block_bootstrap_interval(
    table: pd.DataFrame, column: str, x: str = "val_loss", block: int | None = None, samples: int = BOOTSTRAP_SAMPLES
) -> tuple[float, float]:
    """A 95% percentile interval of Spearman's rho between ``x`` and ``column`` by a moving-block bootstrap: each
    seed's checkpoints (in step order) are rebuilt from random runs of ``block`` neighbours (default: the cube root
    of its count, rounded up), the seeds pooled as in the data. NaN when rho cannot be computed."""
    table = table.dropna(subset=[x, column])
    rng = np.random.default_rng(0)
    series = [group.sort_values("step")[[x, column]].to_numpy(float) for _, group in table.groupby("seed")]
    values = []
    for _ in range(samples):
        drawn = np.concatenate([_moving_blocks(points, block, rng) for points in series])
        if len(drawn) >= 3 and np.ptp(drawn[:, 0]) > 0 and np.ptp(drawn[:, 1]) > 0:
            values.append(spearmanr(drawn[:, 0], drawn[:, 1]).statistic)
    if not values:
        return float("nan"), float("nan")
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)


def _moving_blocks(points: np.ndarray, block: int | None, rng: np.random.Generator) -> np.ndarray:
    n = len(points)
    size = min(n, block or max(1, math.ceil(n ** (1 / 3))))
    starts = rng.integers(0, n - size + 1, size=math.ceil(n / size))
    return np.concatenate([points[start : start + size] for start in starts])[:n]


def cost_validation_figure(table: pd.DataFrame, title: str = ""):
    """General tonality against the validation loss (left, when measured) and against the training loss (right),
    then the longest shared run against the same loss; coloured by step, one marker per seed."""
    losses = [x for x in ("val_loss", "loss") if table[x].notna().any()]
    panels = [(x, "general") for x in losses] + ([(losses[0], "shared_run")] if "shared_run" in table else [])
    figure, axes = new_figure(4.2 * len(panels), 3.6, ncols=len(panels), squeeze=False)
    markers = "os^Dv<>"
    for axis, (x, column) in zip(axes[0], panels):
        for position, (_, group) in enumerate(table.groupby("seed")):
            points = axis.scatter(
                group[x], group[column], c=group["step"], cmap="viridis", s=26, marker=markers[position % len(markers)]
            )
        rho, p = rank_correlation(table, column, x)
        low, high = block_bootstrap_interval(table, column, x, samples=500)
        axis.set_xlabel(("validation" if x == "val_loss" else "training") + " loss at the checkpoint")
        axis.set_ylabel(COLUMNS[column] + (" (lower: more tonal)" if column == "general" else " (intervals)"))
        axis.set_title(f"Spearman rho {rho:.2f} [{low:.2f}, {high:.2f}]" if np.isfinite(rho) else "too few checkpoints")
        axis.invert_xaxis()  # training goes left to right
    figure.colorbar(points, ax=axes[0].tolist(), label="training step")
    seeds = sorted(table["seed"].dropna().unique())
    if len(seeds) > 1:
        handles = [
            Line2D([], [], marker=markers[n % len(markers)], linestyle="", color="#555555", label=f"seed {int(seed)}")
            for n, seed in enumerate(seeds)
        ]
        figure.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False)
    if title:
        figure.suptitle(title)
    return figure


def cost_validation_latex(table: pd.DataFrame, caption: str) -> str:
    """The per-checkpoint table as a LaTeX table (booktabs), one row per checkpoint."""
    shown = pd.DataFrame(
        {
            "step": [f"{seed}/{step}" for seed, step in zip(table["seed"], table["step"], strict=True)],
            "loss": [number(v, 4) for v in table["loss"]],
            "val. loss": [number(v, 4) for v in table["val_loss"]],
            **{COLUMNS[c]: [number(v) for v in table[c]] for c in COLUMNS if c in table},
            **({"copied": [number(v, 2) for v in table["copied"]]} if "copied" in table else {}),
        }
    ).set_index("step")
    shown.index.name = "seed/step"
    return to_latex(shown, caption, "tab:cost-validation")


def summary(table: pd.DataFrame) -> dict:
    """Spearman's rho of general tonality with the validation and the training loss over the checkpoint means,
    each with its p-value and block-bootstrap interval, and what was measured."""
    result = {
        "checkpoints": len(table),
        "seeds": sorted(int(s) for s in table["seed"].unique()),
        "songs_per_checkpoint": int(table["songs"].min()),
    }
    for x in ("val_loss", "loss"):
        rho, p = rank_correlation(table, "general", x)
        low, high = block_bootstrap_interval(table, "general", x)
        result[x] = {"rho": _finite(rho), "p": _finite(p), "interval_95": [_finite(low), _finite(high)]}
    return result


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None  # JSON has no NaN


def cost_validation(
    evaluation_dir: str | Path, out_path: str | Path, title: str = "", runs: list[Path] | None = None
) -> list[Path]:
    """Write ``<out>.csv``, ``<out>.tex``, ``<out>.json`` (:func:`summary`), ``<out>.png`` and ``<out>.pdf`` for the
    checkpoints' evaluation; ``runs`` (the retrained runs, one per seed) give each checkpoint's validation loss."""
    losses = None
    if runs:
        from rnncells.training.checkpoint_losses import checkpoint_losses

        losses = pd.DataFrame([row for run in runs for row in checkpoint_losses(run)])
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    table = checkpoint_table(evaluation_dir, losses)
    paths = [out_path.with_name(out_path.name + suffix) for suffix in (".csv", ".tex", ".json")]
    write_text_atomic(paths[0], table.to_csv(index=False))
    numbers = summary(table)
    x = "val_loss" if table["val_loss"].notna().any() else "loss"
    rho, low, high = (math.nan if v is None else v for v in (numbers[x]["rho"], *numbers[x]["interval_95"]))
    caption = (
        f"Cost-function validation{': ' + title if title else ''}. One row per step checkpoint and seed, the means "
        f"of its songs (the same primer and sampling seed). Spearman's rho between the "
        f"{'validation' if x == 'val_loss' else 'training'} loss and general tonality over the checkpoints: "
        f"{number(rho, 2)} (95% block-bootstrap interval {number(low, 2)} to {number(high, 2)})."
    )
    write_text_atomic(paths[1], cost_validation_latex(table, caption))
    write_text_atomic(paths[2], json.dumps(numbers, indent=1, sort_keys=True) + "\n")
    return [*paths, *save_figure(cost_validation_figure(table, title), out_path)]
