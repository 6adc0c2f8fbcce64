"""The budget question (issue 21, item 8): one depth curve trained under two training budgets, side by side.

The paper grid decays the rate per epoch, so on a small corpus a run gets a few hundred updates, most of them at a
tiny rate, and a deep model may stop before it has learnt what it can: "depth does not help" may be the budget's
doing. A grid whose runs decay per N steps (``lr_decay_steps``) or stop early (``early_stopping_patience``) is a
*budget grid*; the report sets its depth curves beside those of every other grid in the report that trained the same
variant, cell and units with the same seeds under the per-epoch recipe (the *reference*). Per depth it shows the mean
general tonality, the lowest validation loss, the epoch of that loss and the epochs trained, draws both curves
(tonality and validation loss against depth), and says whether a deeper model beats the shallowest one under the
new budget: by the mean, with a 95% interval of the gap from resampling each run's songs (seeded). One seed per depth
makes that a song-level interval only, and the text says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from rnncells.config.records import ConfigError
from rnncells.config.train import TrainConfig
from rnncells.study.figures import budget_plot
from rnncells.study.grid_folder import GridPaths
from rnncells.study.sections import FigureRef, Section
from rnncells.training.run_folder import RunError, RunFolder

METRIC = "general"
RESAMPLES = 2000
GROUP = ["variant", "cell", "units"]


@dataclass(frozen=True)
class BudgetGrid:
    """What the comparison reads of one grid: its name, folder and the songs of its own runs (best weights; columns
    model_name and general at least)."""

    name: str
    paths: GridPaths
    songs: pd.DataFrame


def is_budget(train: TrainConfig) -> bool:
    """True for a recipe that decays per N steps or stops early (not the study's per-epoch recipe)."""
    return bool(train.lr_decay_steps or train.early_stopping_patience)


def budget_text(train: TrainConfig) -> str:
    """The recipe in words: ``0.002 × 0.97^epoch, 300 epochs`` or ``0.002 × 0.97 per 505 steps, ...``."""
    if train.lr_decay_steps:
        rate = f"rate {train.learning_rate:g} × {train.lr_decay:g} per {train.lr_decay_steps} steps"
    else:
        rate = f"rate {train.learning_rate:g} × {train.lr_decay:g}^epoch"
    if train.early_stopping_patience:
        return (
            f"{rate}, stopped after {train.early_stopping_patience} epochs without a new best validation loss, "
            f"at most {train.epochs} epochs"
        )
    return f"{rate}, {train.epochs} epochs"


def run_table(grid: BudgetGrid) -> pd.DataFrame:
    """One row per scored run of the grid: variant, cell, units, layers, seed, budget (a recipe flag and its text),
    the run's mean general tonality, lowest validation loss, its epoch, the epochs trained and the cap. Runs whose
    folder or metrics cannot be read are left out."""
    rows = []
    for name, songs in grid.songs.groupby("model_name", sort=True):
        folder = RunFolder(grid.paths.runs / str(name))
        try:
            config, metrics = folder.read_config(), folder.read_metrics()
        except (RunError, ConfigError, OSError):
            continue
        scored = [row for row in metrics if not math.isnan(row["val_loss"])]
        if not scored:
            continue
        best = min(scored, key=lambda row: row["val_loss"])
        rows.append(
            {
                "run": str(name),
                "variant": config.train.variant,
                "cell": config.model.cell,
                "units": config.model.units,
                "layers": config.model.layers,
                "seed": config.train.seed,
                "budget": is_budget(config.train),
                "recipe": budget_text(config.train),
                METRIC: float(songs[METRIC].mean()),
                "val_loss": best["val_loss"],
                "best_epoch": best["epoch"],
                "epochs": metrics[-1]["epoch"],
                "cap": config.train.epochs,
                "steps": metrics[-1]["step"],
                "decay_steps": config.train.lr_decay_steps,
            }
        )
    return pd.DataFrame(rows)


def pairs(grids: list[BudgetGrid]) -> list[tuple[BudgetGrid, BudgetGrid, pd.DataFrame]]:
    """Every (reference, budget grid) pair that shares a depth curve: a (variant, cell, units) group with at least
    two depths in both, trained with the same seeds (a reference's other seeds are left out); with the rows of both
    grids' runs (column ``grid``) in those groups. A group is compared with the first reference that has it only
    (grids that reuse each other's runs hold the same curve)."""
    tables = {grid.name: run_table(grid) for grid in grids}
    found = []
    for budget in grids:
        ours, covered = tables[budget.name], set()
        ours = ours[ours["budget"]] if len(ours) else ours
        for reference in grids:
            theirs = tables[reference.name]
            if reference is budget or ours.empty or theirs.empty:
                continue
            theirs = theirs[~theirs["budget"] & theirs["seed"].isin(set(ours["seed"]))]
            shared = [group for group in _shared_groups(ours, theirs) if group not in covered]
            covered.update(shared)
            if shared:
                rows = pd.concat([theirs.assign(grid=reference.name), ours.assign(grid=budget.name)])
                keep = rows.set_index(GROUP).index.isin(shared)
                found.append((reference, budget, rows[keep].reset_index(drop=True)))
    return found


def _shared_groups(ours: pd.DataFrame, theirs: pd.DataFrame) -> list[tuple]:
    depths = [frame.groupby(GROUP)["layers"].nunique() for frame in (ours, theirs)]
    return sorted(key for key in depths[0].index if depths[0][key] > 1 and depths[1].get(key, 0) > 1)


def comparison_table(rows: pd.DataFrame, reference: str, budget: str) -> pd.DataFrame:
    """Per group and depth, each grid's mean tonality, lowest validation loss and "best epoch / epochs trained"
    (means over seeds when there are several)."""
    per_depth = rows.groupby(["grid", *GROUP, "layers"], sort=True).agg(
        general=(METRIC, "mean"), val_loss=("val_loss", "mean"), best=("best_epoch", "mean"), epochs=("epochs", "mean")
    )
    table = []
    for (variant, cell, units, layers), _ in per_depth.groupby(level=[1, 2, 3, 4]):
        row: dict = {"model": f"{variant} {cell}, {units} units", "layers": int(layers)}
        for grid in (reference, budget):
            if (grid, variant, cell, units, layers) not in per_depth.index:
                continue
            point = per_depth.loc[(grid, variant, cell, units, layers)]
            row[f"{grid}: general"] = point["general"]
            row[f"{grid}: val loss"] = point["val_loss"]
            row[f"{grid}: best / epochs"] = f"{point['best']:.0f} / {point['epochs']:.0f}"
        table.append(row)
    return pd.DataFrame(table)


def depth_gap(songs: pd.DataFrame, shallow: list[str], deep: list[str], seed: int = 0) -> tuple[float, float, float]:
    """Mean general tonality of the ``deep`` runs' songs minus the ``shallow`` runs', and a 95% interval from
    resampling each side's songs (per run, ``RESAMPLES`` times, seeded). Negative: the deep model is more tonal."""
    rng = np.random.default_rng(seed)
    sides = []
    for runs in (deep, shallow):
        values = [songs.loc[songs["model_name"] == run, METRIC].to_numpy(float) for run in runs]
        draws = [v[rng.integers(0, len(v), (RESAMPLES, len(v)))].mean(axis=1) for v in values]
        sides.append((float(np.mean([v.mean() for v in values])), np.mean(draws, axis=0)))
    gap, draws = sides[0][0] - sides[1][0], sides[0][1] - sides[1][1]
    low, high = np.percentile(draws, [2.5, 97.5])
    return gap, float(low), float(high)


def group_lines(rows: pd.DataFrame, songs: dict[str, pd.DataFrame], reference: str, budget: str) -> list[str]:
    """The plain-words reading of one group: each budget's most tonal depth and validation-selected depth, runs
    still improving at their last epoch, and whether a deeper model beats the shallowest under the budget grid."""
    first = rows.iloc[0]
    label = f"{first['variant']} {first['cell'].upper()} ({first['units']} units)"
    lines = []
    for grid in (reference, budget):
        own = rows[rows["grid"] == grid]
        depth = own.groupby("layers")[[METRIC, "val_loss"]].mean()
        improving = sorted(own[(own["best_epoch"] == own["epochs"]) & (own["epochs"] >= own["cap"])]["layers"])
        line = (
            f"Under `{grid}`'s budget ({own['recipe'].iloc[0]}) the most tonal {label} has "
            f"{depth[METRIC].idxmin()} layer(s) ({depth[METRIC].min():.3f}; from {depth[METRIC].iloc[0]:.3f} at "
            f"{depth.index[0]} to {depth[METRIC].iloc[-1]:.3f} at {depth.index[-1]} layers) and validation loss "
            f"picks {depth['val_loss'].idxmin()} layer(s) ({depth['val_loss'].min():.3f})."
        )
        if improving:
            line += (
                f" Still improving when it ended (best epoch = last epoch = cap): "
                f"{', '.join(map(str, improving))} layer(s)."
            )
        every = int(own["decay_steps"].max())
        if every and (own["steps"] < every).all():
            line += f" No run reached step {every}: the rate never decayed, in effect a constant rate."
        lines.append(line)
    ranges = [_depth_range(rows[rows["grid"] == grid]) for grid in (reference, budget)]
    spread = (
        f" The gap between the least and the most tonal depth goes from {ranges[0]:.3f} under `{reference}`'s "
        f"budget to {ranges[1]:.3f} under `{budget}`'s"
        + (": most of the deep models' deficit was the budget's." if ranges[1] < ranges[0] / 2 else ".")
    )
    lines.append(_survives(rows[rows["grid"] == budget], songs[budget], label, budget, spread))
    return lines


def _depth_range(own: pd.DataFrame) -> float:
    means = own.groupby("layers")[METRIC].mean()
    return float(means.max() - means.min())


def _survives(own: pd.DataFrame, songs: pd.DataFrame, label: str, budget: str, spread: str = "") -> str:
    means = own.groupby("layers")[METRIC].mean()
    shallow_depth = int(means.index.min())
    deep_depth = int(means.drop(shallow_depth).idxmin())
    runs = {depth: list(own[own["layers"] == depth]["run"]) for depth in (shallow_depth, deep_depth)}
    gap, low, high = depth_gap(songs, runs[shallow_depth], runs[deep_depth])
    seeds = own["seed"].nunique()
    caveat = (
        " One seed per depth: the interval resamples one network's songs and says nothing of how much a second seed "
        "would move each mean, so this is a first reading, not a settled answer."
        if seeds == 1
        else f" ({seeds} seeds; the interval resamples songs within each run.)"
    )
    gap_text = (
        f"the best deeper one ({deep_depth} layers) minus {shallow_depth} layer(s): {gap:+.3f}, 95% interval over "
        f"songs [{low:+.3f}, {high:+.3f}]"
    )
    if high < 0:
        return (
            f'**"Depth does not help" does not survive** `{budget}`\'s budget for the {label}: a deeper model is more '
            f"tonal than the shallowest ({gap_text}).{spread}{caveat}"
        )
    return (
        f'**"Depth does not help" survives** `{budget}`\'s budget for the {label}: no deeper model is more tonal '
        f"than the shallowest beyond the spread of their songs ({gap_text}).{spread}{caveat}"
    )


def budget_sections(grids: list[BudgetGrid], out: Path) -> tuple[list[Section], list[str], dict]:
    """The report's budget comparison: a section (table, figure, reading) per (reference, budget grid) pair, the
    lines for the report's opening (each pair's verdict) and the numbers (keyed by the budget grid's name)."""
    sections, opening, numbers = [], [], {}
    songs = {grid.name: grid.songs for grid in grids}
    for reference, budget, rows in pairs(grids):
        table = comparison_table(rows, reference.name, budget.name)
        section = Section(
            f"{budget.name}: the depth curve under two training budgets",
            [
                f"The same depth curve trained twice: `{reference.name}` (the study's recipe) and `{budget.name}`. "
                "Mean general tonality of each run's songs (lower is more tonal), its lowest validation loss, "
                "the epoch of that loss and the epochs trained."
            ],
            [(f"{reference.name} against {budget.name}: the depth curve under each budget", table)],
        )
        for _, group in rows.groupby(GROUP, sort=True):
            section.lines += group_lines(group, songs, reference.name, budget.name)
            opening.append(section.lines[-1])
        stem = f"figures/{budget.name}-budget_curve"
        curves = rows.groupby(["grid", *GROUP, "layers"], sort=True)[[METRIC, "val_loss"]].mean().reset_index()
        budget_plot(curves, out / stem, order=[reference.name, budget.name], title=f"{budget.name}: depth by budget")
        section.figures.append(
            FigureRef(
                stem,
                f"mean general tonality and lowest validation loss against depth, {reference.name} "
                f"(the study's budget) and {budget.name}",
            )
        )
        sections.append(section)
        numbers.setdefault(budget.name, []).append({"reference": reference.name, "rows": rows.to_dict("records")})
    return sections, opening, numbers
