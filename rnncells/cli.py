"""The ``rnncells`` command: parse arguments, call one library function, print what it made.

Every expected failure (bad input, missing file, unknown name) ends as one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

EXPECTED_ERRORS: tuple[type[BaseException], ...] = (ValueError, FileNotFoundError, KeyError, RuntimeError, OSError)


def _add_dataset(commands) -> None:
    dataset = commands.add_parser("dataset", help="build and inspect datasets (control, interval, transposed)")
    sub = dataset.add_subparsers(dest="action", required=True)
    build = sub.add_parser(
        "build",
        help="read a MIDI folder or music21 corpus and write the dataset variants",
        description="Read melodies, clean them (REFERENCE §1), split by song, and write the control, interval and "
        "transposed (12 keys) variants with their vocabularies. Unreadable files are skipped and listed in "
        "report.txt (use --strict to fail instead).",
    )
    build.add_argument("--source", required=True,
                       help="a folder of .mid files, or music21:essenFolksong[/FILE] "
                       "(e.g. music21:essenFolksong/kinder0)")
    build.add_argument("--out", required=True, type=Path, help="dataset folder to write")
    build.add_argument("--representation", choices=["pitch", "pitch_duration"], default="pitch",
                       help="tokens are pitches (first study) or (value, duration) pairs (rhythm study)")
    build.add_argument("--variants", default="control,interval,transposed", help="comma-separated variants to build")
    build.add_argument("--track", help="melody track: case-insensitive part of a track or instrument name")
    build.add_argument("--min-notes", type=int, default=12, help="drop songs with fewer notes (default 12)")
    build.add_argument("--min-duration", type=int, default=1, help="pitch_duration: drop songs with shorter notes")
    build.add_argument("--max-duration", type=int, default=16, help="pitch_duration: drop songs with longer notes")
    build.add_argument("--transpose-rule", choices=["floor", "ceil"], default="floor",
                       help="split of spare keys: floor = the study's data (default), ceil = its stated intent")
    build.add_argument("--split", default="0.8,0.1,0.1", help="train,validation,test ratios (default 0.8,0.1,0.1)")
    build.add_argument("--seed", type=int, default=0, help="seed of the song split")
    build.add_argument("--strict", action="store_true", help="fail instead of skipping bad files")
    build.add_argument("--jobs", type=int, default=None, help="processes for music21 parsing (default: all cores)")
    build.add_argument("--quiet", action="store_true", help="no progress bar")
    info = sub.add_parser("info", help="summarise a built dataset",
                          description="Songs, tokens, vocabulary size, pitch range, duration histogram, splits.")
    info.add_argument("path", type=Path, help="a dataset folder or one of its variant folders")
    info.add_argument("--json", action="store_true", help="print JSON instead of text")


def run_dataset(args: argparse.Namespace) -> int:
    if args.action == "info":
        from rnncells.data.info import format_info, variant_folders, variant_info

        dataset_dir, variants = variant_folders(args.path)
        infos = [variant_info(dataset_dir, v) for v in variants]
        print(json.dumps(infos, indent=2) if args.json else "\n".join(format_info(i) for i in infos))
        return 0
    from rnncells.config import ConfigError, DatasetConfig
    from rnncells.data.build import build_dataset

    try:
        ratios = [float(r) for r in args.split.split(",")]
        ratios += [0.0] * (3 - len(ratios))
    except ValueError:
        raise ConfigError(f"--split {args.split!r}: give ratios like 0.8,0.1,0.1") from None
    config = DatasetConfig(
        source=args.source, representation=args.representation,
        variants=[v.strip() for v in args.variants.split(",") if v.strip()], track=args.track,
        min_notes=args.min_notes, min_duration=args.min_duration, max_duration=args.max_duration,
        transpose_rule=args.transpose_rule, train_ratio=ratios[0], validation_ratio=ratios[1],
        test_ratio=ratios[2], seed=args.seed, strict=args.strict,
    )
    report = build_dataset(config, args.out, jobs=args.jobs, progress=not args.quiet)
    for variant, info in report.variants.items():
        print(f"{variant:<11} {info['songs']:>6} songs, vocabulary {info['vocabulary']:>4} -> {args.out / variant}")
    print(report.summary_line())
    print(f"skip report: {args.out / 'report.txt'}")
    return 0


def _add_train(commands) -> None:
    parser = commands.add_parser(
        "train",
        help="train one model (cell x layers) on one dataset variant",
        description="Train embedding -> LAYERS x CELL -> dense with the study's recipe (REFERENCE §2): Adam at "
        "lr * 0.97^epoch, global-norm clipping 5, state carried across the windows of the study's stream. Run it "
        "again on the same --out with more --epochs to resume and extend the run.",
    )
    parser.add_argument("--dataset", required=True, type=Path, help="dataset folder from `rnncells dataset build`")
    parser.add_argument("--variant", default="control", help="control, interval or transposed (default control)")
    parser.add_argument("--cell", default="lstm", help="lstm, gru, rnn (vanilla), ugrnn or nas (default lstm)")
    parser.add_argument("--layers", type=int, default=1, help="stacked recurrent layers, 1-5 (default 1)")
    parser.add_argument("--allow-deep", action="store_true", help="allow more than 5 layers")
    parser.add_argument("--epochs", type=int, default=10, help="epochs in total (the study: 300, 50 for transposed)")
    parser.add_argument("--out", required=True, type=Path, help="run folder (created, or resumed if it holds this run)")
    parser.add_argument("--units", type=int, default=128, help="units per layer (default 128)")
    parser.add_argument("--batch-size", type=int, default=50, help="default 50")
    parser.add_argument("--seq-length", type=int, default=50, help="window length in tokens (default 50)")
    parser.add_argument("--learning-rate", type=float, default=0.002, help="initial Adam rate (default 0.002)")
    parser.add_argument("--lr-decay", type=float, default=0.97, help="rate multiplier per epoch (default 0.97)")
    parser.add_argument("--dropout", type=float, default=0.0, help="dropout after the embedding (default off)")
    parser.add_argument("--mode", default="stateful", choices=["stateful", "per_song"],
                        help="stateful: the study's stream with carried state; per_song: padded song chunks")
    parser.add_argument("--checkpoint-every", type=int, default=0,
                        help="also save a checkpoint every N steps, loss in its name (cost-function validation)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (weights, shuffling)")
    parser.add_argument("--backend", choices=["tensorflow", "jax", "torch"],
                        help="Keras backend (default: $KERAS_BACKEND, else tensorflow)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run_train(args: argparse.Namespace) -> int:
    if args.backend:
        os.environ["KERAS_BACKEND"] = args.backend
    from rnncells.config import resolve_train_configs
    from rnncells.data.windows import check_variant

    model, train_config = resolve_train_configs({
        "cell": args.cell, "layers": args.layers, "units": args.units, "dropout": args.dropout,
        "max_layers": max(args.layers, 5) if args.allow_deep else 5,
        "variant": args.variant, "epochs": args.epochs, "batch_size": args.batch_size,
        "seq_length": args.seq_length, "learning_rate": args.learning_rate, "lr_decay": args.lr_decay,
        "mode": args.mode, "seed": args.seed, "checkpoint_every_steps": args.checkpoint_every,
    })
    check_variant(args.dataset, train_config.variant)
    from rnncells.train import train

    run_dir = train(args.dataset, args.out, model, train_config, progress=not args.quiet)
    print(f"run: {run_dir}  (metrics.csv, checkpoints/best.keras, projector/; "
          f"tensorboard --logdir {run_dir / 'tensorboard'})")
    last = (run_dir / "metrics.csv").read_text().strip().splitlines()[-1].split(",")
    print(f"epoch {last[0]}: loss {last[2]}, accuracy {last[3]}, val_loss {last[5]}, val_perplexity {last[7]}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rnncells",
        description="Compare recurrent memory cells on melody generation: datasets, training, generation, "
        "tonality metrics, LaTeX tables. Run `rnncells COMMAND --help` for each command.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    _add_dataset(commands)
    _add_train(commands)
    return parser


HANDLERS = {"dataset": run_dataset, "train": run_train}


def quiet_tensorflow() -> None:
    """Silence TensorFlow's C++ start-up logging (oneDNN notice, absl warnings) unless the user set otherwise."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``rnncells`` command."""
    quiet_tensorflow()
    args = build_parser().parse_args(argv)
    try:
        return HANDLERS[args.command](args)
    except KeyboardInterrupt:
        print("rnncells: interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    except EXPECTED_ERRORS as error:
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        print(f"rnncells: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
