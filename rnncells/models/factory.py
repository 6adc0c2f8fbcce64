"""Build the study's model from a :class:`~rnncells.config.model.ModelConfig` (docs/method.md §2).

tokens → Embedding → (Dropout) → ``layers`` × recurrent layer of ``units`` → Dense logits over the vocabulary.
The model outputs logits (no softmax); train it with ``SparseCategoricalCrossentropy(from_logits=True)``.
"""

from __future__ import annotations

from pathlib import Path

import keras

from rnncells.config.model import CELLS, ModelConfig
from rnncells.config.records import ConfigError
from rnncells.errors import RnncellsError
from rnncells.models.cells import NASCell, UGRNNCell


def make_recurrent_layer(cell: str, units: int, *, stateful: bool = False, name: str | None = None) -> keras.layers.RNN:
    """One recurrent layer of ``units`` for ``cell`` (one of ``CELLS``), returning the whole sequence."""
    common = {"return_sequences": True, "stateful": stateful, "name": name}
    # Keras' PyTorch fast path for LSTM/GRU reads the state variables that the layer then overwrites in place,
    # which breaks back-propagation in stateful training; the generic loop copies the state first.
    fast_path = False if stateful and keras.backend.backend() == "torch" else "auto"
    if cell == "lstm":
        return keras.layers.LSTM(units, use_cudnn=fast_path, **common)
    if cell == "gru":
        return keras.layers.GRU(units, use_cudnn=fast_path, **common)
    if cell == "rnn":
        return keras.layers.SimpleRNN(units, activation="tanh", **common)
    if cell == "ugrnn":
        return keras.layers.RNN(UGRNNCell(units), **common)
    if cell == "nas":
        return keras.layers.RNN(NASCell(units), **common)
    raise ConfigError(f"unknown cell {cell!r}: use one of {', '.join(CELLS)}")


def build_model(
    config: ModelConfig, vocab_size: int, *, batch_size: int | None = None, stateful: bool = False
) -> keras.Model:
    """Build (not compile) the embedding → recurrent stack → logits model that ``config`` describes.

    The input is ``(batch, time)`` integer token indices with any sequence length; the output is
    ``(batch, time, vocab_size)`` logits. A ``stateful`` model carries each layer's state from one call to the
    next (the study's truncated back-propagation through time), so it needs a fixed ``batch_size``.
    Layers are named ``embedding``, ``dropout``, ``<cell>_1`` … ``<cell>_<layers>`` and ``logits``.
    """
    config.validate()
    if vocab_size < 1:
        raise ConfigError(f"vocab_size {vocab_size} must be at least 1: build the dataset's vocabulary first")
    if batch_size is not None and batch_size < 1:
        raise ConfigError(f"batch_size {batch_size} must be at least 1 (or None for any batch size)")
    if stateful and batch_size is None:
        raise ConfigError("a stateful model needs a fixed batch_size: pass batch_size=<the training batch size>")

    tokens = keras.Input(shape=(None,), batch_size=batch_size, dtype="int32", name="tokens")
    x = keras.layers.Embedding(vocab_size, config.embedding_dim or config.units, name="embedding")(tokens)
    if config.dropout > 0:
        x = keras.layers.Dropout(config.dropout, name="dropout")(x)
    for depth in range(1, config.layers + 1):
        x = make_recurrent_layer(config.cell, config.units, stateful=stateful, name=f"{config.cell}_{depth}")(x)
    logits = keras.layers.Dense(vocab_size, name="logits")(x)
    return keras.Model(tokens, logits, name=f"{config.cell}_{config.layers}x{config.units}")


def recurrent_layers(model: keras.Model) -> list[keras.layers.RNN]:
    """The model's recurrent layers, input side first."""
    return [layer for layer in model.layers if isinstance(layer, keras.layers.RNN)]


def reset_states(model: keras.Model) -> None:
    """Set every recurrent layer's carried state back to zeros (a no-op for layers that are not stateful)."""
    for layer in recurrent_layers(model):
        layer.reset_state()


def track_carried_state(model: keras.Model) -> None:
    """Make a stateful model's carried recurrent state part of its non-trainable variables.

    Keras 3 creates the state variables of a stateful RNN untracked. TensorFlow and PyTorch train steps read and
    write them anyway, but JAX's functional train step threads only tracked variables, so there ``fit`` and
    ``train_on_batch`` would start every batch from zeros. Call this on a training model only: the tracked
    state then counts among its weights, so copy weights with :func:`copy_trainable_weights` and save
    checkpoints from a model built without it.
    """
    for layer in recurrent_layers(model):
        if not layer.stateful or layer.states is None:
            continue
        layer._tracker.unlock()
        for variable in layer.states:
            if not any(variable is known for known in layer.non_trainable_variables):
                layer._track_variable(variable)
        layer._tracker.lock()


def copy_trainable_weights(source: keras.Model, target: keras.Model) -> None:
    """Copy every trainable weight from ``source`` to ``target`` (same architecture; any batch size or state)."""
    pairs = list(zip(source.trainable_weights, target.trainable_weights, strict=True))
    for from_variable, to_variable in pairs:
        # a copy: on JAX, assign would share the buffer, and the target's compiled predict may release it
        to_variable.assign(keras.ops.copy(from_variable.value))


class CheckpointError(RnncellsError, ValueError):
    """A checkpoint that cannot be loaded into the run's model; the message names the file and the fix."""


def load_checkpoint_weights(path: Path, model: keras.Model) -> None:
    """Copy a ``.keras`` checkpoint's weights into ``model`` (same architecture, any batch size or statefulness)."""
    try:
        saved = keras.saving.load_model(path, compile=False)
    except Exception as error:  # a damaged or foreign file: say which, never a traceback
        raise CheckpointError(
            f"{path}: cannot load the checkpoint ({type(error).__name__}); retrain or pick another"
        ) from None
    shapes = [tuple(w.shape) for w in saved.trainable_weights]
    wanted = [tuple(w.shape) for w in model.trainable_weights]
    if shapes != wanted:
        first = next((i for i, pair in enumerate(zip(shapes, wanted)) if pair[0] != pair[1]), min(len(shapes), 99))
        raise CheckpointError(
            f"{path}: a checkpoint of another model ({len(shapes)} weights, the first differing "
            f"{shapes[first] if first < len(shapes) else 'missing'}; this run's model needs {len(wanted)} weights, "
            f"{wanted[first] if first < len(wanted) else 'none'}); put back the run's own checkpoint "
            "(`rnncells train` on the run again) or pass --checkpoint last"
        )
    copy_trainable_weights(saved, model)
