"""Corpus-likeness on hand-made songs: the features of a known melody, the overlap of known densities, the mean."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnncells.errors import InputError
from rnncells.evaluation.likeness import FEATURES, NOTES, likeness, overlap, song_features
from rnncells.music.melody import laid_end_to_end


def test_features_of_a_hand_made_melody():
    # C4 E4 G4 C5 B4 F#4: onsets 0 2 4 8 10 11 (IOIs 2 2 4 2 1)
    features = song_features([60, 64, 67, 72, 71, 66], [0, 2, 4, 8, 10, 11])
    assert features["pitch_classes"] == 5 and features["distinct_pitches"] == 6
    assert features["pitch_range"] == 12
    assert features["pitch_class_entropy"] == pytest.approx(-(2 / 6 * math.log2(2 / 6) + 4 / 6 * math.log2(1 / 6)))
    assert features["in_scale"] == 1.0  # all in G major (C E G B F#)
    assert features["mean_abs_interval"] == pytest.approx((4 + 3 + 5 + 1 + 5) / 5)
    assert features["leaps_over_fifth"] == 0.0
    assert features["distinct_iois"] == 3 and features["commonest_ioi_share"] == pytest.approx(3 / 5)
    assert features["mean_ioi"] == pytest.approx(11 / 5)
    assert features["ioi_entropy"] == pytest.approx(-(0.6 * math.log2(0.6) + 2 * 0.2 * math.log2(0.2)))
    assert song_features([60, 73], [0, 4])["leaps_over_fifth"] == 1.0
    assert laid_end_to_end([2, 2, 4, 1]) == [0, 2, 4, 8]


def test_overlap_of_known_densities():
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, 4000), rng.normal(0, 1, 4000)
    assert overlap(a, b) == pytest.approx(1.0, abs=0.05)
    # two unit normals one standard deviation apart overlap by 2 * Phi(-1/2) = 0.617
    assert overlap(a, b + 1) == pytest.approx(0.617, abs=0.05)
    assert overlap(a, b + 20) < 0.01
    assert overlap(np.full(50, 3.0), np.full(50, 3.0)) == 1.0 and overlap(np.full(5, 3.0), np.full(5, 4.0)) == 0.0
    constant = overlap(np.full(50, 0.0), b)  # a constant set takes the other's bandwidth: a narrow bump at the mode
    assert 0.1 < constant < 0.6


def test_likeness_is_one_for_the_same_songs_and_low_for_straight_eighths_against_varied_rhythms():
    rng = np.random.default_rng(1)
    varied = []
    for _ in range(60):
        pitches = (65 + np.cumsum(rng.integers(-3, 4, NOTES + 6))).tolist()
        varied.append((pitches, laid_end_to_end(rng.choice([1, 2, 3, 4], NOTES + 6).tolist())))
    same = likeness(varied, varied)
    assert same["likeness"] == pytest.approx(1.0, abs=1e-4) and set(same) == {*FEATURES, "likeness"}
    eighths = [(pitches, list(range(0, 2 * len(pitches), 2))) for pitches, _ in varied]
    straight = likeness(eighths, varied)
    assert straight["pitch_range"] == pytest.approx(1.0, abs=1e-4) and straight["distinct_iois"] < 0.5
    assert straight["likeness"] < same["likeness"] - 0.2
    with pytest.raises(InputError, match="no song of 2 notes or more"):
        likeness([([60], [0])], varied)


def test_a_song_needs_two_notes_with_onsets():
    with pytest.raises(InputError, match="2 or more notes"):
        song_features([60], [0])


def test_the_likeness_command_reads_song_sets_and_midi_folders(tmp_path, capsys):
    import json

    from rnncells.cli import main
    from rnncells.music.melody import Note
    from rnncells.music.midi import write_midi

    rng = np.random.default_rng(2)
    songs, midi = tmp_path / "songs", tmp_path / "midi"
    songs.mkdir()
    midi.mkdir()
    rows = []
    for index in range(12):
        pitches = (62 + np.cumsum(rng.integers(-4, 5, 40))).tolist()
        durations = rng.choice([1, 2, 4], 40).tolist()
        rows.append(json.dumps({"index": index, "pitches": pitches, "durations": durations}))
        onsets = laid_end_to_end(durations)
        notes = [Note(o, p, d) for o, p, d in zip(onsets, pitches, durations)]
        write_midi(midi / f"Artist - Song {index}.mid", notes, bpm=120)
    (songs / "songs.jsonl").write_text("\n".join(rows) + "\n")
    assert main(["likeness", str(songs), "--reference", str(midi)]) == 0
    header, line = capsys.readouterr().out.splitlines()
    assert header.split("\t")[-1] == "likeness" and line.split("\t")[0] == str(songs)
    assert float(line.split("\t")[-1]) == pytest.approx(1.0, abs=0.01)  # the same melodies, read two ways


def test_the_likeness_command_measures_against_a_datasets_held_out_songs(small_dataset, capsys):
    from rnncells.cli import main
    from rnncells.data.folder import DatasetFolder
    from rnncells.evaluation.likeness import read_songs

    splits = [row["split"] for row in DatasetFolder(small_dataset).read_songs("control")]
    held_out = read_songs(small_dataset, "held-out")
    assert len(held_out) == splits.count("validation") + splits.count("test") > 0
    assert len(read_songs(small_dataset, "test")) == splits.count("test")
    values = {}
    for split in ("train", "held-out"):
        assert main(["likeness", str(small_dataset), "--reference", str(small_dataset), "--split", split]) == 0
        values[split] = float(capsys.readouterr().out.splitlines()[1].split("\t")[-1])
    assert values["train"] == pytest.approx(1.0) and 0 < values["held-out"] < 0.99  # train vs itself, then vs held-out


def test_a_missing_song_set_gets_one_line_and_exit_2_before_any_table(small_dataset, tmp_path, capsys):
    from rnncells.cli import main

    missing = tmp_path / "no-such-set"
    assert main(["likeness", str(small_dataset), str(missing), "--reference", str(small_dataset)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and str(missing) in captured.err and len(captured.err.strip().splitlines()) == 1
