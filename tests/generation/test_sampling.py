"""Sampling under a scale mask, and beam search: Magenta's iterations, state that follows the kept beams, and the
exhaustive argmax on a tiny vocabulary."""

from __future__ import annotations

import hashlib
import itertools

import keras
import numpy as np
import pytest

from rnncells.config.generate import GenerateConfig
from rnncells.config.model import ModelConfig
from rnncells.generation.keys import MIDI_REGISTER, ScaleMask
from rnncells.generation.sampling import (
    DurationTempered,
    Stepper,
    apply_mask,
    beam_search,
    expanding_branch,
    log_softmax,
    sample,
    sample_songs,
    temper_durations,
)
from rnncells.models.factory import build_model, copy_trainable_weights


def test_masked_tokens_are_never_drawn_and_empty_rows_fall_back():
    rng = np.random.default_rng(1)
    logits = np.tile(np.array([3.0, 0.0, 2.0, -1.0]), (5000, 1))
    allowed = np.tile([False, True, False, True], (5000, 1))
    allowed[:10] = False

    class Fixed:
        fold = False

        def allowed(self):
            return allowed

    masked, fell_back = apply_mask(logits, Fixed())
    assert fell_back == 10
    np.testing.assert_array_equal(masked[0], logits[0])
    for config in (GenerateConfig(), GenerateConfig(sampling="topk", top_k=3), GenerateConfig(sampling="max")):
        drawn = sample(masked[10:], config, rng)
        assert set(np.unique(drawn)) <= {1, 3}
    ratio = (sample(masked[10:], GenerateConfig(), rng) == 1).mean()
    assert abs(ratio - np.exp(1) / (1 + np.exp(1))) < 0.03


class HashedModel:
    """A fake stateful model for a stepper: each row's state is its whole sequence, its logits a hash of it."""

    def __init__(self, vocabulary: int):
        self.vocabulary = vocabulary
        self.rows: list[list[int]] = []

    def logits(self, sequence: list[int]) -> np.ndarray:
        seed = int(hashlib.sha256(str(sequence).encode()).hexdigest()[:8], 16)
        return np.random.default_rng(seed).normal(size=self.vocabulary) * 2

    def prime(self, primer: np.ndarray) -> None:
        self.rows = [[int(t) for t in row[:-1]] for row in primer]

    def __call__(self, last: np.ndarray) -> np.ndarray:
        for row, token in zip(self.rows, last):
            row.append(int(token))
        return np.array([self.logits(row) for row in self.rows])

    def take(self, rows: np.ndarray) -> None:
        self.rows = [list(self.rows[i]) for i in rows]


def reference_beam_search(model: HashedModel, primer: list[int], n_steps: int, k: int, b: int, n: int) -> list[int]:
    """Magenta's beam_search written plainly, one sequence at a time, with branch c taking the c-th likeliest token."""

    def extend(sequence: list[int], score: float, copy: int | None) -> tuple[list[int], float]:
        log_p = log_softmax(model.logits(sequence)[None, :], 1.0)[0]
        if copy is None:
            token = int(log_p.argmax())
        elif copy < len(log_p):
            token = int(np.argsort(-log_p, kind="stable")[copy])
        else:
            return sequence + [0], -np.inf
        return sequence + [token], score + log_p[token]

    def branches(beam: list, copies: int, steps: int) -> list:
        out = []
        for sequence, score in beam:
            for copy in range(copies):
                entry = extend(sequence, score, copy)
                for _ in range(steps - 1):
                    entry = extend(*entry, None)
                out.append(entry)
        return out

    first = (n_steps - 1) % n + 1
    beam = branches([(list(primer), 0.0)], k * b, first)
    for _ in range((n_steps - first) // n):
        beam = sorted(beam, key=lambda entry: -entry[1])[:k]
        beam = branches(beam, b, n)
    return max(beam, key=lambda entry: entry[1])[0]


@pytest.mark.parametrize(("k", "b", "n", "steps"), [(2, 3, 2, 5), (3, 2, 1, 6), (1, 4, 3, 7), (2, 2, 4, 4)])
def test_beam_search_iterates_as_magenta_and_state_follows_the_kept_beams(k, b, n, steps):
    model = HashedModel(vocabulary=5)
    config = GenerateConfig(sampling="beam", beam_size=k, branch_factor=b, steps_per_iteration=n)
    songs, scores, _ = beam_search(model, [1, 2], 3, steps, config, np.random.default_rng(0), branch=expanding_branch)
    expected = reference_beam_search(HashedModel(5), [1, 2], steps, k, b, n)
    assert songs.shape == (3, 2 + steps)
    assert all(song.tolist() == expected for song in songs)


def tiny_models(vocabulary: int, rows: int) -> tuple[keras.Model, keras.Model]:
    """A stateless and a stateful (batch ``rows``) copy of one small random LSTM with well-separated logits."""
    keras.utils.set_random_seed(3)
    config = ModelConfig(cell="lstm", layers=2, units=8)
    stateless = build_model(config, vocabulary)
    stateless.get_layer("logits").kernel.assign(stateless.get_layer("logits").kernel * 6.0)
    stateful = build_model(config, vocabulary, batch_size=rows, stateful=True)
    copy_trainable_weights(stateless, stateful)
    return stateless, stateful


def test_beam_search_with_full_expansion_finds_the_exhaustive_argmax():
    vocabulary, length, primer = 3, 4, [0, 2]
    beam_size = vocabulary ** (length - 1)
    stateless, stateful = tiny_models(vocabulary, rows=2 * beam_size * vocabulary)
    candidates = np.array(list(itertools.product(range(vocabulary), repeat=length)))
    inputs = np.concatenate([np.tile(primer, (len(candidates), 1)), candidates[:, :-1]], axis=1)
    log_p = log_softmax(keras.ops.convert_to_numpy(stateless(inputs)).astype(np.float64), 1.0)
    steps = log_p[:, len(primer) - 1 :, :]
    totals = np.take_along_axis(steps, candidates[:, :, None], axis=2)[:, :, 0].sum(axis=1)
    best, second = np.sort(totals)[-1], np.sort(totals)[-2]
    assert best - second > 1e-3  # the argmax is clear of float noise

    config = GenerateConfig(sampling="beam", beam_size=beam_size, branch_factor=vocabulary, steps_per_iteration=1)
    rng = np.random.default_rng(0)
    songs, scores, _ = beam_search(Stepper(stateful), primer, 2, length, config, rng, branch=expanding_branch)
    for song, score in zip(songs, scores):
        assert song[len(primer) :].tolist() == candidates[totals.argmax()].tolist()
        assert score == pytest.approx(best, abs=1e-4)


def test_sampled_beam_search_is_seeded_and_scores_its_songs():
    stateless, stateful = tiny_models(4, rows=3 * 2 * 3)
    config = GenerateConfig(sampling="beam", beam_size=2, branch_factor=3, steps_per_iteration=2, temperature=1.0)
    first = beam_search(Stepper(stateful), [1], 3, 5, config, np.random.default_rng(7))
    again = beam_search(Stepper(stateful), [1], 3, 5, config, np.random.default_rng(7))
    np.testing.assert_array_equal(first[0], again[0])
    log_p = log_softmax(keras.ops.convert_to_numpy(stateless(first[0][:, :-1])).astype(np.float64), 1.0)
    totals = np.take_along_axis(log_p, first[0][:, 1:, None], axis=2)[:, :, 0].sum(axis=1)
    np.testing.assert_allclose(first[1], totals, atol=1e-4)


def test_masked_interval_sampling_stays_in_scale():
    _, stateful = tiny_models(5, rows=8)
    intervals = [-2, -1, 0, 1, 2]
    c_major = frozenset({0, 2, 4, 5, 7, 9, 11})
    mask = ScaleMask(intervals, c_major, interval=True, register=MIDI_REGISTER, start_pitch=60, rows=8)
    songs, fallbacks = sample_songs(Stepper(stateful), [2], 8, 30, GenerateConfig(), np.random.default_rng(0), mask)
    assert fallbacks == 0
    for song in songs:
        pitches = 60 + np.cumsum([intervals[i] for i in song[1:]])
        assert all(p % 12 in c_major for p in pitches)


def test_fold_keeps_the_mass_in_scale_inside_the_register_and_halves_leaps():
    from rnncells.generation.keys import LEAP_WEIGHT, Register, ScaleMask
    from rnncells.music.melody import scale_pitch_classes

    values = [60, 61, 62, 70, 80]  # C, C# (-> C or D), D, Bb (a leap from C), G#5 (outside the register)
    mask = ScaleMask(
        values,
        scale_pitch_classes("C", "major"),
        interval=False,
        register=Register(48, 72),
        start_pitch=60,
        rows=1,
        fold=True,
    )
    logits = np.log(np.array([[0.2, 0.2, 0.2, 0.2, 0.2]]))
    folded, fell_back = apply_mask(logits, mask, temperature=1.0)
    probabilities = np.exp(folded[0]) / np.exp(folded[0]).sum()
    # C# goes to C (nearer the last note C); Bb is no scale note either: no neighbour (A, B absent) -> dropped
    expected = np.array([0.4, 0, 0.2, 0, 0])
    assert fell_back == 0
    np.testing.assert_allclose(probabilities, expected / expected.sum())
    mask.in_scale[:] = True  # chromatic: Bb stays, a leap of a minor seventh, weighed by the prior
    folded, _ = apply_mask(logits, mask, temperature=1.0)
    probabilities = np.exp(folded[0]) / np.exp(folded[0]).sum()
    expected = np.array([0.2, 0.2, 0.2, 0.2 * LEAP_WEIGHT, 0])
    np.testing.assert_allclose(probabilities, expected / expected.sum())


def test_duration_tempering_keeps_the_pitch_marginal_and_sharpens_durations_given_the_pitch():
    """Tokens (60,1) (60,2) (60,4) (62,2) (64,2): pitch groups 0 0 0 1 2; the last token is masked."""
    pitch_of = np.array([0, 0, 0, 1, 2])
    logits = np.log(np.array([[0.1, 0.3, 0.2, 0.4, 1e-300]]))
    logits[0, -1] = -np.inf
    for temperature, duration_temperature in ((1.0, 0.5), (0.8, 1.2)):
        tempered = temper_durations(logits, pitch_of, temperature, duration_temperature)
        q = np.exp(log_softmax(tempered, temperature))[0]
        pitch = np.array([0.6, 0.4]) ** (1 / temperature)
        durations = np.array([1, 3, 2]) ** (1 / duration_temperature)
        expected = [*(durations / durations.sum() * pitch[0]), pitch[1], 0.0] / pitch.sum()
        assert np.allclose(q, expected) and q[-1] == 0 and tempered[0, -1] == -np.inf
    cold = np.exp(log_softmax(temper_durations(logits, pitch_of, 1.0, 0.01), 1.0))[0]  # each pitch's likeliest length
    assert np.allclose(cold, [0, 0.6, 0, 0.4, 0])


def test_beam_search_with_duration_tempering_scores_the_tempered_distribution():
    """The tempering wrapper passes priming and kept rows (take) through to the model's state."""
    stateless, stateful = tiny_models(4, rows=3 * 2 * 3)
    pitch_of = np.array([0, 0, 1, 1])
    config = GenerateConfig(sampling="beam", beam_size=2, branch_factor=3, steps_per_iteration=2, temperature=0.9)
    stepper = DurationTempered(Stepper(stateful), pitch_of, 0.9, 1.5)
    songs, scores, _ = beam_search(stepper, [1], 3, 5, config, np.random.default_rng(7))
    logits = keras.ops.convert_to_numpy(stateless(songs[:, :-1])).astype(np.float64)
    tempered = temper_durations(logits.reshape(-1, 4), pitch_of, 0.9, 1.5).reshape(logits.shape)
    totals = np.take_along_axis(log_softmax(tempered, 0.9), songs[:, 1:, None], axis=2)[:, :, 0].sum(axis=1)
    np.testing.assert_allclose(scores, totals, atol=1e-4)
