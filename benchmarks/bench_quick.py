"""Where the time of ``rnncells grid run configs/quick.toml --jobs 2`` goes, phase by phase.

Runs the grid in this process (as the command does) into a fresh folder and prints, per phase, the wall seconds,
this process's CPU seconds (user + system) and its finished child processes' CPU seconds (trainers, workers,
pdflatex, FluidSynth, ...), with the number of processes each phase started. On a machine busy with other work,
read the CPU seconds: they hardly depend on the load, the wall seconds do.
Run: python benchmarks/bench_quick.py [--config configs/quick.toml] [--jobs 2] [--out DIR (default: a temp folder)]
"""

from __future__ import annotations

import argparse
import functools
import importlib
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# (module, function) pairs timed as phases, in the order run_grid calls them; with the audio rendered in the
# background, its FluidSynth time counts in the phases it overlaps (CPU children)
PHASES = [
    ("rnncells.grid.runner", "prepare_dataset", "dataset"),
    ("rnncells.grid.runner", "train_runs", "training"),
    ("rnncells.grid.runner", "select_runs", "selection"),
    ("rnncells.grid.runner", "generate_songs", "generation"),
    ("rnncells.grid.runner", "generate_baselines", "baselines"),
    ("rnncells.evaluation.evaluate", "evaluate_song_sets", "evaluation"),
    ("rnncells.grid.runner", "make_figures", "figures"),
    ("rnncells.grid.runner", "render_listening", "audio"),  # before the audio ran in the background
    ("rnncells.grid.runner", "start_listening", "rolls+audio"),  # piano rolls, then FluidSynth started
    ("rnncells.report.tables", "write_tables", "tables"),
    ("rnncells.report.tables", "compile_pdf", "tables.pdf"),
    ("rnncells.grid.tensorboard", "rebuild_tensorboard", "tensorboard"),
    ("rnncells.grid.runner", "write_index", "index"),
]
rows: list[tuple[str, float, float, float, int]] = []
started = [0]


def _cpu() -> tuple[float, float]:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def _timed(name: str, function):
    @functools.wraps(function)
    def timed(*args, **kwargs):
        wall, (own, children), starts = time.perf_counter(), _cpu(), started[0]
        try:
            return function(*args, **kwargs)
        finally:
            own2, children2 = _cpu()
            rows.append((name, time.perf_counter() - wall, own2 - own, children2 - children, started[0] - starts))

    return timed


def _count_starts() -> None:
    original = subprocess.Popen.__init__

    def counted(self, *args, **kwargs):
        started[0] += 1
        original(self, *args, **kwargs)

    subprocess.Popen.__init__ = counted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=REPO / "configs" / "quick.toml")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, help="results folder (default: a fresh temporary one)")
    args = parser.parse_args()
    wall, (own, children) = time.perf_counter(), _cpu()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # as the command does (rnncells.backend.quiet_tensorflow)
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    from rnncells.grid.grid_file import load_grid
    from rnncells.grid.runner import run_grid

    imported = (time.perf_counter() - wall, *(b - a for a, b in zip((own, children), _cpu(), strict=True)))
    # the finishing step imports these lazily; import them first so that their functions can be wrapped
    for module_name, function_name, phase in PHASES:
        module = importlib.import_module(module_name)
        if hasattr(module, function_name):  # this version of rnncells has it
            setattr(module, function_name, _timed(phase, getattr(module, function_name)))
    _count_starts()
    grid = load_grid(args.config)
    with tempfile.TemporaryDirectory() as tmp:
        run_grid(grid, args.out or Path(tmp) / "out", jobs=args.jobs, progress=False)
    total_wall = time.perf_counter() - wall
    total_own, total_children = (b - a for a, b in zip((own, children), _cpu(), strict=True))
    print(f"{args.config.name}, --jobs {args.jobs}: seconds (CPU = user + system)")
    print(f"{'phase':<12} {'wall':>7} {'CPU here':>9} {'CPU children':>13} {'processes':>9}")
    print(f"{'imports':<12} {imported[0]:>7.1f} {imported[1]:>9.1f} {imported[2]:>13.1f} {0:>9}")
    for name, seconds, cpu_own, cpu_children, starts in rows:
        print(f"{name:<12} {seconds:>7.1f} {cpu_own:>9.1f} {cpu_children:>13.1f} {starts:>9}")
    print(f"{'total':<12} {total_wall:>7.1f} {total_own:>9.1f} {total_children:>13.1f} {started[0]:>9}")
    print(f"CPU in all: {total_own + total_children:.1f} s")


if __name__ == "__main__":
    sys.exit(main())
