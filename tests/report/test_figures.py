"""Figures: the data drawn is the data given, files come out as PNG + PDF, bad input fails clearly."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import matplotlib.colors
import numpy as np
import pandas as pd
import pytest
from matplotlib.legend import Legend

from rnncells.music.midi import read_midi
from rnncells.report import figures
from rnncells.report.figures import FigureError

MODELS = [  # deliberately out of plotting order
    ("interval-gru-1", "interval", "gru", 1),
    ("control-lstm-3", "control", "lstm", 3),
    ("control-lstm-1", "control", "lstm", 1),
    ("control-nas-2", "control", "nas", 2),
]


def read_png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def assert_png_and_pdf(paths: list[Path], stem: Path) -> None:
    assert paths == [stem.parent / f"{stem.name}.png", stem.parent / f"{stem.name}.pdf"]
    width, height = read_png_size(paths[0])
    assert width > 600 and height > 400
    assert paths[1].read_bytes()[:5] == b"%PDF-"
    assert not list(stem.parent.glob("*.tmp")), "a temp file was left behind"


def write_songs_csv(path: Path, baseline_variants=("control",), songs=20) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    rows = []
    for variant in baseline_variants:
        for index in range(songs):
            rows.append({"model_name": "dataset", "variant": variant, "cell": "", "layers": None, "index": index})
    for name, variant, cell, layers in MODELS:
        for index in range(songs):
            rows.append({"model_name": name, "variant": variant, "cell": cell, "layers": layers, "index": index})
    table = pd.DataFrame(rows)
    table["cmm"] = rng.gamma(4.0, 0.7, len(table))
    table["lm"] = 1 + rng.exponential(0.4, len(table))
    table["centr"] = rng.uniform(0.1, 0.6, len(table))
    table["general"] = table["cmm"] + table["lm"] + table["centr"]
    table.to_csv(path, index=False)
    return table


def legend_texts(axes) -> list[str]:
    legends = [child for child in axes.get_children() if isinstance(child, Legend)]
    return [text.get_text() for legend in legends for text in legend.get_texts()]


def test_box_plots_write_one_png_and_pdf_per_metric(tmp_path):
    write_songs_csv(tmp_path / "songs.csv")
    paths = figures.box_plots(tmp_path / "songs.csv", tmp_path / "figures")
    assert len(paths) == 2 * len(figures.METRICS)
    for number, metric in enumerate(figures.METRICS):
        assert_png_and_pdf(paths[2 * number : 2 * number + 2], tmp_path / "figures" / f"box_{metric}")


def test_box_plot_orders_models_and_draws_the_dataset_mean(tmp_path):
    table = write_songs_csv(tmp_path / "songs.csv")
    figure = figures.box_plot_figure(figures.read_songs_csv(tmp_path / "songs.csv"), "cmm")
    axes = figure.axes[0]
    labels = [label.get_text() for label in axes.get_xticklabels()]
    # baseline first (with its scope: no split column here, so the count alone), then variant, cell and depth
    assert labels == ["dataset (20 songs)", "control-lstm-1", "control-lstm-3", "control-nas-2", "interval-gru-1"]

    baseline_mean = table.loc[table["model_name"] == "dataset", "cmm"].mean()
    baseline_lines = [line for line in axes.lines if line.get_gid() == figures.BASELINE_GID]
    assert len(baseline_lines) == 1
    assert baseline_lines[0].get_ydata()[0] == pytest.approx(baseline_mean)
    assert baseline_lines[0].get_linestyle() == "--"
    assert f"dataset (20 songs) mean = {baseline_mean:.3g}" in legend_texts(axes)
    assert {"LSTM", "GRU", "NAS"} <= set(legend_texts(axes))

    # each box's median line sits at that model's median
    medians = [line.get_ydata()[0] for line in axes.lines if line.get_gid() == "median"]
    names = ["dataset", *labels[1:]]
    expected = [table.loc[table["model_name"] == name, "cmm"].median() for name in names]
    assert medians == pytest.approx(expected)
    assert "semitones" in axes.get_ylabel()


def test_box_plot_draws_one_baseline_per_dataset_variant(tmp_path):
    table = write_songs_csv(tmp_path / "songs.csv", baseline_variants=("control", "interval"))
    table.loc[(table["model_name"] == "dataset") & (table["variant"] == "interval"), "lm"] += 3.0
    table.to_csv(tmp_path / "songs.csv", index=False)
    axes = figures.box_plot_figure(figures.read_songs_csv(tmp_path / "songs.csv"), "lm").axes[0]
    labels = [label.get_text() for label in axes.get_xticklabels()]
    assert labels[:2] == ["dataset (control: 20 songs)", "dataset (interval: 20 songs)"]
    heights = sorted(line.get_ydata()[0] for line in axes.lines if line.get_gid() == figures.BASELINE_GID)
    baseline = table[table["model_name"] == "dataset"].groupby("variant")["lm"].mean()
    assert heights == pytest.approx(sorted(baseline))


def test_box_plots_reject_a_songs_csv_without_metric_columns(tmp_path):
    pd.DataFrame({"model_name": ["dataset"], "variant": ["control"], "cmm": [1.0]}).to_csv(
        tmp_path / "songs.csv", index=False
    )
    with pytest.raises(FigureError, match=r"songs\.csv: missing column\(s\) cell, layers, index, lm"):
        figures.box_plots(tmp_path / "songs.csv", tmp_path / "out")
    with pytest.raises(FigureError, match="run `rnncells evaluate` first"):
        figures.box_plots(tmp_path / "absent.csv", tmp_path / "out")


def write_run(run_dir: Path, model_name: str | None, epochs: int, scale: float) -> pd.DataFrame:
    run_dir.mkdir(parents=True)
    if model_name:
        (run_dir / "run.json").write_text(json.dumps({"model_name": model_name, "variant": "control"}))
    epoch = np.arange(1, epochs + 1)
    loss = scale * np.exp(-epoch / 4) + 1.0
    val_loss = 1.5 + 0.05 * (epoch - 6) ** 2  # lowest at epoch 6
    table = pd.DataFrame(
        {
            "epoch": epoch,
            "step": epoch * 50,
            "loss": loss,
            "accuracy": 1 - loss / 5,
            "perplexity": np.exp(loss),
            "val_loss": val_loss,
            "val_accuracy": 1 - val_loss / 5,
            "val_perplexity": np.exp(val_loss),
            "learning_rate": 0.001,
            "seconds": epoch * 2.5,
        }
    )
    table.to_csv(run_dir / "metrics.csv", index=False)
    return table


def test_learning_curves_plot_train_and_validation_per_run(tmp_path):
    first = write_run(tmp_path / "runs" / "a", "control-lstm-3", epochs=10, scale=2.0)
    second = write_run(tmp_path / "runs" / "b", None, epochs=8, scale=3.0)
    run_dirs = [tmp_path / "runs" / "a", tmp_path / "runs" / "b"]

    paths = figures.learning_curves(run_dirs, tmp_path / "curves.png")
    assert_png_and_pdf(paths, tmp_path / "curves")

    axes = figures.learning_curves_figure(run_dirs, "loss").axes[0]
    assert {"control-lstm-3", "b", "train", "validation"} <= set(legend_texts(axes))
    drawn = [(line.get_linestyle(), list(line.get_xdata()), list(line.get_ydata())) for line in axes.lines]
    for table in (first, second):
        assert ("-", list(table["epoch"]), pytest.approx(list(table["loss"]))) in drawn
        assert ("--", list(table["epoch"]), pytest.approx(list(table["val_loss"]))) in drawn
        best = table.loc[table["val_loss"].idxmin()]
        assert best["epoch"] == 6
        assert ("None", [best["epoch"]], pytest.approx([best["val_loss"]])) in drawn
    assert "nats" in axes.get_ylabel() and axes.get_xlabel() == "Epoch"


def test_learning_curves_of_perplexity_use_a_log_axis_and_accuracy_marks_the_maximum(tmp_path):
    table = write_run(tmp_path / "run", "control-gru-1", epochs=10, scale=2.0)
    assert figures.learning_curves_figure([tmp_path / "run"], "perplexity").axes[0].get_yscale() == "log"
    axes = figures.learning_curves_figure([tmp_path / "run"], "accuracy").axes[0]
    markers = [line for line in axes.lines if line.get_linestyle() == "None"]
    assert markers[0].get_ydata()[0] == pytest.approx(table["val_accuracy"].max())


def test_learning_curves_reject_unknown_metrics_and_missing_files(tmp_path):
    write_run(tmp_path / "run", "x", epochs=3, scale=1.0)
    with pytest.raises(FigureError, match="use one of loss, accuracy, perplexity"):
        figures.learning_curves([tmp_path / "run"], tmp_path / "out", metric="bleu")
    with pytest.raises(FigureError, match="no metrics.csv"):
        figures.learning_curves([tmp_path / "missing"], tmp_path / "out")


@pytest.fixture(scope="module")
def edm_melody(edm_dir):
    return read_midi(sorted(edm_dir.glob("*.mid"))[3])


def test_span_metrics_match_the_published_library(edm_melody):
    library = pytest.importorskip("music_geometry_eval")
    values = figures.metrics_by_span(edm_melody.pitches)
    assert values["span"] == list(range(5, 30))
    for span, lm, centr in zip(values["span"], values["lm"], values["centr"], strict=True):
        assert lm == pytest.approx(library.calculate_limited_macroharmony(edm_melody.pitches, span_size=span))
        assert centr == pytest.approx(library.calculate_centricity(edm_melody.pitches, span_size=span))


def test_span_plot_draws_both_metrics_against_window_size(tmp_path, edm_melody):
    paths = figures.span_plot(edm_melody.pitches, tmp_path / "span.pdf")
    assert_png_and_pdf(paths, tmp_path / "span")
    values = figures.metrics_by_span(edm_melody.pitches, range(5, 30))
    lm_axes, centr_axes = figures.span_figure(edm_melody.pitches).axes
    assert list(lm_axes.lines[0].get_xdata()) == list(range(5, 30))
    assert list(lm_axes.lines[0].get_ydata()) == pytest.approx(values["lm"])
    assert list(centr_axes.lines[0].get_ydata()) == pytest.approx(values["centr"])
    assert centr_axes.get_xlabel() == "Window size (notes)"
    with pytest.raises(FigureError, match="at least one note"):
        figures.span_plot([], tmp_path / "empty")


def test_piano_roll_draws_every_note_on_a_bar_grid(tmp_path):
    pitches, durations = [60, 62, 64, 65, 67, 72, 61], [4, 4, 2, 2, 8, 12, 3]
    figure = figures.piano_roll_figure(pitches, durations, title="scale", bpm=120)
    axes = figure.axes[0]
    notes = [patch for patch in axes.patches if patch.get_gid() == "note"]
    onsets = np.concatenate([[0], np.cumsum(durations)[:-1]])
    assert [round(patch.get_x()) for patch in notes] == list(onsets)
    assert [round(patch.get_y() + patch.get_height() / 2) for patch in notes] == pitches
    assert [round(patch.get_width()) for patch in notes] == durations

    total = sum(durations)  # 35 steps -> 3 bars
    assert axes.get_xlim() == (0, 48)
    bar_lines = next(c for c in axes.collections if c.get_gid() == "bar-lines")
    assert sorted(segment[0][0] for segment in bar_lines.get_segments()) == [0, 16, 32, 48]
    step_lines = next(c for c in axes.collections if c.get_gid() == "step-lines")
    assert len(step_lines.get_segments()) == 48 + 1 - 4 - 9  # every 16th that is neither a bar nor a beat
    names = dict(zip(axes.get_yticks(), [label.get_text() for label in axes.get_yticklabels()], strict=True))
    assert names[60] == "C4" and names[61] == "C#4" and names[72] == "C5"
    assert [label.get_text() for label in axes.get_xticklabels()] == ["1", "2", "3"]
    assert f"{total} steps, 120 BPM" in axes.get_title()
    (seconds_axis,) = axes.child_axes  # seconds on top: 48 steps at 120 BPM = 6 s
    assert seconds_axis.get_xlabel() == "Time (s)"
    figure.canvas.draw()  # the secondary axis takes its limits at draw time
    assert seconds_axis.get_xlim() == pytest.approx((0, 48 * 60 / (120 * 4)))

    paths = figures.piano_roll(pitches, durations, tmp_path / "roll", title="scale", bpm=120)
    assert_png_and_pdf(paths, tmp_path / "roll")
    first = [path.read_bytes() for path in paths]
    figures.piano_roll(pitches, durations, tmp_path / "roll", title="scale", bpm=120)
    assert [path.read_bytes() for path in paths] == first, "same melody, different bytes"


def test_piano_roll_of_a_real_melody(tmp_path, edm_melody):
    paths = figures.piano_roll(edm_melody.pitches, edm_melody.durations, tmp_path / "edm", bpm=edm_melody.bpm)
    assert_png_and_pdf(paths, tmp_path / "edm")
    axes = figures.piano_roll_figure(edm_melody.pitches, edm_melody.durations).axes[0]
    assert len([patch for patch in axes.patches if patch.get_gid() == "note"]) == len(edm_melody.pitches)


@pytest.mark.parametrize(
    ("pitches", "durations", "bpm", "message"),
    [
        ([60, 62], [4], None, "2 pitches but 1 durations"),
        ([60], [0], None, "durations must be >= 1"),
        ([60, 200], [1, 1], None, "MIDI numbers 0-127"),
        ([60], [1], 0, "bpm must be positive"),
        ([], [], None, "at least one note"),
    ],
)
def test_piano_roll_rejects_bad_melodies(tmp_path, pitches, durations, bpm, message):
    with pytest.raises(FigureError, match=message):
        figures.piano_roll(pitches, durations, tmp_path / "roll", bpm=bpm)


def general_box_plot(rows: list[dict], rng: np.random.Generator, tmp_path: Path):
    """The songs table of ``rows`` with random scores, written as songs.csv, and its general-tonality box plot."""
    table = pd.DataFrame(rows)
    for metric in ("cmm", "lm", "centr"):
        table[metric] = rng.uniform(0.5, 3.0, len(table))
    table["general"] = table["cmm"] + table["lm"] + table["centr"]
    table.to_csv(tmp_path / "songs.csv", index=False)
    return table, figures.box_plot_figure(figures.read_songs_csv(tmp_path / "songs.csv"), "general")


def test_a_large_grid_is_faceted_by_variant_with_depths_as_labels(tmp_path):
    rng = np.random.default_rng(3)
    rows = [{"model_name": "dataset", "variant": "control", "cell": "", "layers": None, "index": i} for i in range(10)]
    for variant in ("control", "interval", "transposed"):
        for cell in ("lstm", "gru"):
            for layers in (1, 2, 3):
                name = f"{variant}-{cell}-{layers}"
                rows += [
                    {"model_name": name, "variant": variant, "cell": cell, "layers": layers, "index": i}
                    for i in range(10)
                ]
    table, figure = general_box_plot(rows, rng, tmp_path)
    assert [axes.get_title() for axes in figure.axes] == ["dataset", "control", "interval", "transposed"]
    interval = figure.axes[2]
    assert [label.get_text() for label in interval.get_xticklabels()] == ["1", "2", "3"] * 2  # depth, cell below
    assert {text.get_text() for text in interval.texts} == {"LSTM", "GRU"}
    medians = [line.get_ydata()[0] for line in interval.lines if line.get_gid() == "median"]
    expected = [
        table.loc[table["model_name"] == f"interval-{c}-{n}", "general"].median()
        for c in ("lstm", "gru")
        for n in (1, 2, 3)
    ]
    assert medians == pytest.approx(expected)
    baseline = table.loc[table["model_name"] == "dataset", "general"].mean()
    for axes in figure.axes:  # the dataset mean across every panel
        assert [line.get_ydata()[0] for line in axes.lines if line.get_gid() == figures.BASELINE_GID] == pytest.approx(
            [baseline]
        )
    labels = [label.get_text() for axes in figure.axes for label in axes.get_xticklabels()]
    assert all(len(label) <= 14 for label in labels)  # no long rotated names
    assert figure.get_size_inches()[0] <= 7.5  # a text width, not 40 inches


def test_an_all_zero_copied_panel_is_dropped(tmp_path):
    from rnncells.report.set_figures import memorisation_figure

    table = write_songs_csv(tmp_path / "songs.csv")
    table["shared_run"], table["copied"] = 5, 0
    figure = memorisation_figure(table)
    assert len(figure.axes) == 2 and "no generated song copied" in figure.axes[0].get_title()
    assert not [patch for axes in figure.axes for patch in axes.patches if patch.get_gid() == "copied-share"]


def test_a_replicated_grid_draws_one_box_per_configuration_with_its_seeds_pooled(tmp_path):
    """Three seeds of 18 configurations, a final-weights set and the cut dataset sets: 18 boxes, not 54; a box's
    median is that of every seed's songs together; final weights read ``1f``; the cut sets sit in their own panel
    labelled by split, in split order, grey like the dataset."""
    rng = np.random.default_rng(5)
    rows = [{"model_name": "dataset", "variant": "dataset", "cell": "", "layers": None, "index": i} for i in range(10)]
    names = [
        (f"{v}-{c}-{n}", v, c, n)
        for v in ("control", "interval", "transposed")
        for c in ("lstm", "gru")
        for n in (1, 2, 3)
    ]
    runs = [(f"{name}-seed{seed}", v, c, n) for name, v, c, n in names for seed in range(3)]
    runs += [("control-lstm-1-seed2-final", "control", "lstm", 1)]
    runs += [(f"dataset-{split}-cut", "dataset-cut", "", None) for split in ("test", "train", "validation")]
    for run, variant, cell, layers in runs:
        rows += [{"model_name": run, "variant": variant, "cell": cell, "layers": layers, "index": i} for i in range(10)]
    table, figure = general_box_plot(rows, rng, tmp_path)
    titles = [axes.get_title() for axes in figure.axes]
    assert titles == ["dataset", "control", "interval", "transposed", "dataset, cut"]
    control, cut = figure.axes[1], figure.axes[4]
    assert [label.get_text() for label in control.get_xticklabels()] == ["1", "1f", "2", "3", "1", "2", "3"]
    medians = [line.get_ydata()[0] for line in control.lines if line.get_gid() == "median"]
    pooled = table[table["model_name"].str.startswith("control-gru-2-seed")]["general"].median()
    assert medians[5] == pytest.approx(pooled)  # control GRU x 2: thirty songs of three seeds in one box
    assert [label.get_text() for label in cut.get_xticklabels()] == ["train", "validation", "test"]
    assert {patch.get_facecolor()[:3] for patch in cut.patches} == {matplotlib.colors.to_rgb(figures.BASELINE_COLOR)}
    legend = [text.get_text() for text in figure.legends[0].get_texts()]
    assert any("pooled (up to 3 seeds)" in text for text in legend) and any("final weights" in text for text in legend)


def test_the_memorisation_figure_pools_a_configurations_seeds_too(tmp_path):
    from rnncells.report.set_figures import memorisation_figure

    table = write_songs_csv(tmp_path / "songs.csv")
    generated = table["model_name"] != "dataset"
    seeds = pd.concat([table[generated].assign(model_name=table["model_name"] + f"-seed{s}") for s in (0, 1)])
    table = pd.concat([table[~generated], seeds], ignore_index=True)
    table["shared_run"], table["copied"] = 5, 0
    figure = memorisation_figure(table)
    labels = [label.get_text() for label in figure.axes[-1].get_xticklabels()]
    assert len(labels) == 1 + len(MODELS) and not any("seed" in label for label in labels)  # two seeds, one box
    assert "a configuration's seeds pooled (up to 2)" in figure.axes[0].get_title()


def test_a_large_grids_memorisation_figure_is_faceted_like_its_box_plots(tmp_path):
    from rnncells.report.set_figures import memorisation_figure

    rng = np.random.default_rng(9)
    rows = [{"model_name": "dataset", "variant": "dataset", "cell": "", "layers": None, "index": i} for i in range(10)]
    for variant in ("control", "interval", "transposed"):
        for cell, layers, seed in ((c, n, s) for c in ("lstm", "gru") for n in (1, 2, 3) for s in (0, 1)):
            name = f"{variant}-{cell}-{layers}-seed{seed}"
            rows += [
                {"model_name": name, "variant": variant, "cell": cell, "layers": layers, "index": i} for i in range(10)
            ]
    table, _ = general_box_plot(rows, rng, tmp_path)
    table["shared_run"] = rng.integers(3, 12, len(table))
    table["copied"] = (table["model_name"] == "interval-gru-2-seed1") & (table["index"] == 0)  # one song copied
    figure = memorisation_figure(table, threshold=16)
    axes = [a for a in figure.axes if a.get_visible()]
    assert len(axes) == 3 * 4  # runs, copied share, tonality x dataset and three variants
    assert [a.get_title() for a in axes[:4]] == ["dataset", "control", "interval", "transposed"]
    interval_bottom = axes[4 * 2 + 2]
    assert [label.get_text() for label in interval_bottom.get_xticklabels()] == ["1", "2", "3"] * 2
    shares = [patch.get_height() for patch in axes[4 + 2].patches if patch.get_gid() == "copied-share"]
    assert shares == pytest.approx([0, 0, 0, 0, 5.0, 0])  # interval GRU x 2: 1 of its 20 pooled songs
    assert all(any(line.get_gid() == "copy-threshold" for line in a.lines) for a in axes[:4])
    legend = [text.get_text() for text in figure.legends[0].get_texts()]
    assert any("pooled (up to 2 seeds)" in text for text in legend)
