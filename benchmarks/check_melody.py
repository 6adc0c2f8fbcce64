"""The acceptance numbers of ``rnncells melody`` (issue 25) for a folder of its files.

Reads every ``*.mid`` in FOLDER (as ``rnncells dataset build`` reads a file) and prints the share of notes in KEY's
scale (goal >= 99%), of steps over a fifth (goal <= 9%), of melodies with 3 or more distinct note lengths (goal
>= 80%), and whether every file is named KEY_BPMbpm_BARSbars_NN.mid.
Run: rnncells melody "F minor" --bars 8 --bpm 128 --n-songs 100 --out out/f && python benchmarks/check_melody.py
out/f "F minor" --bpm 128 --bars 8
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np

from rnncells.music.melody import key_label, key_scale, scale_pitch_classes
from rnncells.music.midi import read_midi


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("key")
    parser.add_argument("--bpm", type=float, default=128.0)
    parser.add_argument("--bars", type=int, default=8)
    args = parser.parse_args()
    files = sorted(args.folder.glob("*.mid"))
    name = re.compile(re.escape(f"{key_label(args.key)}_{args.bpm:g}bpm_{args.bars}bars_") + r"\d{2,}\.mid$")
    scale = scale_pitch_classes(args.key, key_scale(args.key, None))
    melodies = [read_midi(path).notes for path in files]
    pitches = np.concatenate([[n.pitch for n in notes] for notes in melodies])
    steps = np.concatenate([np.abs(np.diff([n.pitch for n in notes])) for notes in melodies])
    lengths = [len({n.duration for n in notes}) for notes in melodies]
    print(f"{len(files)} files in {args.folder}")
    print(f"notes in {args.key}: {np.isin(pitches % 12, list(scale)).mean():.1%} (goal >= 99%)")
    print(f"steps over a fifth: {(steps > 7).mean():.1%} (goal <= 9%)")
    print(f"melodies with 3+ note lengths: {np.mean([n >= 3 for n in lengths]):.1%} (goal >= 80%)")
    print(f"named KEY_BPMbpm_BARSbars_NN.mid: {all(name.match(p.name) for p in files)} ({files[0].name} ...)")


if __name__ == "__main__":
    main()
