"""The training recipe's config, and the model and training configs from one flat mapping of options."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from rnncells.config import bounds
from rnncells.config.dataset import VARIANTS
from rnncells.config.model import ModelConfig
from rnncells.config.records import ConfigError, check_ranges, from_dict


@dataclass
class TrainConfig:
    """The study's training recipe (docs/method.md §2); ``mode`` is 'stateful' (the study's stream) or 'per_song'."""

    variant: str = field(
        default="control", metadata={"help": "dataset variant: control, interval or transposed", "metavar": "VARIANT"}
    )
    epochs: int = field(
        default=10, metadata={"help": "epochs in total (the study: 300, 50 for transposed)", "range": (1, 100_000)}
    )
    batch_size: int = field(
        default=50, metadata={"help": "rows of the stream trained side by side", "range": (1, 100_000)}
    )
    seq_length: int = field(default=50, metadata={"help": "window length in tokens", "range": (1, 100_000)})
    learning_rate: float = field(default=0.002, metadata={"help": "initial Adam rate"})
    lr_decay: float = field(
        default=0.97, metadata={"help": "learning-rate multiplier per epoch (per lr_decay_steps steps when set)"}
    )
    lr_decay_steps: int = field(
        default=0,
        metadata={"help": "apply lr_decay every N training steps instead of every epoch; 0: per epoch (the study's)"},
    )
    early_stopping_patience: int = field(
        default=0,
        metadata={"help": "stop once this many epochs in a row bring no new best validation loss; 0 is off"},
    )
    clip_norm: float = field(default=5.0, metadata={"help": "clip the gradients to this global norm"})
    mode: str = field(
        default="stateful",
        metadata={
            "help": "stateful: the study's stream with carried state; per_song: padded song chunks",
            "choices": ("stateful", "per_song"),
        },
    )
    seed: int = field(default=0, metadata={"help": "random seed (weights, shuffling)", "range": bounds.SEED_RANGE})
    checkpoint_every_steps: int = field(
        default=0,
        metadata={
            "help": "also save a checkpoint every N steps, loss in its name, for cost-function validation; 0 is off",
            "aliases": ("--checkpoint-every",),
            "range": (0, 10**9),
        },
    )
    keep_checkpoints: int = field(
        default=5, metadata={"help": "step checkpoints kept (the newest)", "range": (1, 100_000)}
    )
    save_every_seconds: float = field(
        default=60.0,
        metadata={
            "help": "seconds between resume points (checkpoints/resume.npz) within an epoch",
            "range": (0, 10**7),
        },
    )

    def validate(self) -> None:
        if self.variant not in VARIANTS:
            raise ConfigError(f"variant {self.variant!r}: use one of {', '.join(VARIANTS)}")
        if self.mode not in ("stateful", "per_song"):
            raise ConfigError(f"mode {self.mode!r}: use 'stateful' or 'per_song'")
        for name in ("epochs", "batch_size", "seq_length"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} {getattr(self, name)} must be at least 1")
        for name in ("learning_rate", "lr_decay", "clip_norm"):
            if not 0 < getattr(self, name) < math.inf:
                raise ConfigError(f"{name} {getattr(self, name)} must be a positive finite number")
        if not 0 <= self.save_every_seconds < math.inf:
            raise ConfigError(f"save_every_seconds {self.save_every_seconds} must be a finite number >= 0")
        for name in ("lr_decay_steps", "early_stopping_patience"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} {getattr(self, name)} must be >= 0 (0 is off)")
        if self.checkpoint_every_steps < 0:
            raise ConfigError(f"checkpoint_every_steps {self.checkpoint_every_steps} must be >= 0 (0 is off)")
        if self.keep_checkpoints < 1:
            raise ConfigError(f"keep_checkpoints {self.keep_checkpoints} must be at least 1")
        check_ranges(self)


def resolve_train_configs(values: dict[str, Any]) -> tuple[ModelConfig, TrainConfig]:
    """ModelConfig and TrainConfig from one flat mapping of option names (command line or grid)."""
    model_keys = {f.name for f in dataclasses.fields(ModelConfig)}
    train_keys = {f.name for f in dataclasses.fields(TrainConfig)}
    unknown = set(values) - model_keys - train_keys
    if unknown:
        raise ConfigError(f"unknown training option(s): {', '.join(sorted(unknown))}")
    model = from_dict(ModelConfig, {k: v for k, v in values.items() if k in model_keys})
    train = from_dict(TrainConfig, {k: v for k, v in values.items() if k in train_keys})
    return model, train
