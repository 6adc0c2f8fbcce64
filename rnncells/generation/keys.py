"""Key, scale and register of generated songs: which tokens a song may take next, and where its notes may lie.

Register. Without a key a melody may use all of MIDI 0-127; with ``--key`` it keeps to the two octaves around the
tonic, ``[tonic - 12, tonic + 12]``. A note outside is moved by the fewest whole octaves back inside (the nearest
octave), so a step of at most 12 semitones never becomes a bigger leap (docs/method.md §3): a note one semitone
under the register moves up one octave, never two.

Scale. With ``--scale`` other than chromatic, sampling sees only tokens whose note is in the scale: the logits of
the others are set to -inf (:class:`ScaleMask`). A pitch token is in the scale when its pitch class is; an interval
token when the running pitch of its song plus the interval is, and stays inside MIDI 0-127.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnncells.data.vocab import Token
from rnncells.errors import InputError
from rnncells.music.melody import key_to_pitch_class

MIDDLE_C = 60
KEY_REACH = 12  # semitones a keyed melody may go below and above its tonic


@dataclass(frozen=True)
class Register:
    """The pitches ``low``-``high`` (inclusive, at least an octave apart) a melody keeps to."""

    low: int = 0
    high: int = 127

    def keep(self, pitch: int) -> int:
        """``pitch`` moved by the fewest whole octaves into the register."""
        while pitch < self.low:
            pitch += 12
        while pitch > self.high:
            pitch -= 12
        return pitch

    def keep_all(self, pitches: np.ndarray) -> np.ndarray:
        """:meth:`keep` for an array of pitches."""
        below = np.maximum(0, -((pitches - self.low) // 12))  # octaves up for pitches under low
        above = np.maximum(0, -((self.high - pitches) // 12))  # octaves down for pitches over high
        return pitches + 12 * below - 12 * above


MIDI_REGISTER = Register(0, 127)


def tonic_pitch(key: str, octave: int) -> int:
    """MIDI pitch of the key's tonic, ``octave`` counted from the middle octave (C4-B4); raises ValueError
    outside MIDI 0-127."""
    tonic = MIDDLE_C + key_to_pitch_class(key) + 12 * octave
    if not 0 <= tonic <= 127:
        raise InputError(f"key {key} at octave {octave:+d} gives pitch {tonic}, outside MIDI 0-127")
    return tonic


def key_register(tonic: int) -> Register:
    """The two octaves around ``tonic`` (module docstring), cut to MIDI 0-127."""
    return Register(max(0, tonic - KEY_REACH), min(127, tonic + KEY_REACH))


def token_values(tokens: list[Token]) -> np.ndarray:
    """The pitch or interval part of each token, as an int array."""
    return np.array([t[0] if isinstance(t, tuple) else t for t in tokens], dtype=np.int64)


class ScaleMask:
    """Which vocabulary tokens each row (song or beam) may take next; follows the rows' running pitches.

    Args:
        vocabulary_values: the vocabulary's tokens in index order.
        pitch_classes: the scale's pitch classes.
        interval: whether tokens are intervals (the mask then depends on each row's running pitch).
        register: where the running pitch is kept (as decoding keeps it).
        start_pitch: the running pitch before the first sampled token (the primer's last note).
        rows: how many rows are sampled side by side.
    """

    def __init__(
        self,
        vocabulary_values: list[Token],
        pitch_classes: frozenset[int],
        *,
        interval: bool,
        register: Register,
        start_pitch: int,
        rows: int,
    ):
        self.values = token_values(vocabulary_values)
        self.in_scale = np.array([pc in pitch_classes for pc in range(12)])
        self.interval = interval
        self.register = register
        self.pitch = np.full(rows, start_pitch, dtype=np.int64)

    def allowed(self) -> np.ndarray:
        """``(rows, vocabulary)`` booleans: True where the token's note is in the scale."""
        if not self.interval:
            return np.broadcast_to(self.in_scale[self.values % 12], (len(self.pitch), len(self.values)))
        landing = self.pitch[:, None] + self.values[None, :]
        return self.in_scale[landing % 12] & (landing >= 0) & (landing <= 127)

    def advance(self, chosen: np.ndarray) -> None:
        """Move each row's running pitch by the token it took (``chosen``: one vocabulary index per row)."""
        if self.interval:
            self.pitch = self.register.keep_all(self.pitch + self.values[chosen])

    def take(self, rows: np.ndarray) -> None:
        """Keep the rows ``rows`` (in that order), as beam search keeps its best beams."""
        self.pitch = self.pitch[rows]


def decode(
    tokens: list[Token],
    base_note: int | None,
    variant: str,
    representation: str,
    note_steps: int,
    register: Register = MIDI_REGISTER,
) -> tuple[list[int], list[int]]:
    """Pitches and durations of a token list, every pitch kept in ``register``.

    Interval songs are summed from their base note; a note that would leave the register moves by the nearest
    octave back inside and the melody continues from there. The base note takes the first interval's duration,
    each later note the next one's (the last repeats). Pitch-only tokens last ``note_steps`` 16ths.
    """
    pairs = representation == "pitch_duration"
    values = [int(t[0]) for t in tokens] if pairs else [int(t) for t in tokens]
    durations = [int(t[1]) for t in tokens] if pairs else [note_steps] * len(tokens)
    if variant != "interval":
        return [register.keep(v) for v in values], durations
    pitches = [register.keep(int(base_note))]
    for step in values:
        pitches.append(register.keep(pitches[-1] + step))
    return pitches, (durations + durations[-1:]) if durations else [note_steps]
