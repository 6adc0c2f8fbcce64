"""An n-gram (Markov) model of token indices: the study's non-neural baseline (no Keras here).

The model counts, for every context length ``k < order``, how often each token follows each ``k`` tokens inside one
song (no n-gram crosses a song boundary; a song's first tokens have shorter contexts). Its probabilities are
Witten-Bell interpolated, so an unseen context or token still gets a share:

    P(w | h) = (c(h, w) + t(h) * P(w | h')) / (c(h) + t(h))

where ``c(h)`` counts the tokens that followed ``h``, ``t(h)`` the distinct ones and ``h'`` is ``h`` without its
oldest token; a context never seen (``c(h) = 0``) falls back to ``P(w | h')``. The empty context is add-one
smoothed, ``(c(w) + 1) / (N + V)``, so no token of the vocabulary has probability 0.

The order is chosen by validation likelihood (:func:`choose_order`): the mean negative log-likelihood, in nats per
predicted token, of the validation songs, as the recurrent models' validation loss is. Pairs that touch a token
outside the vocabulary are left out, as the training windows leave them out (rnncells.data.windows).

:class:`NgramStepper` has the step interface of rnncells.generation.sampling's ``Stepper`` (prime, call, take), so
the n-gram draws its songs with the very sampling code (and scale masks) the recurrent models use.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from rnncells.errors import InputError

Context = tuple[int, ...]
NGRAM_CELL = "ngram"  # the ``cell`` of an n-gram song set (its ``layers`` is the order)


@dataclass
class NgramModel:
    """Counts of an n-gram model over ``vocabulary_size`` token indices (module docstring)."""

    order: int
    vocabulary_size: int
    counts: dict[Context, Counter] = field(default_factory=dict)  # context (0 to order-1 tokens) -> next-token counts
    _cache: dict[Context, np.ndarray] = field(default_factory=dict, repr=False)

    @classmethod
    def fit(cls, songs: Sequence[Sequence[int | None]], order: int, vocabulary_size: int) -> NgramModel:
        """Count the n-grams of ``songs`` (lists of token indices; ``None`` marks a token outside the vocabulary)."""
        if order < 1:
            raise InputError(f"n-gram order {order}: use 1 or more (1 = unigram)")
        if vocabulary_size < 1:
            raise InputError("n-gram vocabulary: empty; build the dataset from songs with notes")
        model = cls(order, vocabulary_size)
        for song in songs:
            for position, history, _ in _events(song, order):
                token = song[position]
                for k in range(len(history) + 1):
                    context = tuple(history[len(history) - k :])
                    model.counts.setdefault(context, Counter())[token] += 1
        return model

    def probabilities(self, history: Sequence[int]) -> np.ndarray:
        """P(next token | the last ``order - 1`` tokens of ``history``), one probability per vocabulary index."""
        context = tuple(history[max(0, len(history) - (self.order - 1)) :]) if self.order > 1 else ()
        return self._probabilities(context)

    def _probabilities(self, context: Context) -> np.ndarray:
        cached = self._cache.get(context)
        if cached is not None:
            return cached
        counts = self.counts.get(context, Counter())
        observed = np.zeros(self.vocabulary_size)
        for token, count in counts.items():
            observed[token] = count
        total = observed.sum()
        if not context:
            result = (observed + 1.0) / (total + self.vocabulary_size)
        else:
            lower = self._probabilities(context[1:])
            distinct = len(counts)
            result = lower if total == 0 else (observed + distinct * lower) / (total + distinct)
        self._cache[context] = result
        return result

    def log_likelihood(self, songs: Sequence[Sequence[int | None]]) -> tuple[float, int]:
        """The summed natural log-probability of every predicted token of ``songs`` (each token with a known
        predecessor, from the second on), and how many tokens were predicted."""
        total, predicted = 0.0, 0
        for song in songs:
            for position, history, follows in _events(song, self.order):
                if not follows:
                    continue  # a song's first known token has no predecessor: the recurrent models never predict it
                total += float(np.log(self.probabilities(history)[song[position]]))
                predicted += 1
        return total, predicted


def _events(song: Sequence[int | None], order: int) -> list[tuple[int, list[int], bool]]:
    """Each known token's position, its history (up to ``order - 1`` known tokens right before it, stopping at a
    token outside the vocabulary, so no n-gram touches one) and whether a known token comes right before it."""
    events, history, follows = [], [], False
    for position, token in enumerate(song):
        if token is None:
            history, follows = [], False
            continue
        events.append((position, list(history), follows))
        history = (history + [token])[-(order - 1) :] if order > 1 else []
        follows = True
    return events


def validation_loss(model: NgramModel, songs: Sequence[Sequence[int | None]]) -> float:
    """Mean negative log-likelihood in nats per predicted token; NaN when no token can be predicted."""
    total, predicted = model.log_likelihood(songs)
    return -total / predicted if predicted else float("nan")


def choose_order(
    train: Sequence[Sequence[int | None]],
    validation: Sequence[Sequence[int | None]],
    vocabulary_size: int,
    orders: Sequence[int],
) -> tuple[NgramModel, dict[int, float]]:
    """The model of the order (among ``orders``) with the lowest validation loss (the lowest order on a tie), and
    every order's validation loss."""
    if not orders:
        raise InputError("n-gram orders: give at least one order, e.g. 1 2 3 4 5")
    losses: dict[int, float] = {}
    models = {}
    for order in sorted(set(orders)):
        models[order] = NgramModel.fit(train, order, vocabulary_size)
        losses[order] = validation_loss(models[order], validation)
    if all(np.isnan(loss) for loss in losses.values()):
        raise InputError("n-gram: the validation split has no two known tokens in a row; its order cannot be chosen")
    best = min((order for order in losses if not np.isnan(losses[order])), key=lambda order: (losses[order], order))
    return models[best], losses


class NgramStepper:
    """An :class:`NgramModel` behind the step interface of rnncells.generation.sampling's ``Stepper``: each row
    keeps its own history; a call returns log-probabilities as logits."""

    def __init__(self, model: NgramModel):
        self.model = model
        self.histories: list[list[int]] = []

    def prime(self, primer: np.ndarray) -> None:
        """Every row's history becomes its primer tokens but the last (``primer``: rows x tokens)."""
        self.histories = [[int(t) for t in row[:-1]] for row in np.asarray(primer)]

    def __call__(self, last: np.ndarray) -> np.ndarray:
        """Add each row's last token to its history; the next-token log-probabilities, rows x vocabulary."""
        keep = max(self.model.order - 1, 0)
        rows = []
        for number, token in enumerate(np.asarray(last)):
            history = self.histories[number] + [int(token)]
            self.histories[number] = history[len(history) - keep :] if keep else []
            rows.append(np.log(self.model.probabilities(self.histories[number])))
        return np.stack(rows)

    def take(self, rows: np.ndarray) -> None:
        """Row ``i`` becomes the former row ``rows[i]``."""
        self.histories = [list(self.histories[int(r)]) for r in rows]
