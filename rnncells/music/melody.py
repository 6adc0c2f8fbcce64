"""Melodies as plain data: a note is (onset, pitch, duration) in 16th-note steps; note and interval names."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from rnncells.errors import InputError

STEPS_PER_QUARTER = 4
STEPS_PER_BAR = 16
PITCH_CLASS_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
FLAT_PITCH_CLASS_NAMES = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")
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


def note_name(pitch: int, flats: bool = False) -> str:
    """Scientific pitch name with C4 = 60 (so 61 = C#4, or Db4 with ``flats``; 21 = A0)."""
    names = FLAT_PITCH_CLASS_NAMES if flats else PITCH_CLASS_NAMES
    return f"{names[pitch % 12]}{pitch // 12 - 1}"


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


KEY_TEXT = re.compile(r"^([A-Ga-g])([#b♯♭]*)\s*(.*)$")
# What may follow a tonic (case ignored, spaces, hyphens and underscores alike): its scale.
KEY_QUALITIES = {"m": "natural_minor", "min": "natural_minor", "minor": "natural_minor", "maj": "major"}
SCALE_ALIASES = {"minor": "natural_minor"}  # --scale minor
# The major key whose signature a mode shares lies this many semitones under the mode's tonic (A minor -> C).
SIGNATURE_OFFSETS = {"natural_minor": 9, "harmonic_minor": 9, "pentatonic_minor": 9, "dorian": 2, "phrygian": 4}
FLAT_MAJORS = frozenset({5, 10, 3, 8, 1, 6})  # F, Bb, Eb, Ab, Db, Gb major are written with flats
KEY_HELP = "e.g. F, F#, Bb, Fm, F minor, Ebm, C#m, Bb major, D dorian"


@dataclass(frozen=True)
class Key:
    """A key as a producer writes it: the tonic's pitch class, the tonic as written (``Bb``, ``C#``) and the scale the
    text named (None when it named only a tonic)."""

    tonic: int
    spelled: str
    scale: str | None


def parse_key(text: str) -> Key:
    """``Fm``, ``F minor``, ``F#m``, ``Bb``, ``Ebm``, ``C#m``, ``A major``, ``D dorian`` (tonic letter any case)."""
    match = KEY_TEXT.match(text.strip())
    if not match:
        raise InputError(f"unknown key {text!r}: start with a letter A-G and an optional # or b ({KEY_HELP})")
    letter, accidentals, quality = match.groups()
    accidentals = accidentals.replace("♯", "#").replace("♭", "b")
    tonic = PITCH_CLASS_NAMES.index(letter.upper()) + accidentals.count("#") - accidentals.count("b")
    quality = quality.strip()
    if quality == "M":
        scale: str | None = "major"
    else:
        word = re.sub(r"[\s_-]+", "_", quality.lower())
        scale = KEY_QUALITIES.get(word) or SCALE_ALIASES.get(word) or (word if word in SCALES else None)
        if word and scale is None:
            raise InputError(f"unknown key {text!r}: {quality!r} is not a scale; use {KEY_HELP}")
    return Key(tonic % 12, letter.upper() + accidentals, scale)


def key_to_pitch_class(key: str) -> int:
    """Pitch class of the tonic of a key such as ``C``, ``F#``, ``Bb``, ``Fm`` or ``F minor``."""
    return parse_key(key).tonic


def canonical_scale(scale: str) -> str:
    """A scale name of :data:`SCALES`, from it or an alias (``minor`` -> ``natural_minor``)."""
    name = SCALE_ALIASES.get(scale, scale)
    if name not in SCALES:
        raise InputError(f"unknown scale {scale!r}: use one of {', '.join(SCALE_NAMES)}")
    return name


def key_scale(key: str | None, scale: str | None) -> str:
    """The scale a melody keeps to: ``scale`` when given, else the key's (``Fm`` minor, ``F`` major), else none
    (chromatic) without a key."""
    if scale is not None:
        return canonical_scale(scale)
    if key is None:
        return "chromatic"
    return parse_key(key).scale or "major"


def uses_flats(key: str | None, scale: str | None = None) -> bool:
    """Whether notes in ``key`` are spelled with flats: as the key is written (``Bb``, ``Ebm``), else by its key
    signature (F major, D minor, C dorian: flats; G major, E minor: sharps)."""
    if key is None:
        return False
    parsed = parse_key(key)
    if "#" in parsed.spelled or "b" in parsed.spelled[1:]:
        return "b" in parsed.spelled[1:]
    offset = SIGNATURE_OFFSETS.get(key_scale(key, scale), 0)
    return (parsed.tonic - offset) % 12 in FLAT_MAJORS


def key_label(key: str, scale: str | None = None) -> str:
    """The key for file names: ``F-minor``, ``Bb-major``, ``C#-minor``, ``D-dorian``; the tonic alone when
    chromatic."""
    parsed = parse_key(key)
    name = key_scale(key, scale)
    if name == "chromatic":
        return parsed.spelled
    return f"{parsed.spelled}-{name.removeprefix('natural_').replace('_', '-')}"


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
SCALE_NAMES = (*SCALES, *SCALE_ALIASES)  # what --scale accepts


def scale_pitch_classes(key: str, scale: str) -> frozenset[int]:
    """The pitch classes (0 = C) of ``scale`` on the tonic ``key``, e.g. ``("F#", "major")``."""
    tonic = key_to_pitch_class(key)
    return frozenset((tonic + step) % 12 for step in SCALES[canonical_scale(scale)])


def laid_end_to_end(durations: Sequence[int]) -> list[int]:
    """Onsets of notes that each last until the next begins (a duration under one step counts as one)."""
    onsets, onset = [], 0
    for duration in durations:
        onsets.append(onset)
        onset += max(int(duration), 1)
    return onsets
