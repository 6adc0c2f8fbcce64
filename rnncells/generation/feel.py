"""Feel: accents on strong beats (velocity) and a note-density control (rests), both off by default.

``accent`` A: a note starting on a bar's downbeat plays at velocity 80 + A, on another beat at 80 + A/2, off the
beat at 80 - A/2 (clipped to 1-127); 0 leaves every note at 80, as the study's songs are. ``rests`` R: each note that
starts off the beat becomes a rest with probability R (its onset stays empty, the other notes keep theirs), so the
melody breathes; 0 keeps every note. The draws are seeded by the generation seed.
"""

from __future__ import annotations

import numpy as np

from rnncells.music.melody import STEPS_PER_BAR, STEPS_PER_QUARTER, Note

BASE_VELOCITY = 80


def accents(notes: list[Note], accent: int) -> list[int]:
    """Each note's velocity (module docstring)."""
    velocities = []
    for note in notes:
        if note.onset % STEPS_PER_BAR == 0:
            lift = accent
        elif note.onset % STEPS_PER_QUARTER == 0:
            lift = accent // 2
        else:
            lift = -(accent // 2)
        velocities.append(int(np.clip(BASE_VELOCITY + lift, 1, 127)))
    return velocities


def thin(notes: list[Note], rests: float, rng: np.random.Generator, keep_before: int = 0) -> list[Note]:
    """``notes`` with each off-beat note from step ``keep_before`` on dropped with probability ``rests``; the first
    note always stays."""
    if rests <= 0:
        return notes
    draws = rng.random(len(notes))
    return [
        note
        for number, (note, draw) in enumerate(zip(notes, draws))
        if number == 0 or note.onset < keep_before or note.onset % STEPS_PER_QUARTER == 0 or draw >= rests
    ]
