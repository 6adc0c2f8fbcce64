"""Memorisation against the training songs: exact against brute force, copies flagged, random notes not."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from rnncells.evaluation.memorisation import COPY_THRESHOLD, MemorisationError, TrainingIndex, intervals, measure


def walk(rng: np.random.Generator, length: int, step: int = 4) -> list[int]:
    return np.clip(60 + np.cumsum(rng.integers(-step, step + 1, length)), 20, 110).tolist()


def index_of(songs: list[list[int]]) -> TrainingIndex:
    return TrainingIndex(songs, [f"id{i}" for i in range(len(songs))], [f"song{i}.mid" for i in range(len(songs))])


def brute_force(
    song: list[int], training: list[list[int]], leave_out: int | None
) -> tuple[int, set[int], float, float]:
    """Longest shared run, the training songs holding it, and the 4-gram and 8-gram shares, by enumeration."""
    query = intervals(song)
    others = {i: intervals(t) for i, t in enumerate(training) if i != leave_out}
    grams = {n: {tuple(t[j : j + n]) for t in others.values() for j in range(len(t) - n + 1)} for n in (4, 8)}

    def occurs(piece: tuple[int, ...], tokens: list[int]) -> bool:
        return any(tuple(tokens[j : j + len(piece)]) == piece for j in range(len(tokens) - len(piece) + 1))

    best, holders = 0, set()
    for start in range(len(query)):
        for end in range(start + best + 1, len(query) + 1):
            piece = tuple(query[start:end])
            found = {i for i, t in others.items() if occurs(piece, t)}
            if not found:
                break
            if end - start > best:
                best, holders = end - start, found
            elif end - start == best:
                holders |= found
    shares = []
    for n in (4, 8):
        pieces = [tuple(query[j : j + n]) for j in range(len(query) - n + 1)]
        shares.append(sum(p in grams[n] for p in pieces) / len(pieces) if pieces else math.nan)
    return best, holders, shares[0], shares[1]


def test_equal_to_brute_force_with_and_without_leaving_a_song_out():
    rng = np.random.default_rng(1)
    # Few distinct steps, so long shared runs are common; some training songs repeat parts of others.
    training = [walk(rng, int(rng.integers(3, 30)), step=1) for _ in range(12)]
    training.append(training[0][2:15] + walk(rng, 6, step=1))
    training.append(list(training[3]))  # a duplicate: leaving one copy out still finds the other
    index = index_of(training)
    queries = [walk(rng, int(rng.integers(2, 40)), step=1) for _ in range(60)]
    leave = [None] * len(queries) + list(range(len(training)))
    queries += training
    for song, left_out, got in zip(queries, leave, measure(index, queries, leave_out=leave), strict=True):
        best, holders, share4, share8 = brute_force(song, training, left_out)
        assert got.shared_run == best, (song, left_out)
        if best:
            assert got.shared_with in {f"id{i}" for i in holders} and got.shared_with_file.endswith(".mid")
        else:
            assert got.shared_with == "" and got.shared_with_file == ""
        for ours, theirs in ((got.ngram4_in_train, share4), (got.ngram8_in_train, share8)):
            assert (math.isnan(ours) and math.isnan(theirs)) or ours == pytest.approx(theirs)
        assert got.copied == int(best >= COPY_THRESHOLD)
    dup = measure(index, [training[3]], leave_out=[3])[0]
    assert dup.shared_run == len(training[3]) - 1 and dup.shared_with == f"id{len(training) - 1}"


def test_cut_and_transposed_copies_are_flagged_and_random_notes_are_not():
    rng = np.random.default_rng(7)
    training = [walk(rng, int(rng.integers(40, 100))) for _ in range(170)]
    index = index_of(training)
    copies = []
    for _ in range(200):
        source = training[int(rng.integers(len(training)))]
        start = int(rng.integers(0, len(source) - 20))
        cut = source[start : start + int(rng.integers(20, min(60, len(source) - start) + 1))]
        shift = int(rng.integers(-7, 8))  # any key: intervals do not change
        copies.append(walk(rng, int(rng.integers(0, 10))) + [p + shift for p in cut] + walk(rng, 5))
    flagged = [m.copied for m in measure(index, copies)]
    assert np.mean(flagged) >= 0.9
    random_songs = [rng.integers(48, 84, 60).tolist() for _ in range(200)] + [walk(rng, 60) for _ in range(200)]
    random_flags = [m.copied for m in measure(index, random_songs)]
    assert np.mean(random_flags) <= 0.1
    assert all(0.0 <= m.ngram4_in_train <= 1.0 for m in measure(index, random_songs[:20]))


def test_the_threshold_is_configurable_and_checked():
    training = [[60, 62, 64, 65, 67, 69, 71, 72, 74, 76]]
    index = index_of(training)
    song = [50, 52, 54, 55, 57, 40]  # 4 intervals of the training song, transposed
    assert measure(index, [song], threshold=4)[0].copied == 1
    assert measure(index, [song], threshold=5)[0].copied == 0
    assert measure(index, [song])[0].shared_run == 4 and measure(index, [song])[0].shared_with == "id0"
    assert math.isnan(measure(index, [[60, 62, 64]])[0].ngram4_in_train)
    for bad in (0, -3, 2.5, True):
        with pytest.raises(MemorisationError, match="copy threshold"):
            measure(index, [song], threshold=bad)
    with pytest.raises(MemorisationError, match="no training songs"):
        TrainingIndex([], [], [])


def test_a_grid_of_songs_takes_seconds():
    rng = np.random.default_rng(3)
    training = [walk(rng, int(rng.integers(12, 100))) for _ in range(170)]
    songs = [walk(rng, 34) for _ in range(4500)]  # 45 models x 100 songs of 34 notes
    began = time.perf_counter()
    results = measure(index_of(training), songs)
    assert len(results) == 4500 and time.perf_counter() - began < 10
