"""Summaries of a built dataset, for ``rnncells dataset info``."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from rnncells.data.folder import BUILD_COMMAND, MANIFEST_FILE, SPLITS, DatasetFolder
from rnncells.music.melody import note_name


def variant_folders(path: str | Path) -> tuple[Path, list[str]]:
    """The dataset folder and the variants to describe: all of them, or the one ``path`` points into."""
    path = Path(path)
    if DatasetFolder(path.parent).has_variant(path.name):
        return path.parent, [path.name]
    variants = DatasetFolder(path).variants()
    if not variants:
        raise FileNotFoundError(f"{path}: not a dataset (no */{MANIFEST_FILE}); build one with `{BUILD_COMMAND}`")
    return path, variants


def variant_info(dataset_dir: Path, variant: str) -> dict:
    """Songs, tokens, vocabulary size, pitch range, duration histogram and per-split counts of one variant."""
    folder = DatasetFolder(dataset_dir)
    manifest, rows = folder.read_manifest(variant), folder.read_songs(variant)
    pitches = [p for row in rows for p in row["pitches"]]
    durations = Counter(d for row in rows for d in row["durations"])
    return {
        "variant": variant,
        "representation": manifest["representation"],
        "source": manifest["source"],
        "songs": len(rows),
        "tokens": sum(len(row["tokens"]) for row in rows),
        "vocabulary_size": len(manifest["vocabulary"]),
        "pitch_range": [min(pitches), max(pitches)] if pitches else None,
        "duration_histogram": {str(d): n for d, n in sorted(durations.items())},
        "splits": manifest["counts"],
        "unseen_in_training": manifest["unseen_in_training"],
        "skipped_files": len(manifest["skipped"]),
        "content_hash": manifest["content_hash"],
    }


def format_info(info: dict) -> str:
    """A readable block of text for one variant."""
    low, high = info["pitch_range"] or (None, None)
    pitch_range = f"{low}-{high} ({note_name(low)}-{note_name(high)})" if low is not None else "none"
    splits = ", ".join(f"{s} {info['splits'][s]['songs']} songs / {info['splits'][s]['tokens']} tokens" for s in SPLITS)
    unseen = ", ".join(f"{s} {v['tokens']} tokens in {v['songs']} songs" for s, v in info["unseen_in_training"].items())
    histogram = " ".join(f"{d}:{n}" for d, n in info["duration_histogram"].items())
    return "\n".join(
        [
            f"{info['variant']} ({info['representation']}) from {info['source']}",
            f"  songs {info['songs']}, tokens {info['tokens']}, vocabulary {info['vocabulary_size']}",
            f"  pitch range {pitch_range}",
            f"  durations (16ths:count) {histogram}",
            f"  splits: {splits}",
            f"  unseen in training: {unseen}",
            f"  skipped files {info['skipped_files']}, {info['content_hash']}",
        ]
    )
