"""The n-gram baseline's song set, drawn from a real (small) dataset as a run's songs are drawn."""

from __future__ import annotations

import json

import pytest

from rnncells.cli import main
from rnncells.config.generate import GenerateConfig
from rnncells.data.folder import DatasetFolder
from rnncells.evaluation.set_measures import set_scope
from rnncells.generation.baseline import fit_ngram, generate_ngram, ngram_name
from rnncells.generation.song_arrays import load_song_set
from rnncells.generation.song_set import SongSetFolder


def test_ngram_song_set(small_dataset, tmp_path):
    config = GenerateConfig(n_songs=12, length=20, seed=3)
    out = generate_ngram(small_dataset, "control", tmp_path / "songs", config, max_order=4)
    model, losses, _ = fit_ngram(small_dataset, "control", 4)
    assert sorted(losses) == [1, 2, 3, 4] and losses[model.order] == min(losses.values())
    song_set = load_song_set(out)
    assert song_set.model_name == ngram_name("control", model.order) == f"control-ngram-{model.order}"
    assert (song_set.cell, song_set.layers) == ("ngram", model.order)
    primer = song_set.info["primer"]["tokens"]
    assert len(song_set.pitches) == 12
    for pitches in song_set.pitches:
        assert len(pitches) == len(primer) + 20 and pitches[: len(primer)] == primer  # the study's primer, kept
    vocabulary = set(DatasetFolder(small_dataset).read_manifest("control")["vocabulary"])
    assert {p for song in song_set.pitches for p in song} <= vocabulary
    assert song_set.info["baseline"]["order"] == model.order
    assert song_set.info["config"]["seed"] == 3
    assert not SongSetFolder(out).damage()
    assert set_scope(song_set).startswith(f"n-gram baseline (order {model.order}, control train split), 12 songs")
    again = generate_ngram(small_dataset, "control", tmp_path / "again", config, max_order=4)
    assert SongSetFolder(again).read_songs() == SongSetFolder(out).read_songs()  # same seed, same songs


def test_ngram_command(small_dataset, tmp_path, capsys):
    out = tmp_path / "interval"
    code = main(
        ["baseline", "ngram", "--dataset", str(small_dataset), "--variant", "interval", "--out", str(out)]
        + ["--n-songs", "5", "--length", "8", "--max-order", "3"]
    )
    assert code == 0 and "5 n-gram songs" in capsys.readouterr().out
    record = json.loads((out / "generation.json").read_text())
    assert record["variant"] == "interval" and record["model_name"].startswith("interval-ngram-")
    assert len(SongSetFolder(out).read_songs()) == 5
    assert main(["baseline", "ngram", "--dataset", str(small_dataset), "--out", str(out)]) == 2  # not empty
    assert "--overwrite" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["baseline", "ngram", "--dataset", str(small_dataset), "--out", str(out), "--max-order", "x"])
