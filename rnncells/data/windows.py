"""Training windows from a dataset variant.

*Study stream* (docs/method.md §1): every song gives ``x = song[:-1]`` and ``y = song[1:]``; these are concatenated
(so no target crosses a song boundary), mapped to vocabulary indices, cut to a multiple of
``batch_size * seq_length``, reshaped to ``(batch_size, -1)`` and split into consecutive ``seq_length`` windows.
Window ``k + 1`` row ``b`` continues window ``k`` row ``b``, so a stateful model can carry its state across them.

*Per song*: each song's pairs are cut into ``seq_length`` chunks, the last padded with index 0 and a sample weight
of 0, so no window mixes two songs.

Pairs that touch a token outside the vocabulary (a validation token never seen in training) are left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rnncells.config.train import TrainConfig

# train and the command line load a variant from here; the dataset folder module reads it.
from rnncells.data.folder import check_variant as check_variant
from rnncells.data.folder import load_variant as load_variant
from rnncells.data.vocab import Vocabulary, as_token
from rnncells.errors import RnncellsError


class WindowError(RnncellsError, ValueError):
    """Too little data for the requested batch shape; the message says which shape would fit."""


@dataclass
class Windows:
    """Input and target windows of shape (n_windows, batch_size, seq_length), and optional sample weights."""

    inputs: np.ndarray
    targets: np.ndarray
    weights: np.ndarray | None = None
    dropped_pairs: int = 0

    @property
    def n_windows(self) -> int:
        return int(self.inputs.shape[0])


def song_pairs(
    token_lists: Sequence[Sequence], vocabulary: Vocabulary
) -> tuple[list[np.ndarray], list[np.ndarray], int]:
    """Per song, the index arrays of x = song[:-1] and y = song[1:], without pairs touching unseen tokens."""
    xs, ys, dropped = [], [], 0
    for tokens in token_lists:
        known = np.array([as_token(t) in vocabulary.index for t in tokens], dtype=bool)
        indices = np.array([vocabulary.index.get(as_token(t), 0) for t in tokens], dtype=np.int32)
        keep = known[:-1] & known[1:]
        dropped += int((~keep).sum())
        xs.append(indices[:-1][keep])
        ys.append(indices[1:][keep])
    return xs, ys, dropped


def fitting_shapes(n_pairs: int, batch_size: int, seq_length: int) -> str:
    """A hint naming batch/seq shapes that would fit ``n_pairs`` token pairs."""
    options = []
    if n_pairs // seq_length >= 1:
        options.append(f"--batch-size {min(batch_size, n_pairs // seq_length)} with --seq-length {seq_length}")
    if n_pairs // batch_size >= 1:
        options.append(f"--seq-length {min(seq_length, n_pairs // batch_size)} with --batch-size {batch_size}")
    return " or ".join(options) or "more songs"


def study_windows(token_lists: Sequence[Sequence], vocabulary: Vocabulary, batch_size: int, seq_length: int) -> Windows:
    """The study's stream cut into consecutive (batch_size, seq_length) windows (module docstring)."""
    xs, ys, dropped = song_pairs(token_lists, vocabulary)
    x = np.concatenate(xs) if xs else np.zeros(0, np.int32)
    y = np.concatenate(ys) if ys else np.zeros(0, np.int32)
    per_window = batch_size * seq_length
    n_windows = len(x) // per_window
    if n_windows == 0:
        raise WindowError(
            f"{len(x)} token pairs are fewer than one batch of {batch_size} x {seq_length} = {per_window}; "
            f"use {fitting_shapes(len(x), batch_size, seq_length)}"
        )
    cut = n_windows * per_window

    def shape(stream: np.ndarray) -> np.ndarray:
        rows = stream[:cut].reshape(batch_size, -1)
        return rows.reshape(batch_size, n_windows, seq_length).transpose(1, 0, 2).copy()

    return Windows(shape(x), shape(y), None, dropped)


def per_song_windows(
    token_lists: Sequence[Sequence], vocabulary: Vocabulary, batch_size: int, seq_length: int
) -> Windows:
    """Each song's pairs in padded ``seq_length`` chunks, grouped into batches (the last batch padded too)."""
    xs, ys, dropped = song_pairs(token_lists, vocabulary)
    chunks_x, chunks_y, chunks_w = [], [], []
    for x, y in zip(xs, ys):
        for start in range(0, len(x), seq_length):
            piece = slice(start, start + seq_length)
            pad = seq_length - len(x[piece])
            chunks_x.append(np.pad(x[piece], (0, pad)))
            chunks_y.append(np.pad(y[piece], (0, pad)))
            chunks_w.append(np.pad(np.ones(len(x[piece]), np.float32), (0, pad)))
    if not chunks_x:
        raise WindowError("no song has two known tokens in a row; check the dataset and its vocabulary")
    n_windows = -(-len(chunks_x) // batch_size)
    fill = n_windows * batch_size - len(chunks_x)
    zeros = np.zeros(seq_length, np.int32)
    chunks_x += [zeros] * fill
    chunks_y += [zeros] * fill
    chunks_w += [zeros.astype(np.float32)] * fill

    def shape(chunks: list[np.ndarray]) -> np.ndarray:
        return np.stack(chunks).reshape(n_windows, batch_size, seq_length)

    return Windows(shape(chunks_x), shape(chunks_y), shape(chunks_w), dropped)


def training_windows(rows: list[dict], vocabulary: Vocabulary, train: TrainConfig) -> Windows:
    """The training split's windows as ``train.mode`` feeds them: the study's stream, or per-song chunks."""
    tokens = [row["tokens"] for row in rows if row["split"] == "train"]
    if train.mode == "stateful":
        return study_windows(tokens, vocabulary, train.batch_size, train.seq_length)
    return per_song_windows(tokens, vocabulary, train.batch_size, train.seq_length)
