"""Tonality metrics against music_geometry_eval, hand-computed corrected and rhythm examples, the EDM
baseline, distribution features and the overlapped-area / KL comparison."""

from __future__ import annotations

import builtins
import math
from collections import Counter
from itertools import groupby

import mido
import numpy as np
import pytest

from rnncells.music.metrics import (
    FEATURE_NAMES,
    MetricInputError,
    centricity,
    conjunct_melodic_motion,
    distribution_features,
    limited_macroharmony,
    rhythm_grid,
    score_songs,
    score_songs_rhythm,
    tonality,
    tonality_rhythm,
)
from rnncells.music.yang_lerch import compare_feature_sets


@pytest.fixture(scope="module")
def mge():
    """The published library (dev dependency music-geometry-eval==2.0); only the comparisons need it."""
    return pytest.importorskip("music_geometry_eval.music_geometry_eval")


def random_songs(rng: np.random.Generator, n_songs: int, min_notes: int = 2) -> list[list[int]]:
    """Random walks and draws from a narrow range (repeats and runs are common); many have <= 14 notes."""
    songs = []
    for _ in range(n_songs):
        length = int(rng.integers(min_notes, 15)) if rng.random() < 0.4 else int(rng.integers(min_notes, 50))
        if rng.random() < 0.5:
            song = np.clip(60 + np.cumsum(rng.integers(-3, 4, length)), 1, 127)
        else:
            song = rng.integers(58, 58 + int(rng.integers(1, 16)), length)
        songs.append([int(pitch) for pitch in song])
    return songs


# --------------------------------------------------------------------------------------------------------
# paper mode = music_geometry_eval


@pytest.mark.parametrize("span", [1, 2, 5, 12, 13, 24])
def test_paper_mode_equals_library_on_random_songs(mge, span: int) -> None:
    songs = random_songs(np.random.default_rng(span), 1500)
    songs += [list(range(60, 60 + n)) for n in (2, 11, 12, 13, 14)] + [[60] * 12, [60] * 13, [64, 64]]
    ours = score_songs(songs, span=span)
    for song, row in zip(songs, ours, strict=True):
        cmm = mge.calculate_conjunct_melodic_motion(song)
        lm = mge.calculate_limited_macroharmony(song, span)
        centr = mge.calculate_centricity(song, span)
        expected = (cmm, lm, centr, mge.calculate_general_tonality(cmm, lm, centr))
        assert np.abs(row - expected).max() <= 1e-12, (song, span, row, expected)


def test_single_song_functions_equal_library(mge) -> None:
    songs = random_songs(np.random.default_rng(7), 300, min_notes=1)
    for song in songs:
        for span in (3, 12):
            assert abs(limited_macroharmony(song, span) - mge.calculate_limited_macroharmony(song, span)) <= 1e-12
            assert abs(centricity(song, span) - mge.calculate_centricity(song, span)) <= 1e-12
        if len(song) >= 2:
            assert abs(conjunct_melodic_motion(song) - mge.calculate_conjunct_melodic_motion(song)) <= 1e-12
            scores = tonality(song)
            assert set(scores) == {"cmm", "lm", "centr", "general"}
            assert scores["general"] == pytest.approx(scores["cmm"] + scores["lm"] + scores["centr"], abs=1e-12)


def test_library_quirks_are_kept_in_paper_mode() -> None:
    # Octaves are different MIDI pitches: 5 distinct pitches but 3 pitch classes.
    assert limited_macroharmony([60, 72, 62, 74, 64]) == 1.0
    # 10 distinct pitches: the penalty counts from 5, not from 8.
    assert limited_macroharmony(list(range(60, 70))) == 6.0
    # Consecutive runs, not counts: 60 appears 3 times but never twice in a row.
    assert centricity([60, 62, 60, 64, 60]) == pytest.approx(1 / 5)
    # One window when the song is no longer than the span; 13 notes give two windows.
    assert limited_macroharmony([60] * 12 + [62]) == pytest.approx((5 + 4) / 2)
    assert limited_macroharmony([60] * 12) == 5.0


# --------------------------------------------------------------------------------------------------------
# corrected mode


def test_corrected_mode_hand_computed() -> None:
    song = [60, 72, 62, 74, 64]  # pitch classes 0 0 2 2 4: one window of 5 notes
    assert tonality(song, mode="corrected") == pytest.approx({"cmm": 11.0, "lm": 3.0, "centr": 0.4, "general": 14.4})
    assert limited_macroharmony(list(range(60, 70)), mode="corrected") == 3.0  # 10 classes: 1 + (10 - 8)
    assert limited_macroharmony([60, 62, 64, 65, 67, 69], mode="corrected") == 1.0
    # span 3 over 60 60 62 72 60: windows {0,0,2} {0,2,0} {2,0,0}: 2 classes each → 4; shares 2/3.
    song = [60, 60, 62, 72, 60]
    assert limited_macroharmony(song, span=3, mode="corrected") == 4.0
    assert centricity(song, span=3, mode="corrected") == pytest.approx(2 / 3)
    assert limited_macroharmony(song, span=3) == pytest.approx(10 / 3)
    assert centricity(song, span=3) == pytest.approx(4 / 9)


def corrected_oracle(song: list[int], span: int) -> tuple[float, float]:
    windows = [song] if len(song) <= span else [song[i : i + span] for i in range(len(song) - span + 1)]
    lm, centr = [], []
    for window in windows:
        classes = Counter(pitch % 12 for pitch in window)
        k = len(classes)
        lm.append(1 + max(5 - k, 0, k - 8))
        centr.append(max(classes.values()) / len(window))
    return sum(lm) / len(lm), sum(centr) / len(centr)


@pytest.mark.parametrize("span", [4, 12])
def test_corrected_mode_matches_plain_python_definition(span: int) -> None:
    songs = random_songs(np.random.default_rng(100 + span), 400)
    ours = score_songs(songs, mode="corrected", span=span)
    for song, row in zip(songs, ours, strict=True):
        assert row[1:3] == pytest.approx(corrected_oracle(song, span), abs=1e-12)


# --------------------------------------------------------------------------------------------------------
# rhythm-aware mode


def test_rhythm_grid() -> None:
    assert rhythm_grid([60, 62, 60], [4, 2, 2]) == [60, None, None, None, 62, None, 60, None]
    assert rhythm_grid([0, 5], [1, 2]) == [0, 5, None]


def test_rhythm_hand_computed() -> None:
    # Grid 60 _ _ _ 62 _ 60 _ 60 _ _ _ _ _ _ _ 64 _ _ _ (20 steps): windows [0,12) [4,16) [8,20).
    pitches, durations = [60, 62, 60, 60, 64], [4, 2, 2, 8, 4]
    paper = tonality_rhythm(pitches, durations)
    assert paper == pytest.approx({"cmm": 2.0, "lm": 4.0, "centr": 5 / 9, "general": 6 + 5 / 9})
    corrected = tonality_rhythm(pitches, durations, mode="corrected")
    assert corrected["lm"] == 4.0
    assert corrected["centr"] == pytest.approx((3 / 4 + 2 / 3 + 1 / 2) / 3)
    # A 22-step grid still has (22 - 12) // 4 + 1 = 3 windows: the note at step 20 falls in none of them.
    tail = tonality_rhythm([*pitches, 70], [*durations, 2])
    assert (tail["lm"], tail["centr"]) == pytest.approx((4.0, 5 / 9))
    assert tail["cmm"] == pytest.approx(14 / 5)


def test_rhythm_short_grid_and_empty_windows() -> None:
    # A grid no longer than the span is one window.
    assert tonality_rhythm([60, 60, 62], [2, 2, 2]) == pytest.approx(
        {"cmm": 1.0, "lm": 4.0, "centr": 2 / 3, "general": 1 + 4 + 2 / 3}
    )
    # Onsets at 0, 2, 22 in 24 steps: windows [4,16) and [8,20) hold no onset and are left out.
    scores = tonality_rhythm([60, 62, 64], [2, 20, 2])
    assert (scores["lm"], scores["centr"]) == pytest.approx(((4 + 5) / 2, (1 / 2 + 1) / 2))


def test_rhythm_with_unit_durations_and_hop_one_is_the_pitch_only_metric() -> None:
    songs = random_songs(np.random.default_rng(3), 300)
    durations = [[1] * len(song) for song in songs]
    for mode in ("paper", "corrected"):
        np.testing.assert_array_equal(
            score_songs_rhythm(songs, durations, span=12, hop=1, mode=mode), score_songs(songs, mode=mode)
        )


def python2_range(count: float) -> range:
    """The library's window count is a float under Python 3; it is whole for the grids this test builds."""
    assert float(count).is_integer(), count
    return builtins.range(int(count))


def test_rhythm_paper_mode_equals_library_run_as_python_2(mge, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mge, "range", python2_range, raising=False)
    rng = np.random.default_rng(11)
    pitches_list, durations_list, settings = [], [], []
    for _ in range(1500):
        span, hop = int(rng.choice([8, 12, 16])), int(rng.choice([1, 2, 4]))
        length = int(rng.integers(2, 40))
        pitches = [int(p) for p in rng.integers(58, 58 + int(rng.integers(2, 14)), length)]
        # Durations up to span - 3, padded by < hop so (grid - span) is a multiple of hop: every window
        # holds an onset and Python 3's `/` gives the same count as Python 2's.
        durations = [int(d) for d in rng.integers(1, span - 2, length)]
        grid = sum(durations)
        if grid > span and (grid - span) % hop:
            durations[-1] += hop - (grid - span) % hop
        pitches_list.append(pitches)
        durations_list.append(durations)
        settings.append((span, hop))
    for span, hop in set(settings):
        chosen = [i for i, setting in enumerate(settings) if setting == (span, hop)]
        ours = score_songs_rhythm(
            [pitches_list[i] for i in chosen], [durations_list[i] for i in chosen], span=span, hop=hop
        )
        for i, row in zip(chosen, ours, strict=True):
            song = [[p, d] for p, d in zip(pitches_list[i], durations_list[i], strict=True)]
            expected = (
                mge.calculate_time_supported_conjunct_melodic_motion(song),
                mge.calculate_time_supported_limited_macroharmony(song, span, hop),
                mge.calculate_time_supported_centricity(song, span, hop),
            )
            assert np.abs(row[:3] - expected).max() <= 1e-12, (song, span, hop)


def rhythm_oracle(pitches: list[int], durations: list[int], span: int, hop: int) -> tuple[float, float]:
    """The documented rule in plain Python: floor window count, empty steps dropped, empty windows skipped."""
    grid = rhythm_grid(pitches, durations)
    if len(grid) <= span:
        windows = [grid]
    else:
        windows = [grid[i * hop : i * hop + span] for i in range((len(grid) - span) // hop + 1)]
    lm, centr = [], []
    for window in windows:
        notes = [pitch for pitch in window if pitch is not None]
        if notes:
            k = len(set(notes))
            lm.append(1 if 5 <= k <= 8 else (5 - k) + 1 if k < 5 else (k - 5) + 1)
            centr.append(max(len(list(run)) for _, run in groupby(notes)) / len(notes))
    return sum(lm) / len(lm), sum(centr) / len(centr)


def test_rhythm_paper_mode_on_any_grid_matches_the_documented_rule() -> None:
    rng = np.random.default_rng(5)
    pitches_list = [[int(p) for p in rng.integers(0, 12, int(rng.integers(2, 30)))] for _ in range(400)]
    durations_list = [[int(d) for d in rng.integers(1, 20, len(p))] for p in pitches_list]
    ours = score_songs_rhythm(pitches_list, durations_list)
    for pitches, durations, row in zip(pitches_list, durations_list, ours, strict=True):
        assert row[1:3] == pytest.approx(rhythm_oracle(pitches, durations, 12, 4), abs=1e-12)


# --------------------------------------------------------------------------------------------------------
# bad input


def test_short_songs_and_bad_values_raise_clear_errors() -> None:
    with pytest.raises(MetricInputError, match="song 1 has 1 notes"):
        score_songs([[60, 62], [60]])
    with pytest.raises(MetricInputError, match="song 0 has 0 notes"):
        tonality([])
    with pytest.raises(MetricInputError, match="at least 2"):
        conjunct_melodic_motion([60])
    with pytest.raises(MetricInputError, match="at least 1"):
        limited_macroharmony([])
    assert limited_macroharmony([60]) == 5.0 and centricity([60]) == 1.0  # as the library
    with pytest.raises(MetricInputError, match="pitch 128"):
        score_songs([[60, 128]])
    with pytest.raises(MetricInputError, match="pitch 60.5"):
        tonality([60, 60.5])
    with pytest.raises(MetricInputError, match="mode 'tymoczko'"):
        tonality([60, 62], mode="tymoczko")
    with pytest.raises(MetricInputError, match="span 0"):
        score_songs([[60, 62]], span=0)
    with pytest.raises(MetricInputError, match="duration 0"):
        tonality_rhythm([60, 62], [1, 0])
    with pytest.raises(MetricInputError, match="2 pitches but 1 durations"):
        tonality_rhythm([60, 62], [4])
    assert score_songs([]).shape == (0, 4)


# --------------------------------------------------------------------------------------------------------
# the EDM baseline (docs/method.md §7)


def read_edm_pitches(path) -> list[int]:
    midi = mido.MidiFile(path)
    return [msg.note for msg in mido.merge_tracks(midi.tracks) if msg.type == "note_on" and msg.velocity > 0]


def test_edm_baseline_paper_mode(edm_dir) -> None:
    songs = [read_edm_pitches(path) for path in sorted(edm_dir.glob("*.mid"))]
    assert len(songs) == 212
    means = score_songs(songs).mean(axis=0)
    assert means[0] == pytest.approx(2.713, abs=0.05)
    assert means[1] == pytest.approx(1.389, abs=0.05)
    assert means[2] == pytest.approx(0.2025, abs=0.01)
    # Pitch classes can only merge windows' notes, and a class is at least as frequent as any run.
    corrected = score_songs(songs, mode="corrected")
    assert (corrected[:, 2] >= score_songs(songs)[:, 2]).all()


# --------------------------------------------------------------------------------------------------------
# distribution features and set comparison


def test_distribution_features_hand_computed() -> None:
    c_major = distribution_features([60, 62, 64, 65, 67, 69, 71, 72])
    assert c_major == pytest.approx(
        {
            "pitch_range": 12.0,
            "pitch_class_count": 7.0,
            "pitch_class_entropy": 2.75,  # 2/8 on C, 1/8 on six others
            "scale_consistency": 1.0,
            "mean_abs_interval": 12 / 7,
        }
    )
    chromatic = distribution_features(list(range(60, 72)))
    assert chromatic["pitch_class_entropy"] == pytest.approx(math.log2(12))
    assert chromatic["scale_consistency"] == pytest.approx(7 / 12)
    # A minor melody fits its relative major: natural minor scales add no new pitch-class sets.
    assert distribution_features([57, 59, 60, 62, 64, 65, 67, 69])["scale_consistency"] == 1.0
    one_class = distribution_features([60, 72, 60])
    assert one_class["pitch_class_entropy"] == 0.0 and one_class["pitch_class_count"] == 1.0
    assert tuple(c_major) == FEATURE_NAMES
    with pytest.raises(MetricInputError):
        distribution_features([60])


def walk_features(rng: np.random.Generator, n_songs: int, centre: int = 60, step: int = 3) -> list[dict]:
    return [
        distribution_features([int(p) for p in np.clip(centre + np.cumsum(rng.integers(-step, step + 1, 34)), 0, 127)])
        for _ in range(n_songs)
    ]


def test_compare_identical_and_alike_sets() -> None:
    rng = np.random.default_rng(0)
    reference = walk_features(rng, 300)
    same = compare_feature_sets(reference, reference)
    assert set(same) == set(FEATURE_NAMES)
    for values in same.values():
        assert values["overlapped_area"] > 0.99 and values["kl_divergence"] < 0.01
    # Another sample of the same process, a third of the size: still close.
    alike = compare_feature_sets(walk_features(rng, 100), reference)
    for values in alike.values():
        assert values["overlapped_area"] > 0.9 and values["kl_divergence"] < 0.1


def test_compare_disjoint_sets() -> None:
    rng = np.random.default_rng(1)
    reference = [{"x": float(v)} for v in rng.normal(0, 1, 200)]
    generated = [{"x": float(v)} for v in rng.normal(50, 1, 100)]
    apart = compare_feature_sets(generated, reference)["x"]
    assert apart["overlapped_area"] < 0.01 and 5 < apart["kl_divergence"] < 30
    # Random leaps over five octaves against stepwise songs: their mean intervals never meet.
    leaps = [distribution_features([int(p) for p in rng.integers(36, 96, 34)]) for _ in range(100)]
    steps = walk_features(rng, 100, step=1)
    assert compare_feature_sets(leaps, steps)["mean_abs_interval"]["overlapped_area"] < 0.01


def test_compare_constant_features() -> None:
    threes, fives = [{"x": 3.0}] * 20, [{"x": 5.0}] * 20
    assert compare_feature_sets(threes, threes)["x"] == {"overlapped_area": 1.0, "kl_divergence": 0.0}
    apart = compare_feature_sets(fives, threes)["x"]
    assert apart["overlapped_area"] < 0.01 and math.isfinite(apart["kl_divergence"])
    spread = [{"x": float(v)} for v in np.random.default_rng(2).normal(3, 1, 50)]
    for generated, reference in ((spread, threes), (threes, spread)):
        values = compare_feature_sets(generated, reference)["x"]
        assert 0.0 <= values["overlapped_area"] < 0.9 and math.isfinite(values["kl_divergence"])


def test_compare_rejects_bad_sets() -> None:
    with pytest.raises(MetricInputError, match="at least 2 reference"):
        compare_feature_sets([{"x": 1.0}], [{"x": 1.0}])
    with pytest.raises(MetricInputError, match="generated song 1 has no feature 'x'"):
        compare_feature_sets([{"x": 1.0}, {"y": 2.0}], [{"x": 1.0}, {"x": 2.0}])
    with pytest.raises(MetricInputError, match="finite"):
        compare_feature_sets([{"x": float("nan")}], [{"x": 1.0}, {"x": 2.0}])
