"""Tables and figures of every song set: MIDI sets beside models, memorisation, Yang & Lerch, the baseline's scope."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from rnncells.evaluation.evaluate import evaluate_song_sets
from rnncells.report.latex import BOLD, mean_std
from rnncells.report.set_figures import distances_figure, evaluation_figures, memorisation_figure
from rnncells.report.tables import write_tables
from tests.evaluation.test_evaluate_sets import write_midi_folder, write_midi_song
from tests.report.test_tables import row_cells, write_dataset, write_song_set


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("sets")
    model = write_song_set(root / "songs", "control-lstm-1", 2)
    write_midi_folder(root / "magenta", 6, seed=1)
    dataset = write_dataset(root)
    train = [json.loads(line) for line in (dataset / "control" / "songs.jsonl").read_text().splitlines()][:12]
    for row in train[:4]:  # four training songs, copied as MIDI files
        write_midi_song(root / "copies" / f"{row['id']}.mid", row["pitches"], row["durations"])
    out = evaluate_song_sets([model, root / "magenta", root / "copies"], dataset, root / "eval", copy_threshold=12)
    return {"root": root, "out": out, "songs": pd.read_csv(out / "songs.csv")}


def test_tables_hold_midi_sets_memorisation_and_yang_lerch(evaluated):
    tex_dir = evaluated["root"] / "tex"
    write_tables(evaluated["out"], tex_dir)
    tex = {p.stem: p.read_text() for p in tex_dir.glob("*.tex")}
    songs = evaluated["songs"]
    magenta = songs[songs["model_name"] == "magenta"]
    cells = row_cells(tex["table_sets"], "magenta (MIDI)")
    assert cells[1] == "6" and cells[-1].replace(BOLD, "") == mean_std(
        magenta["general"].mean(), magenta["general"].std()
    )
    assert "dataset (train split, 12 songs) & 12 &" in tex["table_sets"]
    memorised = row_cells(tex["table_memorisation"], "copies (MIDI)")
    assert memorised[1:4] == ["4", "4 (100\\%)", "39"] and memorised[-1] == "{--}"  # whole numbers stay whole
    assert "at least 12 intervals" in tex["table_memorisation"]
    comparison = pd.read_csv(evaluated["out"] / "comparison.csv").set_index(["model_name", "feature"])
    oa, kl = comparison.loc[("magenta", "pitch_entropy"), ["overlapped_area", "kl_divergence"]]
    header = row_cells(tex["table_yang_lerch"], "set")
    assert row_cells(tex["table_yang_lerch"], "magenta (MIDI)")[header.index("PE")] == f"{oa:.2f} / {kl:.2f}"
    assert "NPCU = n\\_pitch\\_classes\\_used" in tex["table_features"]
    assert "{midi} & magenta & tune" in tex["table_best_songs"]  # a multirow block of MIDI sets
    assert "dataset & train split, 12 songs &" in tex["table_representative_songs"]
    assert "(train split, 12 songs, control variant)" in tex["table_baseline"]


def test_midi_sets_alone_make_tables_without_the_grid(tmp_path):
    write_midi_folder(tmp_path / "other", 4, seed=3)
    out = evaluate_song_sets([tmp_path / "other"], None, tmp_path / "eval")
    names = sorted(p.stem for p in write_tables(out, tmp_path / "tex", published=False))
    assert names == ["table_best_songs", "table_representative_songs", "table_sets", "tables"]


def test_memorisation_figure_draws_the_shares_and_the_threshold(evaluated):
    figure = memorisation_figure(evaluated["songs"], threshold=12)
    runs, shares, tonality = figure.axes
    labels = [label.get_text() for label in tonality.get_xticklabels()]
    assert labels == ["dataset (train split, 12 songs)", "control-lstm-1", "copies", "magenta"]
    heights = [bar.get_height() for bar in shares.patches]
    assert heights == pytest.approx([0.0, 0.0, 100.0, 0.0])
    assert [line.get_ydata()[0] for line in runs.lines if line.get_gid() == "copy-threshold"] == [12]
    every = next(line for line in tonality.lines if line.get_gid() == "general-all").get_ydata()
    songs = evaluated["songs"]
    assert every[1] == pytest.approx(songs.loc[songs["model_name"] == "control-lstm-1", "general"].mean())


def test_distances_figure_has_a_panel_per_feature_and_a_curve_per_set(evaluated):
    figure = distances_figure(evaluated["songs"])
    panels = [axes for axes in figure.axes if axes.get_visible()]
    assert len(panels) == 10 and panels[0].get_title() == "pitch_range"
    gids = {line.get_gid() for line in panels[0].lines if line.get_gid()}
    assert gids == {"inter:control-lstm-1", "inter:copies", "inter:magenta"}


def test_distances_of_many_runs_pool_their_seeds_and_are_coloured_by_cell(evaluated):
    """24 runs of twelve configurations (two seeds each): twelve curves a panel, more than MAX_SETS_NAMED, so one
    colour per cell and a legend that names the cells instead of the runs."""
    songs = evaluated["songs"]
    model = songs[songs["model_name"] == "control-lstm-1"]
    runs = [
        model.assign(model_name=f"control-{cell}-{layers}-seed{seed}", cell=cell, layers=layers)
        for cell in ("lstm", "gru")
        for layers in range(1, 7)
        for seed in (0, 1)
    ]
    table = pd.concat([songs[songs["model_name"] == "dataset"], *runs], ignore_index=True)
    figure = distances_figure(table)
    curves = [line for line in figure.axes[0].lines if str(line.get_gid()).startswith("inter:")]
    assert sorted(line.get_gid() for line in curves)[:2] == ["inter:control-gru-1", "inter:control-gru-2"]
    assert len(curves) == 12 and len({line.get_color() for line in curves}) == 2  # LSTM and GRU
    legend = [text.get_text() for text in figure.legends[0].get_texts()]
    assert "LSTM sets" in legend and "GRU sets" in legend and not any("-seed" in text for text in legend)
    assert any("seeds pooled (up to 2)" in text for text in legend)


def test_evaluation_figures_writes_every_figure_it_has_data_for(evaluated, tmp_path):
    paths = evaluation_figures(evaluated["out"], tmp_path / "figures")
    stems = [p.stem for p in paths if p.suffix == ".png"]
    assert stems == ["box_cmm", "box_lm", "box_centr", "box_general", "memorisation", "distances"]
    write_midi_folder(tmp_path / "plain", 3, seed=0)
    plain = evaluate_song_sets([tmp_path / "plain"], None, tmp_path / "eval")
    assert [p.stem for p in evaluation_figures(plain, tmp_path / "f2") if p.suffix == ".png"][-1] == "box_general"


def test_baseline_scope_is_in_every_box_plot_legend(evaluated, tmp_path):
    from rnncells.report.box_plots import box_plot_figure
    from tests.report.test_figures import legend_texts

    axes = box_plot_figure(evaluated["songs"], "general").axes[0]
    assert any(text.startswith("dataset (train split, 12 songs) mean = ") for text in legend_texts(axes))
    assert "MIDI files" in legend_texts(axes)
    assert Path(evaluated["out"] / "memorisation.csv").is_file()
