"""Corpus-likeness: how much a song set's melodies look like the training songs, on one 0-1 scale (issue 25).

Every song is cut to its first :data:`NOTES` notes. Per song, :func:`song_features` measures the pitch classes
used, the pitch range, distinct pitches, pitch-class entropy, the in-scale share (best of the 24 major and natural
minor scales), the mean |interval|, the share of steps over a fifth, and from the onsets on the 16th grid: the
inter-onset-interval (IOI) entropy, distinct IOIs, the share of the commonest IOI and the mean IOI. Per feature,
:func:`overlap` is the overlapped area of the Gaussian kernel densities (Scott's bandwidth) of the set's and the
training songs' values; the likeness is the mean over the features. A set whose values are all equal has no spread
of its own: its kernel takes the other set's bandwidth (both constant: 1 when equal, else 0).

Keras-free: ``rnncells likeness SONGS --reference DATASET_OR_MIDI_FOLDER`` prints it for a song set.
"""

from __future__ import annotations

import argparse
import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rnncells.errors import InputError
from rnncells.music.melody import laid_end_to_end

NOTES = 34  # every song is cut to its first 34 notes
FEATURES = (
    "pitch_classes",
    "pitch_range",
    "distinct_pitches",
    "pitch_class_entropy",
    "in_scale",
    "mean_abs_interval",
    "leaps_over_fifth",
    "ioi_entropy",
    "distinct_iois",
    "commonest_ioi_share",
    "mean_ioi",
)
MAJOR, MINOR = (0, 2, 4, 5, 7, 9, 11), (0, 2, 3, 5, 7, 8, 10)
SCALES_24 = [frozenset((tonic + step) % 12 for step in scale) for tonic in range(12) for scale in (MAJOR, MINOR)]
GRID_POINTS = 2000


def entropy(values: Sequence[int]) -> float:
    """Shannon entropy in bits of the values' histogram."""
    counts = np.array(list(Counter(values).values()), dtype=float)
    shares = counts / counts.sum()
    return float(-(shares * np.log2(shares)).sum())


def song_features(pitches: Sequence[int], onsets: Sequence[int]) -> dict[str, float]:
    """The module docstring's features of one song (already cut), onsets in 16th steps; needs 2 notes or more."""
    if len(pitches) < 2 or len(pitches) != len(onsets):
        raise InputError(f"a song needs 2 or more notes, each with an onset (got {len(pitches)} notes)")
    pitches, classes = np.asarray(pitches), [int(p) % 12 for p in pitches]
    steps = np.abs(np.diff(pitches))
    iois = [int(i) for i in np.diff(np.asarray(onsets))]
    commonest = Counter(iois).most_common(1)[0][1]
    return {
        "pitch_classes": float(len(set(classes))),
        "pitch_range": float(pitches.max() - pitches.min()),
        "distinct_pitches": float(len(set(pitches.tolist()))),
        "pitch_class_entropy": entropy(classes),
        "in_scale": max(sum(c in scale for c in classes) for scale in SCALES_24) / len(classes),
        "mean_abs_interval": float(steps.mean()),
        "leaps_over_fifth": float((steps > 7).mean()),
        "ioi_entropy": entropy(iois),
        "distinct_iois": float(len(set(iois))),
        "commonest_ioi_share": commonest / len(iois),
        "mean_ioi": float(np.mean(iois)),
    }


def set_features(songs: Sequence[tuple[Sequence[int], Sequence[int]]]) -> dict[str, np.ndarray]:
    """Each feature's values over the songs ``(pitches, onsets)``, every song cut to :data:`NOTES` notes; songs of
    fewer than 2 notes are left out."""
    rows = [song_features(p[:NOTES], o[:NOTES]) for p, o in songs if len(p) >= 2]
    if not rows:
        raise InputError("no song of 2 notes or more to measure")
    return {name: np.array([row[name] for row in rows]) for name in FEATURES}


def _bandwidth(values: np.ndarray) -> float:
    """Scott's rule, as scipy's gaussian_kde: n^(-1/5) x the sample standard deviation (0 for a constant set)."""
    return len(values) ** -0.2 * float(values.std(ddof=1)) if len(values) > 1 else 0.0


def _density(values: np.ndarray, width: float, grid: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * ((grid[:, None] - values[None, :]) / width) ** 2).sum(axis=1) / (
        len(values) * width * math.sqrt(2 * math.pi)
    )


def overlap(values: np.ndarray, reference: np.ndarray) -> float:
    """The overlapped area (0-1) of the Gaussian kernel densities of two samples of one feature."""
    a, b = np.asarray(values, dtype=float), np.asarray(reference, dtype=float)
    width_a, width_b = _bandwidth(a), _bandwidth(b)
    if width_a == width_b == 0:
        return 1.0 if np.allclose(a[0], b[0]) else 0.0
    width_a, width_b = width_a or width_b, width_b or width_a
    reach = 4 * max(width_a, width_b)
    grid = np.linspace(min(a.min(), b.min()) - reach, max(a.max(), b.max()) + reach, GRID_POINTS)
    shared = np.minimum(_density(a, width_a, grid), _density(b, width_b, grid))
    return float(min(np.trapezoid(shared, grid), 1.0))


def likeness(songs: Sequence, reference: Sequence) -> dict[str, float]:
    """Each feature's overlap with the reference songs and their mean, ``"likeness"`` (songs: ``(pitches,
    onsets)``)."""
    ours, theirs = set_features(songs), set_features(reference)
    result = {name: overlap(ours[name], theirs[name]) for name in FEATURES}
    result["likeness"] = float(np.mean([result[name] for name in FEATURES]))
    return result


SPLITS = {"train": ("train",), "validation": ("validation",), "test": ("test",), "held-out": ("validation", "test")}


def read_songs(path: Path, split: str = "train") -> list[tuple[list[int], list[int]]]:
    """``(pitches, onsets)`` of a song set folder (its songs.jsonl, read by
    :meth:`rnncells.generation.song_set.SongSetFolder.read_songs`), a dataset folder (its control variant's ``split``
    songs, :data:`SPLITS`: "held-out" is validation and test) or a folder of MIDI files (read as ``rnncells dataset
    build`` reads them)."""
    from rnncells.data.folder import DatasetFolder
    from rnncells.generation.song_set import SongSetFolder
    from rnncells.music.corpus import source_entries
    from rnncells.music.midi import MidiReadError, read_midi

    song_set = SongSetFolder(path)
    if song_set.songs_path.is_file():
        return [(row["pitches"], row["onsets"]) for row in song_set.read_songs()]
    dataset = DatasetFolder(path)
    if dataset.has_variant("control"):
        rows = [row for row in dataset.read_songs("control") if row.get("split") in SPLITS[split]]
        return [(row["pitches"], laid_end_to_end(row["durations"])) for row in rows]
    if not path.is_dir():
        raise InputError(f"{path}: not a folder; give a song set, a dataset or a folder of MIDI files")
    songs = []
    for entry in source_entries(path):
        if entry.skipped is None:
            try:
                melody = read_midi(entry.path)
            except MidiReadError:
                continue
            songs.append((melody.pitches, [note.onset for note in melody.notes]))
    if not songs:
        raise InputError(f"{path}: no songs.jsonl, dataset or readable MIDI file; give a song set or a MIDI folder")
    return songs


def add_likeness_command(commands) -> None:
    parser = commands.add_parser(
        "likeness",
        help="corpus-likeness (0-1) of song sets against the training songs",
        description=__doc__.split("\n\n")[1],
    )
    parser.add_argument("songs", nargs="+", type=Path, help="song set folders (or MIDI folders) to measure")
    parser.add_argument(
        "--reference", required=True, type=Path, help="a dataset folder (its training songs) or a folder of MIDI files"
    )
    parser.add_argument(
        "--split",
        choices=tuple(SPLITS),
        default="train",
        help="which songs of a dataset --reference to measure against (held-out: validation and test; default: "
        "train). Guards against tuning generation to the training songs",
    )


def run_likeness(args: argparse.Namespace) -> int:
    reference = read_songs(args.reference, args.split)
    sets = [(path, read_songs(path)) for path in args.songs]  # every input read (or refused) before any output
    print("set\t" + "\t".join(FEATURES) + "\tlikeness")
    for path, songs in sets:
        result = likeness(songs, reference)
        print(f"{path}\t" + "\t".join(f"{result[name]:.3f}" for name in (*FEATURES, "likeness")))
    return 0
