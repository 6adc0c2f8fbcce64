"""The generation config: sampling settings and the producer's options."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from rnncells.config import bounds
from rnncells.config.records import ConfigError, check_ranges
from rnncells.music.melody import SCALE_NAMES, key_scale, key_to_pitch_class

SAMPLINGS = ("roulette", "max", "topk", "beam")
SCALE_RULES = ("fold", "mask")


@dataclass
class GenerateConfig:
    """Sampling settings (docs/method.md §3) and the producer's options."""

    n_songs: int = field(default=100, metadata={"help": "songs to generate", "range": (1, bounds.MAX_SONGS)})
    length: int = field(
        default=30,
        metadata={
            "help": "tokens to sample after the primer (--bars may ask for more; generation.json records it)",
            "range": (0, bounds.MAX_TOKENS),
        },
    )
    primer: str = field(
        default="",
        metadata={
            "help": 'primer: note names "C4 E4 G4" (pitch_duration: "C4:4 E4:2") or numbers "60 64 67"; interval '
            'runs: a base note, then intervals "C4 2 2 -2" or note names',
            "default_help": "the study's primer for the run, or the key's tonic with --key",
            "metavar": "TOKENS",
        },
    )
    primer_midi: str | None = field(
        default=None,
        metadata={
            "help": "prime with the melody of this MIDI file (read as `dataset build` reads one), moved to octaves "
            "the model knows",
            "default_help": "off",
            "metavar": "FILE",
        },
    )
    variations_of: str | None = field(
        default=None,
        metadata={
            "help": "keep this MIDI clip's rhythm (onsets, durations, rests) and write new pitches on it",
            "default_help": "off",
            "metavar": "CLIP",
        },
    )
    keep_bars: int | None = field(
        default=None,
        metadata={
            "help": "with --primer-midi: keep the clip's first N bars as they are and write the rest",
            "default_help": "off",
        },
    )
    accent: int = field(
        default=0,
        metadata={
            "help": "feel: velocity added on downbeats (half on other beats, half taken off off-beats); 0 is off"
        },
    )
    rests: float = field(
        default=0.0, metadata={"help": "feel: chance that an off-beat note becomes a rest (less dense); 0 is off"}
    )
    sampling: str = field(
        default="roulette",
        metadata={
            "help": "roulette: draw from the softmax; max: argmax; topk: draw among the k likeliest; beam: Magenta's "
            "beam search (--beam-size, --branch-factor, --steps-per-iteration)",
            "choices": SAMPLINGS,
        },
    )
    temperature: float = field(
        default=1.0, metadata={"help": "randomness of roulette, topk and beam", "range": (0.001, 1000)}
    )
    duration_temperature: float | None = field(
        default=None,
        metadata={
            "help": "pitch_duration runs: randomness of each note's length given its pitch (roulette, topk, beam); "
            "--temperature then sets the pitch's",
            "default_help": "--temperature",
            "range": (0.001, 1000),
        },
    )
    top_k: int = field(default=5, metadata={"help": "k of topk sampling", "range": (1, 100_000)})
    beam_size: int = field(
        default=4, metadata={"help": "beam: sequences kept after each iteration", "range": (1, bounds.MAX_BEAM)}
    )
    branch_factor: int = field(
        default=4, metadata={"help": "beam: sampled continuations of each kept sequence", "range": (1, bounds.MAX_BEAM)}
    )
    steps_per_iteration: int = field(
        default=1, metadata={"help": "beam: tokens sampled between two prunings", "range": (1, bounds.MAX_TOKENS)}
    )
    seed: int = field(default=0, metadata={"help": "sampling seed", "range": bounds.SEED_RANGE})
    bpm: float | None = field(
        default=None,
        metadata={"help": "tempo of the MIDI files", "default_help": "the dataset's median", "range": bounds.BPM_RANGE},
    )
    program: int = field(default=0, metadata={"help": "General MIDI program 0-127; 0 is the piano"})
    bars: int | None = field(
        default=None,
        metadata={
            "help": "make every song exactly this many 4/4 bars (16 steps a bar)",
            "default_help": "off",
            "range": (1, bounds.MAX_BARS),
        },
    )
    key: str | None = field(
        default=None,
        metadata={
            "help": "key as producers write it (F, Bb, Fm, F minor, C#m, Ebm, D dorian): start on its tonic, keep "
            "every note within an octave of it (moving a note by the nearest octave) and in its scale",
            "default_help": "off",
            "metavar": "KEY",
        },
    )
    scale: str | None = field(
        default=None,
        metadata={
            "help": "with --key: sample only notes of this scale (minor = natural_minor; chromatic: any note)",
            "default_help": "the key's: minor for Fm or F minor, major for F; chromatic without a key",
            "choices": SCALE_NAMES,
        },
    )
    scale_rule: str = field(
        default="fold",
        metadata={
            "help": "fold: an out-of-scale note's probability goes to the nearest scale note (keeps the model's "
            "leaps); mask: out-of-scale notes are dropped and the rest renormalised",
            "choices": SCALE_RULES,
        },
    )
    leap_weight: float = field(
        default=0.5,
        metadata={"help": "fold: prior weight of a step over a fifth (1: the model's own leaps; 0.5 halves them)"},
    )
    octave: int | None = field(
        default=None,
        metadata={
            "help": "octave of the key from the middle octave (C4-B4), e.g. -1 for C3-B3",
            "default_help": "0, else the nearest the model knows",
            "range": (-5, 5),
        },
    )
    overwrite: bool = field(
        default=False, metadata={"help": "replace the song set already in the output folder", "default_help": "off"}
    )

    def validate(self) -> None:
        if self.sampling not in SAMPLINGS:
            raise ConfigError(f"sampling {self.sampling!r}: use {', '.join(SAMPLINGS)}")
        if self.n_songs < 1 or self.length < 0:
            raise ConfigError("n_songs must be >= 1 and length >= 0")
        if not 0 < self.temperature < math.inf:
            raise ConfigError(f"temperature {self.temperature} must be a positive finite number")
        if self.bpm is not None and not 0 < self.bpm < math.inf:
            raise ConfigError(f"bpm {self.bpm} must be a positive finite number")
        if not 0 <= self.program <= 127:
            raise ConfigError(f"program {self.program}: General MIDI programs are 0-127")
        for name in ("top_k", "beam_size", "branch_factor", "steps_per_iteration"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} {getattr(self, name)} must be at least 1")
        if self.bars is not None and self.bars < 1:
            raise ConfigError(f"bars {self.bars} must be at least 1")
        check_ranges(self)
        rows = self.n_songs * self.beam_size * self.branch_factor
        if self.sampling == "beam" and rows > bounds.MAX_BEAM_ROWS:
            raise ConfigError(
                f"n_songs {self.n_songs} x beam_size {self.beam_size} x branch_factor {self.branch_factor} = {rows:,} "
                f"sequences sampled side by side, more than {bounds.MAX_BEAM_ROWS:,}; lower one of them"
            )
        steps = max(self.length, 16 * (self.bars or 0))  # --bars asks for up to 16 tokens a bar
        if self.n_songs * steps > bounds.MAX_SAMPLED_TOKENS:
            raise ConfigError(
                f"n_songs {self.n_songs} x {steps:,} tokens (length {self.length}, bars {self.bars}) = "
                f"{self.n_songs * steps:,} tokens, more than {bounds.MAX_SAMPLED_TOKENS:,} in one generate; lower one "
                "of them"
            )
        self._validate_clip()
        if not 0 < self.leap_weight <= 1:
            raise ConfigError(f"leap_weight {self.leap_weight} must be in (0, 1]")
        if not (0 <= self.accent <= 47 and 0 <= self.rests < 1):
            raise ConfigError(f"accent {self.accent} must be 0-47 and rests {self.rests} in [0, 1)")
        self._validate_key()

    def _validate_clip(self) -> None:
        if self.variations_of and (self.primer or self.primer_midi or self.keep_bars):
            raise ConfigError(
                "--variations-of takes its primer from the clip: leave out --primer, --primer-midi, --keep-bars"
            )
        if self.keep_bars is not None:
            if not self.primer_midi:
                raise ConfigError(f"keep_bars {self.keep_bars} needs a clip: add --primer-midi CLIP.mid")
            if self.keep_bars < 1 or (self.bars is not None and self.keep_bars >= self.bars):
                raise ConfigError(f"keep_bars {self.keep_bars} must be at least 1 and less than --bars ({self.bars})")

    @property
    def scale_used(self) -> str:
        """The scale sampled in: ``scale``, else the key's (``Fm``: natural_minor, ``F``: major), else chromatic."""
        return key_scale(self.key, self.scale)

    def _validate_key(self) -> None:
        if self.scale_rule not in SCALE_RULES:
            raise ConfigError(f"scale_rule {self.scale_rule!r}: use {' or '.join(SCALE_RULES)}")
        if self.scale is not None and self.scale not in SCALE_NAMES:
            raise ConfigError(f"scale {self.scale!r}: use one of {', '.join(SCALE_NAMES)}")
        if self.key is None:
            if self.scale not in (None, "chromatic"):
                raise ConfigError(f"scale {self.scale} needs a key: add --key, e.g. --key C --scale {self.scale}")
            if self.octave is not None:
                raise ConfigError(f"octave {self.octave} needs a key: add --key, e.g. --key C --octave {self.octave}")
            return
        try:
            key_to_pitch_class(self.key)
        except ValueError as error:
            raise ConfigError(str(error)) from None
