"""Dataset build speed: the EDM folder cold (goal < 2 s), and one Essen file parsed cold vs from the cache.

Run: python benchmarks/bench_dataset.py [--edm PATH] [--essen music21:essenFolksong/kinder0]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from rnncells.config.dataset import DatasetConfig
from rnncells.data.build import build_dataset

REPO = Path(__file__).resolve().parents[1]


def timed_build(config: DatasetConfig, out: Path) -> tuple[float, int]:
    start = time.perf_counter()
    report = build_dataset(config, out, progress=False)
    return time.perf_counter() - start, report.songs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--edm", default=str(REPO.parent / "shared" / "data" / "edm"))
    parser.add_argument("--essen", default="music21:essenFolksong/kinder0")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        os.environ["RNNCELLS_CACHE"] = str(tmp_path / "cache")
        seconds, songs = timed_build(DatasetConfig(source=args.edm), tmp_path / "edm")
        print(f"EDM folder, 3 variants, cold: {seconds:.3f} s for {songs} songs (goal < 2 s)")
        seconds_pd, _ = timed_build(DatasetConfig(source=args.edm, representation="pitch_duration"), tmp_path / "pd")
        print(f"EDM folder, pitch_duration:   {seconds_pd:.3f} s")
        config = DatasetConfig(source=args.essen, variants=["control"])
        cold, songs = timed_build(config, tmp_path / "essen-cold")
        warm, _ = timed_build(config, tmp_path / "essen-warm")
        print(
            f"{args.essen}: cold {cold:.2f} s, cached {warm:.3f} s for {songs} songs "
            f"(cache speed-up {cold / warm:.0f}x)"
        )


if __name__ == "__main__":
    main()
