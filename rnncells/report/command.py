"""The report's commands: ``rnncells tables`` (LaTeX tables of an evaluation), ``rnncells plot`` (figures) and
``rnncells evaluate`` (rnncells.evaluation.evaluate scores the song sets, then the evaluation's figures are drawn;
it lives here, after both stages, so the evaluation stage never imports the report)."""

from __future__ import annotations

import argparse
from pathlib import Path

from rnncells.config.evaluate import EvaluateConfig
from rnncells.config.options import add_options, given_options
from rnncells.config.records import from_dict
from rnncells.locks import folder_lock


def add_tables_command(commands) -> None:
    """``rnncells tables EVALUATION --out DIR``."""
    parser = commands.add_parser(
        "tables",
        help="write the study's LaTeX tables from an evaluation (and compile them with pdflatex)",
        description="Mean, variance, std, mean ± std (multirow per metric), best and most representative songs, "
        "dataset baseline and the published anchors, one .tex each plus tables.tex; compiled to tables.pdf "
        "when pdflatex is installed.",
    )
    parser.add_argument("eval_dir", type=Path, help="folder written by `rnncells evaluate`")
    parser.add_argument("--out", required=True, type=Path, help="folder for the .tex files and tables.pdf")
    parser.add_argument("--no-published", action="store_true", help="leave out the published anchors table")
    parser.add_argument("--no-pdf", action="store_true", help="do not run pdflatex")


def run_tables(args: argparse.Namespace) -> int:
    import shutil

    from rnncells.report.tables import INSTALL_HINT, compile_pdf, write_tables

    with folder_lock(args.out, "rnncells tables"):  # one writer for the whole command, PDF included
        paths = write_tables(args.eval_dir, args.out, published=not args.no_published)
        print(f"{len(paths)} .tex files -> {args.out}")
        if not args.no_pdf:
            if shutil.which("pdflatex") is None:
                print(f"pdflatex not found, no PDF: {INSTALL_HINT}")
            else:
                print(f"PDF -> {compile_pdf(args.out / 'tables.tex')}")
    return 0


def add_plot_command(commands) -> None:
    """``rnncells plot curves|span|embedding|checkpoints``."""
    parser = commands.add_parser(
        "plot",
        help="learning curves of runs, a run's token embedding, or the metric-vs-span plot of a song",
        description="curves: train/validation curves from runs' metrics.csv; span: LM "
        "and CENTR of one song for windows 5-29 (docs/method.md §5).",
    )
    sub = parser.add_subparsers(dest="what", required=True)
    curves = sub.add_parser("curves", help="learning curves of one or more runs")
    curves.add_argument("runs", nargs="+", type=Path, help="run folders")
    curves.add_argument("--out", required=True, type=Path, help="output path without suffix (.png and .pdf)")
    curves.add_argument("--metric", default="loss", choices=["loss", "accuracy", "perplexity"])
    span = sub.add_parser("span", help="LM and CENTR of one song against the window size")
    span.add_argument("midi", type=Path, help="a .mid file")
    span.add_argument("--out", required=True, type=Path, help="output path without suffix (.png and .pdf)")
    checkpoints = sub.add_parser(
        "checkpoints",
        help="cost-function validation: validation and training loss against tonality, one point per checkpoint",
        description="Reads an evaluation of one song set per step checkpoint and seed (paper_scripts/08) and writes "
        "OUT.csv, OUT.tex, OUT.json (Spearman's rho with a block-bootstrap interval) and the figure OUT.png/.pdf "
        "(docs/method.md §5).",
    )
    checkpoints.add_argument("evaluation", type=Path, help="folder written by `rnncells evaluate` on the song sets")
    checkpoints.add_argument("--out", required=True, type=Path, help="output path without suffix")
    checkpoints.add_argument("--title", default="", help="the figure's title, e.g. the run's name")
    checkpoints.add_argument(
        "--run",
        action="append",
        type=Path,
        default=[],
        help="a retrained run whose step checkpoints the sets came from (repeat per seed): gives each checkpoint's "
        "validation loss, the x axis",
    )
    embedding = sub.add_parser("embedding", help="a run's token embedding on its first two principal components")
    embedding.add_argument("run", type=Path, help="a trained run folder")
    embedding.add_argument("--out", required=True, type=Path, help="output path without suffix (.png and .pdf)")


def run_plot(args: argparse.Namespace) -> int:
    from rnncells.report.figures import learning_curves, span_plot

    if args.what == "curves":
        paths = learning_curves(args.runs, args.out, metric=args.metric)
    elif args.what == "checkpoints":
        from rnncells.report.cost_validation import cost_validation

        paths = cost_validation(args.evaluation, args.out, title=args.title, runs=args.run)
    elif args.what == "embedding":
        from rnncells.report.embedding import embedding_plot
        from rnncells.training.run_folder import RunFolder

        folder = RunFolder(args.run)
        vectors, labels = folder.read_projector()
        paths = embedding_plot(vectors, labels, args.out, title=f"{folder.model_name}: token embedding")
    else:
        from rnncells.music.midi import read_midi

        paths = span_plot(read_midi(args.midi).pitches, args.out, title=args.midi.stem)
    print("figure -> " + ", ".join(str(p) for p in paths))
    return 0


def add_evaluate_command(commands) -> None:
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
    add_options(parser.add_argument_group("scoring ([evaluate] table of a grid file)"), EvaluateConfig)
    parser.add_argument(
        "--leave-out",
        action="append",
        default=[],
        metavar="CONFIGURATION",
        help="a configuration (a set's name without -seedN) kept out of the run-level tests' family, e.g. one a "
        "grid's selection passed over, as `grid run` scores it; repeat for each (paper_scripts/common.sh: "
        "passed_over)",
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

    config = from_dict(EvaluateConfig, given_options(args, EvaluateConfig), "rnncells evaluate")
    out = evaluate_song_sets(
        args.song_dirs,
        args.dataset,
        args.out,
        mode=config.mode,
        span=config.span,
        rhythm=config.rhythm,
        names=args.name,
        track=args.track,
        baseline=args.baseline,
        cut_baselines_too=config.cut_baselines,
        copy_threshold=args.copy_threshold,
        leave_out=args.leave_out,
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
