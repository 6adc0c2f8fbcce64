"""Primers: the notes a generated song starts from, as the model's tokens (README "Generation").

A primer is given as text, as a MIDI file, by a key, or not at all:

- text: note names (``"C4 E4 G4"``, C4 = 60) or MIDI numbers (``"60 64 67"``); ``pitch_duration`` runs take
  ``value:duration`` pairs (``"C4:4 E4:2"``, ``"62:8 64:4"``). Interval runs take a base note, then intervals
  (``"C4 2 2 -2"``, ``"62 2:8 1:4"``), or note names only, which become intervals (``"C4 E4 G4"`` = C4, +4, +3;
  each interval carries the duration of its first note, as in the dataset). A token the model does not know is
  a one-line error naming it.
- ``--primer-midi FILE``: the melody read as ``rnncells dataset build`` reads a file, turned into tokens as the
  dataset turns songs into tokens; a token the model does not know moves by the nearest octave to one it knows,
  or is refused in one line.
- ``--key``: the key's tonic at ``--octave`` (refused in one line, naming the octaves the model knows, when it
  does not know that note); interval runs: the tonic as base note, then the unison (or the smallest interval the
  model knows that lands in the scale).
- nothing: the study's primer, moved to the nearest transposition the model knows (:func:`study_primer`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from rnncells.config.generate import GenerateConfig
from rnncells.config.records import ConfigError
from rnncells.data.build import song_tokens
from rnncells.data.vocab import Token, Vocabulary, as_token
from rnncells.generation.keys import MIDDLE_C, tonic_pitch
from rnncells.music.melody import Note, key_to_pitch_class, note_name, pitch_from_name
from rnncells.music.midi import MidiReadError, read_midi

STUDY_PRIMERS = {
    ("pitch", "interval"): "60 2 2 -2",
    ("pitch", "other"): "60 62 64 62",
    ("pitch_duration", "interval"): "62 2:8 1:4",
    ("pitch_duration", "other"): "62:8 64:4 65:4",
}
NOTE_NAME = re.compile(r"^[A-Ga-g][#b]*-?\d+$")
OCTAVES = range(-5, 6)  # --octave values that can hold a tonic inside MIDI 0-127


@dataclass
class Primer:
    """The primer as tokens, and how it was made (recorded in generation.json)."""

    base_note: int | None
    tokens: list[Token]
    source: str  # text, midi, key or study
    moved: int = 0  # MIDI primer tokens moved to an octave the model knows
    detail: dict = field(default_factory=dict)

    def record(self) -> dict:
        tokens = [list(t) if isinstance(t, tuple) else t for t in self.tokens]
        return {
            "source": self.source,
            "base_note": self.base_note,
            "tokens": tokens,
            "moved": self.moved,
            **self.detail,
        }


def parse_value(text: str, what: str) -> tuple[int, bool]:
    """A note name or a whole number, and whether it was a name."""
    if NOTE_NAME.match(text):
        pitch = pitch_from_name(text)
        if not 0 <= pitch <= 127:
            raise ConfigError(f"{what} {text!r} is pitch {pitch}, outside MIDI 0-127 (C-1 to G9)")
        return pitch, True
    try:
        return int(text), False
    except ValueError:
        raise ConfigError(f"{what} {text!r} is not a whole number or a note name such as C4, F#3 or Bb4") from None


def _split(item: str, pairs: bool, duration_needed: bool = True) -> tuple[int, bool, int | None]:
    """``(value, is_name, duration)`` of one primer item."""
    value, colon, duration = item.partition(":")
    if pairs and not colon and duration_needed:
        raise ConfigError(f"primer item {item!r}: this run takes value:duration pairs, e.g. C4:4 or 62:4")
    if not pairs and colon:
        raise ConfigError(f"primer item {item!r}: this run takes single values, not value:duration pairs")
    number, is_name = parse_value(value, "primer value")
    return number, is_name, (parse_value(duration, "primer duration")[0] if colon else None)


def parse_primer(text: str, variant: str, representation: str) -> tuple[int | None, list[Token]]:
    """``(base_note, tokens)`` from primer text (module docstring); base_note is None unless interval."""
    items = text.replace(",", ":").split()
    pairs = representation == "pitch_duration"
    if not items:
        raise ConfigError('empty primer: give notes such as --primer "C4 E4 G4" or "60 64 67"')
    if variant != "interval":
        parsed = [_split(item, pairs) for item in items]
        return None, [(value, duration) if pairs else value for value, _, duration in parsed]
    if len(items) < 2:
        raise ConfigError('an interval primer needs a base note and at least one interval, e.g. "C4 2 2 -2"')
    later = [NOTE_NAME.match(item.partition(":")[0]) is not None for item in items[1:]]
    if all(later):
        return _notes_to_intervals(items, pairs)
    if any(later):
        raise ConfigError(f"primer {text!r}: after the base note give intervals or note names, not both")
    base = None if ":" in items[0] else parse_value(items[0], "primer base note")[0]
    if base is None or not 0 <= base <= 127:
        raise ConfigError(f"primer base note {items[0]!r}: give a note name or a MIDI number 0-127, e.g. C4 or 60")
    parsed = [_split(item, pairs) for item in items[1:]]
    return base, [(value, duration) if pairs else value for value, _, duration in parsed]


def _notes_to_intervals(items: list[str], pairs: bool) -> tuple[int, list[Token]]:
    """Note names (with durations for pairs; the last one's is optional) as a base note and intervals."""
    parsed = [_split(item, pairs, duration_needed=index < len(items) - 1) for index, item in enumerate(items)]
    pitches = [value for value, _, _ in parsed]
    if not 0 <= pitches[0] <= 127:
        raise ConfigError(f"primer base note {items[0]!r} is outside MIDI 0-127")
    steps = [b - a for a, b in zip(pitches, pitches[1:])]
    if not pairs:
        return pitches[0], list(steps)
    return pitches[0], [(step, duration) for step, (_, _, duration) in zip(steps, parsed)]


def text_primer(text: str, variant: str, representation: str) -> Primer:
    """:func:`parse_primer` as a :class:`Primer`."""
    base, tokens = parse_primer(text, variant, representation)
    return Primer(base, tokens, "text", detail={"text": text})


def study_primer(vocabulary: Vocabulary, variant: str, representation: str) -> Primer:
    """The study's primer for the run's variant, moved to the nearest transposition the model knows.

    Pitch tokens are shifted by whole octaves first, then by semitones (nearest first); an interval primer keeps
    its intervals and moves only its base note. A corpus without the study's notes (EDM has no D4) still gets the
    study's melodic shape.
    """
    family = "interval" if variant == "interval" else "other"
    base, tokens = parse_primer(STUDY_PRIMERS[(representation, family)], variant, representation)
    if variant != "interval" and not all(t in vocabulary for t in tokens):
        shifts = [12 * k for k in (1, -1, 2, -2, 3, -3)] + [s for k in range(1, 12) for s in (k, -k)]
        for shift in shifts:
            moved = [(t[0] + shift, t[1]) if isinstance(t, tuple) else t + shift for t in tokens]
            if all(t in vocabulary for t in moved):
                tokens = moved
                break
    return Primer(base, tokens, "study")  # nothing fits: encoding names the unknown token


def keyed_primer(
    vocabulary: Vocabulary, variant: str, key: str, octave: int | None, pitch_classes: frozenset[int]
) -> tuple[Primer, int]:
    """The primer on the key's tonic (module docstring) and the octave it is in."""
    pairs = bool(vocabulary.values) and isinstance(vocabulary.values[0], tuple)
    pitch_class = key_to_pitch_class(key)
    if variant == "interval":
        octave = 0 if octave is None else octave
        try:
            tonic = tonic_pitch(key, octave)
        except ValueError as error:
            raise ConfigError(str(error)) from None

        def interval_closeness(token: Token) -> tuple[bool, bool, int, int]:
            step, duration = token if pairs else (token, 4)
            landing = tonic + step
            return (landing % 12 not in pitch_classes, not 0 <= landing <= 127, abs(step), abs(duration - 4))

        return Primer(tonic, [min(vocabulary.values, key=interval_closeness)], "key"), octave
    known = [o for o in OCTAVES if any(_value(t) == MIDDLE_C + pitch_class + 12 * o for t in vocabulary.values)]
    if not known:
        raise ConfigError(f"key {key}: the model knows no {key} in any octave; choose a key whose tonic it knows")
    if octave is None:
        octave = min(known, key=lambda o: (abs(o), o))
    elif octave not in known:
        names = ", ".join(f"{o:+d} ({note_name(MIDDLE_C + pitch_class + 12 * o)})" for o in known)
        raise ConfigError(f"--octave {octave:+d}: the model knows {key} only at octave(s) {names}; pass one of them")
    tonic = MIDDLE_C + pitch_class + 12 * octave
    first = min((t for t in vocabulary.values if _value(t) == tonic), key=lambda t: abs(t[1] - 4) if pairs else 0)
    return Primer(None, [first], "key"), octave


def primer_for(
    config: GenerateConfig,
    vocabulary: Vocabulary,
    variant: str,
    representation: str,
    track: str | None,
    pitch_classes: frozenset[int],
    clip: list[Note] | None = None,
) -> tuple[Primer, int | None]:
    """The primer ``config`` asks for (a clip's notes, MIDI file, text, key or the study's) and the key's octave
    (None without a key); no Keras, so a grid checks it against each variant's vocabulary before anything trains."""
    octave = (config.octave or 0) if config.key else None
    if config.primer and config.primer_midi:
        raise ConfigError("give --primer or --primer-midi, not both")
    if clip is not None:
        path = config.variations_of or config.primer_midi or ""
        return midi_primer(path, vocabulary, variant, representation, track, clip), octave
    if config.primer_midi:
        return midi_primer(config.primer_midi, vocabulary, variant, representation, track), octave
    if config.primer:
        return text_primer(config.primer, variant, representation), octave
    if config.key:
        return keyed_primer(vocabulary, variant, config.key, config.octave, pitch_classes)
    return study_primer(vocabulary, variant, representation), octave


def _value(token: Token) -> int:
    return token[0] if isinstance(token, tuple) else token


def midi_primer(
    path: str | Path,
    vocabulary: Vocabulary,
    variant: str,
    representation: str,
    track: str | None,
    notes: list[Note] | None = None,
) -> Primer:
    """The melody of a MIDI file (or ``notes`` of it, as a clip workflow keeps them) as the model's tokens (module
    docstring)."""
    if notes is None:
        try:
            notes = read_midi(path, track).notes
        except MidiReadError as error:
            raise ConfigError(f"--primer-midi: {error}") from None
    pitches, durations = [n.pitch for n in notes], [n.duration for n in notes]
    if variant == "interval" and len(pitches) < 2:
        raise ConfigError(f"--primer-midi {path}: an interval run needs a melody of at least 2 notes")
    tokens = [as_token(t) for t in song_tokens(pitches, durations, variant, representation)]
    known, moved = [], 0
    for number, token in enumerate(tokens, start=1):
        near = nearest_known_octave(token, vocabulary)
        if near is None:
            raise ConfigError(
                f"--primer-midi {path}: token {number} ({vocabulary.label(token)}) is in no octave the model knows; "
                "choose another file or a primer the model knows"
            )
        known.append(near)
        moved += near != token
    base = pitches[0] if variant == "interval" else None
    return Primer(base, known, "midi", moved, {"midi": str(path), "notes": len(pitches)})


def nearest_known_octave(token: Token, vocabulary: Vocabulary) -> Token | None:
    """``token`` if the vocabulary knows it, else its value moved by the fewest octaves to a token it knows."""
    for octaves in range(0, 11):
        for shift in sorted({12 * octaves, -12 * octaves}):
            moved = (token[0] + shift, token[1]) if isinstance(token, tuple) else token + shift
            if moved in vocabulary:
                return moved
    return None
