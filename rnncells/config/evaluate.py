"""The evaluation config: how generated songs are scored."""

from __future__ import annotations

from dataclasses import dataclass

from rnncells.config.records import ConfigError


@dataclass
class EvaluateConfig:
    """How generated songs are scored (docs/method.md §4)."""

    mode: str = "paper"
    span: int = 12
    rhythm: bool = False
    cut_baselines: bool = False  # also score the dataset's splits cut to the generated length (evaluation.corpus)

    def validate(self) -> None:
        if self.mode not in ("paper", "corrected"):
            raise ConfigError(f"evaluate.mode {self.mode!r}: use 'paper' or 'corrected'")
        if self.span < 2:
            raise ConfigError(f"evaluate.span {self.span} must be at least 2")
        if self.span > 4096:
            raise ConfigError(f"evaluate.span {self.span} is out of range: allowed 2 to 4096 (flag --span)")
