"""The model's config: the recurrent cell, its depth and width."""

from __future__ import annotations

from dataclasses import dataclass, field

from rnncells.config import bounds
from rnncells.config.records import ConfigError, check_ranges

CELLS = ("lstm", "gru", "rnn", "ugrnn", "nas")


@dataclass
class ModelConfig:
    """Embedding -> ``layers`` stacked recurrent cells of ``units`` -> dense logits (docs/method.md §2)."""

    cell: str = field(default="lstm", metadata={"help": "lstm, gru, rnn (vanilla), ugrnn or nas", "metavar": "CELL"})
    layers: int = field(
        default=1, metadata={"help": "stacked recurrent layers, 1 to max_layers", "range": (1, bounds.MAX_LAYERS)}
    )
    units: int = field(default=128, metadata={"help": "units per layer", "range": (1, bounds.MAX_UNITS)})
    embedding_dim: int | None = field(
        default=None,
        metadata={"help": "size of the token embedding", "default_help": "units", "range": (1, bounds.MAX_UNITS)},
    )
    dropout: float = field(default=0.0, metadata={"help": "dropout rate after the embedding; 0 is off"})
    max_layers: int = field(
        default=5,
        metadata={"help": "most layers accepted (--allow-deep raises it to --layers)", "range": (1, bounds.MAX_LAYERS)},
    )

    def validate(self) -> None:
        if self.cell not in CELLS:
            raise ConfigError(f"unknown cell {self.cell!r}: use one of {', '.join(CELLS)}")
        if not 1 <= self.layers <= self.max_layers:
            raise ConfigError(
                f"layers {self.layers} is outside 1-{self.max_layers}; pass --allow-deep (or raise max_layers) "
                f"to go beyond {self.max_layers}"
            )
        for name in ("units", "max_layers"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} {getattr(self, name)} must be at least 1")
        if self.embedding_dim is not None and self.embedding_dim < 1:
            raise ConfigError(f"embedding_dim {self.embedding_dim} must be at least 1 (or left out: units)")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"dropout {self.dropout} must be in [0, 1)")
        check_ranges(self)
