"""The ``rnncells baseline ngram`` command: the n-gram baseline's songs (rnncells.generation.baseline)."""

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
