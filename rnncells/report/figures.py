"""Publication figures: learning curves, the metric-vs-span plot and piano rolls (and, re-exported, box plots).

Figures are built with matplotlib's object API on the Agg canvas (:mod:`rnncells.report.figure_base`) and saved
as PNG and PDF. The box plots live in :mod:`rnncells.report.box_plots`, the memorisation and distance figures in
:mod:`rnncells.report.set_figures`; run folders are read through :class:`rnncells.training.run_folder.RunFolder`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import FixedLocator, MultipleLocator

from rnncells.music.melody import STEPS_PER_BAR, STEPS_PER_QUARTER, note_name
from rnncells.report.box_plots import (
    BASELINE_COLOR,
    BASELINE_GID,
    CELL_COLORS,
    METRIC_LABELS,
    METRIC_TITLES,
    METRICS,
    box_plot_figure,
    box_plots,
    read_songs_csv,
    set_groups,
)
from rnncells.report.figure_base import FigureError, figure_style, new_figure, save_figure
from rnncells.training.run_folder import METRIC_COLUMNS, RunError, RunFolder

__all__ = [  # the box plots and the figure helpers are imported from here by older callers
    "BASELINE_COLOR",
    "BASELINE_GID",
    "CELL_COLORS",
    "METRICS",
    "METRIC_TITLES",
    "FigureError",
    "box_plot_figure",
    "box_plots",
    "figure_style",
    "learning_curves",
    "piano_roll",
    "read_songs_csv",
    "save_figure",
    "set_groups",
    "span_plot",
]

CURVE_METRICS = ("loss", "accuracy", "perplexity")
CURVE_LABELS = {
    "loss": "Cross-entropy loss (nats per token)",
    "accuracy": "Next-token accuracy",
    "perplexity": "Perplexity (per token, log scale)",
}
NOTE_COLOR = "#3b6fb6"


# ----------------------------------------------------------------------------------------------------
# Learning curves


def run_label(run_dir: Path) -> str:
    """A run's name for legends: its record's model_name, else the folder name."""
    return RunFolder(run_dir).model_name


def read_metrics_csv(run_dir: Path) -> pd.DataFrame:
    """A run's metrics (:meth:`rnncells.training.run_folder.RunFolder.read_metrics`), one row per epoch."""
    folder = RunFolder(run_dir)
    if not folder.metrics_path.is_file():
        raise FigureError(
            f"{folder.metrics_path}: no metrics.csv; is {run_dir} a run directory that has trained an epoch?"
        )
    try:
        return pd.DataFrame(folder.read_metrics(), columns=list(METRIC_COLUMNS))
    except RunError as error:
        raise FigureError(str(error)) from None


def learning_curves_figure(run_dirs: list[Path], metric: str = "loss") -> Figure:
    """The learning-curve figure of :func:`learning_curves`."""
    # Long on purpose: one figure drawn top to bottom (axes, data, labels, legend); split, it reads worse.
    if metric not in CURVE_METRICS:
        raise FigureError(f"metric {metric!r} is not plotted; use one of {', '.join(CURVE_METRICS)}")
    run_dirs = [Path(run_dir) for run_dir in run_dirs]
    if not run_dirs:
        raise FigureError("learning_curves needs at least one run directory")
    tables = [(run_label(run_dir), read_metrics_csv(run_dir)) for run_dir in run_dirs]
    colors = matplotlib.colormaps["tab10" if len(tables) <= 10 else "tab20"]
    better = np.nanargmax if metric == "accuracy" else np.nanargmin

    with figure_style():
        figure, axes = new_figure(7.0, 4.2)
        run_handles = []
        for number, (label, table) in enumerate(tables):
            color = colors(number % colors.N)
            epochs = table["epoch"].to_numpy(float)
            train = table[metric].to_numpy(float)
            validation = table[f"val_{metric}"].to_numpy(float)
            marker = "o" if len(epochs) <= 25 else None
            axes.plot(epochs, train, color=color, linestyle="-", marker=marker, markersize=3)
            if np.isfinite(validation).any():
                axes.plot(
                    epochs,
                    validation,
                    color=color,
                    linestyle="--",
                    marker=marker,
                    markersize=3,
                    markerfacecolor="white",
                )
                best = int(better(validation))
                axes.plot(epochs[best], validation[best], "o", color=color, markersize=7, markeredgecolor="black")
            run_handles.append(Line2D([], [], color=color, linewidth=2, label=label))
        style_handles = [
            Line2D([], [], color="black", linestyle="-", label="train"),
            Line2D([], [], color="black", linestyle="--", label="validation"),
            Line2D(
                [],
                [],
                color="white",
                marker="o",
                markeredgecolor="black",
                markerfacecolor="#999999",
                linestyle="",
                markersize=7,
                label="best validation",
            ),
        ]
        if metric == "perplexity":
            axes.set_yscale("log")
        axes.xaxis.get_major_locator().set_params(integer=True)
        axes.set_xlabel("Epoch")
        axes.set_ylabel(CURVE_LABELS[metric])
        axes.set_title(f"Learning curves: {metric}")
        axes.grid(color="#e5e5e5", linewidth=0.8)
        axes.set_axisbelow(True)
        run_legend = axes.legend(
            handles=run_handles, title="run", loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False
        )
        axes.add_artist(run_legend)
        axes.legend(handles=style_handles, loc="lower left", bbox_to_anchor=(1.0, 0.0), frameon=False)
    return figure


def learning_curves(run_dirs: list[Path], out_path: Path, metric: str = "loss") -> list[Path]:
    """Train (solid) and validation (dashed) ``metric`` per epoch for each run, in one figure.

    ``metric`` is loss, accuracy or perplexity; each run keeps one colour, labelled by its record's model_name
    (else its folder name), and a dot marks its best validation epoch. Returns the PNG and PDF paths.
    """
    return save_figure(learning_curves_figure(run_dirs, metric), out_path)


# ----------------------------------------------------------------------------------------------------
# Metric against window size


def metrics_by_span(pitches: list[int], spans: Iterable[int] = range(5, 30)) -> dict[str, list[float]]:
    """LM and CENTR (paper definitions) of one song for each window size: ``{"span", "lm", "centr"}``."""
    from rnncells.music.metrics import centricity, limited_macroharmony

    pitches = [int(pitch) for pitch in pitches]
    spans = [int(span) for span in spans]
    if not pitches:
        raise FigureError("metrics_by_span needs a song with at least one note")
    if not spans or min(spans) < 1:
        raise FigureError(f"window sizes {spans} must be a non-empty list of integers >= 1")
    return {
        "span": spans,
        "lm": [float(limited_macroharmony(pitches, span=span, mode="paper")) for span in spans],
        "centr": [float(centricity(pitches, span=span, mode="paper")) for span in spans],
    }


def span_figure(pitches: list[int], spans: Iterable[int] = range(5, 30), title: str = "") -> Figure:
    """The metric-vs-span figure of :func:`span_plot`."""
    values = metrics_by_span(pitches, spans)
    spans = values["span"]
    with figure_style():
        figure, (lm_axes, centr_axes) = new_figure(6.0, 4.8, nrows=2, sharex=True)
        for axes, metric, color in ((lm_axes, "lm", "#1f77b4"), (centr_axes, "centr", "#d62728")):
            axes.plot(spans, values[metric], "o-", color=color, markersize=3.5, linewidth=1.4)
            axes.set_ylabel(METRIC_LABELS[metric].split(": ", 1)[0] + (" (1 = best)" if metric == "lm" else ""))
            axes.grid(color="#e5e5e5", linewidth=0.8)
            axes.set_axisbelow(True)
            if min(spans) <= 12 <= max(spans):
                axes.axvline(12, color="#555555", linestyle=":", linewidth=1.0)
        if min(spans) <= 12 <= max(spans):
            lm_axes.annotate(
                "paper window (12)",
                xy=(12, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(4, -4),
                textcoords="offset points",
                va="top",
                fontsize=8,
                color="#555555",
            )
        centr_axes.set_xlabel("Window size (notes)")
        centr_axes.xaxis.set_major_locator(MultipleLocator(5 if len(spans) > 12 else 1))
        centr_axes.xaxis.set_minor_locator(MultipleLocator(1))
        lm_axes.set_title(title or f"Limited macroharmony and centricity vs window size ({len(pitches)} notes)")
    return figure


def span_plot(pitches: list[int], out_path: Path, spans: Iterable[int] = range(5, 30), title: str = "") -> list[Path]:
    """LM (top) and CENTR (bottom) of one song against the window size (docs/method.md §5); 12 is marked.

    Returns the PNG and PDF paths.
    """
    return save_figure(span_figure(pitches, spans, title), out_path)


# ----------------------------------------------------------------------------------------------------
# Piano roll


def piano_roll_figure(pitches: list[int], durations: list[int], title: str = "", bpm: float | None = None) -> Figure:
    """A piano roll of a monophonic melody laid end to end (durations in 16th-note steps).

    Grid lines mark 16ths (faint), beats and bars (every 16 steps, dark); the y axis names the notes
    (C4 = 60) and shades the black keys. With ``bpm`` a top axis gives the time in seconds.
    """
    # Long on purpose: one figure drawn top to bottom (axes, data, labels, legend); split, it reads worse.
    pitches = [int(pitch) for pitch in pitches]
    durations = [int(duration) for duration in durations]
    if not pitches:
        raise FigureError("piano_roll needs at least one note")
    if len(pitches) != len(durations):
        raise FigureError(f"piano_roll got {len(pitches)} pitches but {len(durations)} durations; pass one per note")
    if min(durations) < 1:
        raise FigureError(f"durations must be >= 1 sixteenth-note step; got {min(durations)}")
    if min(pitches) < 0 or max(pitches) > 127:
        raise FigureError(f"pitches must be MIDI numbers 0-127; got {min(pitches)}..{max(pitches)}")
    if bpm is not None and not bpm > 0:
        raise FigureError(f"bpm must be positive; got {bpm}")

    onsets = np.concatenate([[0], np.cumsum(durations)[:-1]])
    total_steps = int(onsets[-1] + durations[-1])
    bars = math.ceil(total_steps / STEPS_PER_BAR)
    low, high = min(pitches) - 1, max(pitches) + 1
    rows = high - low + 1

    with figure_style(), matplotlib.rc_context({"axes.spines.top": bpm is not None, "axes.spines.right": True}):
        width = min(max(6.0, 0.055 * bars * STEPS_PER_BAR + 1.6), 30.0)
        height = min(max(3.0, 0.17 * rows + 1.3), 12.0)
        figure, axes = new_figure(width, height)
        for pitch in range(low, high + 1):
            if pitch % 12 in (1, 3, 6, 8, 10):
                axes.axhspan(pitch - 0.5, pitch + 0.5, color="#f0f0f0", zorder=0, linewidth=0)
        steps = np.arange(bars * STEPS_PER_BAR + 1)
        on_bar = steps % STEPS_PER_BAR == 0
        on_beat = (steps % STEPS_PER_QUARTER == 0) & ~on_bar
        grid = [("bar-lines", steps[on_bar], "#333333", 1.0)]
        if len(steps) <= 4096:  # denser grids would only grey the page
            grid.append(("beat-lines", steps[on_beat], "#b0b0b0", 0.6))
        if len(steps) <= 1024:
            grid.append(("step-lines", steps[~on_bar & ~on_beat], "#e2e2e2", 0.4))
        for gid, positions, color, linewidth in grid:
            axes.vlines(
                positions,
                0,
                1,
                transform=axes.get_xaxis_transform(),
                colors=color,
                linewidth=linewidth,
                zorder=1,
                gid=gid,
            )
        for onset, pitch, duration in zip(onsets, pitches, durations, strict=True):
            axes.add_patch(
                Rectangle(
                    (onset + 0.05, pitch - 0.4),
                    duration - 0.1,
                    0.8,
                    facecolor=NOTE_COLOR,
                    edgecolor="#1d3d6e",
                    linewidth=0.6,
                    zorder=2,
                    gid="note",
                )
            )
        axes.set_xlim(0, bars * STEPS_PER_BAR)
        axes.set_ylim(low - 0.5, high + 0.5)

        label_every = 1 if rows <= 30 else 12
        ticks = [pitch for pitch in range(low, high + 1) if label_every == 1 or pitch % 12 == 0]
        axes.yaxis.set_major_locator(FixedLocator(ticks))
        axes.set_yticks(ticks, [note_name(pitch) for pitch in ticks], fontsize=7 if rows > 20 else 8)
        axes.tick_params(axis="y", length=0)
        bar_every = max(1, math.ceil(bars / 32))
        bar_ticks = list(range(0, bars * STEPS_PER_BAR, STEPS_PER_BAR * bar_every))
        axes.set_xticks(bar_ticks, [str(step // STEPS_PER_BAR + 1) for step in bar_ticks])
        axes.set_xlabel(f"Bar ({STEPS_PER_BAR} sixteenth-note steps per bar)")
        axes.set_ylabel("Pitch (C4 = MIDI 60)")
        heading = title or "Piano roll"
        heading += f"  ({len(pitches)} notes, {total_steps} steps"
        heading += f", {bpm:g} BPM)" if bpm else ")"
        axes.set_title(heading)
        if bpm is not None:
            seconds_per_step = 60.0 / (bpm * STEPS_PER_QUARTER)
            seconds_axis = axes.secondary_xaxis(
                "top", functions=(lambda step: step * seconds_per_step, lambda sec: sec / seconds_per_step)
            )
            seconds_axis.set_xlabel("Time (s)")
    return figure


def piano_roll(
    pitches: list[int], durations: list[int], out_path: Path, title: str = "", bpm: float | None = None
) -> list[Path]:
    """Draw :func:`piano_roll_figure` and save it; returns the PNG and PDF paths."""
    return save_figure(piano_roll_figure(pitches, durations, title, bpm), out_path)
