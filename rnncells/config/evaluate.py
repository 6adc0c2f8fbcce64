"""The evaluation config: how generated songs are scored (a grid file's ``[evaluate]`` table, `rnncells evaluate`'s
flags)."""

from __future__ import annotations

from dataclasses import dataclass, field

from rnncells.config.bounds import range_problem
from rnncells.config.records import ConfigError

MODES = ("paper", "corrected")


@dataclass
class EvaluateConfig:
    """How generated songs are scored (docs/method.md §4)."""

    mode: str = field(
        default="paper",
        metadata={
            "help": "paper: music_geometry_eval exactly; corrected: pitch classes, [5, 8], centricity",
            "choices": MODES,
        },
    )
    span: int = field(default=12, metadata={"help": "window length of LM and CENTR", "range": (2, 4096)})
    rhythm: bool = field(default=False, metadata={"help": "rhythm-aware LM and CENTR on the 16th grid"})
    cut_baselines: bool = field(
        default=False,
        metadata={
            "help": "with a dataset: also score its train, validation and test songs cut to the generated length"
        },
    )

    def validate(self) -> None:
        if self.mode not in MODES:
            raise ConfigError(f"evaluate.mode {self.mode!r}: use 'paper' or 'corrected'")
        problem = range_problem(self)
        if problem:
            raise ConfigError(f"evaluate.{problem}")
