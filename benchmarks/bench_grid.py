"""Grid training throughput with --jobs 1 and --jobs 2 (and more), each job on its share of the cores.

Takes the first RUNS runs of a grid file (default: configs/paper.toml, the paper's shapes) with their epochs capped
at EPOCHS, and trains them as ``grid run`` does (its config hand-off, thread split and train command) with J
processes at once, in fresh folders, for each J given. Prints wall seconds, runs per hour and the speed-up against
J = 1 measured in the same process. The dataset is built once first.
Run: python benchmarks/bench_grid.py --source path/to/edm [--config configs/paper.toml] [--runs 4] [--epochs 30]
     [--jobs 1,2]
"""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rnncells.backend import threads_per_job
from rnncells.grid.grid_file import load_grid
from rnncells.grid.plan import plan_runs
from rnncells.grid.runner import prepare_dataset, train_command, write_run_config
from rnncells.study.grid_folder import GridPaths

REPO = Path(__file__).resolve().parents[1]


def timed_training(runs: list, dataset_paths: GridPaths, root: Path, jobs: int) -> float:
    """Wall seconds to train ``runs`` with ``jobs`` processes, each held to its share of the cores."""
    paths = GridPaths(root)
    paths.root.mkdir(parents=True)
    paths.dataset.symlink_to(dataset_paths.dataset.resolve())
    threads = threads_per_job(jobs)
    for run in runs:
        write_run_config(run, paths)

    def train(run) -> None:
        command = train_command(run, paths, "tensorflow", threads)
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(train, runs))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=REPO / "configs" / "paper.toml")
    parser.add_argument("--source", help="corpus instead of the grid file's [dataset] source")
    parser.add_argument("--runs", type=int, default=4, help="the grid's first RUNS runs (default 4)")
    parser.add_argument("--epochs", type=int, default=30, help="epochs of each run (default 30)")
    parser.add_argument("--jobs", default="1,2", help="comma-separated J values (default 1,2)")
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="override a grid value, as `grid run --set`"
    )
    args = parser.parse_args()
    # one seed, so the first RUNS runs are distinct shapes rather than one configuration's seeds
    grid = load_grid(args.config, source=args.source, overrides=["seeds=[0]", *args.set])
    runs = [dataclasses.replace(r, train=dataclasses.replace(r.train, epochs=args.epochs)) for r in plan_runs(grid)]
    runs = runs[: args.runs]
    with tempfile.TemporaryDirectory() as tmp:
        shared = GridPaths(Path(tmp) / "dataset-only")
        prepare_dataset(grid, shared, progress=False)
        print(f"{args.config.name}: runs {', '.join(r.name for r in runs)}; {args.epochs} epochs each")
        print(f"{'jobs':>4} {'threads/job':>11} {'wall s':>8} {'runs/hour':>9} {'speed-up':>8}")
        first = None
        for jobs in (int(j) for j in args.jobs.split(",")):
            seconds = timed_training(runs, shared, Path(tmp) / f"jobs{jobs}", jobs)
            first = first or seconds
            rate = len(runs) * 3600 / seconds
            print(f"{jobs:>4} {threads_per_job(jobs):>11} {seconds:>8.1f} {rate:>9.1f} {first / seconds:>7.2f}x")


if __name__ == "__main__":
    main()
