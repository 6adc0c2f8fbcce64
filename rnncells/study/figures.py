"""The study report's own figures: the depth curve (mean general tonality of every run against its depth) and the
variance decomposition of run means."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from rnncells.report.figure_base import new_figure, save_figure

VARIANT_ORDER = ("control", "interval", "transposed")


def depth_curve_figure(
    curve: pd.DataFrame, baseline: float | None = None, title: str = "", axis: str = "layers"
) -> Figure:
    """One panel per variant, one line per cell: mean general tonality (lower is more tonal) against ``axis`` (the
    number of layers, or units in the rhythm grid, on a log scale); the dataset baseline as a dashed line. ``curve``
    has columns variant, cell, ``axis`` and general."""
    variants = [v for v in VARIANT_ORDER if v in set(curve["variant"])] + sorted(
        set(curve["variant"]) - set(VARIANT_ORDER)
    )
    swept = axis
    figure, axes = new_figure(3.6 * len(variants), 3.4, ncols=len(variants), squeeze=False, sharey=True)
    for axis, variant in zip(axes[0], variants):
        rows = curve[curve["variant"] == variant]
        for cell, points in rows.groupby("cell", sort=True):
            points = points.sort_values(swept)
            axis.plot(points[swept], points["general"], marker="o", label=cell)
        if baseline is not None:
            axis.axhline(baseline, color="grey", linestyle="--", linewidth=1, label="dataset")
        axis.set_title(variant)
        axis.set_xlabel(swept)
        if swept == "units":
            axis.set_xscale("log", base=2)
        axis.set_xticks(sorted(rows[swept].unique()), [f"{v:g}" for v in sorted(rows[swept].unique())])
    axes[0][0].set_ylabel("mean general tonality (lower: more tonal)")
    axes[0][-1].legend(loc="upper left", bbox_to_anchor=(1.02, 1.0))
    if title:
        figure.suptitle(title)
    return figure


def depth_curve_plot(
    curve: pd.DataFrame, out_path: Path, baseline: float | None = None, title: str = "", axis: str = "layers"
) -> list[Path]:
    """Draw :func:`depth_curve_figure` and save it as ``out_path`` .png and .pdf."""
    return save_figure(depth_curve_figure(curve, baseline, title, axis), out_path)


def variance_plot(variance: pd.DataFrame, out_path: Path, title: str = "") -> list[Path]:
    """A horizontal bar per source of a variance decomposition (columns source, share): its share of the spread."""
    figure, axis = new_figure(6.0, 0.5 * len(variance) + 1.2)
    axis.barh(list(variance["source"])[::-1], list(variance["share"].fillna(0.0))[::-1], color="tab:blue")
    axis.set_xlim(0, 1)
    axis.set_xlabel("share of the sum of squares of run means")
    if title:
        axis.set_title(title)
    return save_figure(figure, out_path)


def budget_plot(curves: pd.DataFrame, out_path: Path, order: list[str], title: str = "") -> list[Path]:
    """The budget comparison (rnncells.study.budget): per (variant, cell, units) group a row of two panels, mean
    general tonality and lowest validation loss against depth, one line per grid in ``order``. ``curves`` has
    columns grid, variant, cell, units, layers, general and val_loss."""
    groups = list(curves.groupby(["variant", "cell", "units"], sort=True))
    figure, axes = new_figure(8.0, 3.2 * len(groups), nrows=len(groups), ncols=2, squeeze=False)
    for row, ((variant, cell, units), rows) in zip(axes, groups):
        for axis, column, label in zip(
            row, ("general", "val_loss"), ("mean general tonality (lower: more tonal)", "lowest validation loss")
        ):
            for grid in order:
                points = rows[rows["grid"] == grid].sort_values("layers")
                axis.plot(points["layers"], points[column], marker="o", label=grid)
            axis.set_xticks(sorted(rows["layers"].unique()))
            axis.set_xlabel("layers")
            axis.set_ylabel(label)
            axis.set_title(f"{variant} {cell}, {units} units")
    axes[0][0].legend(loc="best")
    if title:
        figure.suptitle(title)
    return save_figure(figure, out_path)
