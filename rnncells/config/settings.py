"""One plain dataclass per concept, loaded from and written to TOML.

A run directory stores the resolved configs as ``config.toml`` (one table per concept), so a run can be
repeated from that file alone. Every field carries its help text in ``metadata["help"]``: the command line's
flags, their help and defaults are made from the fields (:mod:`rnncells.config.options`), so names and defaults live
here only.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from rnncells.config import bounds
from rnncells.config.bounds import range_problem
from rnncells.config.fieldtypes import FieldTypeError, checked_fields
from rnncells.errors import RnncellsError
from rnncells.music.melody import SCALE_NAMES, key_scale, key_to_pitch_class

VARIANTS = ("control", "interval", "transposed")
REPRESENTATIONS = ("pitch", "pitch_duration")
CELLS = ("lstm", "gru", "rnn", "ugrnn", "nas")
SAMPLINGS = ("roulette", "max", "topk", "beam")
SCALE_RULES = ("fold", "mask")


class ConfigError(RnncellsError, ValueError):
    """A configuration value that cannot be used; the message names the field and the fix."""


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


T = TypeVar("T")


def from_dict(cls: type[T], values: dict[str, Any], where: str = "") -> T:
    """Build ``cls`` from a mapping, refusing keys it does not have (typos fail loudly) and values of another type
    than the field's annotation (:mod:`rnncells.config.fieldtypes`: ``"128"`` for a number, NaN, ``2.5`` for an int),
    then
    ``validate()`` it; every error is one line naming ``where``."""
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise ConfigError(
            f"{where or cls.__name__}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(names))}"
        )
    try:
        obj = cls(**checked_fields(cls, dict(values), where))
    except FieldTypeError as error:
        raise ConfigError(str(error)) from None
    validate = getattr(obj, "validate", None)
    if validate:
        try:
            validate()
        except ConfigError as error:
            raise ConfigError(
                f"{where}: {error}" if where and not str(error).startswith(where) else str(error)
            ) from None
    return obj


def check_ranges(config: Any, where: str = "") -> None:
    """A :class:`ConfigError` for the first field of ``config`` outside its range (:mod:`rnncells.config.bounds`)."""
    problem = range_problem(config)
    if problem:
        raise ConfigError(f"{where}: {problem}" if where else problem)


def read_toml(path: str | Path) -> dict[str, Any]:
    """Parse a TOML file, turning syntax errors into a one-line :class:`ConfigError`."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML ({error})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: invalid TOML (not UTF-8 text)") from None
    except RecursionError:
        raise ConfigError(f"{path}: invalid TOML (arrays or tables nested too deep); keep it a few levels") from None
    except ValueError:  # an integer of more digits than Python converts (sys.get_int_max_str_digits)
        raise ConfigError(f"{path}: {_long_number_line(path)}a number too long to read; use one in range") from None


def _long_number_line(path: Path) -> str:
    """``line N (key = ...): `` of the first line of ``path`` holding a number of thousands of digits, or ''."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if re.search(r"\d{1000}", line):
            return f"line {number} ({line.split('=')[0].strip()[:40]} = ...): "
    return ""


def parse_toml_value(text: str, where: str) -> Any:
    """One TOML value (``[128, 256]``, ``5``, ``"x"``); text that is not TOML is kept as a bare string. A value
    nested too deep or a number too long to read is one line naming ``where``."""
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        return text
    except RecursionError:
        raise ConfigError(f"{where}: value nested too deep; keep it a few levels") from None
    except ValueError:
        raise ConfigError(f"{where}: a number of {len(text)} characters is too long; use one in range") from None


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def to_toml(tables: dict[str, Any]) -> str:
    """Write ``{table name: dataclass or dict}`` as TOML; ``None`` values are left out (TOML has no null)."""
    lines: list[str] = []
    for name, table in tables.items():
        values = dataclasses.asdict(table) if dataclasses.is_dataclass(table) else dict(table)
        lines.append(f"[{name}]")
        lines += [f"{key} = {_toml_value(val)}" for key, val in values.items() if val is not None]
        lines.append("")
    return "\n".join(lines)


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
