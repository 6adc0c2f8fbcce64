"""Box plots of the tonality metrics: one figure per metric, one box per song set, the baseline first.

Read from an evaluation's songs.csv (:func:`rnncells.evaluation.folder.read_songs_table`). The baseline is labelled with
its scope (``dataset (train split, 170 songs)``); rnncells's models are coloured by cell, MIDI sets share a colour.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from rnncells.config.dataset import VARIANTS
from rnncells.config.model import CELLS
from rnncells.evaluation.columns import BASELINE_MODEL, METRICS, MIDI_VARIANT, SPLIT_ORDER, baseline_label
from rnncells.evaluation.corpus import CUT_VARIANT
from rnncells.evaluation.folder import EvaluationFolderError, read_songs_table
from rnncells.evaluation.replicates import split_replicate
from rnncells.generation.song_set import FINAL_WEIGHTS_SUFFIX
from rnncells.report.figure_base import FigureError, figure_style, new_figure, save_figure

METRIC_LABELS = {
    "cmm": "CMM: mean |interval| (semitones)",
    "lm": "LM: limited macroharmony (1 = best)",
    "centr": "CENTR: centricity (fraction of window)",
    "general": "General tonality (CMM + LM + CENTR)",
}
METRIC_TITLES = {
    "cmm": "Conjunct melodic motion",
    "lm": "Limited macroharmony",
    "centr": "Centricity",
    "general": "General tonality",
}
# Okabe and Ito's colour-blind-safe palette: blue, orange, bluish green, reddish purple, vermillion
CELL_COLORS = dict(zip(CELLS, ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00"), strict=True))
BASELINE_COLOR = "#7f7f7f"
MIDI_COLOR = "#56B4E9"  # sets of MIDI files (another system's, a composer's): sky blue
FACET_ABOVE = 12  # more generated sets than this: one panel per dataset variant (faceted_box_plot_figure)
BASELINE_GID = "baseline-mean"  # lets callers (and tests) find the baseline lines in a figure
BASELINE_DASHES = ("--", (0, (8, 3)), (0, (2, 2)))


def _cut_split(name: str) -> str:
    """The split of a cut dataset set: ``dataset-train-cut`` -> ``train``."""
    return name.removeprefix(f"{BASELINE_MODEL}-").removesuffix("-cut")


def _model_order_key(info: dict) -> tuple:
    variant, cell, name = str(info["variant"]), str(info["cell"]), str(info["model_name"])
    layers = info["layers"]
    split = _cut_split(name) if variant == CUT_VARIANT else ""
    return (
        VARIANTS.index(variant) if variant in VARIANTS else len(VARIANTS),
        variant,
        CELLS.index(cell) if cell in CELLS else len(CELLS),
        cell,
        layers if isinstance(layers, (int, float)) and not math.isnan(layers) else math.inf,
        SPLIT_ORDER.index(split) if split in SPLIT_ORDER else len(SPLIT_ORDER),
        name,
    )


def read_songs_csv(songs_csv: Path) -> pd.DataFrame:
    """Read an evaluation's songs.csv, checking that the columns the figures need are there."""
    songs_csv = Path(songs_csv)
    try:
        table = read_songs_table(songs_csv)
    except EvaluationFolderError as error:
        raise FigureError(str(error)) from None
    if table.empty:
        raise FigureError(f"{songs_csv}: no rows; evaluate at least one model or the dataset")
    return table


def set_groups(
    table: pd.DataFrame,
) -> tuple[list[tuple[str, pd.DataFrame]], list[tuple[str, pd.DataFrame, dict]]]:
    """Split songs.csv rows into dataset baselines (one per variant) and models in plotting order.

    A baseline is labelled with its scope, ``dataset (train split, 170 songs)``, from songs.csv's split column.
    """
    is_baseline = table["model_name"].astype(str) == BASELINE_MODEL
    several = table.loc[is_baseline, "variant"].nunique() > 1
    baselines = []
    for variant, rows in table[is_baseline].groupby("variant", dropna=False, sort=False):
        label = baseline_label(rows["split"] if "split" in rows else [None] * len(rows))
        baselines.append(
            (label.replace(f"{BASELINE_MODEL} (", f"{BASELINE_MODEL} ({variant}: ") if several else label, rows)
        )
    models = [
        (str(name), rows, rows.iloc[0].to_dict())
        for name, rows in table[~is_baseline].groupby("model_name", sort=False)
    ]
    models.sort(key=lambda item: _model_order_key(item[2]))
    return baselines, models


def set_color(info: dict) -> str:
    """A model's cell colour; MIDI sets (and unknown cells) share one colour, the cut dataset sets the baseline's."""
    if str(info["variant"]) == CUT_VARIANT:
        return BASELINE_COLOR
    return CELL_COLORS.get(str(info["cell"]), MIDI_COLOR) if str(info["variant"]) != MIDI_VARIANT else MIDI_COLOR


def _draw_boxes(axes, values: list, colors: list[str]) -> None:
    boxes = axes.boxplot(
        values,
        patch_artist=True,
        showmeans=True,
        widths=0.6,
        meanprops={"marker": "D", "markerfacecolor": "white", "markeredgecolor": "black", "markersize": 3.5},
        medianprops={"color": "black", "linewidth": 1.2, "gid": "median"},
        flierprops={"marker": "o", "markersize": 2, "alpha": 0.5, "markeredgecolor": "#444444"},
    )
    for box, color in zip(boxes["boxes"], colors, strict=True):
        box.set_facecolor(color)
        box.set_alpha(0.8)
    axes.grid(axis="y", color="#e5e5e5", linewidth=0.8)
    axes.set_axisbelow(True)


def _short_label(info: dict) -> str:
    """A model's label inside its variant's panel: the depth (``2f`` for final weights), the split of a cut dataset
    set, or the name without the variant."""
    name, variant = str(info["model_name"]), str(info["variant"])
    if variant == CUT_VARIANT:
        return _cut_split(name)
    label = name.removeprefix(f"{variant}-").removeprefix(f"{info['cell']}-")
    return label.removesuffix(FINAL_WEIGHTS_SUFFIX) + "f" if label.endswith(FINAL_WEIGHTS_SUFFIX) else label


def pooled_by_configuration(table: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """``table`` with each run named by its configuration (``control-gru-2-seed1`` -> ``control-gru-2``), so that
    a box holds every seed's songs; and the most seeds a configuration has (1: nothing pooled)."""
    configurations = [split_replicate(str(name))[0] for name in table["model_name"]]
    pooled = table.assign(model_name=configurations)
    runs = pd.DataFrame({"configuration": configurations, "run": table["model_name"].astype(str)}).drop_duplicates()
    return pooled, int(runs.groupby("configuration")["run"].nunique().max()) if len(runs) else 1


Panel = tuple[str, list[tuple[str, pd.DataFrame, dict | None]]]  # a facet's title and its sets (info None: baseline)


def is_large(models: list) -> bool:
    """Whether a grid's sets are drawn faceted: more than FACET_ABOVE generated sets over several variants."""
    return len(models) > FACET_ABOVE and len({str(info["variant"]) for _, _, info in models}) > 1


def facets(table: pd.DataFrame) -> tuple[list[Panel], list[int]]:
    """The panels of a faceted figure (the dataset baseline(s), then one per dataset variant with its models in
    plotting order) and their width ratios."""
    baselines, models = set_groups(table)
    variants = list(dict.fromkeys(str(info["variant"]) for _, _, info in models))
    panels = [("dataset", [(label, rows, None) for label, rows in baselines])] * bool(baselines)
    panels += [(v, [m for m in models if str(m[2]["variant"]) == v]) for v in variants]
    return panels, [max(len(sets), 1) + 1 for _, sets in panels]


def facet_width(ratios: list[int]) -> float:
    """A faceted figure's width in inches: a text width, wider for a grid of many sets, at most 10."""
    return min(max(7.0, 0.17 * sum(ratios) + 1.5), 10.0)


def facet_title(title: str) -> str:
    """A panel's title as shown: the variant, ``dataset`` or ``dataset, cut``."""
    return title.replace(CUT_VARIANT, "dataset, cut")


def label_facet(axes, title: str, sets: list) -> None:
    """A panel's sets' short labels (depth, ``1f``, split) and each cell's name under its group."""
    infos = [info for _, _, info in sets]
    labels = ["" if info is None else _short_label(info) for info in infos]
    rotate = any(len(label) > 5 for label in labels)
    axes.set_xticks(range(1, len(sets) + 1), labels, rotation=90 if rotate else 0)
    cells = [None if info is None or title == CUT_VARIANT else str(info["cell"]) for info in infos]
    below = 8 + 5.5 * max(map(len, labels)) if rotate else 16  # rotated labels reach further down
    for cell in dict.fromkeys(c for c in cells if c and c.lower() != "nan"):
        where = [i + 1 for i, c in enumerate(cells) if c == cell]
        axes.annotate(
            cell.upper(),
            xy=((where[0] + where[-1]) / 2, 0),
            xycoords=("data", "axes fraction"),
            xytext=(0, -below),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize=8,
        )


def facet_notes(models: list, seeds: int) -> list[Line2D]:
    """Legend lines saying what a box holds and what ``1f`` means, where they apply."""
    notes = []
    if seeds > 1:
        notes.append(
            Line2D(
                [], [], linestyle="", label=f"a box: one configuration, its seeds' songs pooled (up to {seeds} seeds)"
            )
        )
    if any(str(name).endswith(FINAL_WEIGHTS_SUFFIX) for name, _, _ in models):
        notes.append(Line2D([], [], linestyle="", label="1f, 2f, ...: songs of the final weights"))
    return notes


def faceted_box_plot_figure(table: pd.DataFrame, metric: str, seeds: int) -> Figure:
    """The box plot of a large grid (``table`` pooled by configuration, ``seeds`` the most a configuration has),
    legible at column width: a panel of the dataset baseline(s), then one panel per dataset variant with its models
    grouped by cell (colour, name under the group) and labelled by depth (``f``: final weights); the baseline mean
    dashed across every panel."""
    baselines, models = set_groups(table)
    panels, ratios = facets(table)
    with figure_style():
        figure, axes_list = new_figure(facet_width(ratios), 3.6, ncols=len(panels), sharey=True, width_ratios=ratios)
        axes_list = list(axes_list) if len(panels) > 1 else [axes_list]
        means = [(label, float(rows[metric].mean())) for label, rows in baselines]
        for axes, (title, sets) in zip(axes_list, panels, strict=True):
            values = [rows[metric].dropna().to_numpy(float) for _, rows, _ in sets]
            colors = [BASELINE_COLOR if info is None else set_color(info) for _, _, info in sets]
            _draw_boxes(axes, values, colors)
            for number, (_, mean) in enumerate(means):
                dashes = BASELINE_DASHES[number % len(BASELINE_DASHES)]
                axes.axhline(mean, color=BASELINE_COLOR, linestyle=dashes, linewidth=1.0, zorder=0, gid=BASELINE_GID)
            axes.set_title(facet_title(title))
            label_facet(axes, title, sets)
        axes_list[0].set_ylabel(METRIC_LABELS[metric])
        handles = [
            Line2D([], [], color=BASELINE_COLOR, linestyle=BASELINE_DASHES[n % 3], label=f"{label} mean = {m:.3g}")
            for n, (label, m) in enumerate(means)
        ]
        handles += [
            Line2D([], [], marker="D", linestyle="", markerfacecolor="white", markeredgecolor="black", label="mean")
        ]
        handles += facet_notes(models, seeds)
        figure.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 3), frameon=False)
    return figure


def box_plot_figure(table: pd.DataFrame, metric: str) -> Figure:
    """The box plot of one metric from a songs.csv table (see :func:`box_plots`); a grid of more than
    FACET_ABOVE sets over several variants is drawn faceted (:func:`faceted_box_plot_figure`). A configuration's
    seeds share one box (their songs pooled)."""
    # Long on purpose: one figure drawn top to bottom (axes, data, labels, legend); split, it reads worse.
    if metric not in METRICS:
        raise FigureError(f"metric {metric!r} has no box plot; use one of {', '.join(METRICS)}")
    table, seeds = pooled_by_configuration(table)  # a configuration's seeds in one box, as every set figure draws
    baselines, models = set_groups(table)
    if is_large(models):
        return faceted_box_plot_figure(table, metric, seeds)
    labels = [label for label, _ in baselines] + [name for name, _, _ in models]
    colors = [BASELINE_COLOR] * len(baselines) + [set_color(info) for _, _, info in models]
    values = [rows[metric].dropna().to_numpy(float) for _, rows in baselines]
    values += [rows[metric].dropna().to_numpy(float) for _, rows, _ in models]
    # dotted separators where the dataset variant changes, so the representations read as groups
    group_of = [None] * len(baselines) + [str(info["variant"]) for _, _, info in models]
    separators = [i + 1.5 for i in range(len(group_of) - 1) if group_of[i] != group_of[i + 1]]
    cells_present = [cell for cell in CELLS if any(str(info["cell"]) == cell for _, _, info in models)]

    with figure_style():
        figure, axes = new_figure(min(max(6.0, 0.34 * len(labels) + 2.0), 40.0), 4.2)
        boxes = axes.boxplot(
            values,
            patch_artist=True,
            showmeans=True,
            widths=0.6,
            meanprops={
                "marker": "D",
                "markerfacecolor": "white",
                "markeredgecolor": "black",
                "markersize": 4,
            },
            medianprops={"color": "black", "linewidth": 1.2, "gid": "median"},
            flierprops={"marker": "o", "markersize": 2.5, "alpha": 0.5, "markeredgecolor": "#444444"},
        )
        for box, color in zip(boxes["boxes"], colors, strict=True):
            box.set_facecolor(color)
            box.set_alpha(0.75)
        handles: list = []
        for number, (label, rows) in enumerate(baselines):
            mean = float(rows[metric].mean())
            if math.isnan(mean):
                continue
            dashes = BASELINE_DASHES[number % len(BASELINE_DASHES)]
            axes.axhline(mean, color=BASELINE_COLOR, linestyle=dashes, linewidth=1.2, zorder=0, gid=BASELINE_GID)
            handles.append(Line2D([], [], color=BASELINE_COLOR, linestyle=dashes, label=f"{label} mean = {mean:.3g}"))
        for position in separators:
            axes.axvline(position, color="#bbbbbb", linestyle=":", linewidth=0.8, zorder=0)
        handles += [Patch(facecolor=CELL_COLORS[cell], alpha=0.75, label=cell.upper()) for cell in cells_present]
        if any(str(info["variant"]) == MIDI_VARIANT for _, _, info in models):
            handles.append(Patch(facecolor=MIDI_COLOR, alpha=0.75, label="MIDI files"))
        handles.append(
            Line2D(
                [],
                [],
                marker="D",
                linestyle="",
                markerfacecolor="white",
                markeredgecolor="black",
                label="mean",
            )
        )
        handles += facet_notes([], seeds)  # the sets keep their names here: only the pooling needs saying
        rotate = len(labels) > 6 or max(len(label) for label in labels) > 14
        axes.set_xticks(
            range(1, len(labels) + 1),
            labels,
            rotation=60 if rotate else 0,
            ha="right" if rotate else "center",
        )
        axes.set_ylabel(METRIC_LABELS[metric])
        axes.set_xlabel("Song set (variant-cell-layers, MIDI files, the dataset)")
        axes.set_title(f"{METRIC_TITLES[metric]} of each song set")
        axes.grid(axis="y", color="#e5e5e5", linewidth=0.8)
        axes.set_axisbelow(True)
        axes.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return figure


def box_plots(songs_csv: Path, out_dir: Path) -> list[Path]:
    """One box plot per metric (cmm, lm, centr, general) with one box per model, saved as ``box_<metric>``.

    Rows whose model_name is ``dataset`` are the dataset baseline: drawn as grey box(es) first and as a
    dashed horizontal line at the baseline mean (one line per dataset variant). Models are ordered by variant,
    cell and depth and coloured by cell; white diamonds mark means. Returns the PNG and PDF paths, metric by
    metric.
    """
    table = read_songs_csv(songs_csv)
    paths: list[Path] = []
    for metric in METRICS:
        paths += save_figure(box_plot_figure(table, metric), Path(out_dir) / f"box_{metric}")
    return paths
