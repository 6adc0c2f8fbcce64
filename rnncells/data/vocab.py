"""The vocabulary: the sorted distinct token values of the training split, index = position.

Tokens are ints (a pitch or an interval) or ``[value, duration]`` pairs (the ``pitch_duration``
representation). Policy for tokens never seen in training (in validation or test songs, or a primer): they have
no index; training windows drop every (input, target) pair that touches one and the manifest counts them;
generation refuses a primer that holds one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rnncells.errors import RnncellsError
from rnncells.music.melody import interval_name, note_name

Token = int | tuple[int, int]


def as_token(value) -> Token:
    """A JSON value (int or two-element list) as a hashable token."""
    if isinstance(value, (list, tuple)):
        return (int(value[0]), int(value[1]))
    return int(value)


class UnknownTokenError(RnncellsError, KeyError):
    """A token the vocabulary does not hold."""

    def __str__(self) -> str:
        return str(self.args[0])


class Vocabulary:
    """Token value <-> index, with human labels for the embedding projector."""

    def __init__(self, values: Iterable, variant: str = "control"):
        self.values: list[Token] = sorted({as_token(v) for v in values})
        self.variant = variant
        self.index = {value: i for i, value in enumerate(self.values)}

    @classmethod
    def from_songs(cls, token_lists: Iterable[Sequence], variant: str = "control") -> Vocabulary:
        """Build from the tokens of some songs (call it with the training split only)."""
        return cls((t for tokens in token_lists for t in tokens), variant)

    def __len__(self) -> int:
        return len(self.values)

    def __contains__(self, value) -> bool:
        return as_token(value) in self.index

    def encode(self, tokens: Sequence) -> list[int]:
        """Token values to indices; raises :class:`UnknownTokenError` naming the first unknown value."""
        out = []
        for token in tokens:
            key = as_token(token)
            if key not in self.index:
                raise UnknownTokenError(f"token {token!r} is not in the {self.variant} vocabulary")
            out.append(self.index[key])
        return out

    def decode(self, indices: Iterable[int]) -> list[Token]:
        """Indices back to token values."""
        return [self.values[int(i)] for i in indices]

    def label(self, value: Token) -> str:
        """Note name (C4 = 60), interval name, or either followed by ``:duration``."""
        if isinstance(value, tuple):
            head, duration = value
            return f"{self._value_label(head)}:{duration}"
        return self._value_label(value)

    def _value_label(self, value: int) -> str:
        if self.variant == "interval":
            return interval_name(value)
        return note_name(value) if 0 <= value <= 127 else str(value)

    def labels(self) -> list[str]:
        """The label of every token, in index order."""
        return [self.label(v) for v in self.values]

    def to_json(self) -> list:
        """Plain JSON values in index order (pairs as two-element lists)."""
        return [list(v) if isinstance(v, tuple) else v for v in self.values]
