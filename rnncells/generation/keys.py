"""Key, scale and register of generated songs: which tokens a song may take next, and where its notes may lie.

Register. Without a key a melody may use all of MIDI 0-127; with ``--key`` it keeps to the two octaves around the
tonic, ``[tonic - 12, tonic + 12]``. A note outside is moved by the fewest whole octaves back inside (the nearest
octave), so a step of at most 12 semitones never becomes a bigger leap (docs/method.md §3): a note one semitone
under the register moves up one octave, never two.

Scale. With a scale other than chromatic, sampling takes only tokens whose note is in the scale (:class:`ScaleMask`).
A pitch token is in the scale when its pitch class is; an interval token when the running pitch of its song plus
the interval is, and stays inside MIDI 0-127. Two rules say what becomes of the probability of the other tokens:

- ``fold`` (the default): each out-of-scale token gives its probability to the in-scale token one semitone (or,
  for gapped scales, two) above or below it, with the same duration - the one nearer the song's previous note,
  the lower on a tie. The model's wish "a step of a minor third" stays a step of a second or a third, so the
  melody keeps the model's leap profile (``benchmarks/bench_leaps.py``). Tokens whose note would leave the register
  are dropped too (the rest renormalised): moved by an octave, a step of a third across the register's edge would
  land as a leap of a sixth. Kept inside two octaves and started on the tonic, a model trained on songs in their
  own keys and registers still leaps about twice as often as its songs do, so ``fold`` also weighs every step over a
  fifth by ``--leap-weight`` (a voice-leading prior; default :data:`LEAP_WEIGHT`), which brings the pitch-only model's
  leaps back to the corpus's (a model that leaps less already, such as the default rhythm model, takes 1).
- ``mask``: their logits are set to -inf and the rest renormalised. A key-specific model asked for another key
  then puts its mass on whatever in-scale notes remain, often far ones: more leaps than the corpus has.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnncells.data.vocab import Token
from rnncells.errors import InputError
from rnncells.music.melody import key_to_pitch_class

MIDDLE_C = 60
KEY_REACH = 12  # semitones a keyed melody may go below and above its tonic
LEAP_WEIGHT = 0.5  # fold's default prior weight of a step over a fifth (bench_leaps.py: F minor 11% -> ~6%, corpus 6%)


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
        fold: bool = False,
        leap_weight: float = LEAP_WEIGHT,
    ):
        self.values = token_values(vocabulary_values)
        self.in_scale = np.array([pc in pitch_classes for pc in range(12)])
        self.interval = interval
        self.register = register
        self.pitch = np.full(rows, start_pitch, dtype=np.int64)
        self.fold = fold
        self.leap_weight = leap_weight
        self.neighbours = _neighbours(vocabulary_values)

    def landing(self) -> np.ndarray:
        """``(rows, vocabulary)``: the note each token would give each row (before register keeping)."""
        if not self.interval:
            return np.broadcast_to(self.values, (len(self.pitch), len(self.values)))
        return self.pitch[:, None] + self.values[None, :]

    def allowed(self) -> np.ndarray:
        """``(rows, vocabulary)`` booleans: True where the token's note is in the scale."""
        landing = self.landing()
        return self.in_scale[landing % 12] & (landing >= 0) & (landing <= 127)

    def destinations(self) -> np.ndarray:
        """``(rows, vocabulary)``: the token each token's probability goes to under ``fold`` (itself when in the
        scale; -1 when no in-scale neighbour is in the vocabulary)."""
        landing = self.landing()
        allowed = self.allowed() & (landing >= self.register.low) & (landing <= self.register.high)
        rows = np.arange(len(self.pitch))[:, None]
        target = np.where(self.neighbours >= 0, self.neighbours, 0)  # (vocabulary, shifts)
        usable = (self.neighbours >= 0)[None] & allowed[:, target]  # (rows, vocabulary, shifts)
        nearness = np.abs(landing[rows[:, :, None], target[None]] - self.pitch[:, None, None])
        cost = np.abs(SHIFTS)[None, None, :] * 1000 + nearness * 2 + (SHIFTS > 0)[None, None, :]
        cost = np.where(usable, cost, np.iinfo(np.int64).max)
        best = cost.argmin(axis=-1)
        chosen = np.where(usable.any(axis=-1), target[np.arange(len(self.values))[None, :], best], -1)
        return np.where(allowed, np.arange(len(self.values))[None, :], chosen)

    def leap_prior(self) -> np.ndarray:
        """``(rows, vocabulary)``: ``leap_weight`` where the token's note is over a fifth from the row's last
        note, else 1."""
        leaps = np.abs(self.landing() - self.pitch[:, None]) > 7
        return np.where(leaps, self.leap_weight, 1.0)

    def advance(self, chosen: np.ndarray) -> None:
        """Move each row's running pitch to the note of the token it took (``chosen``: one vocabulary index per row)."""
        if self.interval:
            self.pitch = self.register.keep_all(self.pitch + self.values[chosen])
        else:
            self.pitch = self.register.keep_all(self.values[chosen])

    def take(self, rows: np.ndarray) -> None:
        """Keep the rows ``rows`` (in that order), as beam search keeps its best beams."""
        self.pitch = self.pitch[rows]


SHIFTS = np.array([-1, 1, -2, 2])  # semitones to an out-of-scale note's in-scale neighbours, nearest first


def _neighbours(vocabulary_values: list[Token]) -> np.ndarray:
    """``(vocabulary, len(SHIFTS))``: the index of the token a shift of its note away (same duration), or -1."""
    index = {value: i for i, value in enumerate(vocabulary_values)}
    table = np.full((len(vocabulary_values), len(SHIFTS)), -1, dtype=np.int64)
    for i, value in enumerate(vocabulary_values):
        for j, shift in enumerate(SHIFTS):
            moved = (value[0] + int(shift), value[1]) if isinstance(value, tuple) else value + int(shift)
            table[i, j] = index.get(moved, -1)
    return table


def fold_logits(logits: np.ndarray, destinations: np.ndarray, temperature: float) -> np.ndarray:
    """Logits whose softmax at ``temperature`` is that of ``logits`` with each token's probability moved to its
    destination (-1: dropped); a token that receives nothing gets -inf."""
    scaled = logits / temperature
    scaled = scaled - scaled.max(axis=-1, keepdims=True)
    probabilities = np.exp(scaled)
    rows, size = logits.shape
    kept = destinations >= 0
    flat = (destinations + np.arange(rows)[:, None] * size)[kept]
    folded = np.bincount(flat, weights=probabilities[kept], minlength=rows * size).reshape(rows, size)
    with np.errstate(divide="ignore"):
        return np.log(folded) * temperature


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
