"""The learning-rate schedule and early stopping of a run (docs/method.md §2; no Keras here).

The study multiplies the rate by ``lr_decay`` once per epoch: ``learning_rate * lr_decay ** epoch``. An EDM epoch is
a few steps, so that schedule gives a run about a hundred full-rate updates whatever its epochs; ``lr_decay_steps =
N`` decays per N training steps instead: ``learning_rate * lr_decay ** (steps done // N)``, the same curve for every
dataset size.

Early stopping (``early_stopping_patience = P``, 0 is off): training ends once P epochs in a row have brought no
validation loss below the best before them. The run is then complete with fewer epochs than asked;
:func:`run_complete` is how the trainer, the grid and reuse tell a complete run from an unfinished one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rnncells.config.train import TrainConfig
from rnncells.training.run_folder import RunError, RunFolder


def learning_rate(train: TrainConfig, epoch: int, steps_done: int) -> float:
    """The rate of the next step: in epoch ``epoch`` (from 0), after ``steps_done`` steps of the run."""
    if train.lr_decay_steps:
        return train.learning_rate * train.lr_decay ** (steps_done // train.lr_decay_steps)
    return train.learning_rate * train.lr_decay**epoch


def stopped_early(val_losses: Sequence[float], patience: int) -> bool:
    """True when the last ``patience`` epochs' validation losses are none below the best of the epochs before;
    False when ``patience`` is 0 (off), when there are not more epochs than it, or without a validation loss."""
    if patience <= 0 or len(val_losses) <= patience:
        return False
    before = [loss for loss in val_losses[:-patience] if not math.isnan(loss)]
    recent = [loss for loss in val_losses[-patience:] if not math.isnan(loss)]
    if not before or not recent:
        return False
    return min(recent) >= min(before)


def training_complete(epochs_done: int, val_losses: Sequence[float], train: TrainConfig) -> bool:
    """All ``train.epochs`` epochs done, or stopped early (:func:`stopped_early`)."""
    return epochs_done >= train.epochs or stopped_early(val_losses, train.early_stopping_patience)


def run_complete(folder: RunFolder, train: TrainConfig | None = None) -> bool:
    """:func:`training_complete` for a run folder (its own config unless ``train`` is given); False for a folder
    whose state or metrics cannot be read."""
    try:
        train = train or folder.read_config().train
        epochs_done = folder.epochs_done
        if epochs_done >= train.epochs:
            return True
        if not train.early_stopping_patience:
            return False
        return training_complete(epochs_done, [row["val_loss"] for row in folder.read_metrics()], train)
    except (RunError, OSError, ValueError, KeyError):
        return False
