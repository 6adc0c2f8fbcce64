"""Time the batched tonality scorer against music_geometry_eval on 4500 songs of 34 notes.

4500 songs is a grid's worth of generated songs (45 models x 100 songs); 34 notes is the paper's primer of
4 plus 30 sampled notes. Prints seconds for each scorer and the speed-up; asserts nothing about time.

    python benchmarks/bench_metrics.py [--songs 4500] [--notes 34] [--repeats 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from rnncells.music.metrics import score_songs, score_songs_rhythm


def random_songs(n_songs: int, n_notes: int, seed: int = 0) -> tuple[list[list[int]], list[list[int]]]:
    """Random-walk melodies around middle C with durations of 1-4 sixteenths."""
    rng = np.random.default_rng(seed)
    steps = rng.integers(-4, 5, size=(n_songs, n_notes))
    pitches = np.clip(60 + np.cumsum(steps, axis=1), 0, 127)
    durations = rng.integers(1, 5, size=(n_songs, n_notes))
    return pitches.tolist(), durations.tolist()


def best_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def library_scores(songs: list[list[int]]) -> np.ndarray:
    from music_geometry_eval import music_geometry_eval as mge

    rows = []
    for song in songs:
        cmm = mge.calculate_conjunct_melodic_motion(song)
        lm = mge.calculate_limited_macroharmony(song, 12)
        centr = mge.calculate_centricity(song, 12)
        rows.append((cmm, lm, centr, mge.calculate_general_tonality(cmm, lm, centr)))
    return np.array(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--songs", type=int, default=4500)
    parser.add_argument("--notes", type=int, default=34)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    songs, durations = random_songs(args.songs, args.notes)
    print(f"{args.songs} songs of {args.notes} notes, best of {args.repeats}")

    ours = best_time(lambda: score_songs(songs), args.repeats)
    corrected = best_time(lambda: score_songs(songs, mode="corrected"), args.repeats)
    rhythm = best_time(lambda: score_songs_rhythm(songs, durations), args.repeats)
    print(f"score_songs paper        {ours:8.4f} s")
    print(f"score_songs corrected    {corrected:8.4f} s")
    print(f"score_songs_rhythm paper {rhythm:8.4f} s  (no library baseline: it crashes under Python 3)")
    try:
        reference = best_time(lambda: library_scores(songs), args.repeats)
    except ImportError:
        print("music_geometry_eval is not installed: no baseline (pip install music-geometry-eval==2.0)")
        return
    difference = np.abs(score_songs(songs) - library_scores(songs)).max()
    print(f"music_geometry_eval      {reference:8.4f} s")
    print(f"speed-up (library / ours) {reference / ours:7.1f}x, largest difference {difference:.1e}")


if __name__ == "__main__":
    main()
