"""Cleaning, intervals and the 12-key transposition (DB12) of docs/method.md §1."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, replace

from rnncells.errors import InputError
from rnncells.music.melody import Melody, Note

LOWEST_PITCH, HIGHEST_PITCH = 0, 127
N_KEYS = 12


@dataclass(frozen=True)
class CleaningRules:
    """docs/method.md §1: at least ``min_notes``; with rhythm, every duration within [min_duration, max_duration]."""

    min_notes: int = 12
    check_durations: bool = False
    min_duration: int = 1
    max_duration: int = 16

    def failure(self, melody: Melody) -> str | None:
        """The first rule the melody breaks, as a short reason, or ``None`` if it is kept."""
        if len(melody.notes) < self.min_notes:
            return f"fewer than {self.min_notes} notes"
        if self.check_durations:
            durations = melody.durations
            if min(durations) < self.min_duration:
                return f"a note shorter than {_steps(self.min_duration)}"
            if max(durations) > self.max_duration:
                return f"a note longer than {_steps(self.max_duration)}"
        return None


def clean(melodies: list[Melody], rules: CleaningRules) -> tuple[list[Melody], list[tuple[Melody, str]], Counter]:
    """Split melodies into kept and dropped (with reasons); the counter holds each rule's drops."""
    kept, dropped, counts = [], [], Counter()
    for melody in melodies:
        reason = rules.failure(melody)
        if reason is None:
            kept.append(melody)
        else:
            dropped.append((melody, reason))
            counts[reason] += 1
    return kept, dropped, counts


def to_intervals(pitches: list[int]) -> list[int]:
    """``d[i] = p[i+1] - p[i]``: one element fewer than the song."""
    return [b - a for a, b in zip(pitches, pitches[1:])]


def from_intervals(base_note: int, intervals: list[int]) -> list[int]:
    """Inverse of :func:`to_intervals`: the base note, then each interval added in turn."""
    pitches = [base_note]
    for step in intervals:
        pitches.append(pitches[-1] + step)
    return pitches


def fold_into_range(pitches: list[int], low: int = LOWEST_PITCH, high: int = HIGHEST_PITCH) -> list[int]:
    """Move each out-of-range pitch by whole octaves into [low, high] (pitch class kept; used for decoding)."""
    folded = []
    for pitch in pitches:
        while pitch < low:
            pitch += 12
        while pitch > high:
            pitch -= 12
        folded.append(pitch)
    return folded


@dataclass(frozen=True)
class Transposition:
    """The 12 offsets of one song and whether the 0-127 range moved them from the study's rule."""

    offsets: list[int]
    range_adjusted: bool


def transposition_offsets(pitches: list[int], rule: str = "floor") -> Transposition:
    """The study's DB12 offsets: the original (0), then -1 ... -down, then +1 ... +up (docs/method.md §1).

    ``rule="floor"`` splits the spare semitones with integer division as the study's data were built;
    ``"ceil"`` gives the extra one to ``up`` as the study intended.

    Range rule (ours; the original never checked): if ``lowest - down < 0`` or ``highest + up > 127`` the
    window of 12 keys slides the other way by the excess, so there are still 12 versions spanning 11 semitones,
    the original among them, and every pitch stays in 0-127. A song spanning more than 116 semitones has no such
    window and raises ``ValueError``.
    """
    lo, hi = min(pitches), max(pitches)
    if hi - lo > HIGHEST_PITCH - LOWEST_PITCH - (N_KEYS - 1):
        raise InputError(f"pitch range {lo}-{hi} is too wide for 12 transpositions inside 0-127")
    mid = (hi - lo) // 2 + lo
    gap = 60 - mid
    rest = (N_KEYS - 1) - abs(gap)
    if rest >= 0:
        up = math.ceil(rest / 2) if rule == "ceil" else rest // 2
        down = rest - up
        if gap < 0:
            down += abs(gap)
        else:
            up += abs(gap)
    elif gap <= 0:
        down, up = N_KEYS - 1, 0
    else:
        down, up = 0, N_KEYS - 1
    adjusted = False
    if lo - down < LOWEST_PITCH:
        excess = LOWEST_PITCH - (lo - down)
        down, up, adjusted = down - excess, up + excess, True
    if hi + up > HIGHEST_PITCH:
        excess = hi + up - HIGHEST_PITCH
        down, up, adjusted = down + excess, up - excess, True
    offsets = [0] + [-k for k in range(1, down + 1)] + list(range(1, up + 1))
    return Transposition(offsets, adjusted)


def transpose(melody: Melody, offset: int) -> Melody:
    """The melody moved by ``offset`` semitones (raises if a pitch would leave 0-127)."""
    notes = [Note(n.onset, n.pitch + offset, n.duration) for n in melody.notes]
    if any(not LOWEST_PITCH <= n.pitch <= HIGHEST_PITCH for n in notes):
        raise InputError(f"transposing by {offset:+d} leaves the MIDI range 0-127")
    return replace(melody, notes=notes)


def transpose_to_12_keys(melody: Melody, rule: str = "floor") -> list[tuple[int, Melody]]:
    """The 12 versions of a song as (offset, melody), in the study's order."""
    plan = transposition_offsets(melody.pitches, rule)
    return [(offset, transpose(melody, offset)) for offset in plan.offsets]


def _steps(count: int) -> str:
    """A number of 16th steps in words: ``1 step``, ``16 steps``."""
    return f"{count} step{'' if count == 1 else 's'}"
