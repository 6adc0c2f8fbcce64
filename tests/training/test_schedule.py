"""The learning-rate schedule (per epoch or per N steps) and early stopping on validation loss."""

from __future__ import annotations

import math

import pytest

from rnncells.config.model import ModelConfig
from rnncells.config.records import ConfigError, from_dict
from rnncells.config.train import TrainConfig
from rnncells.training.run_folder import RunFolder
from rnncells.training.schedule import learning_rate, run_complete, stopped_early, training_complete


def test_learning_rate_per_epoch_and_per_steps():
    study = TrainConfig(learning_rate=0.002, lr_decay=0.5)
    assert learning_rate(study, epoch=3, steps_done=1000) == pytest.approx(0.002 * 0.5**3)
    stepped = TrainConfig(learning_rate=0.002, lr_decay=0.5, lr_decay_steps=10)
    assert [learning_rate(stepped, 99, s) for s in (0, 9, 10, 25)] == pytest.approx([0.002, 0.002, 0.001, 0.0005])
    with pytest.raises(ConfigError, match="lr_decay_steps -1"):
        from_dict(TrainConfig, {"lr_decay_steps": -1})


def test_stopped_early():
    assert not stopped_early([3.0, 2.0, 2.5], 0)  # off
    assert stopped_early([3.0, 2.0, 2.5], 1)
    assert not stopped_early([3.0, 2.0, 2.5], 2)  # the best (2.0) is among the last two
    assert stopped_early([3.0, 2.0, 2.0, 2.1], 2)  # equal is no improvement
    assert not stopped_early([3.0, 2.0], 2)  # not more epochs than the patience
    assert not stopped_early([math.nan, math.nan, math.nan], 1)  # no validation split
    assert training_complete(2, [3.0, 2.0], TrainConfig(epochs=2))
    assert not training_complete(2, [3.0, 2.0], TrainConfig(epochs=5, early_stopping_patience=1))


def test_step_decay_and_early_stopping_in_training(small_dataset, tmp_path, capsys):
    from rnncells.training.trainer import train

    small = {"batch_size": 8, "seq_length": 16}
    recipe = TrainConfig(epochs=3, learning_rate=0.01, lr_decay=0.5, lr_decay_steps=2, **small)
    run = RunFolder(train(small_dataset, tmp_path / "steps", ModelConfig(units=8), recipe, progress=False))
    for row in run.read_metrics():  # the rate of each epoch's last step
        assert row["learning_rate"] == pytest.approx(0.01 * 0.5 ** ((row["step"] - 1) // 2), abs=1e-10)
    # A rate too small to move a float32 weight: the validation loss never improves after the first epoch.
    frozen = TrainConfig(epochs=10, learning_rate=1e-30, early_stopping_patience=2, **small)
    path = train(small_dataset, tmp_path / "stop", ModelConfig(units=8), frozen, progress=False)
    run = RunFolder(path)
    assert [row["epoch"] for row in run.read_metrics()] == [1, 2, 3]
    assert run.epochs_done == 3 and run_complete(run) and run.named_checkpoint("best").is_file()
    capsys.readouterr()
    train(small_dataset, path, ModelConfig(units=8), frozen, progress=False)  # complete: nothing to do
    assert "nothing to do" in capsys.readouterr().out
    assert not run_complete(run, TrainConfig(epochs=10, early_stopping_patience=5))
