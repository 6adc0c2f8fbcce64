"""The ``rnncells train`` command: one run's configs from its flags (and --config), then rnncells.training.trainer."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path

from rnncells.config.model import ModelConfig
from rnncells.config.options import add_options, given_options, whole_number
from rnncells.config.train import TrainConfig


def add_train_command(commands) -> None:
    parser = commands.add_parser(
        "train",
        help="train one model (cell x layers) on one dataset variant",
        description="Train embedding -> LAYERS x CELL -> dense with the study's recipe (docs/method.md §2): Adam at "
        "lr * 0.97^epoch, global-norm clipping 5, state carried across the windows of the study's stream. Run it "
        "again on the same --out with more --epochs to resume and extend the run.",
    )
    parser.add_argument("--dataset", required=True, type=Path, help="dataset folder from `rnncells dataset build`")
    parser.add_argument("--out", required=True, type=Path, help="run folder (created, or resumed if it holds this run)")
    parser.add_argument(
        "--config",
        type=Path,
        help="a TOML file with [model] and [train] tables (such as a run's config.toml): its values replace the "
        "defaults below, and the flags given replace its values",
    )
    add_options(parser.add_argument_group("model ([model] table)"), ModelConfig)
    add_options(parser.add_argument_group("training ([train] table)"), TrainConfig)
    parser.add_argument(
        "--allow-deep", action="store_true", help="allow more layers than max_layers (raises it to --layers)"
    )
    parser.add_argument(
        "--backend",
        choices=["tensorflow", "jax", "torch"],
        help="Keras backend (default: $KERAS_BACKEND, else tensorflow)",
    )
    parser.add_argument(
        "--threads",
        type=whole_number(1, 1024),
        help="CPU threads this run may use (default: the backend's own choice, every core); "
        "`grid run --jobs J` gives each of its J runs an equal share",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def train_configs(args: argparse.Namespace) -> tuple[ModelConfig, TrainConfig]:
    """The run's configs from parsed ``rnncells train`` arguments: the dataclass defaults, replaced by the values
    of ``--config FILE``, replaced by the flags given."""
    from rnncells.config.records import from_dict

    if args.config:
        from rnncells.training.run_folder import read_run_config

        base = read_run_config(args.config)
        model, train = base.model, base.train
    else:
        model, train = ModelConfig(), TrainConfig()
    model_values = {**asdict(model), **given_options(args, ModelConfig)}
    if args.allow_deep and args.max_layers is None:
        model_values["max_layers"] = max(model_values["layers"], model_values["max_layers"])
    train_values = {**asdict(train), **given_options(args, TrainConfig)}
    where = f"rnncells train (flags, or {args.config})" if args.config else "rnncells train"
    return from_dict(ModelConfig, model_values, where), from_dict(TrainConfig, train_values, where)


def run_train(args: argparse.Namespace) -> int:
    from rnncells.backend import limit_threads, select_backend

    select_backend(args.backend)
    limit_threads(args.threads)
    from rnncells.data.windows import check_variant
    from rnncells.training.run_folder import RunFolder

    model, train_config = train_configs(args)
    check_variant(args.dataset, train_config.variant)
    from rnncells.training.trainer import train

    run_dir = train(args.dataset, args.out, model, train_config, progress=not args.quiet)
    print(
        f"run: {run_dir}  (metrics.csv, checkpoints/best.keras, projector/; "
        f"tensorboard --logdir {run_dir / 'tensorboard'})"
    )
    rows = RunFolder(run_dir).read_metrics()
    if rows:
        last = rows[-1]
        print(
            f"epoch {last['epoch']}: loss {last['loss']:.4f}, accuracy {last['accuracy']:.4f}, "
            f"val_loss {last['val_loss']:.4f}, val_perplexity {last['val_perplexity']:.3f}"
        )
    return 0
