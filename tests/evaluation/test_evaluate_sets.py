"""evaluate_song_sets with MIDI folders, files and lists beside generated sets; memorisation; --baseline all."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rnncells.evaluation.columns import FEATURE_COLUMNS, MEMORISATION_COLUMNS, METRICS, SONGS_LAYOUT
from rnncells.evaluation.evaluate import EvaluationError, evaluate_song_sets
from rnncells.music import metrics
from rnncells.music.melody import melody_from_pitches
from rnncells.music.midi import read_midi, write_midi
from tests.evaluation.test_evaluate import random_walk, write_dataset, write_song_set


def write_midi_song(path: Path, pitches: list[int], durations: list[int]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_midi(path, melody_from_pitches(pitches, durations).notes)


def write_midi_folder(folder: Path, songs: int, seed: int, step: int = 5) -> list[Path]:
    rng = np.random.default_rng(seed)
    paths = []
    for number in range(songs):
        pitches = random_walk(rng, 30, step)
        paths.append(write_midi_song(folder / f"tune {number:02d}.mid", pitches, rng.integers(1, 5, 30).tolist()))
    return paths


def dataset_rows(dataset: Path) -> list[dict]:
    return [json.loads(line) for line in (dataset / "control" / "songs.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def mixed(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("mixed")
    generated = write_song_set(root, "control-lstm-1", 2)
    magenta = root / "magenta"
    write_midi_folder(magenta, 8, seed=1)
    write_midi_song(magenta / "deeper" / "one note.mid", [60], [4])  # too short to score: skipped
    (magenta / "notes.txt").write_text("not a MIDI file\n")  # skipped as the dataset build skips it
    loose = write_midi_folder(root / "loose", 5, seed=2, step=2)
    write_midi_folder(root / "listed", 4, seed=3)
    (root / "picked.txt").write_text("# two of them\nlisted/tune 00.mid\n\nlisted/tune 02.mid\n")
    # The training songs written out as MIDI: read back, they are the dataset's songs again.
    dataset = write_dataset(root)
    train = [row for row in dataset_rows(dataset) if row["split"] == "train"]
    for row in train:
        write_midi_song(root / "copies" / row["source"], row["pitches"], row["durations"])
    inputs = [generated, magenta, *loose, root / "picked.txt", root / "copies"]
    out = evaluate_song_sets(inputs, dataset, root / "eval", names=["magenta-rnn"])
    tables = {name: pd.read_csv(out / f"{name}.csv") for name in ("songs", "summary", "tests", "comparison")}
    tables["memorisation"] = pd.read_csv(out / "memorisation.csv")
    return {"root": root, "out": out, "train": train, "loose": loose, **tables}


def test_midi_sets_are_scored_like_models(mixed):
    songs = mixed["songs"]
    assert list(songs.columns) == list(SONGS_LAYOUT)
    counts = songs.groupby("model_name", sort=False).size().to_dict()
    assert counts == {"control-lstm-1": 20, "magenta-rnn": 8, "loose": 5, "picked": 2, "copies": 24, "dataset": 24}
    midi = songs[songs["model_name"] == "magenta-rnn"]
    assert set(midi["variant"]) == {"midi"} and midi["layers"].isna().all()
    assert midi["file"].tolist() == [f"tune {n:02d}.mid" for n in range(8)]
    assert midi["song_id"].tolist() == [f"tune {n:02d}" for n in range(8)]
    pitches = [read_midi(mixed["root"] / "magenta" / name).pitches for name in midi["file"]]
    assert midi[list(METRICS)].to_numpy() == pytest.approx(metrics.score_songs(pitches))
    assert songs.loc[songs["model_name"] == "picked", "file"].tolist() == ["tune 00.mid", "tune 02.mid"]
    assert songs.loc[songs["model_name"] == "control-lstm-1", "file"].iloc[3] == "song_003.mid"
    assert songs.loc[songs["model_name"] == "dataset", "file"].iloc[0] == "song_0.mid"
    assert set(songs.loc[songs["model_name"] == "dataset", "split"]) == {"train"}

    record = json.loads((mixed["out"] / "evaluation.json").read_text())
    magenta = next(i for i in record["inputs"] if i["model_name"] == "magenta-rnn")
    assert magenta["kind"] == "midi" and magenta["files_read"] == 10 and magenta["songs"] == 8
    assert {s["file"]: s["reason"] for s in magenta["skipped"]} == {
        "notes.txt": "not MIDI",
        "deeper/one note.mid": "too short",
    }
    assert record["dataset"]["scope"] == "train split, 24 songs" and record["dataset"]["training_songs"] == 24

    tests = mixed["tests"]
    assert {"magenta-rnn", "loose", "picked"} <= set(tests["model_a"]) | set(tests["model_b"])
    summary = mixed["summary"].drop_duplicates("model_name").set_index("model_name")["scope"]
    assert summary.to_dict() == {
        "control-lstm-1": "generated, 20 songs",
        "magenta-rnn": "MIDI files, 8 songs",
        "loose": "MIDI files, 5 songs",
        "picked": "MIDI files, 2 songs",
        "copies": "MIDI files, 24 songs",
        "dataset": "train split, 24 songs",
    }


def test_a_midi_folder_of_the_training_songs_equals_the_baseline_and_is_all_copied(mixed):
    songs = mixed["songs"]
    # The folder is read in name order (song_0, song_1, song_10, ...): line the copies up with their originals.
    copies = songs[songs["model_name"] == "copies"].sort_values("file").reset_index(drop=True)
    baseline = songs[songs["model_name"] == "dataset"].sort_values("file").reset_index(drop=True)
    columns = [*METRICS, *FEATURE_COLUMNS]
    assert copies[columns].to_numpy() == pytest.approx(baseline[columns].to_numpy(), nan_ok=True)
    assert copies["copied"].tolist() == [1] * 24 and (copies["shared_run"] == 39).all()
    assert copies["shared_with_file"].tolist() == copies["file"].tolist()
    assert (copies["ngram4_in_train"] == 1.0).all() and (copies["ngram8_in_train"] == 1.0).all()
    # The dataset's own songs leave themselves out: the corpus's borrowing, not a copy of itself.
    assert baseline["copied"].sum() == 0 and (baseline["shared_with"] != baseline["song_id"]).all()
    memorised = mixed["memorisation"].set_index("model_name")
    assert memorised.loc["copies", "copied_share"] == 1.0 and memorised.loc["dataset", "copied_share"] == 0.0
    assert np.isnan(memorised.loc["copies", "general_mean_not_copied"])
    generated = songs[songs["model_name"] == "control-lstm-1"]
    assert memorised.loc["control-lstm-1", "general_mean"] == pytest.approx(generated["general"].mean())
    for column in ("ngram4_in_train", "ngram8_in_train", "copied"):
        assert songs[column].between(0, 1).all()


def test_comparison_covers_every_set_and_feature_against_the_training_songs(mixed):
    comparison = mixed["comparison"]
    sets = ["control-lstm-1", "magenta-rnn", "loose", "picked", "copies"]
    assert comparison["model_name"].unique().tolist() == sets
    assert (comparison.groupby("model_name")["feature"].apply(list) == [list(FEATURE_COLUMNS)] * 5).all()
    copies = comparison[comparison["model_name"] == "copies"].set_index("feature")
    assert (copies["n_train"] == 24).all() and (copies["n_set"] == 24).all()
    varied = copies.loc["pitch_range"]
    assert varied["overlapped_area"] > 0.95 and varied["intra_mean"] == pytest.approx(varied["train_intra_mean"])


def test_copies_in_a_generated_set_are_flagged_and_the_threshold_is_an_option(tmp_path):
    dataset = write_dataset(tmp_path)
    train = [row for row in dataset_rows(dataset) if row["split"] == "train"]
    folder = write_song_set(tmp_path, "control-gru-1", 3, songs=10)
    rows = [json.loads(line) for line in (folder / "songs.jsonl").read_text().splitlines()]
    for row, source in zip(rows[:5], train, strict=False):  # half the songs: 20 notes of a training song, moved up
        row["pitches"] = [p + 5 for p in source["pitches"][10:30]] + row["pitches"][:14]
    (folder / "songs.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    songs = pd.read_csv(evaluate_song_sets([folder], dataset, tmp_path / "a") / "songs.csv")
    flagged = songs.loc[songs["model_name"] == "control-gru-1", "copied"].tolist()
    assert flagged[:5] == [1] * 5 and sum(flagged[5:]) == 0
    songs = pd.read_csv(evaluate_song_sets([folder], dataset, tmp_path / "b", copy_threshold=30) / "songs.csv")
    assert songs["copied"].sum() == 0
    assert set(MEMORISATION_COLUMNS) <= set(songs.columns)
    plain = pd.read_csv(evaluate_song_sets([folder], None, tmp_path / "c") / "songs.csv")
    assert not set(MEMORISATION_COLUMNS) & set(plain.columns)  # no dataset, no training songs to compare with


def test_baseline_all_scores_every_dataset_song(tmp_path):
    dataset = write_dataset(tmp_path)
    folder = write_song_set(tmp_path, "control-lstm-1", 2, songs=6)
    out = evaluate_song_sets([folder], dataset, tmp_path / "eval", baseline="all")
    songs = pd.read_csv(out / "songs.csv")
    baseline = songs[songs["model_name"] == "dataset"]
    assert len(baseline) == 30 and baseline["split"].value_counts().to_dict() == {
        "train": 24,
        "test": 3,
        "validation": 3,
    }
    record = json.loads((out / "evaluation.json").read_text())["dataset"]
    assert record["split"] == "all" and record["songs"] == 30 and record["scope"] == "all splits, 30 songs"
    summary = pd.read_csv(out / "summary.csv")
    assert set(summary.loc[summary["model_name"] == "dataset", "scope"]) == {"all splits, 30 songs"}
    assert set(pd.read_csv(out / "comparison.csv")["n_train"]) == {24}  # the reference stays the training split
    held_out = baseline[baseline["split"] != "train"]
    assert (held_out["shared_with"] != held_out["song_id"]).all()


def test_bad_inputs_raise_one_line_errors(tmp_path):
    good = write_song_set(tmp_path, "control-lstm-1", 1, songs=3)
    write_midi_folder(tmp_path / "a" / "samples", 2, seed=0)
    write_midi_folder(tmp_path / "b" / "samples", 2, seed=1)
    (tmp_path / "empty").mkdir()
    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()
    (unfinished / "songs.jsonl").write_text("")
    write_midi_folder(unfinished, 1, seed=0)
    cases = [
        ({"song_dirs": [good, tmp_path / "a" / "samples", tmp_path / "b" / "samples"]}, "own model_name"),
        ({"song_dirs": [tmp_path / "a" / "samples"], "names": ["x", "y"]}, "2 --name values for 1 MIDI"),
        ({"song_dirs": [tmp_path / "empty"]}, "no MIDI files and no generation.json + songs.jsonl"),
        ({"song_dirs": [unfinished]}, "no generation.json"),
        ({"song_dirs": [tmp_path / "nowhere.mid"]}, "no such folder or file"),
        ({"song_dirs": [good], "baseline": "test"}, "baseline 'test': use one of train, all"),
        ({"song_dirs": [good], "copy_threshold": 0}, "copy threshold 0"),
        ({"song_dirs": [tmp_path / "a" / "samples"], "names": ["dataset"]}, "also used by the dataset baseline"),
    ]
    for options, expected in cases:
        dirs = options.pop("song_dirs")
        with pytest.raises(EvaluationError) as caught:
            evaluate_song_sets(dirs, None, tmp_path / "out", **options)
        assert expected in str(caught.value) and "\n" not in str(caught.value)
    assert not (tmp_path / "out").exists()


def test_the_command_line_scores_midi_folders_beside_models(tmp_path, capsys):
    from rnncells.cli import main

    model = write_song_set(tmp_path, "control-lstm-1", 2, songs=6)
    write_midi_folder(tmp_path / "melodyrnn" / "run1", 5, seed=4)
    dataset = write_dataset(tmp_path)
    argv = [str(model), str(tmp_path / "melodyrnn" / "run1"), "--name", "MelodyRNN", "--dataset", str(dataset)]
    argv += ["--out", str(tmp_path / "eval"), "--baseline", "all", "--copy-threshold", "20"]
    assert main(["evaluate", *argv]) == 0
    printed = capsys.readouterr().out
    assert "MelodyRNN: MIDI files, 5 songs, 0% copied" in printed and "dataset: all splits, 30 songs" in printed
    assert (tmp_path / "eval" / "figures" / "memorisation.png").is_file()
    assert json.loads((tmp_path / "eval" / "evaluation.json").read_text())["dataset"]["copy_threshold"] == 20
    assert main(["evaluate", str(model), "--out", str(tmp_path / "e2"), "--copy-threshold", "0"]) == 2
    assert "copy threshold 0" in capsys.readouterr().err
