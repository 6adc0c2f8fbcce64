"""The ``rnncells generate`` command (rnncells.generation.generate) and the ``rnncells baseline ngram`` command:
the n-gram baseline's songs (rnncells.generation.baseline)."""

from __future__ import annotations

import argparse
from pathlib import Path

from rnncells.config.baseline import BaselineConfig
from rnncells.config.dataset import VARIANTS
from rnncells.config.generate import GenerateConfig
from rnncells.config.options import add_options, given_options, whole_number
from rnncells.config.records import ConfigError, from_dict, read_toml


def add_baseline_command(commands) -> None:
    """``rnncells baseline ngram --dataset DIR --variant V --out DIR``."""
    parser = commands.add_parser("baseline", help="non-neural baselines: the n-gram model's songs")
    sub = parser.add_subparsers(dest="action", required=True)
    ngram = sub.add_parser(
        "ngram",
        help="fit an n-gram on a variant's training split and draw songs as a run would",
        description="Count the n-grams of the variant's training split (Witten-Bell smoothing), choose the order of "
        "lowest validation loss, and draw songs with the same primer, length and sampling as `rnncells generate` "
        "(docs/method.md, 'Baselines'). The song set is named <variant>-ngram-<order>.",
    )
    ngram.add_argument("--dataset", required=True, type=Path, help="dataset folder from `rnncells dataset build`")
    ngram.add_argument("--variant", default="control", choices=VARIANTS, help="dataset variant (default control)")
    ngram.add_argument("--out", required=True, type=Path, help="song set folder to write")
    ngram.add_argument(
        "--config",
        type=Path,
        help="a TOML file with [generate] and [baseline] tables (such as a grid file): its values replace the "
        "defaults, and the flags given replace its values",
    )
    add_options(ngram.add_argument_group("n-gram ([baseline] table)"), BaselineConfig, exclude=("ngram_variants",))
    add_options(ngram.add_argument_group("sampling ([generate] table)"), GenerateConfig)
    ngram.add_argument(
        "--note-steps", type=whole_number(1), default=2, help="16ths per note for pitch-only datasets (default 2)"
    )


def baseline_configs(args: argparse.Namespace) -> tuple[BaselineConfig, GenerateConfig]:
    """The n-gram and sampling settings: defaults, replaced by ``--config``'s tables, replaced by the flags."""
    tables: dict = read_toml(args.config) if args.config else {}
    configs = []
    for name, cls in (("baseline", BaselineConfig), ("generate", GenerateConfig)):
        values = tables.get(name, {})
        if not isinstance(values, dict):
            raise ConfigError(f"{args.config}: {name} is not a table; write it as [{name}]")
        where = f"{args.config} [{name}]" if args.config else name
        configs.append(from_dict(cls, {**values, **given_options(args, cls)}, where))
    return configs[0], configs[1]


def run_baseline_command(args: argparse.Namespace) -> int:
    from rnncells.data.folder import check_variant
    from rnncells.generation.baseline import generate_ngram

    baseline, generate = baseline_configs(args)
    check_variant(args.dataset, args.variant)
    out = generate_ngram(args.dataset, args.variant, args.out, generate, baseline.max_order, args.note_steps)
    print(f"{generate.n_songs} n-gram songs -> {out} (song_000.mid ..., songs.jsonl, generation.json)")
    return 0


def add_generate_command(commands) -> None:
    parser = commands.add_parser(
        "generate",
        help="generate songs (MIDI + songs.jsonl) from a trained run",
        description="Sample songs from a run: all songs together in one batched, stateful loop (docs/method.md §3). "
        'Pitch runs take --primer "60 62 64 62", interval runs the base note then intervals "60 2 2 -2", '
        'pitch_duration runs value:duration pairs "62:8 64:4". Producers: --key/--octave/--bars/--bpm/--program.',
    )
    parser.add_argument(
        "--run", type=Path, help="run folder from `rnncells train` (default: the shipped default model)"
    )
    parser.add_argument("--out", required=True, type=Path, help="folder for song_NNN.mid, songs.jsonl, generation.json")
    parser.add_argument(
        "--config",
        type=Path,
        help="a TOML file with a [generate] table (such as a grid file): its values replace the defaults below, "
        "and the flags given replace its values",
    )
    add_options(parser.add_argument_group("sampling ([generate] table)"), GenerateConfig)
    parser.add_argument("--checkpoint", default="best", help="best, last, or a .keras file of the run")
    parser.add_argument(
        "--note-steps",
        type=whole_number(1, 64),
        default=2,
        help="16ths per note for pitch-only runs, 1 to 64 (default 2)",
    )
    parser.add_argument("--name", help="label of this song set in evaluations (default: the run's model name)")


def generate_config(args: argparse.Namespace) -> GenerateConfig:
    """The sampling settings from parsed ``rnncells generate`` arguments: the dataclass defaults, replaced by the
    ``[generate]`` table of ``--config FILE``, replaced by the flags given."""
    from rnncells.config.records import ConfigError, from_dict, read_toml

    values: dict = {}
    where = "rnncells generate"
    if args.config:
        tables = read_toml(args.config)
        if not isinstance(tables.get("generate"), dict):
            raise ConfigError(f"{args.config}: no [generate] table")
        values, where = dict(tables["generate"]), f"{args.config} [generate]"
    return from_dict(GenerateConfig, {**values, **given_options(args, GenerateConfig)}, where)


def run_generate(args: argparse.Namespace) -> int:
    config = generate_config(args)
    if config.key:
        from rnncells.music.melody import key_to_pitch_class

        key_to_pitch_class(config.key)
    from rnncells.generation.default_model import default_run
    from rnncells.training.run_folder import RunFolder

    run = args.run or default_run()
    RunFolder(run).check_is_run()
    from rnncells.generation.generate import generate

    out = generate(run, args.out, config, checkpoint=args.checkpoint, note_steps=args.note_steps, name=args.name)
    print(f"{config.n_songs} songs -> {out} (song_000.mid ..., songs.jsonl, generation.json)")
    return 0
