"""The dataset's config: how a source corpus becomes the study's dataset variants."""

from __future__ import annotations

from dataclasses import dataclass, field

from rnncells.config import bounds
from rnncells.config.records import ConfigError, check_ranges

VARIANTS = ("control", "interval", "transposed")
REPRESENTATIONS = ("pitch", "pitch_duration")


@dataclass
class DatasetConfig:
    """How a source corpus becomes the study's dataset variants (docs/method.md §1)."""

    source: str = field(
        default="music21:essenFolksong/kinder0",
        metadata={
            "help": "a folder of .mid files, or music21:essenFolksong[/FILE] (e.g. music21:essenFolksong/kinder0)",
            "metavar": "SOURCE",
        },
    )
    representation: str = field(
        default="pitch",
        metadata={
            "help": "tokens are pitches (first study) or (value, duration) pairs (rhythm study)",
            "choices": REPRESENTATIONS,
        },
    )
    variants: list[str] = field(
        default_factory=lambda: list(VARIANTS),
        metadata={"help": "variants to build (comma-separated on the command line)", "metavar": "A,B"},
    )
    track: str | None = field(
        default=None,
        metadata={
            "help": "melody track: case-insensitive part of a track or instrument name",
            "default_help": "a part named like a melody, else the only part, else the top voice",
            "metavar": "NAME",
        },
    )
    min_notes: int = field(default=12, metadata={"help": "drop songs with fewer notes", "range": (2, 100_000)})
    min_duration: int = field(
        default=1,
        metadata={"help": "pitch_duration: drop songs with shorter notes (16ths)", "range": (1, bounds.MAX_NOTE_STEPS)},
    )
    max_duration: int = field(
        default=16,
        metadata={"help": "pitch_duration: drop songs with longer notes (16ths)", "range": (1, bounds.MAX_NOTE_STEPS)},
    )
    transpose_rule: str = field(
        default="floor",
        metadata={
            "help": "split of spare keys: floor = the study's data, ceil = its stated intent",
            "choices": ("floor", "ceil"),
        },
    )
    train_ratio: float = field(default=0.8, metadata={"help": "share of the songs for training"})
    validation_ratio: float = field(default=0.1, metadata={"help": "share of the songs for validation"})
    test_ratio: float = field(default=0.1, metadata={"help": "share of the songs for testing"})
    seed: int = field(default=0, metadata={"help": "seed of the song split", "range": bounds.SEED_RANGE})
    strict: bool = field(default=False, metadata={"help": "fail instead of skipping bad files"})

    def validate(self) -> None:
        if self.representation not in REPRESENTATIONS:
            raise ConfigError(f"representation {self.representation!r}: use one of {', '.join(REPRESENTATIONS)}")
        if not self.variants or len(set(self.variants)) != len(self.variants):
            raise ConfigError(f"variants {self.variants}: name each variant once, e.g. control,interval,transposed")
        for variant in self.variants:
            if variant not in VARIANTS:
                raise ConfigError(f"variant {variant!r}: use one of {', '.join(VARIANTS)}")
        if self.transpose_rule not in ("floor", "ceil"):
            raise ConfigError(f"transpose_rule {self.transpose_rule!r}: use 'floor' (the study's data) or 'ceil'")
        ratios = (self.train_ratio, self.validation_ratio, self.test_ratio)
        if not (min(ratios) >= 0 and abs(sum(ratios) - 1.0) <= 1e-9 and self.train_ratio > 0):
            raise ConfigError(f"split ratios {ratios} must be >= 0, train > 0, and add up to 1")
        if self.min_notes < 2:
            raise ConfigError(f"min_notes {self.min_notes}: a song needs at least 2 notes")
        if not 1 <= self.min_duration <= self.max_duration:
            raise ConfigError(
                f"min_duration {self.min_duration}, max_duration {self.max_duration}: need 1 <= min <= max (16ths)"
            )
        check_ranges(self)
