"""Wall time of a whole grid with --jobs 1 and --jobs 2 (default: configs/quick.toml), in fresh result folders.

The dataset is parsed once first (music21's cache), so both timings measure training, generation, evaluation and
tables. Run: python benchmarks/bench_grid.py [--config configs/quick.toml]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def timed_grid(config: Path, out: Path, jobs: int) -> float:
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "rnncells.cli",
            "grid",
            "run",
            str(config),
            "--out",
            str(out),
            "--jobs",
            str(jobs),
            "--quiet",
        ],
        check=True,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, default=REPO / "configs" / "quick.toml")
    args = parser.parse_args()
    from rnncells.config import load_grid
    from rnncells.data.build import build_dataset

    grid = load_grid(args.config)
    with tempfile.TemporaryDirectory() as tmp:
        build_dataset(grid.dataset, Path(tmp) / "warm-cache", progress=False)
        one = timed_grid(args.config, Path(tmp) / "jobs1", 1)
        two = timed_grid(args.config, Path(tmp) / "jobs2", 2)
    print(f"{args.config.name}: --jobs 1 {one:.1f} s, --jobs 2 {two:.1f} s, speed-up {one / two:.2f}x")


if __name__ == "__main__":
    main()
