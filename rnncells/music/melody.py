"""Melodies as plain data: a note is (onset, pitch, duration) in 16th-note steps; note and interval names."""

from __future__ import annotations

from dataclasses import dataclass, field

from rnncells.errors import InputError

STEPS_PER_QUARTER = 4
STEPS_PER_BAR = 16
PITCH_CLASS_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
INTERVAL_NAMES = ("P1", "m2", "M2", "m3", "M3", "P4", "TT", "P5", "m6", "M6", "m7", "M7")


@dataclass(frozen=True)
class Note:
    """One note: onset and duration in 16th-note steps, pitch as a MIDI number (0-127)."""

    onset: int
    pitch: int
    duration: int


@dataclass
class Melody:
    """A monophonic melody with what its source said about it (all optional but the notes)."""

    notes: list[Note]
    source: str = ""
    artist: str | None = None
    title: str | None = None
    bpm: float | None = None
    time_signature: str | None = None
    key_signature: str | None = None
    track: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def pitches(self) -> list[int]:
        """The pitch sequence, in order."""
        return [note.pitch for note in self.notes]

    @property
    def durations(self) -> list[int]:
        """The duration sequence in 16th-note steps, in order."""
        return [note.duration for note in self.notes]


def melody_from_pitches(pitches: list[int], durations: list[int] | None = None, **info) -> Melody:
    """Lay pitches end to end (each note lasting until the next begins); durations default to one 16th."""
    durations = durations if durations is not None else [1] * len(pitches)
    notes, onset = [], 0
    for pitch, duration in zip(pitches, durations, strict=True):
        notes.append(Note(onset, int(pitch), int(duration)))
        onset += max(int(duration), 1)
    return Melody(notes, **info)


def note_name(pitch: int) -> str:
    """Scientific pitch name with C4 = 60 (so 61 = C#4, 21 = A0)."""
    return f"{PITCH_CLASS_NAMES[pitch % 12]}{pitch // 12 - 1}"


def interval_name(semitones: int) -> str:
    """A readable interval label: ``+M3`` up a major third, ``-P8`` down an octave, ``+M2+P8`` a ninth."""
    sign = "-" if semitones < 0 else "+"
    octaves, rest = divmod(abs(semitones), 12)
    if rest == 0 and octaves:
        return f"{sign}P8" if octaves == 1 else f"{sign}{octaves}P8"
    name = f"{sign}{INTERVAL_NAMES[rest]}" if semitones else "P1"
    return name + (f"+{octaves}P8" if octaves > 1 else "+P8" if octaves else "")


def pitch_from_name(name: str) -> int:
    """Inverse of :func:`note_name` (accepts ``F#``/``Gb`` style accidentals)."""
    text = name.strip()
    letter = text[0].upper()
    rest = text[1:]
    accidental = 0
    while rest and rest[0] in "#b":
        accidental += 1 if rest[0] == "#" else -1
        rest = rest[1:]
    octave = int(rest)
    return PITCH_CLASS_NAMES.index(letter) + accidental + 12 * (octave + 1)


def key_to_pitch_class(key: str) -> int:
    """Pitch class of a key name such as ``C``, ``F#``, ``Bb`` or ``a`` (case ignored)."""
    text = key.strip()
    if not text or text[0].upper() not in "CDEFGAB":
        raise InputError(f"unknown key {key!r}: use a letter A-G with an optional # or b, e.g. F# or Bb")
    pc = PITCH_CLASS_NAMES.index(text[0].upper())
    for char in text[1:]:
        if char == "#":
            pc += 1
        elif char == "b":
            pc -= 1
        else:
            raise InputError(f"unknown key {key!r}: use a letter A-G with an optional # or b, e.g. F# or Bb")
    return pc % 12


# Pitch classes above the tonic; chromatic (every class) leaves sampling unconstrained.
SCALES: dict[str, tuple[int, ...]] = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "natural_minor": (0, 2, 3, 5, 7, 8, 10),
    "harmonic_minor": (0, 2, 3, 5, 7, 8, 11),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "phrygian": (0, 1, 3, 5, 7, 8, 10),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
    "pentatonic_major": (0, 2, 4, 7, 9),
    "pentatonic_minor": (0, 3, 5, 7, 10),
    "chromatic": tuple(range(12)),
}


def scale_pitch_classes(key: str, scale: str) -> frozenset[int]:
    """The pitch classes (0 = C) of ``scale`` on the tonic ``key``, e.g. ``("F#", "major")``."""
    if scale not in SCALES:
        raise InputError(f"unknown scale {scale!r}: use one of {', '.join(SCALES)}")
    tonic = key_to_pitch_class(key)
    return frozenset((tonic + step) % 12 for step in SCALES[scale])
