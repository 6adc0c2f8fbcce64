"""The ``rnncells`` command: parse arguments, call one library function, print what it made.

Every expected failure (bad input, missing file, unknown name) ends as one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import NoReturn

from rnncells.backend import quiet_tensorflow
from rnncells.config.dataset import DatasetConfig
from rnncells.config.generate import GenerateConfig
from rnncells.config.model import ModelConfig
from rnncells.config.options import add_options, given_options, whole_number
from rnncells.config.train import TrainConfig
from rnncells.errors import RnncellsError
from rnncells.evaluation.likeness import add_likeness_command, run_likeness
from rnncells.generation.command import add_baseline_command, run_baseline_command
from rnncells.grid.command import (
    add_grid_command,
    add_local_slurm_command,
    add_report_command,
    add_tensorboard_command,
    run_grid_command,
    run_local_slurm,
    run_report_command,
    run_tensorboard_command,
)
from rnncells.report.command import add_plot_command, add_tables_command, run_plot, run_tables
from rnncells.report.render import add_render_command, run_render
from rnncells.studio.preset import add_melody_command, run_melody
from rnncells.studio.server import add_studio_command, run_studio

# The errors a user can cause (rnncells.errors) and OS errors on the user's files: one line, exit 2. Anything else is
# a bug in rnncells and keeps its traceback.
EXPECTED_ERRORS: tuple[type[BaseException], ...] = (RnncellsError, OSError)
# DatasetConfig's split ratios, set together on the command line by --split.
RATIO_FIELDS = ("train_ratio", "validation_ratio", "test_ratio")


def _add_dataset(commands) -> None:
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


def _add_train(commands) -> None:
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


def _add_generate(commands) -> None:
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


def _add_evaluate(commands) -> None:
    parser = commands.add_parser(
        "evaluate",
        help="score song sets (generated folders, MIDI folders) with the tonality metrics, against the dataset",
        description="Per-song CMM, LM, CENTR and general tonality (docs/method.md §4), MusPy's metrics and, with "
        "--dataset, memorisation of the training songs; per-model statistics, best and most representative songs, "
        "Mann-Whitney tests between sets (Holm-corrected), Yang & Lerch's comparison with the training set, and "
        "figures (figures/). A folder of MIDI files (another system's, a composer's) is read as `rnncells dataset "
        "build` reads it and scored like a model.",
    )
    parser.add_argument(
        "song_dirs",
        nargs="*",
        type=Path,
        help="song sets: folders written by `rnncells generate`, folders of MIDI files, MIDI files (those named one "
        "after another from one folder form one set) or .txt lists of MIDI files (none: the dataset baseline alone)",
    )
    parser.add_argument(
        "--dataset", type=Path, help="dataset folder: its songs are the baseline, its training songs the reference"
    )
    parser.add_argument("--out", required=True, type=Path, help="evaluation folder to write")
    parser.add_argument(
        "--name",
        action="append",
        default=[],
        help="name of a MIDI song set (default: its folder or list file's name); repeat for each MIDI set, in order",
    )
    parser.add_argument(
        "--track", help="the melody track of the MIDI files (a part of its name), as `dataset build --track`"
    )
    parser.add_argument(
        "--baseline",
        default="train",
        choices=["train", "all"],
        help="the dataset songs scored as the baseline: the training split (default) or every song",
    )
    parser.add_argument(
        "--copy-threshold",
        type=int,
        default=16,
        help="a song whose longest run of intervals shared with a training song is this long counts as copied "
        "(default 16)",
    )
    parser.add_argument(
        "--mode",
        default="paper",
        choices=["paper", "corrected"],
        help="paper: music_geometry_eval exactly; corrected: pitch classes, [5, 8], centricity",
    )
    parser.add_argument(
        "--span", type=whole_number(2, 4096), default=12, help="window length of LM and CENTR (default 12)"
    )
    parser.add_argument("--rhythm", action="store_true", help="rhythm-aware LM and CENTR on the 16th grid")
    parser.add_argument(
        "--cut-baselines",
        action="store_true",
        help="with --dataset: also score its train, validation and test songs cut to the generated length",
    )


def run_evaluate(args: argparse.Namespace) -> int:
    from rnncells.locks import folder_lock

    # One writer from the first table to the last figure: a second evaluate into the folder is refused, never
    # interleaved with this one's record and figures.
    with folder_lock(args.out, "rnncells evaluate"):
        return _evaluate(args)


def _evaluate(args: argparse.Namespace) -> int:
    from rnncells.evaluation.evaluate import evaluate_song_sets
    from rnncells.evaluation.folder import EvaluationFolder
    from rnncells.report.set_figures import evaluation_figures

    out = evaluate_song_sets(
        args.song_dirs,
        args.dataset,
        args.out,
        mode=args.mode,
        span=args.span,
        rhythm=args.rhythm,
        names=args.name,
        track=args.track,
        baseline=args.baseline,
        cut_baselines_too=args.cut_baselines,
        copy_threshold=args.copy_threshold,
    )
    folder = EvaluationFolder(out)
    figures = evaluation_figures(out, out / "figures")
    print(f"evaluation -> {out} ({', '.join(folder.read_record()['files'])})")
    summary = folder.read_summary().drop_duplicates("model_name")
    memorised = folder.read_memorisation()
    copied = {} if memorised is None else dict(zip(memorised["model_name"], memorised["copied_share"], strict=True))
    for row in summary.itertuples():
        share = f", {100 * copied[row.model_name]:.0f}% copied" if row.model_name in copied else ""
        print(f"  {row.model_name}: {row.scope}{share}")
    for song_set in folder.read_record()["inputs"]:
        if song_set.get("skipped"):
            print(f"  {song_set['model_name']}: {len(song_set['skipped'])} file(s) skipped (see evaluation.json)")
    print(f"figures    -> {out / 'figures'} ({len(figures)} files); tables: `rnncells tables {out} --out DIR`")
    return 0


class Parser(argparse.ArgumentParser):
    """argparse with the README's one-line errors: ``rnncells: error: MESSAGE (see `rnncells COMMAND --help`)``,
    exit code 2, no usage block (every subcommand's parser is one of these too)."""

    def error(self, message: str) -> NoReturn:
        print(f"rnncells: error: {message} (see `{self.prog} --help`)", file=sys.stderr)
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="rnncells",
        description="Compare recurrent memory cells on melody generation: datasets, training, generation, "
        "tonality metrics, LaTeX tables. Run `rnncells COMMAND --help` for each command.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    _add_dataset(commands)
    _add_train(commands)
    _add_generate(commands)
    add_baseline_command(commands)
    _add_evaluate(commands)
    add_tables_command(commands)
    add_render_command(commands)
    add_plot_command(commands)
    add_grid_command(commands)
    add_report_command(commands)
    add_tensorboard_command(commands)
    add_local_slurm_command(commands)
    add_studio_command(commands)
    add_melody_command(commands)
    add_likeness_command(commands)
    return parser


HANDLERS = {
    "dataset": run_dataset,
    "train": run_train,
    "generate": run_generate,
    "baseline": run_baseline_command,
    "evaluate": run_evaluate,
    "tables": run_tables,
    "render": run_render,
    "plot": run_plot,
    "grid": run_grid_command,
    "report": run_report_command,
    "tensorboard": run_tensorboard_command,
    "local-slurm": run_local_slurm,
    "studio": run_studio,
    "melody": run_melody,
    "likeness": run_likeness,
}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``rnncells`` command."""
    quiet_tensorflow()
    args = build_parser().parse_args(argv)
    try:
        code = HANDLERS[args.command](args)
        sys.stdout.flush()  # a reader that closed the pipe is noticed here, not at exit
        return code
    except BrokenPipeError:  # `rnncells ... | head -1`: the reader has all it wants; end quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # what a shell reports for a process ended by SIGPIPE
    except KeyboardInterrupt:
        print("rnncells: interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    except EXPECTED_ERRORS as error:
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        print(f"rnncells: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
