"""MusPy's song metrics, computed by rnncells for monophonic songs and named as MusPy 0.5.0 names them.

docs/method.md §4 ("Distribution features"). A song is its pitches and its durations in 16th-note steps, laid end
to end from step 0 as every song set stores them (docs/method.md §1), so a note's onset is the sum of the
durations before it. In MusPy's terms the song is one non-drum track of a ``muspy.Music`` with ``resolution`` 4
(time steps per quarter note); the measure-based metrics take bars of 16 steps (``measure_resolution`` 16, 4/4).

MusPy's conventions are kept, quirks included, so that each number equals MusPy's own function
(tests/music/test_features.py compares them on random songs):

- a beat (measure) is *empty* when no note sounds in it, and a note marks every beat from ``onset // 4`` to
  ``end // 4`` *inclusive*: a note ending exactly on a beat line also marks the next beat;
- the song lasts until the last note's end, and there are ``length // 4 + 1`` beats (``length // 16 + 1``
  measures), so a song ending on a bar line gets one more, empty, measure;
- groove consistency compares the onset patterns of neighbouring measures, that extra measure included.

Songs laid end to end have no rests, so ``empty_beat_rate`` and ``empty_measure_rate`` are 0 for every song
of 1 or more steps; they are kept because they are MusPy's and become informative for sets with rests.
Polyphony and polyphony rate are left out: for a monophonic song they are always 1 and 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rnncells.music.melody import STEPS_PER_BAR, STEPS_PER_QUARTER
from rnncells.music.metrics import MAJOR_SCALES, MetricInputError

RESOLUTION = STEPS_PER_QUARTER  # MusPy's time steps per quarter note
MEASURE_RESOLUTION = STEPS_PER_BAR  # time steps per measure (4/4)
PITCH_FEATURES = (
    "pitch_range",
    "n_pitches_used",
    "n_pitch_classes_used",
    "pitch_entropy",
    "pitch_class_entropy",
    "scale_consistency",
)
RHYTHM_FEATURES = ("empty_beat_rate", "empty_measure_rate", "groove_consistency")
MUSPY_FEATURES = PITCH_FEATURES + RHYTHM_FEATURES


def _entropy(counts: np.ndarray) -> float:
    """Shannon entropy in bits of a histogram (empty bins add nothing, as MusPy's nansum)."""
    shares = counts[counts > 0] / counts.sum()
    return float(-(shares * np.log2(shares)).sum()) + 0.0


def _empty_rate(onsets: np.ndarray, ends: np.ndarray, length: int, unit: int) -> float:
    """Share of the ``length // unit + 1`` units in which no note sounds (each note marks start..end inclusive).

    Counted from the notes' own spans, as the union of their unit ranges (onsets and ends never decrease along a
    song), so the work and memory follow the number of notes, never the song's length in steps."""
    if length < 1:
        return float("nan")
    units = length // unit + 1
    first, last = onsets // unit, np.minimum(ends // unit, units - 1)
    reached = np.concatenate(([-1], np.maximum.accumulate(last)[:-1]))  # the last unit covered before each note
    covered = int(np.maximum(0, last - np.maximum(first, reached + 1) + 1).sum())
    return 1 - covered / units


def _groove_consistency(onsets: np.ndarray, length: int) -> float:
    """1 - mean Hamming distance between the onset patterns of neighbouring measures (NaN below 2 measures).

    Only measures holding an onset differ from an empty one, so only they and their neighbours are compared: the
    work follows the number of notes, never the song's length."""
    measures = length // MEASURE_RESOLUTION + 1
    if measures < 2:
        return float("nan")
    patterns: dict[int, int] = {}  # measure -> its onset positions as bits
    for onset in onsets.tolist():
        measure, position = divmod(onset, MEASURE_RESOLUTION)
        patterns[measure] = patterns.get(measure, 0) | (1 << position)
    compared = {m for held in patterns for m in (held - 1, held) if 0 <= m < measures - 1}
    distance = sum((patterns.get(m, 0) ^ patterns.get(m + 1, 0)).bit_count() for m in compared)
    return 1 - distance / (MEASURE_RESOLUTION * (measures - 1))


def _check_song(pitches: Sequence[int], durations: Sequence[int] | None) -> tuple[np.ndarray, np.ndarray | None]:
    values = np.asarray(pitches)
    if values.ndim != 1 or len(values) < 1:
        raise MetricInputError(f"a song of {len(values)} notes: MusPy's metrics need at least 1 note")
    if not np.issubdtype(values.dtype, np.integer) or values.min() < 0 or values.max() > 127:
        raise MetricInputError(f"pitches {values.min()}..{values.max()}: use whole MIDI numbers 0-127")
    if durations is None or len(durations) == 0:
        return values.astype(np.int64), None
    steps = np.asarray(durations)
    if len(steps) != len(values):
        raise MetricInputError(f"{len(values)} pitches but {len(steps)} durations; give one duration per note")
    if not np.issubdtype(steps.dtype, np.integer) or steps.min() < 0:
        raise MetricInputError(f"duration {steps.min()}: use whole numbers of 16th-note steps >= 0")
    return values.astype(np.int64), steps.astype(np.int64)


def muspy_features(pitches: Sequence[int], durations: Sequence[int] | None = None) -> dict[str, float]:
    """MusPy's metrics of one song (``MUSPY_FEATURES``); the rhythm ones are NaN without durations.

    Equal to ``muspy.<name>(music)`` (``groove_consistency`` and ``empty_measure_rate`` with
    ``measure_resolution=16``) for a ``muspy.Music`` of resolution 4 holding the notes laid end to end.
    """
    values, steps = _check_song(pitches, durations)
    pitch_counts = np.bincount(values, minlength=128)
    class_counts = np.bincount(values % 12, minlength=12)
    features = {
        "pitch_range": float(values.max() - values.min()),
        "n_pitches_used": float(np.count_nonzero(pitch_counts)),
        "n_pitch_classes_used": float(np.count_nonzero(class_counts)),
        "pitch_entropy": _entropy(pitch_counts),
        "pitch_class_entropy": _entropy(class_counts),
        # MusPy tries 12 major and 12 minor scales; a natural minor holds its relative major's pitch classes.
        "scale_consistency": float((MAJOR_SCALES @ class_counts).max() / len(values)),
    }
    if steps is None:
        return features | dict.fromkeys(RHYTHM_FEATURES, float("nan"))
    ends = np.cumsum(steps)
    onsets = ends - steps
    length = int(ends[-1])
    features["empty_beat_rate"] = _empty_rate(onsets, ends, length, RESOLUTION)
    features["empty_measure_rate"] = _empty_rate(onsets, ends, length, MEASURE_RESOLUTION)
    features["groove_consistency"] = _groove_consistency(onsets, length)
    return features
