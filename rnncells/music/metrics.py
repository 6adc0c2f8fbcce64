"""Tonality metrics after Tymoczko (CMM, LM, CENTR), their corrected and rhythm-aware versions, and
Yang & Lerch's (2018) distribution features with the overlapped-area / KL comparison of two song sets.

Two modes (docs/method.md §4):

- ``"paper"`` reproduces ``music_geometry_eval`` 2.0 exactly, quirks included: LM counts distinct *MIDI
  pitches* per window and measures the penalty from 5 on both sides (``k < 5`` → ``6 - k``, ``k > 8`` →
  ``k - 4``); CENTR is the longest run of *consecutive* equal pitches divided by the window length.
- ``"corrected"`` is what the theory describes: LM counts distinct *pitch classes* and scores 1 inside
  [5, 8], ``1 + distance to [5, 8]`` outside; centricity is the share of the most frequent pitch class.

Both use the same windows: ``span`` consecutive notes sliding by one, or one window holding the whole song
when it has no more than ``span`` notes. CMM (mean absolute interval) is the same in both modes and general
tonality is CMM + LM + CENTR (lower is better). Every function here runs through one vectorised core, so the
per-song functions and the batched scorers give identical numbers.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from rnncells.errors import RnncellsError

MODES = ("paper", "corrected")
SCORE_COLUMNS = ("cmm", "lm", "centr", "general")
FEATURE_NAMES = (
    "pitch_range",
    "pitch_class_count",
    "pitch_class_entropy",
    "scale_consistency",
    "mean_abs_interval",
)
MACROHARMONY_LIMITS = (5, 8)
MAJOR_SCALE_STEPS = (0, 2, 4, 5, 7, 9, 11)
# A natural minor scale holds the same pitch classes as its relative major (A minor = C major), so the 24
# major / natural-minor scales are 12 distinct pitch-class sets: one row per major key.
MAJOR_SCALES = np.array([[(pc - tonic) % 12 in MAJOR_SCALE_STEPS for pc in range(12)] for tonic in range(12)])


class MetricInputError(RnncellsError, ValueError):
    """A song or a parameter the metrics cannot score; the message names the value and the fix."""


# ---------------------------------------------------------------------------------------------------------
# input checks and flattening


def _check_options(span: int, hop: int, mode: str) -> None:
    if mode not in MODES:
        raise MetricInputError(f"mode {mode!r}: use one of {', '.join(MODES)}")
    for name, value in (("span", span), ("hop", hop)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise MetricInputError(f"{name} {value!r}: must be a whole number >= 1 (the paper uses span 12)")


def _flatten(songs: Sequence[Sequence[int]], what: str, low: int, high: int | None) -> tuple[np.ndarray, np.ndarray]:
    """All songs' values in one int64 array, and each song's length; checks every value is a whole number."""
    lengths = np.fromiter((len(song) for song in songs), dtype=np.int64, count=len(songs))
    values = np.fromiter(itertools.chain.from_iterable(songs), dtype=np.float64, count=int(lengths.sum()))
    bad = ~np.isfinite(values) | (values != np.round(values)) | (values < low)
    if high is not None:
        bad |= values > high
    if bad.any():
        position = int(np.argmax(bad))
        song = int(np.searchsorted(np.cumsum(lengths), position, side="right"))
        allowed = f"whole numbers {low}-{high}" if high is not None else f"whole numbers >= {low}"
        raise MetricInputError(f"song {song}: {what} {values[position]:g} is not allowed; use {allowed}")
    return values.astype(np.int64), lengths


def _check_lengths(lengths: np.ndarray, minimum: int, reason: str) -> None:
    short = np.flatnonzero(lengths < minimum)
    if short.size:
        song = int(short[0])
        raise MetricInputError(
            f"song {song} has {int(lengths[song])} notes: {reason} needs at least {minimum}; drop or lengthen it"
        )


# ---------------------------------------------------------------------------------------------------------
# the vectorised core


def _cmm_per_song(pitches: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Mean |interval| of each song (songs of >= 2 notes), summing in note order like the library."""
    song_of_note = np.repeat(np.arange(len(lengths)), lengths)
    steps = np.abs(np.diff(pitches)).astype(np.float64)
    within_song = song_of_note[1:] == song_of_note[:-1]
    totals = np.bincount(song_of_note[1:][within_song], weights=steps[within_song], minlength=len(lengths))
    return totals / (lengths - 1)


def _window_notes(
    lengths: np.ndarray, onsets: np.ndarray, grid_lengths: np.ndarray, span: int, hop: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The notes of every window that holds any: ``(index, inside, song_of_window, notes_in_window)``.

    Row w of ``index`` lists the note indices of window w (padded with 0 where ``inside`` is False).
    """
    n_songs = len(lengths)
    grid_start = np.concatenate(([0], np.cumsum(grid_lengths)[:-1]))
    # One increasing time line for all songs, so a single searchsorted finds every window's notes.
    song_of_note = np.repeat(np.arange(n_songs), lengths)
    times = grid_start[song_of_note] + onsets
    windows_per_song = np.where(grid_lengths <= span, 1, (grid_lengths - span) // hop + 1)
    song_of_window = np.repeat(np.arange(n_songs), windows_per_song)
    first_window = np.concatenate(([0], np.cumsum(windows_per_song)[:-1]))
    window_index = np.arange(len(song_of_window)) - first_window[song_of_window]
    window_begin = grid_start[song_of_window] + window_index * hop
    window_end = window_begin + np.minimum(span, grid_lengths)[song_of_window]
    lo = np.searchsorted(times, window_begin, side="left")
    hi = np.searchsorted(times, window_end, side="left")
    kept = hi > lo
    lo, hi, song_of_window = lo[kept], hi[kept], song_of_window[kept]
    index = lo[:, None] + np.arange(int((hi - lo).max()))[None, :]
    inside = index < hi[:, None]
    return np.where(inside, index, 0), inside, song_of_window, hi - lo


def _longest_equal_runs(pitches: np.ndarray, lengths: np.ndarray, index: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """Paper mode's CENTR count: each window's longest run of equal consecutive notes (runs cut at the window's
    first note; they never cross songs because each song's first note starts a run)."""
    note_start = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    new_run = np.ones(len(pitches), dtype=bool)
    new_run[1:] = pitches[1:] != pitches[:-1]
    new_run[note_start[lengths > 0]] = True
    run_start = np.flatnonzero(new_run)[np.cumsum(new_run) - 1]
    run_length = np.arange(len(pitches)) - run_start + 1
    clipped = np.minimum(run_length[index], np.arange(index.shape[1])[None, :] + 1)
    return np.where(inside, clipped, 0).max(axis=1)


def _window_scores(
    pitches: np.ndarray,
    lengths: np.ndarray,
    onsets: np.ndarray,
    grid_lengths: np.ndarray,
    span: int,
    hop: int,
    mode: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Mean LM and mean CENTR of each song over its windows of the time grid.

    ``onsets`` holds each note's onset step within its song's grid (pitch-only songs: 0, 1, 2, ...), and
    ``grid_lengths`` each grid's length. A song whose grid is no longer than ``span`` is one window; otherwise
    windows start at ``0, hop, 2*hop, ...`` and there are ``(grid - span) // hop + 1`` of them. Windows with
    no onset are left out of the mean.
    """
    index, inside, song_of_window, notes_in_window = _window_notes(lengths, onsets, grid_lengths, span, hop)
    position = np.arange(index.shape[1])
    labels = pitches % 12 if mode == "corrected" else pitches
    # Each window's notes sorted, padding (-1) first: a distinct value is a block of equal values.
    gathered = np.sort(np.where(inside, labels[index], -1), axis=1)
    is_note = gathered >= 0
    starts_block = np.ones(gathered.shape, dtype=bool)
    starts_block[:, 1:] = gathered[:, 1:] != gathered[:, :-1]
    distinct = (starts_block & is_note).sum(axis=1)
    low_limit, high_limit = MACROHARMONY_LIMITS
    above_penalty_from = low_limit if mode == "paper" else high_limit
    lm = np.where(
        distinct < low_limit,
        low_limit - distinct + 1,
        np.where(distinct > high_limit, distinct - above_penalty_from + 1, 1),
    ).astype(np.float64)
    if mode == "paper":
        most = _longest_equal_runs(pitches, lengths, index, inside)
    else:
        # The most frequent pitch class is the longest block of equal values in the sorted row.
        block_start = np.maximum.accumulate(np.where(starts_block, position[None, :], 0), axis=1)
        most = np.where(is_note, position[None, :] - block_start + 1, 0).max(axis=1)
    centr = most / notes_in_window.astype(np.float64)
    # bincount adds the weights in window order, the same left-to-right sum as the library's sum().
    n_songs = len(lengths)
    counted = np.bincount(song_of_window, minlength=n_songs)
    mean_lm = np.bincount(song_of_window, weights=lm, minlength=n_songs) / counted
    mean_centr = np.bincount(song_of_window, weights=centr, minlength=n_songs) / counted
    return mean_lm, mean_centr


def _pitch_only_scores(pitches: np.ndarray, lengths: np.ndarray, span: int, mode: str) -> tuple[np.ndarray, ...]:
    note_start = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    onsets = np.arange(len(pitches)) - np.repeat(note_start, lengths)
    return _window_scores(pitches, lengths, onsets, lengths, span, 1, mode)


def _stack_scores(cmm: np.ndarray, lm: np.ndarray, centr: np.ndarray) -> np.ndarray:
    return np.column_stack([cmm, lm, centr, cmm + lm + centr])


# ---------------------------------------------------------------------------------------------------------
# pitch-only metrics


def score_songs(songs: Sequence[Sequence[int]], mode: str = "paper", span: int = 12) -> np.ndarray:
    """CMM, LM, CENTR and general tonality of every song, as an ``(n, 4)`` array (columns ``SCORE_COLUMNS``).

    ``mode="paper"`` equals ``music_geometry_eval``'s functions; ``"corrected"`` uses pitch classes (module
    docstring). Every song needs at least 2 notes (CMM divides by the number of intervals) and MIDI pitches
    0-127; otherwise :class:`MetricInputError` names the first bad song.
    """
    _check_options(span, 1, mode)
    pitches, lengths = _flatten(songs, "pitch", 0, 127)
    if len(lengths) == 0:
        return np.zeros((0, len(SCORE_COLUMNS)))
    _check_lengths(lengths, 2, "CMM (the mean interval)")
    lm, centr = _pitch_only_scores(pitches, lengths, span, mode)
    return _stack_scores(_cmm_per_song(pitches, lengths), lm, centr)


def conjunct_melodic_motion(pitches: Sequence[int]) -> float:
    """CMM: the mean absolute interval in semitones (lower = smoother); needs at least 2 notes."""
    values, lengths = _flatten([pitches], "pitch", 0, 127)
    _check_lengths(lengths, 2, "CMM (the mean interval)")
    return float(_cmm_per_song(values, lengths)[0])


def limited_macroharmony(pitches: Sequence[int], span: int = 12, mode: str = "paper") -> float:
    """LM: the mean over windows of ``span`` notes of the distinct-note penalty (1 = best); needs 1 note."""
    _check_options(span, 1, mode)
    values, lengths = _flatten([pitches], "pitch", 0, 127)
    _check_lengths(lengths, 1, "LM")
    return float(_pitch_only_scores(values, lengths, span, mode)[0][0])


def centricity(pitches: Sequence[int], span: int = 12, mode: str = "paper") -> float:
    """CENTR: the mean over windows of ``span`` notes of the central note's share; needs 1 note.

    Paper mode: the longest run of consecutive equal pitches / window length; corrected mode: the count of
    the most frequent pitch class / window length.
    """
    _check_options(span, 1, mode)
    values, lengths = _flatten([pitches], "pitch", 0, 127)
    _check_lengths(lengths, 1, "CENTR")
    return float(_pitch_only_scores(values, lengths, span, mode)[1][0])


def tonality(pitches: Sequence[int], span: int = 12, mode: str = "paper") -> dict[str, float]:
    """The four scores of one song: ``{"cmm", "lm", "centr", "general"}``; needs at least 2 notes."""
    row = score_songs([pitches], mode=mode, span=span)[0]
    return {name: float(value) for name, value in zip(SCORE_COLUMNS, row, strict=True)}


# ---------------------------------------------------------------------------------------------------------
# rhythm-aware metrics (the second study)


def rhythm_grid(pitches: Sequence[int], durations: Sequence[int]) -> list[int | None]:
    """The song on a 16th-note grid: each note's pitch at its onset, then ``duration - 1`` empty steps (None).

    ``rhythm_grid([60, 62, 60], [4, 2, 2]) == [60, None, None, None, 62, None, 60, None]``.
    """
    _check_rhythm_song(pitches, durations, 0)
    grid: list[int | None] = []
    for pitch, duration in zip(pitches, durations, strict=True):
        grid.append(int(pitch))
        grid.extend([None] * (int(duration) - 1))
    return grid


def _check_rhythm_song(pitches: Sequence[int], durations: Sequence[int], song: int) -> None:
    if len(pitches) != len(durations):
        raise MetricInputError(
            f"song {song}: {len(pitches)} pitches but {len(durations)} durations; give one duration per note"
        )


def score_songs_rhythm(
    pitches_list: Sequence[Sequence[int]],
    durations_list: Sequence[Sequence[int]],
    span: int = 12,
    hop: int = 4,
    mode: str = "paper",
) -> np.ndarray:
    """Rhythm-aware CMM, LM, CENTR and general tonality of every song, as an ``(n, 4)`` array.

    CMM is on the pitches alone. LM and CENTR look at the 16th-note grid (:func:`rhythm_grid`) through
    windows of ``span`` steps sliding by ``hop`` steps, ignoring empty steps: in a window, LM counts the
    distinct pitches (pitch classes in corrected mode) of the onsets it holds, and CENTR divides the longest
    run of equal consecutive onsets (paper) or the most frequent pitch class's count (corrected) by the
    number of onsets. Durations are whole numbers >= 1 (16th-note steps).

    The published ``calculate_time_supported_*`` functions crash under Python 3: the number of windows,
    ``(len(grid) - span) / hop + 1``, becomes a float passed to ``range``. They were written for Python 2,
    whose integer ``/`` floors, so here the number of windows is ``(len(grid) - span) // hop + 1``: windows
    start at steps 0, hop, 2*hop, ... and the last one ends at or before the grid's end, so the last
    ``(len(grid) - span) % hop`` steps fall in no window, as in the original. A grid no longer than ``span``
    is one window. Two further departures, both where the library cannot be followed: a window holding no
    onset (only a note longer than ``span`` steps can cover one) is left out of the mean, where the library
    scored LM 6 and crashed in CENTR; and empty steps are ``None`` rather than 0, so MIDI pitch 0 is a note.
    Under these rules the results equal the library's wherever it runs (tests/music/test_metrics.py).
    """
    _check_options(span, hop, mode)
    if len(pitches_list) != len(durations_list):
        raise MetricInputError(
            f"{len(pitches_list)} pitch lists but {len(durations_list)} duration lists; give one of each per song"
        )
    for song, (pitches, durations) in enumerate(zip(pitches_list, durations_list, strict=True)):
        _check_rhythm_song(pitches, durations, song)
    pitches, lengths = _flatten(pitches_list, "pitch", 0, 127)
    if len(lengths) == 0:
        return np.zeros((0, len(SCORE_COLUMNS)))
    durations, _ = _flatten(durations_list, "duration", 1, None)
    _check_lengths(lengths, 2, "CMM (the mean interval)")
    note_start = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    ends = np.cumsum(durations)
    grid_lengths = np.add.reduceat(durations, note_start)
    onsets = ends - durations - np.repeat(ends[note_start] - durations[note_start], lengths)
    lm, centr = _window_scores(pitches, lengths, onsets, grid_lengths, span, hop, mode)
    return _stack_scores(_cmm_per_song(pitches, lengths), lm, centr)


def tonality_rhythm(
    pitches: Sequence[int], durations: Sequence[int], span: int = 12, hop: int = 4, mode: str = "paper"
) -> dict[str, float]:
    """Rhythm-aware ``{"cmm", "lm", "centr", "general"}`` of one song (see :func:`score_songs_rhythm`)."""
    row = score_songs_rhythm([pitches], [durations], span=span, hop=hop, mode=mode)[0]
    return {name: float(value) for name, value in zip(SCORE_COLUMNS, row, strict=True)}


# ---------------------------------------------------------------------------------------------------------
# distribution features and the set comparison of Yang & Lerch (2018)


def distribution_features(pitches: Sequence[int]) -> dict[str, float]:
    """Per-song features (``FEATURE_NAMES``); needs at least 2 notes.

    - ``pitch_range``: highest minus lowest pitch, in semitones;
    - ``pitch_class_count``: how many of the 12 pitch classes the song uses;
    - ``pitch_class_entropy``: Shannon entropy of the pitch-class histogram, in bits (0 to log2 12);
    - ``scale_consistency``: the largest share of notes inside one major / natural-minor scale. The 24 such
      scales are 12 distinct pitch-class sets (a natural minor equals its relative major), so this is the
      best of the 12 major scales;
    - ``mean_abs_interval``: mean absolute interval between consecutive notes (the same number as CMM).
    """
    values, lengths = _flatten([pitches], "pitch", 0, 127)
    _check_lengths(lengths, 2, "the mean interval")
    class_histogram = np.bincount(values % 12, minlength=12)
    shares = class_histogram[class_histogram > 0] / len(values)
    return {
        "pitch_range": float(values.max() - values.min()),
        "pitch_class_count": float(len(shares)),
        "pitch_class_entropy": float(-(shares * np.log2(shares)).sum()) + 0.0,
        "scale_consistency": float((MAJOR_SCALES @ class_histogram).max() / len(values)),
        "mean_abs_interval": float(np.abs(np.diff(values)).mean()),
    }
