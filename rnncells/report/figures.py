"""Publication figures: metric box plots, learning curves, the metric-vs-span plot and piano rolls.

Figures are built with matplotlib's object API on the Agg canvas (no pyplot, so no global figure state and no
display needed) and every figure is saved twice, as PNG (for screens) and PDF (for papers), each atomically.
Evaluation tables are read through :mod:`rnncells.evaluation`, run folders through :class:`rnncells.runs.RunFolder`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FixedLocator, MultipleLocator

from rnncells.config import CELLS, VARIANTS
from rnncells.evaluation import BASELINE_MODEL, METRICS, EvaluationFolderError, read_songs_table
from rnncells.files import write_atomic
from rnncells.music.melody import STEPS_PER_BAR, STEPS_PER_QUARTER, note_name
from rnncells.runs import METRIC_COLUMNS, RunError, RunFolder

CURVE_METRICS = ("loss", "accuracy", "perplexity")
PNG_DPI = 200

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
CURVE_LABELS = {
    "loss": "Cross-entropy loss (nats per token)",
    "accuracy": "Next-token accuracy",
    "perplexity": "Perplexity (per token, log scale)",
}
CELL_COLORS = dict(zip(CELLS, ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"), strict=True))
BASELINE_COLOR = "#7f7f7f"
BASELINE_GID = "baseline-mean"  # lets callers (and tests) find the baseline lines in a figure
BASELINE_DASHES = ("--", (0, (8, 3)), (0, (2, 2)))
NOTE_COLOR = "#3b6fb6"

STYLE = {
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "pdf.fonttype": 42,  # embed TrueType fonts: journals reject Type 3
    "ps.fonttype": 42,
}


class FigureError(ValueError):
    """Input a figure cannot be drawn from; the message names the file or value and the fix."""


@contextmanager
def _style() -> Iterator[None]:
    with matplotlib.rc_context(STYLE):
        yield


def _new_figure(width: float, height: float, **subplots) -> tuple[Figure, object]:
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure, figure.subplots(**subplots)


def _output_stem(out_path: Path) -> Path:
    out_path = Path(out_path)
    return out_path.with_suffix("") if out_path.suffix.lower() in (".png", ".pdf") else out_path


FIT_LEGENDS = {"bbox_inches": "tight", "pad_inches": 0.2}  # legends sit outside the axes: keep them in the file


def save_figure(figure: Figure, out_path: Path) -> list[Path]:
    """Save ``figure`` atomically as ``<out_path>.png`` and ``.pdf`` (a .png/.pdf suffix is dropped)."""
    stem = _output_stem(out_path)
    paths = []
    with _style():  # the PDF font embedding is read at save time
        for fmt, options in (
            ("png", {"dpi": PNG_DPI, "metadata": {"Software": None}, **FIT_LEGENDS}),
            ("pdf", {"metadata": {"CreationDate": None}, **FIT_LEGENDS}),  # no timestamp: same figure, same bytes
        ):
            path = stem.parent / f"{stem.name}.{fmt}"
            write_atomic(path, lambda tmp, fmt=fmt, options=options: figure.savefig(tmp, format=fmt, **options))
            paths.append(path)
    return paths


# ----------------------------------------------------------------------------------------------------
# Box plots of the tonality metrics, one per metric, one box per model


def _model_order_key(info: dict) -> tuple:
    variant, cell = str(info["variant"]), str(info["cell"])
    layers = info["layers"]
    return (
        VARIANTS.index(variant) if variant in VARIANTS else len(VARIANTS),
        variant,
        CELLS.index(cell) if cell in CELLS else len(CELLS),
        cell,
        layers if isinstance(layers, (int, float)) and not math.isnan(layers) else math.inf,
        str(info["model_name"]),
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


def _box_groups(
    table: pd.DataFrame,
) -> tuple[list[tuple[str, pd.DataFrame]], list[tuple[str, pd.DataFrame, dict]]]:
    """Split songs.csv rows into dataset baselines (one per variant) and models in plotting order."""
    is_baseline = table["model_name"].astype(str) == BASELINE_MODEL
    several = table.loc[is_baseline, "variant"].nunique() > 1
    baselines = [
        (f"{BASELINE_MODEL} ({variant})" if several else BASELINE_MODEL, rows)
        for variant, rows in table[is_baseline].groupby("variant", dropna=False, sort=False)
    ]
    models = [
        (str(name), rows, rows.iloc[0].to_dict())
        for name, rows in table[~is_baseline].groupby("model_name", sort=False)
    ]
    models.sort(key=lambda item: _model_order_key(item[2]))
    return baselines, models


def box_plot_figure(table: pd.DataFrame, metric: str) -> Figure:
    """The box plot of one metric from a songs.csv table (see :func:`box_plots`)."""
    if metric not in METRICS:
        raise FigureError(f"metric {metric!r} has no box plot; use one of {', '.join(METRICS)}")
    baselines, models = _box_groups(table)
    labels = [label for label, _ in baselines] + [name for name, _, _ in models]
    colors = [BASELINE_COLOR] * len(baselines) + [
        CELL_COLORS.get(str(info["cell"]), "#17becf") for _, _, info in models
    ]
    values = [rows[metric].dropna().to_numpy(float) for _, rows in baselines]
    values += [rows[metric].dropna().to_numpy(float) for _, rows, _ in models]
    # dotted separators where the dataset variant changes, so the representations read as groups
    group_of = [None] * len(baselines) + [str(info["variant"]) for _, _, info in models]
    separators = [i + 1.5 for i in range(len(group_of) - 1) if group_of[i] != group_of[i + 1]]
    cells_present = [cell for cell in CELLS if any(str(info["cell"]) == cell for _, _, info in models)]

    with _style():
        figure, axes = _new_figure(min(max(6.0, 0.34 * len(labels) + 2.0), 40.0), 4.2)
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
        rotate = len(labels) > 6
        axes.set_xticks(
            range(1, len(labels) + 1),
            labels,
            rotation=60 if rotate else 0,
            ha="right" if rotate else "center",
        )
        axes.set_ylabel(METRIC_LABELS[metric])
        axes.set_xlabel("Model (variant-cell-layers)")
        axes.set_title(f"{METRIC_TITLES[metric]} of generated songs, by model")
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


# ----------------------------------------------------------------------------------------------------
# Learning curves


def run_label(run_dir: Path) -> str:
    """A run's name for legends: its record's model_name, else the folder name."""
    return RunFolder(run_dir).model_name


def read_metrics_csv(run_dir: Path) -> pd.DataFrame:
    """A run's metrics (:meth:`rnncells.runs.RunFolder.read_metrics`), one row per epoch."""
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
    if metric not in CURVE_METRICS:
        raise FigureError(f"metric {metric!r} is not plotted; use one of {', '.join(CURVE_METRICS)}")
    run_dirs = [Path(run_dir) for run_dir in run_dirs]
    if not run_dirs:
        raise FigureError("learning_curves needs at least one run directory")
    tables = [(run_label(run_dir), read_metrics_csv(run_dir)) for run_dir in run_dirs]
    colors = matplotlib.colormaps["tab10" if len(tables) <= 10 else "tab20"]
    better = np.nanargmax if metric == "accuracy" else np.nanargmin

    with _style():
        figure, axes = _new_figure(7.0, 4.2)
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
    with _style():
        figure, (lm_axes, centr_axes) = _new_figure(6.0, 4.8, nrows=2, sharex=True)
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

    with _style(), matplotlib.rc_context({"axes.spines.top": bpm is not None, "axes.spines.right": True}):
        width = min(max(6.0, 0.055 * bars * STEPS_PER_BAR + 1.6), 30.0)
        height = min(max(3.0, 0.17 * rows + 1.3), 12.0)
        figure, axes = _new_figure(width, height)
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
