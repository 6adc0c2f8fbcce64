"""Clip workflows: new pitches on a clip's rhythm (``--variations-of``), or a clip's first bars kept and the rest
written (``--primer-midi CLIP --keep-bars N``).

Variations: the clip's first note (its first two for interval runs) is the primer, the model draws one note for
each further note of the clip, and the melody takes the clip's onsets and durations note for note (its rests
included), so only the pitches change. Keep-bars: the notes that start in the clip's first N bars are the primer;
the song starts with those notes exactly as the clip has them (onsets, durations, pitches), and the model's
continuation is laid end to end from bar N + 1.
"""

from __future__ import annotations

from dataclasses import dataclass

from rnncells.config.records import ConfigError
from rnncells.music.melody import STEPS_PER_BAR, Note
from rnncells.music.midi import MidiReadError, read_midi


@dataclass
class Clip:
    """What a clip workflow keeps of the clip: its notes (cut as the workflow asks) and which workflow."""

    notes: list[Note]
    mode: str  # "variations" or "keep"
    kept_steps: int = 0  # keep: where the continuation starts


def read_clip(path: str, track: str | None, flag: str) -> list[Note]:
    """The clip's melody notes, read as ``rnncells dataset build`` reads a file; one line when it cannot be read."""
    try:
        notes = read_midi(path, track).notes
    except MidiReadError as error:
        raise ConfigError(f"{flag}: {error}") from None
    if not notes:
        raise ConfigError(f"{flag} {path}: the file has no melody notes; choose a clip with notes")
    return notes


def variation_clip(path: str, track: str | None, bars: int | None) -> Clip:
    """The clip whose rhythm the variations keep (cut to ``bars`` when given)."""
    notes = read_clip(path, track, "--variations-of")
    if bars:
        notes = cut(notes, bars * STEPS_PER_BAR)
    return Clip(notes, "variations")


def kept_clip(path: str, track: str | None, keep_bars: int) -> Clip:
    """The notes of the clip's first ``keep_bars`` bars (a note that rings over the boundary is cut there)."""
    notes = cut(read_clip(path, track, "--primer-midi"), keep_bars * STEPS_PER_BAR)
    if not notes:
        raise ConfigError(f"--keep-bars {keep_bars}: the clip has no note in its first {keep_bars} bar(s)")
    return Clip(notes, "keep", keep_bars * STEPS_PER_BAR)


def cut(notes: list[Note], steps: int) -> list[Note]:
    """The notes that start before ``steps``, each ending there at the latest."""
    return [Note(n.onset, n.pitch, min(n.duration, steps - n.onset)) for n in notes if n.onset < steps]


def clip_notes(clip: Clip, pitches: list[int], durations: list[int], total_steps: int | None) -> list[Note]:
    """A song's notes from its decoded ``pitches``/``durations`` (primer included) and the clip (module
    docstring), cut to ``total_steps`` when given."""
    if clip.mode == "variations":
        notes = [Note(n.onset, p, n.duration) for n, p in zip(clip.notes, pitches)]
    else:
        notes, onset = list(clip.notes), clip.kept_steps
        for pitch, duration in zip(pitches[len(clip.notes) :], durations[len(clip.notes) :]):
            notes.append(Note(onset, pitch, max(duration, 1)))
            onset += max(duration, 1)
    return cut(notes, total_steps) if total_steps else notes
