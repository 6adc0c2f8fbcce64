"""In key without jumps: leap shares of melodies generated in a key, against the corpus (issue 25 item 4).

Generates ``--n-songs`` melodies of ``--bars`` bars in ``--key`` at temperature 1 with the shipped model, once per
way of keeping to the scale: none (``--scale chromatic``), ``mask`` (out-of-scale logits at -inf) and ``fold`` (their
probability moved to the nearest scale note, the default), and prints for each the share of notes in the key's
scale, of steps over a fifth (> 7 semitones) and of steps of an octave or more, beside the corpus's (every melody
of ``--corpus``, read as ``rnncells dataset build`` reads it). Goal: steps over a fifth at most 1.5x the corpus's.
Run: python benchmarks/bench_leaps.py --corpus ../shared/data/edm [--key "F minor"] [--n-songs 100] [--bars 8]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from rnncells.config.generate import GenerateConfig  # noqa: E402
from rnncells.generation.generate import generate  # noqa: E402
from rnncells.music.corpus import source_entries  # noqa: E402
from rnncells.music.melody import key_scale, scale_pitch_classes  # noqa: E402
from rnncells.music.midi import read_midi  # noqa: E402

SHIPPED_RUN = Path(__file__).resolve().parents[1] / "results" / "models" / "edm-control-lstm-2"


def leap_shares(songs: list[list[int]], pitch_classes: frozenset[int] | None = None) -> dict[str, float]:
    """Shares of steps over a fifth and of an octave or more (and of notes in ``pitch_classes``) over all songs."""
    steps = np.concatenate([np.abs(np.diff(song)) for song in songs if len(song) > 1])
    shares = {"over a fifth": float((steps > 7).mean()), "octave or more": float((steps >= 12).mean())}
    if pitch_classes is not None:
        notes = np.concatenate([np.asarray(song) for song in songs])
        shares["in key"] = float(np.isin(notes % 12, list(pitch_classes)).mean())
    return shares


def corpus_songs(folder: Path) -> list[list[int]]:
    """The pitch sequence of every readable melody in ``folder``."""
    songs = []
    for entry in source_entries(folder):
        try:
            songs.append(read_midi(entry.path).pitches)
        except Exception:  # noqa: BLE001 - a benchmark skips what dataset build would skip
            continue
    return songs


def generated(run: Path, key: str, scale: str | None, rule: str, n_songs: int, bars: int, seed: int) -> list[list[int]]:
    """The pitches of ``n_songs`` melodies generated in ``key``."""
    config = GenerateConfig(n_songs=n_songs, bars=bars, key=key, scale=scale, scale_rule=rule, seed=seed)
    with tempfile.TemporaryDirectory() as work:
        out = generate(run, Path(work) / "songs", config)
        return [json.loads(line)["pitches"] for line in (out / "songs.jsonl").read_text().splitlines()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True, help="folder of the training melodies")
    parser.add_argument("--run", type=Path, default=SHIPPED_RUN)
    parser.add_argument("--key", default="F minor")
    parser.add_argument("--n-songs", type=int, default=100)
    parser.add_argument("--bars", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    pitch_classes = scale_pitch_classes(args.key, key_scale(args.key, None))
    corpus = leap_shares(corpus_songs(args.corpus))
    print(f"{'melodies':<24}{'in key':>8}{'> fifth':>9}{'>= octave':>11}")
    print(f"{'corpus':<24}{'':>8}{corpus['over a fifth']:>9.1%}{corpus['octave or more']:>11.1%}")
    for label, scale, rule in (("chromatic", "chromatic", "mask"), ("mask", None, "mask"), ("fold", None, "fold")):
        shares = leap_shares(
            generated(args.run, args.key, scale, rule, args.n_songs, args.bars, args.seed), pitch_classes
        )
        ratio = shares["over a fifth"] / corpus["over a fifth"]
        print(
            f"{args.key + ' ' + label:<24}{shares['in key']:>8.1%}{shares['over a fifth']:>9.1%}"
            f"{shares['octave or more']:>11.1%}   ({ratio:.2f}x the corpus's leaps)"
        )


if __name__ == "__main__":
    main()
