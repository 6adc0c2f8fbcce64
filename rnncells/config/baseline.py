"""The n-gram baseline's config: a grid file's ``[baseline]`` table."""

from __future__ import annotations

from dataclasses import dataclass, field

from rnncells.config.dataset import VARIANTS
from rnncells.config.records import ConfigError


@dataclass
class BaselineConfig:
    """The n-gram baseline (docs/method.md, "Baselines"): one per variant listed, trained on that variant's training
    split, its order (1 to ``max_order``) chosen by validation likelihood; a grid file's ``[baseline]`` table."""

    ngram_variants: list[str] = field(
        default_factory=list,
        metadata={"help": "variants that get an n-gram baseline beside a grid's models", "default_help": "none"},
    )
    max_order: int = field(default=6, metadata={"help": "the n-gram orders tried are 1 to this (1 = unigram)"})

    def validate(self) -> None:
        for variant in self.ngram_variants:
            if variant not in VARIANTS:
                raise ConfigError(f"baseline.ngram_variants {variant!r}: use one of {', '.join(VARIANTS)}")
        if not 1 <= self.max_order <= 16:
            raise ConfigError(f"baseline.max_order {self.max_order}: use a whole number from 1 to 16")
