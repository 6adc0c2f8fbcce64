"""The ``rnncells grid`` command: its arguments and what each action calls (run, plan, status, finish, slurm)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rnncells.config.options import whole_number
from rnncells.grid.config import GridConfig
from rnncells.grid.listen import AUDIO_CHOICES
from rnncells.study.grid_folder import GridPaths


def add_grid_command(commands) -> None:
    parser = commands.add_parser(
        "grid",
        help="run a whole study from a grid file: locally (parallel, resumable) or on Slurm",
        description="A grid file (configs/*.toml) names the corpus, variants, cells, depths, epochs and settings. "
        "`grid run` builds the dataset, trains every run, picks the best depth per (variant, cell) by validation "
        "loss, generates songs, evaluates them and writes tables, figures and index.html. Start it again after a "
        "crash: finished runs are skipped and unfinished ones resume.",
    )
    sub = parser.add_subparsers(dest="action", required=True)
    run = sub.add_parser("run", help="run the grid here", description="Run every step of the grid on this machine.")
    plan = sub.add_parser(
        "plan",
        help="print each run's training steps and an estimated time, before anything trains",
        description="Build (or reuse) the grid's dataset, count each run's training steps, and time a few real "
        "steps and one validation pass of every distinct model shape on this machine to estimate the grid's cost.",
    )
    status = sub.add_parser("status", help="print the run table (status, epochs, best validation loss)")
    index = sub.add_parser(
        "index",
        help="write OUT/index.html again from a finished results folder (trains, generates, scores nothing)",
    )
    finish = sub.add_parser("finish", help="selection, generation, evaluation and tables from finished runs")
    slurm = sub.add_parser(
        "slurm",
        help="write (and --submit) a Slurm job array and a dependent finishing job",
        description="Build the dataset, write slurm/<grid>/train.sbatch (one array task per run) "
        "and finish.sbatch (afterok on the array: selection, generation, evaluation, tables).",
    )
    for each in (run, plan, status, finish, slurm, index):
        each.add_argument("config", type=Path, help="grid file, e.g. configs/quick.toml")
        each.add_argument("--source", help="corpus to use instead of the grid file's [dataset] source")
        each.add_argument("--out", type=Path, help="results folder (default: out/<grid name>, ignored by git)")
        each.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            dest="overrides",
            help="change one value of the grid file for this command, as TOML, e.g. --set axes.units=[128,256] "
            "or --set train.epochs=5; repeatable; the resolved grid is written to OUT/grid.toml",
        )
    run.add_argument(
        "--jobs",
        type=whole_number(1),
        default=1,
        help="training processes at once, each given an equal share of the CPU cores (default 1; see README)",
    )
    plan.add_argument(
        "--jobs", type=whole_number(1), default=1, help="processes the wall-time estimate assumes (default 1)"
    )
    plan.add_argument("--no-measure", action="store_true", help="only count steps, measure nothing")
    for each in (run, slurm):
        each.add_argument(
            "--reuse",
            action="append",
            type=Path,
            metavar="DIR",
            help="another grid's results folder: its finished runs equal to runs of this grid (same model, training "
            "settings, data and backend) are copied instead of trained; repeatable; adds to the grid file's reuse",
        )
    run.add_argument("--retries", type=whole_number(0), default=1, help="extra attempts for a failing run (default 1)")
    for each in (run, finish):
        each.add_argument("--all-models", action="store_true", help="generate with every run, not only the selected")
        each.add_argument("--quiet", action="store_true", help="no progress display")
        each.add_argument(
            "--audio",
            choices=AUDIO_CHOICES,
            default="picks",
            help="audio of the selected models: their best and most representative songs (picks, the default), "
            "every song (all) or none",
        )
    slurm.add_argument("--submit", action="store_true", help="submit the jobs with sbatch")
    slurm.add_argument("--slurm-dir", type=Path, default=Path("slurm"), help="where the scripts go (default slurm/)")
    slurm.add_argument("--partition", help="Slurm partition")
    slurm.add_argument("--time", default="2-00:00:00", help="time limit per training task (default 2 days)")
    slurm.add_argument("--mem", default="8G", help="memory per task (default 8G)")
    slurm.add_argument("--gpus", type=whole_number(0), default=0, help="GPUs per training task (--gres=gpu:N)")
    slurm.add_argument("--cpus", type=whole_number(1), default=1, help="CPUs per task")
    slurm.add_argument("--throttle", type=whole_number(1), help="at most this many training tasks at once (%%K)")
    slurm.add_argument(
        "--setup", default="", help="shell line run first in every job, e.g. 'source .venv/bin/activate'"
    )
    slurm.add_argument("--resubmit", type=whole_number(0), metavar="I", help="submit array task I again, alone")


def run_grid_command(args: argparse.Namespace) -> int:
    """Load the grid file and do ``args.action`` with it."""
    from rnncells.grid.grid_file import load_grid
    from rnncells.grid.paths import grid_paths

    grid = load_grid(args.config, source=args.source, overrides=args.overrides)
    grid.reuse = [*grid.reuse, *map(str, getattr(args, "reuse", None) or [])]
    actions = {
        "plan": _plan,
        "status": _status,
        "slurm": _slurm,
        "run": _run_or_finish,
        "finish": _run_or_finish,
        "index": _index,
    }
    return actions[args.action](grid, grid_paths(grid, args.out), args)


def _plan(grid: GridConfig, paths: GridPaths, args: argparse.Namespace) -> int:
    from rnncells.grid.estimate import estimate_costs, format_costs
    from rnncells.grid.plan import plan_runs
    from rnncells.grid.runner import prepare_dataset
    from rnncells.locks import folder_lock

    with folder_lock(paths.root, "rnncells grid plan"):  # it may build the grid's dataset: one writer per folder
        dataset = prepare_dataset(grid, paths, progress=False)
    tell = None if args.no_measure else (lambda text: print(text, file=sys.stderr))
    costs = estimate_costs(plan_runs(grid), dataset, measure=not args.no_measure, progress=tell)
    print(format_costs(costs, args.jobs))
    return 0


def _status(grid: GridConfig, paths: GridPaths, args: argparse.Namespace) -> int:
    from rnncells.grid.status import format_status, status_rows

    print(format_status(status_rows(grid, paths)))
    return 0


def _index(grid: GridConfig, paths: GridPaths, args: argparse.Namespace) -> int:
    from rnncells.grid.index import rewrite_index

    print(f"index:   {rewrite_index(grid, paths)}")
    return 0


def _slurm(grid: GridConfig, paths: GridPaths, args: argparse.Namespace) -> int:
    from rnncells.grid.slurm.submit import SlurmOptions, resubmit_run, submit_grid_jobs, write_grid_jobs

    options = SlurmOptions(
        partition=args.partition,
        time=args.time,
        mem=args.mem,
        gpus=args.gpus,
        cpus=args.cpus,
        throttle=args.throttle,
        setup=args.setup,
    )
    jobs = write_grid_jobs(grid, args.config, args.out, args.slurm_dir, options)
    print(f"{len(jobs.commands)} training tasks -> {jobs.train_script}\nfinishing job -> {jobs.finish_script}")
    if args.resubmit is not None:
        print(f"resubmitted task {args.resubmit} as job {resubmit_run(jobs, args.resubmit)}")
    elif args.submit:
        submit_grid_jobs(jobs)
        print(f"submitted array job {jobs.train_job} and finishing job {jobs.finish_job} (afterok)")
    else:
        print(f"submit with: rnncells grid slurm {args.config} --submit (or sbatch the scripts yourself)")
    return 0


def _run_or_finish(grid: GridConfig, paths: GridPaths, args: argparse.Namespace) -> int:
    from rnncells.grid.plan import plan_runs
    from rnncells.grid.runner import finish_grid, run_grid

    if args.action == "finish":
        index = finish_grid(
            grid, plan_runs(grid), paths, generate_all=args.all_models, progress=not args.quiet, audio=args.audio
        )
    else:
        index = run_grid(
            grid,
            args.out,
            jobs=args.jobs,
            retries=args.retries,
            generate_all=args.all_models,
            progress=not args.quiet,
            audio=args.audio,
        )
    root = index.parent
    print(f"tables:  {root / 'tables'} (tables.tex, tables.pdf)")
    print(f"figures: {root / 'figures'}")
    print(f"index:   {index}")
    return 0


def add_report_command(commands) -> None:
    """``rnncells report RESULTS... --out DIR``: the study report from grid result folders."""
    parser = commands.add_parser(
        "report",
        help="write the study report (README.md, report.pdf) from grid result folders",
        description="Read grid result folders (selection.json, evaluation/, runs/) and write the study's report: "
        "which variant, cell and depth writes the most tonal melodies, the tests and effect sizes, the dataset "
        "baseline, copying, the depth curve, training cost and the published numbers beside ours. Every number "
        "comes from the folders, so the report is regenerated with the same command.",
    )
    parser.add_argument("results", nargs="+", type=Path, help="grid result folders, e.g. results/edm-paper")
    parser.add_argument("--out", required=True, type=Path, help="report folder (README.md, report.tex/pdf)")
    parser.add_argument("--no-pdf", action="store_true", help="do not run pdflatex")


def run_report_command(args: argparse.Namespace) -> int:
    from rnncells.study.report import write_report

    for path in write_report(args.results, args.out, pdf=not args.no_pdf):
        print(f"report -> {path}")
    return 0


def add_tensorboard_command(commands) -> None:
    """``rnncells tensorboard RESULTS...``: rebuild each run's scalar file and HParams session."""
    parser = commands.add_parser(
        "tensorboard",
        help="rebuild each run's TensorBoard scalars and HParams session from its metrics.csv and the evaluation",
        description="For every run folder under RESULTS/runs write events.out.tfevents.1.scalars (the metrics.csv "
        "curves, the best validation loss and the run's mean tonality) and its finished HParams session, so "
        "`tensorboard --logdir RESULTS` shows every curve and compares the runs (committed results keep no "
        "tensorboard/ logs). `grid finish` does the same.",
    )
    parser.add_argument("results", nargs="+", type=Path, help="grid result folders, e.g. results/edm-paper")


def run_tensorboard_command(args: argparse.Namespace) -> int:
    from rnncells.grid.tensorboard import rebuild_tensorboard

    for root in args.results:
        runs = rebuild_tensorboard(root)
        print(f"{len(runs)} runs -> {root} (tensorboard --logdir {root})")
    return 0


def add_local_slurm_command(commands) -> None:
    """``rnncells local-slurm up|down|status FOLDER``."""
    parser = commands.add_parser(
        "local-slurm",
        help="bring a one-node Slurm cluster up or down on this machine (to try `grid slurm`)",
        description="Start munged (if none runs), slurmctld and slurmd with a minimal slurm.conf kept in FOLDER, "
        "on localhost only; `down` stops only the daemons it started. Needs root and "
        "`apt-get install -y slurm-wlm munge`.",
    )
    parser.add_argument("action", choices=["up", "down", "status"])
    parser.add_argument("folder", type=Path, help="a short path for the cluster's files, e.g. /tmp/slurm")


def run_local_slurm(args: argparse.Namespace) -> int:
    from rnncells.grid.slurm.local_cluster import main as local_slurm

    return local_slurm([args.action, str(args.folder)])
