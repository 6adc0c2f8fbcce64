"""Training windows: the study's stream, per-song windows, unseen tokens, too little data."""

from __future__ import annotations

import numpy as np
import pytest

from rnncells.data.vocab import UnknownTokenError, Vocabulary
from rnncells.data.windows import WindowError, per_song_windows, study_windows


def test_vocabulary_round_trip_and_labels():
    vocabulary = Vocabulary([64, 60, 62, 60])
    assert vocabulary.values == [60, 62, 64] and vocabulary.encode([62, 64]) == [1, 2]
    assert vocabulary.decode([2, 0]) == [64, 60] and vocabulary.labels() == ["C4", "D4", "E4"]
    with pytest.raises(UnknownTokenError, match="token 61"):
        vocabulary.encode([61])
    pairs = Vocabulary([[60, 4], [60, 2], [62, 2]])
    assert pairs.values == [(60, 2), (60, 4), (62, 2)] and pairs.label((60, 4)) == "C4:4"
    assert pairs.to_json() == [[60, 2], [60, 4], [62, 2]]
    assert Vocabulary([-2, 0, 7], variant="interval").labels() == ["-M2", "P1", "+P5"]


def test_study_stream_matches_the_reference_recipe():
    songs = [[10, 11, 12, 13, 14], [20, 21, 22], [30, 31, 32, 33, 34, 35, 36]]
    vocabulary = Vocabulary(t for s in songs for t in s)
    windows = study_windows(songs, vocabulary, batch_size=2, seq_length=3)
    x = np.concatenate([vocabulary.encode(s[:-1]) for s in songs])
    y = np.concatenate([vocabulary.encode(s[1:]) for s in songs])
    cut = (len(x) // 6) * 6
    rows_x, rows_y = x[:cut].reshape(2, -1), y[:cut].reshape(2, -1)
    assert windows.inputs.shape == (cut // 6, 2, 3)
    for k in range(windows.n_windows):
        np.testing.assert_array_equal(windows.inputs[k], rows_x[:, 3 * k : 3 * k + 3])
        np.testing.assert_array_equal(windows.targets[k], rows_y[:, 3 * k : 3 * k + 3])
    decoded = {(vocabulary.values[a], vocabulary.values[b]) for a, b in zip(x, y)}
    assert (14, 20) not in decoded and (22, 30) not in decoded  # no target crosses a song boundary


def test_unseen_tokens_leave_out_their_pairs():
    vocabulary = Vocabulary([1, 2, 3])
    windows = per_song_windows([[1, 2, 9, 3, 1]], vocabulary, batch_size=1, seq_length=4)
    assert windows.dropped_pairs == 2
    assert windows.weights.sum() == 2
    np.testing.assert_array_equal(windows.inputs[0, 0, :2], vocabulary.encode([1, 3]))


def test_per_song_windows_never_mix_songs():
    songs = [list(range(0, 7)), list(range(10, 13))]
    vocabulary = Vocabulary(t for s in songs for t in s)
    windows = per_song_windows(songs, vocabulary, batch_size=2, seq_length=4)
    assert windows.inputs.shape == (2, 2, 4)
    assert windows.weights.sum() == 6 + 2
    first_song = set(vocabulary.encode(songs[0]))
    for batch, weights in zip(windows.inputs, windows.weights):
        for row, weight in zip(batch, weights):
            tokens = set(row[weight > 0].tolist())
            assert tokens <= first_song or not tokens & first_song


def test_too_little_data_names_a_shape_that_fits():
    vocabulary = Vocabulary(range(5))
    with pytest.raises(WindowError) as caught:
        study_windows([list(range(5)) * 20], vocabulary, batch_size=50, seq_length=50)
    message = str(caught.value)
    assert "99 token pairs" in message and "--batch-size 1 with --seq-length 50" in message
    assert "--seq-length 1 with --batch-size 50" in message
