"""The ``rnncells dataset`` command: ``build`` (rnncells.data.build) and ``info`` (rnncells.data.info)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rnncells.config.dataset import DatasetConfig
from rnncells.config.options import add_options, given_options, whole_number

# DatasetConfig's split ratios, set together on the command line by --split.
RATIO_FIELDS = ("train_ratio", "validation_ratio", "test_ratio")


def add_dataset_command(commands) -> None:
    dataset = commands.add_parser("dataset", help="build and inspect datasets (control, interval, transposed)")
    sub = dataset.add_subparsers(dest="action", required=True)
    build = sub.add_parser(
        "build",
        help="read a MIDI folder or music21 corpus and write the dataset variants",
        description="Read melodies, clean them (docs/method.md §1), split by song, and write the control, interval and "
        "transposed (12 keys) variants with their vocabularies. Unreadable files are skipped and listed in "
        "report.txt (use --strict to fail instead).",
    )
    build.add_argument("--out", required=True, type=Path, help="dataset folder to write")
    add_options(build, DatasetConfig, exclude=RATIO_FIELDS, required=("source",))
    defaults = DatasetConfig()
    build.add_argument(
        "--split",
        metavar="TRAIN,VALIDATION,TEST",
        help=f"ratios of the song split (default: {','.join(str(getattr(defaults, name)) for name in RATIO_FIELDS)})",
    )
    build.add_argument(
        "--jobs", type=whole_number(1, 1024), default=None, help="processes for music21 parsing (default: all cores)"
    )
    build.add_argument("--quiet", action="store_true", help="no progress bar")
    info = sub.add_parser(
        "info",
        help="summarise a built dataset",
        description="Songs, tokens, vocabulary size, pitch range, duration histogram, splits.",
    )
    info.add_argument("path", type=Path, help="a dataset folder or one of its variant folders")
    info.add_argument("--json", action="store_true", help="print JSON instead of text")


def run_dataset(args: argparse.Namespace) -> int:
    if args.action == "info":
        from rnncells.data.info import format_info, variant_folders, variant_info

        dataset_dir, variants = variant_folders(args.path)
        infos = [variant_info(dataset_dir, v) for v in variants]
        print(json.dumps(infos, indent=2) if args.json else "\n".join(format_info(i) for i in infos))
        return 0
    from rnncells.config.records import ConfigError, from_dict
    from rnncells.data.build import build_dataset

    values = given_options(args, DatasetConfig)
    if args.split is not None:
        try:
            ratios = [float(r) for r in args.split.split(",")]
        except ValueError:
            raise ConfigError(f"--split {args.split!r}: give ratios like 0.8,0.1,0.1") from None
        values.update(zip(RATIO_FIELDS, ratios + [0.0] * (3 - len(ratios))))
    config = from_dict(DatasetConfig, values, "dataset build")
    report = build_dataset(config, args.out, jobs=args.jobs, progress=not args.quiet)
    for variant, info in report.variants.items():
        print(f"{variant:<11} {info['songs']:>6} songs, vocabulary {info['vocabulary']:>4} -> {args.out / variant}")
    print(report.summary_line())
    print(f"skip report: {args.out / 'report.txt'}")
    return 0
