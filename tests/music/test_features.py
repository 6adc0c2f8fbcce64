"""rnncells's MusPy metrics against MusPy 0.5.0's own functions, song by song."""

from __future__ import annotations

import math

import muspy
import numpy as np
import pytest

from rnncells.music.features import MEASURE_RESOLUTION, MUSPY_FEATURES, RESOLUTION, muspy_features
from rnncells.music.metrics import MetricInputError, distribution_features

MEASURE_METRICS = {"empty_measure_rate", "groove_consistency"}


def muspy_music(pitches: list[int], durations: list[int]) -> muspy.Music:
    """The song as MusPy sees it: one non-drum track, notes laid end to end, resolution 4."""
    notes, time = [], 0
    for pitch, duration in zip(pitches, durations, strict=True):
        notes.append(muspy.Note(time=time, pitch=pitch, duration=duration, velocity=80))
        time += duration
    return muspy.Music(resolution=RESOLUTION, tracks=[muspy.Track(program=0, is_drum=False, notes=notes)])


def muspy_values(music: muspy.Music) -> dict[str, float]:
    values = {}
    for name in MUSPY_FEATURES:
        function = getattr(muspy, name)
        values[name] = float(function(music, MEASURE_RESOLUTION) if name in MEASURE_METRICS else function(music))
    return values


def random_song(rng: np.random.Generator) -> tuple[list[int], list[int]]:
    """Random notes of every kind MusPy treats specially: zero-length notes, songs ending on bar lines, one note."""
    length = int(rng.integers(1, 4)) if rng.random() < 0.1 else int(rng.integers(4, 120))
    if rng.random() < 0.5:
        pitches = rng.integers(0, 128, length)
    else:
        pitches = np.clip(60 + np.cumsum(rng.integers(-5, 6, length)), 0, 127)
    durations = rng.choice([0, 1, 2, 3, 4, 6, 8, 12, 16, 20], size=length, p=[0.05, 0.25, 0.2, 0.1, 0.15] + [0.05] * 5)
    if rng.random() < 0.2:  # make the song end on a bar line
        durations[-1] += (-int(durations.sum())) % MEASURE_RESOLUTION
    if rng.random() < 0.02:
        durations[:] = 0
    return pitches.tolist(), durations.tolist()


def test_equal_to_muspy_on_random_songs():
    rng = np.random.default_rng(2024)
    checked = dict.fromkeys(MUSPY_FEATURES, 0)
    for _ in range(1500):
        pitches, durations = random_song(rng)
        ours = muspy_features(pitches, durations)
        theirs = muspy_values(muspy_music(pitches, durations))
        assert list(ours) == list(MUSPY_FEATURES)
        for name in MUSPY_FEATURES:
            if math.isnan(theirs[name]):
                assert math.isnan(ours[name]), (name, pitches, durations)
            else:
                assert abs(ours[name] - theirs[name]) <= 1e-9, (name, ours[name], theirs[name], pitches, durations)
                checked[name] += 1
    assert min(checked.values()) >= 1000, checked


def test_shared_features_equal_the_distribution_features():
    rng = np.random.default_rng(5)
    for _ in range(200):
        pitches = rng.integers(40, 90, int(rng.integers(2, 60))).tolist()
        ours, older = muspy_features(pitches), distribution_features(pitches)
        for name in ("pitch_range", "pitch_class_entropy", "scale_consistency"):
            assert ours[name] == pytest.approx(older[name], abs=1e-12)
        assert ours["n_pitch_classes_used"] == older["pitch_class_count"]


def test_hand_computed_rhythm_and_quirks():
    # Two bars of quarter notes end at step 32. MusPy counts 32 // 4 + 1 = 9 beats and 32 // 16 + 1 = 3 measures,
    # and the last note, ending on step 32, marks the 9th beat and the 3rd measure: nothing is empty.
    features = muspy_features([60] * 8, [4] * 8)
    assert features["empty_beat_rate"] == 0.0 and features["empty_measure_rate"] == 0.0
    # Measures 1 and 2 share their onsets; measure 3 has none: 4 of 2 * 16 positions differ.
    assert features["groove_consistency"] == pytest.approx(1 - 4 / 32)
    # Seven quarter notes end inside bar 2, which lacks the onset on its 4th beat: 1 of 16 positions differs.
    assert muspy_features([60] * 7, [4] * 7)["groove_consistency"] == pytest.approx(1 - 1 / 16)
    assert math.isnan(muspy_features([60, 62], [2, 2])["groove_consistency"])  # one measure
    without = muspy_features([60, 64, 67])
    assert without["n_pitches_used"] == 3 and all(math.isnan(without[name]) for name in MUSPY_FEATURES[6:])


def test_bad_songs_raise_one_line_errors():
    for pitches, durations, match in (
        ([], None, "at least 1 note"),
        ([60, 200], None, "0-127"),
        ([60, 62], [1], "one duration per note"),
        ([60, 62], [1, -1], ">= 0"),
    ):
        with pytest.raises(MetricInputError, match=match):
            muspy_features(pitches, durations)


def test_rhythm_features_of_a_huge_duration_allocate_nothing_in_proportion():
    import tracemalloc

    tracemalloc.start()
    features = muspy_features([60, 62, 64], [2, 10_737_418_200, 2])  # issue 23: 20 GiB asked of numpy before
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 2**20
    assert features["empty_beat_rate"] == 0.0 and features["empty_measure_rate"] == 0.0
    measures = (10_737_418_204 // MEASURE_RESOLUTION) + 1
    assert features["groove_consistency"] == pytest.approx(1 - 3 / (MEASURE_RESOLUTION * (measures - 1)))
