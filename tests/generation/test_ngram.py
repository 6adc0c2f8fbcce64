"""The n-gram baseline model against counts and probabilities worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnncells.errors import InputError
from rnncells.generation.ngram import NgramModel, NgramStepper, choose_order, validation_loss

# Two songs over a vocabulary of 3 indices: 0 1 0 1 2 and 1 0 1.
SONGS = [[0, 1, 0, 1, 2], [1, 0, 1]]


def test_counts_by_hand():
    model = NgramModel.fit(SONGS, order=2, vocabulary_size=3)
    # unigrams: every token of both songs (0 three times, 1 four times, 2 once)
    assert dict(model.counts[()]) == {0: 3, 1: 4, 2: 1}
    # bigrams inside songs only: after 0 -> 1 three times; after 1 -> 0 twice, 2 once; nothing crosses songs
    assert dict(model.counts[(0,)]) == {1: 3}
    assert dict(model.counts[(1,)]) == {0: 2, 2: 1}
    assert (2,) not in model.counts


def test_probabilities_by_hand():
    model = NgramModel.fit(SONGS, order=2, vocabulary_size=3)
    unigram = np.array([3 + 1, 4 + 1, 1 + 1]) / (8 + 3)  # add-one: (c + 1) / (N + V)
    assert model.probabilities([]) == pytest.approx(unigram)
    # Witten-Bell after 1: c = 3 followers, t = 2 distinct: (c(1, w) + 2 * P(w)) / (3 + 2)
    expected = (np.array([2, 0, 1]) + 2 * unigram) / 5
    assert model.probabilities([0, 1]) == pytest.approx(expected)  # only the last token counts at order 2
    assert model.probabilities([2]) == pytest.approx(unigram)  # an unseen context backs off
    for history in ([], [0], [1], [2]):
        assert model.probabilities(history).sum() == pytest.approx(1.0)


def test_unknown_tokens_cut_the_history():
    model = NgramModel.fit([[0, 1, None, 1, 2]], order=2, vocabulary_size=3)
    assert dict(model.counts[()]) == {0: 1, 1: 2, 2: 1}
    assert dict(model.counts[(0,)]) == {1: 1}
    assert dict(model.counts[(1,)]) == {2: 1}  # no bigram touches the unknown token


def test_validation_loss_by_hand():
    model = NgramModel.fit(SONGS, order=1, vocabulary_size=3)
    # predicted: the 2nd and 3rd token of [0, 1, 2]: -(log 5/11 + log 2/11) / 2
    loss = validation_loss(model, [[0, 1, 2]])
    assert loss == pytest.approx(-(math.log(5 / 11) + math.log(2 / 11)) / 2)
    assert math.isnan(validation_loss(model, [[0]]))


def markov_songs(rng: np.random.Generator, count: int) -> list[list[int]]:
    """Songs of 30 tokens from a first-order chain: the next token depends on the last one only."""
    chain = np.array([[0.1, 0.8, 0.1], [0.2, 0.1, 0.7], [0.6, 0.3, 0.1]])
    songs = []
    for _ in range(count):
        song = [0]
        for _ in range(29):
            song.append(int(rng.choice(3, p=chain[song[-1]])))
        songs.append(song)
    return songs


def test_order_chosen_by_validation_likelihood():
    rng = np.random.default_rng(0)
    model, losses = choose_order(markov_songs(rng, 20), markov_songs(rng, 10), 3, [1, 2, 3, 4])
    assert model.order == 2  # a first-order chain: one token of context, no more
    assert losses[2] == min(losses.values())
    assert losses[1] > losses[2] and losses[3] > losses[2]
    with pytest.raises(InputError, match="order 0"):
        NgramModel.fit(SONGS, order=0, vocabulary_size=3)


def test_stepper_follows_rows():
    model = NgramModel.fit(SONGS, order=2, vocabulary_size=3)
    stepper = NgramStepper(model)
    stepper.prime(np.array([[0, 1], [1, 0]]))
    logits = stepper(np.array([1, 0]))
    assert np.exp(logits[0]) == pytest.approx(model.probabilities([1]))
    assert np.exp(logits[1]) == pytest.approx(model.probabilities([0]))
    stepper.take(np.array([1, 1, 0]))
    assert stepper.histories == [[0], [0], [1]]
