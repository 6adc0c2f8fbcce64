"""Figures of an evaluation beyond the box plots: memorisation, and Yang & Lerch's distance distributions.

- ``memorisation``: per song set, the longest run of intervals shared with a training song (box plot, with the
  copy threshold), the share of copied songs, and the mean general tonality over all songs and over the songs
  not copied (docs/method.md, "Memorisation");
- ``distances``: per feature, the distances among the training songs (intra-set, grey) and from each set's songs to
  them (inter-set, solid), with each set's own intra-set distances dotted (docs/method.md §4).

:func:`evaluation_figures` draws every figure an evaluation folder has the data for, the box plots included.
Everything is read from songs.csv (and the copy threshold from evaluation.json).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from rnncells.evaluation.columns import BASELINE_MODEL
from rnncells.evaluation.corpus import CUT_VARIANT
from rnncells.evaluation.folder import EvaluationFolder, EvaluationFolderError
from rnncells.evaluation.memorisation import COPY_THRESHOLD
from rnncells.evaluation.set_measures import training_rows
from rnncells.music.yang_lerch import distance_curves
from rnncells.report.box_plots import (
    BASELINE_COLOR,
    box_plots,
    facet_notes,
    facet_title,
    facet_width,
    facets,
    is_large,
    label_facet,
    pooled_by_configuration,
    read_songs_csv,
    set_color,
    set_groups,
)
from rnncells.report.figure_base import FigureError, figure_style, new_figure, save_figure
from rnncells.report.set_tables import FEATURE_LABELS

CURVE_POINTS = 256
SET_COLOR = "#1f77b4"
MAX_INTRA_CURVES = 8  # above this many sets, each set's own intra-set curve would hide the rest
MAX_SETS_NAMED = 10  # above this many sets, a colour and a legend entry per cell, not per set


def memorisation_figure(table: pd.DataFrame, threshold: int = COPY_THRESHOLD) -> Figure:
    """The memorisation figure of a songs.csv table holding the memorisation columns (module docstring)."""
    if "shared_run" not in table:
        raise FigureError("songs.csv has no memorisation columns; evaluate with --dataset to measure copying")
    table, seeds = pooled_by_configuration(table)  # a grid of 3 seeds: 50 boxes, not 150
    baselines, groups = set_groups(table)
    if is_large(groups):
        return faceted_memorisation_figure(table, threshold, seeds)
    models = [(name, rows) for name, rows, _ in groups]
    sets = baselines + models
    labels = [label for label, _ in sets]
    colors = [BASELINE_COLOR] * len(baselines) + [SET_COLOR] * len(models)
    positions = np.arange(1, len(sets) + 1)
    copied = [100 * rows["copied"].mean() for _, rows in sets]
    with figure_style():
        # an all-zero "songs copied" panel carries nothing: drawn only when some generated song is copied
        nrows = 3 if any(copied[len(baselines) :]) else 2
        figure, panels = new_figure(
            min(max(6.0, 0.3 * len(sets) + 2.5), 24.0), 8.0 * nrows / 3, nrows=nrows, sharex=True
        )
        runs, tonality = panels[0], panels[-1]
        boxes = runs.boxplot([rows["shared_run"].to_numpy(float) for _, rows in sets], patch_artist=True, widths=0.6)
        for box, color in zip(boxes["boxes"], colors, strict=True):
            box.set_facecolor(color)
            box.set_alpha(0.6)
        runs.axhline(threshold, color="#d62728", linestyle="--", linewidth=1.2, gid="copy-threshold")
        runs.set_ylabel("Longest shared run\n(intervals)")
        runs.legend(
            handles=[Line2D([], [], color="#d62728", linestyle="--", label=f"copied at >= {threshold} intervals")],
            loc="upper left",
            bbox_to_anchor=(1.0, 1.0),
            frameon=False,
        )
        if nrows == 3:
            shares = panels[1]
            bars = shares.bar(positions, copied, color=colors, alpha=0.75, width=0.6, gid="copied-share")
            shares.bar_label(bars, labels=[f"{share:.0f}%" for share in copied], fontsize=8, padding=2)
            shares.set_ylabel("Songs copied (%)")
            shares.set_ylim(0, max(5.0, max(copied) * 1.15))
        every = [rows["general"].mean() for _, rows in sets]
        novel = [rows.loc[rows["copied"] == 0, "general"].mean() for _, rows in sets]
        # Side by side, so that equal means (nothing copied) stay visible.
        tonality.plot(positions - 0.12, every, "o", color="black", label="all songs", gid="general-all")
        tonality.plot(
            positions + 0.12,
            novel,
            "o",
            markerfacecolor="white",
            markeredgecolor="#d62728",
            label="songs not copied",
            gid="general-not-copied",
        )
        tonality.set_ylabel("General tonality\n(mean, lower = more tonal)")
        tonality.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
        rotate = len(labels) > 5 or max(len(label) for label in labels) > 14
        tonality.set_xticks(positions, labels, rotation=60 if rotate else 0, ha="right" if rotate else "center")
        for axes in panels:
            axes.grid(axis="y", color="#e5e5e5", linewidth=0.8)
            axes.set_axisbelow(True)
        pooled = f", a configuration's seeds pooled (up to {seeds})" if seeds > 1 else ""
        runs.set_title(
            f"Memorisation of the training songs, per song set{pooled}"
            + ("" if nrows == 3 else " (no generated song copied)")
        )
    return figure


def faceted_memorisation_figure(table: pd.DataFrame, threshold: int, seeds: int) -> Figure:
    """The memorisation figure of a large grid (``table`` pooled by configuration), faceted as its box plots are:
    a column of panels per dataset variant, the sets labelled by depth, the cells named under their groups."""
    panels, ratios = facets(table)
    models = [entry for _, sets in panels for entry in sets if entry[2] is not None]
    copied = {label: 100 * rows["copied"].mean() for _, sets in panels for label, rows, _ in sets}
    generated = [name for name, _, info in models if info["variant"] != CUT_VARIANT]
    any_copied = any(copied[name] for name in generated)  # an all-zero panel carries nothing
    rows_drawn = ["runs", "shares", "tonality"] if any_copied else ["runs", "tonality"]
    with figure_style():
        figure, grid = new_figure(
            facet_width(ratios),
            2.2 * len(rows_drawn) + 0.8,
            nrows=len(rows_drawn),
            ncols=len(panels),
            sharex="col",
            sharey="row",
            width_ratios=ratios,
            squeeze=False,
        )
        for column, (title, sets) in enumerate(panels):
            axes = dict(zip(rows_drawn, grid[:, column], strict=True))
            colors = [BASELINE_COLOR if info is None else set_color(info) for _, _, info in sets]
            positions = np.arange(1, len(sets) + 1)
            boxes = axes["runs"].boxplot(
                [r["shared_run"].to_numpy(float) for _, r, _ in sets], patch_artist=True, widths=0.6
            )
            for box, color in zip(boxes["boxes"], colors, strict=True):
                box.set_facecolor(color)
                box.set_alpha(0.7)
            axes["runs"].axhline(threshold, color="#d62728", linestyle="--", linewidth=1.0, gid="copy-threshold")
            if "shares" in axes:
                shares = [copied[label] for label, _, _ in sets]
                axes["shares"].bar(positions, shares, color=colors, alpha=0.75, width=0.6, gid="copied-share")
            every = [r["general"].mean() for _, r, _ in sets]
            novel = [r.loc[r["copied"] == 0, "general"].mean() for _, r, _ in sets]
            axes["tonality"].plot(positions - 0.15, every, "o", color="black", markersize=3.5, gid="general-all")
            axes["tonality"].plot(
                positions + 0.15,
                novel,
                "o",
                markerfacecolor="white",
                markeredgecolor="#d62728",
                markersize=3.5,
                gid="general-not-copied",
            )
            label_facet(axes["tonality"], title, sets)
            axes["runs"].set_title(facet_title(title))
            for panel in axes.values():
                panel.grid(axis="y", color="#e5e5e5", linewidth=0.8)
                panel.set_axisbelow(True)
        grid[0, 0].set_ylabel("Longest shared run\n(intervals)")
        if "shares" in rows_drawn:
            grid[1, 0].set_ylabel("Songs copied (%)")
        grid[-1, 0].set_ylabel("General tonality\n(mean, lower = more tonal)")
        handles = [
            Line2D([], [], color="#d62728", linestyle="--", label=f"copied at >= {threshold} intervals"),
            Line2D([], [], marker="o", linestyle="", color="black", label="mean of all songs"),
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                markerfacecolor="white",
                markeredgecolor="#d62728",
                label="mean of the songs not copied",
            ),
            *facet_notes(models, seeds),
        ]
        figure.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False)
        copies = "" if "shares" in rows_drawn else " (no generated song copied)"
        figure.suptitle(f"Memorisation of the training songs, per configuration{copies}")
    return figure


def distances_figure(table: pd.DataFrame) -> Figure:
    """Yang & Lerch's distance densities, one panel per feature (module docstring). A configuration's seeds are
    pooled; above MAX_SETS_NAMED sets the curves are coloured by cell and the legend names the cells, not the sets."""
    reference = training_rows(table)
    features = [name for name in FEATURE_LABELS if name in table]
    table, seeds = pooled_by_configuration(table)
    sets = set_groups(table)[1]
    if len(reference) < 2 or not features or not sets:
        raise FigureError("songs.csv needs the features of at least 2 training songs and of one song set")
    by_cell = len(sets) > MAX_SETS_NAMED
    palette = matplotlib.colormaps["tab10"]
    colors = [set_color(info) if by_cell else palette(n % palette.N) for n, (_, _, info) in enumerate(sets)]
    columns = 2
    rows_of_panels = -(-len(features) // columns)
    with figure_style():
        figure, axes = new_figure(9.0, 2.1 * rows_of_panels + 0.6, nrows=rows_of_panels, ncols=columns, squeeze=False)
        for panel, feature in zip(axes.flat, features, strict=False):
            trained = reference[feature].dropna().to_numpy(float)
            for number, (label, rows, _) in enumerate(sets):
                values = rows[feature].dropna().to_numpy(float)
                if len(values) < 1 or len(trained) < 2:
                    continue
                curves = distance_curves(values, trained, CURVE_POINTS)
                if number == 0:
                    panel.fill_between(curves["distance"], curves["train_intra"], color=BASELINE_COLOR, alpha=0.35)
                style = {"linewidth": 0.8, "alpha": 0.6} if by_cell else {"linewidth": 1.2}
                panel.plot(curves["distance"], curves["inter"], color=colors[number], gid=f"inter:{label}", **style)
                if len(sets) <= MAX_INTRA_CURVES:
                    panel.plot(
                        curves["distance"], curves["set_intra"], color=colors[number], linestyle=":", linewidth=1
                    )
            panel.set_title(feature, fontsize=9)
            panel.set_yticks([])
        for panel in list(axes.flat)[len(features) :]:
            panel.set_visible(False)
        handles = [Patch(facecolor=BASELINE_COLOR, alpha=0.35, label=f"training songs, intra-set ({len(reference)})")]
        if by_cell:  # one entry per colour: the cells, the cut dataset sets
            entries = list({color: _cell_label(info) for color, (_, _, info) in zip(colors, sets, strict=True)}.items())
        else:
            entries = [(color, label) for color, (label, _, _) in zip(colors, sets, strict=True)]
        handles += [Line2D([], [], color=color, label=name) for color, name in entries]
        pooled = f", a configuration's seeds pooled (up to {seeds})" if seeds > 1 else ""
        handles.append(Line2D([], [], color="black", label=f"set to training songs (inter-set{pooled})"))
        if len(sets) <= MAX_INTRA_CURVES:
            handles.append(Line2D([], [], color="black", linestyle=":", label="within the set (intra-set)"))
        figure.legend(handles=handles, loc="outside lower center", ncols=2 if len(handles) < 8 else 3, frameon=False)
        # the axis title goes with the title: a figure-wide x label would sit under the legend's first row
        figure.suptitle(
            "Yang & Lerch: distance distributions per feature (densities)\n"
            "x: the distance between two songs' feature values"
        )
    return figure


def _cell_label(info: dict) -> str:
    """The legend's name for a colour of sets drawn by cell."""
    return "dataset, cut to length" if str(info["variant"]) == CUT_VARIANT else f"{str(info['cell']).upper()} sets"


def _threshold(folder: EvaluationFolder) -> int:
    """The copy threshold the evaluation used (evaluation.json), else the default."""
    if not folder.is_complete():
        return COPY_THRESHOLD
    try:
        dataset = folder.read_record().get("dataset") or {}
    except EvaluationFolderError:
        return COPY_THRESHOLD
    return int(dataset.get("copy_threshold") or COPY_THRESHOLD)


def evaluation_figures(eval_dir: Path, out_dir: Path) -> list[Path]:
    """Box plots of every metric, and with a dataset ``memorisation`` and ``distances``; PNG and PDF paths."""
    folder = EvaluationFolder(eval_dir)
    paths = box_plots(folder.songs_path, out_dir)
    table = read_songs_csv(folder.songs_path)
    if "shared_run" in table:
        paths += save_figure(memorisation_figure(table, _threshold(folder)), Path(out_dir) / "memorisation")
    if len(training_rows(table)) >= 2 and (table["model_name"] != BASELINE_MODEL).any():
        paths += save_figure(distances_figure(table), Path(out_dir) / "distances")
    return paths
