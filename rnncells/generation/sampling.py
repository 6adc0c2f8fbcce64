"""Drawing tokens from a stateful model: roulette, max and top-k sampling, and Magenta's beam search.

All songs (and, for beam search, all their beams and branches) run side by side as the rows of one stateful model
(:class:`Stepper`): the state is primed with every primer token but the last, then each step feeds every row its
last token and reads the next logits. A :class:`~rnncells.generation.keys.ScaleMask` may forbid tokens per row; a row
whose every token is forbidden draws from its unmasked distribution for that step, and the step is counted.

Beam search (``sampling="beam"``) follows Magenta's ``melody_rnn``: the beam starts as ``beam_size`` copies of the
primer; each iteration copies every beam ``branch_factor`` times, extends every copy by ``steps_per_iteration``
drawn tokens (the first iteration by ``(length - 1) % steps_per_iteration + 1``, so that later ones are whole),
then keeps the ``beam_size`` copies of highest total log-probability (at the temperature, after the mask). The
best sequence of the last iteration is the song. Kept rows take their recurrent state with them (:meth:`Stepper.take`).
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np

from rnncells.config.generate import GenerateConfig
from rnncells.generation.keys import ScaleMask, fold_logits
from rnncells.models.factory import recurrent_layers, reset_states


class Stepper:
    """A stateful Keras model (batch = rows) seen as a step function with a state that can follow kept rows."""

    def __init__(self, model: keras.Model):
        self.model = model

    def prime(self, primer: np.ndarray) -> None:
        """Reset the state and feed every row all its primer tokens but the last (``primer``: rows x tokens)."""
        reset_states(self.model)
        if primer.shape[1] > 1:
            self.model(primer[:, :-1].astype(np.int32), training=False)

    def __call__(self, last: np.ndarray) -> np.ndarray:
        """Feed each row its last token (``last``: one index per row); the next-token logits, rows x vocabulary."""
        logits = self.model(last.astype(np.int32)[:, None], training=False)
        return keras.ops.convert_to_numpy(logits)[:, -1, :].astype(np.float64)

    def take(self, rows: np.ndarray) -> None:
        """Make row ``i`` of the state the former row ``rows[i]``, in every recurrent layer."""
        indices = keras.ops.convert_to_tensor(np.asarray(rows, dtype=np.int32))
        for layer in recurrent_layers(self.model):
            for variable in layer.states or ():
                variable.assign(keras.ops.take(variable, indices, axis=0))


def _group_logsumexp(values: np.ndarray, pitch_of: np.ndarray) -> np.ndarray:
    """For each token (column), the log of the summed exp of ``values`` over its pitch group; -inf for a group whose
    values are all -inf."""
    order = np.argsort(pitch_of, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(pitch_of[order]) != 0])
    ordered = values[:, order]
    top = np.maximum.reduceat(ordered, starts, axis=1)
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        sums = np.log(np.add.reduceat(np.exp(ordered - top[:, pitch_of[order]]), starts, axis=1)) + top
    groups = np.empty_like(pitch_of)
    groups[order] = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(order)]))
    return sums[:, groups]


def temper_durations(
    logits: np.ndarray, pitch_of: np.ndarray, temperature: float, duration_temperature: float
) -> np.ndarray:
    """Logits whose softmax at ``temperature`` draws each pitch by the model's pitch marginal at ``temperature``
    and then its duration by the model's durations given that pitch at ``duration_temperature``.

    ``pitch_of``: each token's pitch (or interval) group. -inf logits stay -inf.
    """
    with np.errstate(invalid="ignore"):
        log_p = logits - _group_logsumexp(logits, np.zeros_like(pitch_of))
        log_pitch = _group_logsumexp(log_p, pitch_of)
        scaled = (log_p - log_pitch) / duration_temperature
        log_duration = scaled - _group_logsumexp(scaled, pitch_of)
        tempered = log_pitch + temperature * log_duration
    return np.where(np.isfinite(logits) & ~np.isnan(tempered), tempered, -np.inf)


class DurationTempered:
    """A :class:`Stepper` whose logits are :func:`temper_durations`'s: pitches drawn at the sampling temperature,
    each note's duration given its pitch at ``duration_temperature`` (``pitch_duration`` runs)."""

    def __init__(self, stepper: Stepper, pitch_of: np.ndarray, temperature: float, duration_temperature: float):
        self.stepper, self.pitch_of = stepper, pitch_of
        self.temperature, self.duration_temperature = temperature, duration_temperature

    def prime(self, primer: np.ndarray) -> None:
        self.stepper.prime(primer)

    def __call__(self, last: np.ndarray) -> np.ndarray:
        return temper_durations(self.stepper(last), self.pitch_of, self.temperature, self.duration_temperature)

    def take(self, rows: np.ndarray) -> None:
        self.stepper.take(rows)


def apply_mask(logits: np.ndarray, mask: ScaleMask | None, temperature: float = 1.0) -> tuple[np.ndarray, int]:
    """Logits with forbidden tokens at -inf (their probability folded onto in-scale neighbours when ``mask.fold``;
    :mod:`rnncells.generation.keys`), and how many rows fell back to their unmasked logits."""
    if mask is None:
        return logits, 0
    allowed = mask.allowed()
    if mask.fold:
        with np.errstate(divide="ignore"):
            folded = fold_logits(logits, mask.destinations(), temperature) + temperature * np.log(mask.leap_prior())
        empty = ~np.isfinite(folded).any(axis=-1)
        return np.where(empty[:, None], logits, folded), int(empty.sum())
    empty = ~allowed.any(axis=-1)
    allowed = allowed | empty[:, None]
    return np.where(allowed, logits, -np.inf), int(empty.sum())


def log_softmax(logits: np.ndarray, temperature: float) -> np.ndarray:
    """Row-wise log-probabilities of ``logits / temperature`` (-inf logits stay -inf)."""
    scaled = logits / temperature
    scaled = scaled - scaled.max(axis=-1, keepdims=True)
    with np.errstate(divide="ignore"):
        return scaled - np.log(np.exp(scaled).sum(axis=-1, keepdims=True))


def draw(probabilities: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One index per row, drawn with the row's ``probabilities``; an index of probability 0 is never drawn."""
    draws = rng.random((len(probabilities), 1))
    cumulative = probabilities.cumsum(axis=-1)
    chosen = (cumulative <= draws * cumulative[:, -1:]).sum(axis=-1)
    last_possible = probabilities.shape[-1] - 1 - (probabilities[:, ::-1] > 0).argmax(axis=-1)
    return np.minimum(chosen, last_possible)


def sample(logits: np.ndarray, config: GenerateConfig, rng: np.random.Generator) -> np.ndarray:
    """One token index per row of ``logits`` (n, vocab) by the configured rule; -inf logits are never taken."""
    if config.sampling == "max":
        return logits.argmax(axis=-1)
    scaled = logits.astype(np.float64) / config.temperature
    if config.sampling == "topk":
        k = min(config.top_k, scaled.shape[-1])
        cutoff = np.partition(scaled, -k, axis=-1)[:, -k][:, None]
        scaled = np.where(scaled >= cutoff, scaled, -np.inf)
    scaled -= scaled.max(axis=-1, keepdims=True)
    return draw(np.exp(scaled), rng)


def sample_songs(
    stepper: Stepper,
    primer: list[int],
    n_songs: int,
    n_steps: int,
    config: GenerateConfig,
    rng: np.random.Generator,
    mask: ScaleMask | None = None,
) -> tuple[np.ndarray, int]:
    """Sample ``n_steps`` indices after the primer for each song (roulette, max or topk).

    Returns the songs, ``(n_songs, len(primer) + n_steps)`` indices with the primer, and the mask fallbacks.
    """
    produced = np.tile(np.asarray(primer, dtype=np.int64), (n_songs, 1))
    stepper.prime(produced)
    columns, fallbacks = [produced], 0
    current = produced[:, -1]
    for _ in range(n_steps):
        logits, fell_back = apply_mask(stepper(current), mask, config.temperature)
        fallbacks += fell_back
        current = sample(logits, config, rng).astype(np.int64)
        if mask is not None:
            mask.advance(current)
        columns.append(current[:, None])
    return np.concatenate(columns, axis=1), fallbacks


# How a branch picks a token: (log-probabilities rows x vocabulary, each row's copy number or None after the
# first step of an iteration, rng) -> one index per row.
Brancher = Callable[[np.ndarray, np.ndarray | None, np.random.Generator], np.ndarray]


def sampled_branch(log_probabilities: np.ndarray, copy: np.ndarray | None, rng: np.random.Generator) -> np.ndarray:
    """Magenta's branching: every copy draws its own token from the distribution."""
    return draw(np.exp(log_probabilities), rng)


def expanding_branch(log_probabilities: np.ndarray, copy: np.ndarray | None, rng: np.random.Generator) -> np.ndarray:
    """Deterministic branching (for tests against exhaustive search): copy ``c`` of a beam takes its ``c``-th
    likeliest token, and the copies beyond the possible tokens take an impossible one; later steps take the
    likeliest."""
    if copy is None:
        return log_probabilities.argmax(axis=-1)
    ranked = np.argsort(-log_probabilities, axis=-1, kind="stable")
    chosen = ranked[np.arange(len(ranked)), np.minimum(copy, ranked.shape[-1] - 1)]
    possible = np.isfinite(log_probabilities).sum(axis=-1)
    impossible = np.full(len(chosen), -1)
    return np.where(copy < possible, chosen, impossible)


def beam_search(
    stepper: Stepper,
    primer: list[int],
    n_songs: int,
    n_steps: int,
    config: GenerateConfig,
    rng: np.random.Generator,
    mask: ScaleMask | None = None,
    branch: Brancher = sampled_branch,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Magenta's beam search (module docstring) for every song at once; the stepper's batch is
    ``n_songs * beam_size * branch_factor`` rows.

    Returns the best sequence of each song, ``(n_songs, len(primer) + n_steps)`` indices with the primer, its total
    log-probability, and the mask fallbacks (every row that fell back, on any step, counts once per step).
    """
    width = config.beam_size * config.branch_factor
    sequences = np.tile(np.asarray(primer, dtype=np.int64), (n_songs * width, 1))
    stepper.prime(sequences)
    scores = np.zeros(len(sequences))
    copy = np.tile(np.arange(width), n_songs)  # the first iteration branches the primer into every row
    first = (n_steps - 1) % config.steps_per_iteration + 1 if n_steps else 0
    iterations = [first] + [config.steps_per_iteration] * ((n_steps - first) // config.steps_per_iteration)
    fallbacks = 0
    for number, steps in enumerate(iterations):
        if number:
            kept = _best_rows(scores, n_songs, config.beam_size)
            rows = np.repeat(kept, config.branch_factor)
            sequences, scores = sequences[rows], scores[rows]
            stepper.take(rows)
            if mask is not None:
                mask.take(rows)
            copy = np.tile(np.arange(config.branch_factor), len(kept))
        for step in range(steps):
            sequences, scores, fell_back = _extend(
                stepper, sequences, scores, config, rng, mask, branch, copy if step == 0 else None
            )
            fallbacks += fell_back
    best = _best_rows(scores, n_songs, 1)
    return sequences[best], scores[best], fallbacks


def _extend(
    stepper: Stepper,
    sequences: np.ndarray,
    scores: np.ndarray,
    config: GenerateConfig,
    rng: np.random.Generator,
    mask: ScaleMask | None,
    branch: Brancher,
    copy: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, int]:
    """One drawn token for every row, its log-probability added to the row's score."""
    logits, fell_back = apply_mask(stepper(sequences[:, -1]), mask, config.temperature)
    log_probabilities = log_softmax(logits, config.temperature)
    chosen = branch(log_probabilities, copy, rng)
    possible = chosen >= 0
    chosen = np.where(possible, chosen, 0)
    gained = np.where(possible, log_probabilities[np.arange(len(chosen)), chosen], -np.inf)
    if mask is not None:
        mask.advance(chosen)
    return np.concatenate([sequences, chosen[:, None]], axis=1), scores + gained, fell_back


def _best_rows(scores: np.ndarray, n_songs: int, keep: int) -> np.ndarray:
    """The global row numbers of each song's ``keep`` best rows, best first, song by song."""
    per_song = scores.reshape(n_songs, -1)
    order = np.argsort(-per_song, axis=1, kind="stable")[:, :keep]
    return (order + np.arange(n_songs)[:, None] * per_song.shape[1]).ravel()
