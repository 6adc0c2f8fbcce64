"""Source -> cleaned songs -> split -> the study's three variants -> vocabulary -> files on disk.

The files are written through :func:`rnncells.data.folder.new_dataset` (the format is described there and in
the README): into a hidden folder beside the output, put in place only once every file is written, so a failed
build leaves no half-written folder. The same source and parameters always give byte-identical files (no
timestamps, sorted keys). No file, name or entry of the source stops a build: each is read or skipped with its
reason, and report.txt shows each skipped entry on one line (names escaped by :func:`printable`).
"""

from __future__ import annotations

import os
import random
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rnncells.config.dataset import DatasetConfig
from rnncells.data.folder import SPLITS, DatasetFolder, DatasetFolderError, new_dataset, stored_parameters
from rnncells.data.vocab import Vocabulary, as_token
from rnncells.errors import RnncellsError
from rnncells.files import portable_path
from rnncells.locks import folder_lock
from rnncells.music.corpus import HIDDEN, Skipped, count_source_files, read_source
from rnncells.music.melody import Melody
from rnncells.music.midi import printable
from rnncells.music.transforms import CleaningRules, clean, to_intervals, transposition_offsets


class DatasetError(RnncellsError, ValueError):
    """A build that cannot go on (strict mode with skipped files, or nothing left to build from)."""


@dataclass
class BuildReport:
    """What a build read, skipped, dropped and wrote."""

    out_dir: Path
    files_read: int = 0
    songs: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)
    range_adjusted: int = 0
    variants: dict[str, dict] = field(default_factory=dict)

    def summary_line(self) -> str:
        """One line: songs kept, files skipped by reason, songs dropped by rule."""
        reasons = Counter(s.reason for s in self.skipped)
        skipped = ", ".join(f"{n} {r}" for r, n in sorted(reasons.items())) or "none"
        dropped = ", ".join(f"{n} {r}" for r, n in sorted(self.dropped.items())) or "none"
        return (
            f"{self.songs} songs kept from {self.files_read} files; skipped: {skipped}; dropped by cleaning: {dropped}"
        )


def song_tokens(pitches: list[int], durations: list[int], variant: str, representation: str) -> list:
    """The token list of one song in one variant (docs/method.md §1); transposed songs use the control form."""
    if variant == "interval":
        values = to_intervals(pitches)
        durations = durations[:-1]  # each interval carries the duration of the first note of its pair
    else:
        values = pitches
    if representation == "pitch_duration":
        return [[v, d] for v, d in zip(values, durations)]
    return list(values)


def split_songs(n_songs: int, config: DatasetConfig) -> list[str]:
    """Assign each song index a split, shuffled with ``config.seed``; every split with a ratio > 0 gets a song
    when there are enough songs."""
    order = list(range(n_songs))
    random.Random(config.seed).shuffle(order)
    n_validation = round(n_songs * config.validation_ratio)
    n_test = round(n_songs * config.test_ratio)
    if n_songs >= 3:
        n_validation = max(n_validation, 1 if config.validation_ratio > 0 else 0)
        n_test = max(n_test, 1 if config.test_ratio > 0 else 0)
    n_train = n_songs - n_validation - n_test
    splits = [""] * n_songs
    for rank, index in enumerate(order):
        splits[index] = "train" if rank < n_train else "validation" if rank < n_train + n_validation else "test"
    return splits


def _rows_for_song(index: int, melody: Melody, split: str, config: DatasetConfig, variant: str) -> list[dict]:
    base = {
        "song": index,
        "source": melody.source,
        "artist": melody.artist,
        "title": melody.title,
        "split": split,
        "bpm": melody.bpm,
        "time_signature": melody.time_signature,
        "key_signature": melody.key_signature,
    }
    pitches, durations = melody.pitches, melody.durations
    if variant != "transposed":
        tokens = song_tokens(pitches, durations, variant, config.representation)
        base_note = pitches[0] if variant == "interval" else None
        return [
            dict(
                base,
                id=f"{index:05d}",
                transposition=0,
                base_note=base_note,
                tokens=tokens,
                pitches=pitches,
                durations=durations,
            )
        ]
    rows = []
    for offset in transposition_offsets(pitches, config.transpose_rule).offsets:
        moved = [p + offset for p in pitches]
        tokens = song_tokens(moved, durations, variant, config.representation)
        rows.append(
            dict(
                base,
                id=f"{index:05d}{offset:+03d}",
                transposition=offset,
                base_note=None,
                tokens=tokens,
                pitches=moved,
                durations=durations,
            )
        )
    return rows


def _unseen(rows: list[dict], vocabulary: Vocabulary) -> dict:
    tokens = songs = 0
    for row in rows:
        missing = sum(1 for t in row["tokens"] if as_token(t) not in vocabulary.index)
        tokens += missing
        songs += bool(missing)
    return {"tokens": tokens, "songs": songs}


def _write_variant(folder: DatasetFolder, variant: str, rows: list[dict], config: DatasetConfig, info: dict) -> dict:
    train_rows = [r for r in rows if r["split"] == "train"]
    vocabulary = Vocabulary.from_songs((r["tokens"] for r in train_rows), variant)
    counts = {
        split: {
            "songs": sum(1 for r in rows if r["split"] == split),
            "tokens": sum(len(r["tokens"]) for r in rows if r["split"] == split),
        }
        for split in SPLITS
    }
    unseen = {split: _unseen([r for r in rows if r["split"] == split], vocabulary) for split in SPLITS[1:]}
    manifest = {
        "variant": variant,
        "representation": config.representation,
        "source": printable(portable_path(config.source)),
        "parameters": stored_parameters(config),
        "counts": counts,
        "vocabulary": vocabulary.to_json(),
        "vocabulary_policy": "training split only; pairs touching an unseen token are left out of windows",
        "unseen_in_training": unseen,
        "skipped": info["skipped"],
        "dropped_by_cleaning": info["dropped"],
    }
    folder.write_variant(variant, rows, manifest)
    return {"songs": len(rows), "vocabulary": len(vocabulary), "counts": counts}


def build_dataset(
    config: DatasetConfig, out_dir: str | Path, jobs: int | None = None, progress: bool = True
) -> BuildReport:
    """Build every requested variant of ``config.source`` into ``out_dir`` and return the report, holding the
    folder's lock from the first file read to the last written (a second build into it is refused, rnncells.locks)."""
    config.validate()
    out_dir = Path(out_dir)
    if os.path.lexists(out_dir) and not out_dir.is_dir():
        raise DatasetFolderError(f"{out_dir}: not a folder; give --out a new or existing folder")
    with folder_lock(out_dir, "rnncells dataset build"):
        return _build(config, out_dir, jobs, progress)


def _build(config: DatasetConfig, out_dir: Path, jobs: int | None, progress: bool) -> BuildReport:
    total = count_source_files(config.source)
    bar = _progress_bar(total, f"reading {config.source}", progress)
    melodies, skipped = read_source(config.source, track=config.track, jobs=jobs, progress=bar.update)
    bar.close()
    report = BuildReport(out_dir=out_dir, files_read=total, skipped=list(skipped))
    rules = CleaningRules(
        config.min_notes, config.representation == "pitch_duration", config.min_duration, config.max_duration
    )
    kept, dropped, counts = clean(melodies, rules)
    if "transposed" in config.variants:
        wide = [m for m in kept if max(m.pitches) - min(m.pitches) > 116]
        for melody in wide:
            dropped.append((melody, "pitch range wider than 116 semitones"))
            counts["pitch range wider than 116 semitones"] += 1
        kept = [m for m in kept if m not in wide]
    report.skipped += [Skipped(m.source, "dropped by cleaning", f"{m.source}: {why}") for m, why in dropped]
    report.dropped = dict(sorted(counts.items()))
    problems = [s for s in report.skipped if s.reason != HIDDEN]  # hidden entries (.DS_Store, .git) are no fault
    if config.strict and problems:
        raise DatasetError(f"--strict: {len(problems)} file(s) skipped, first: {printable(problems[0].detail)}")
    if not kept:
        raise DatasetError(f"{config.source}: no song left to build from ({report.summary_line()})")
    report.songs = len(kept)
    report.range_adjusted = sum(transposition_offsets(m.pitches, config.transpose_rule).range_adjusted for m in kept)
    splits = split_songs(len(kept), config)
    info = {
        "skipped": [asdict(s) for s in report.skipped],
        "dropped": report.dropped,
    }
    with new_dataset(out_dir) as folder:
        for variant in config.variants:
            rows = [row for i, m in enumerate(kept) for row in _rows_for_song(i, m, splits[i], config, variant)]
            report.variants[variant] = _write_variant(folder, variant, rows, config, info)
        _write_summary(folder, config, report, kept, splits)
    return report


def _write_summary(
    folder: DatasetFolder, config: DatasetConfig, report: BuildReport, kept: list[Melody], splits: list[str]
) -> None:
    folder.write_split(
        {
            "seed": config.seed,
            "ratios": {"train": config.train_ratio, "validation": config.validation_ratio, "test": config.test_ratio},
            "songs": {
                split: [f"{i:05d} {m.source}" for i, m in enumerate(kept) if splits[i] == split] for split in SPLITS
            },
        },
    )
    folder.write_summary(
        {
            "source": printable(portable_path(config.source)),
            "parameters": stored_parameters(config),
            "files_read": report.files_read,
            "songs": report.songs,
            "skipped": [asdict(s) for s in report.skipped],
            "dropped_by_cleaning": report.dropped,
            "transpositions_moved_by_range_rule": report.range_adjusted,
            "melody_choice": {m.source: m.track for m in kept},
            "variants": report.variants,
        },
    )
    lines = [f"Dataset built from {config.source} into {report.out_dir}", ""]
    lines += [f"skipped  {s.reason:<20} {s.detail}" for s in report.skipped]
    lines = [printable(line) for line in lines]  # one line each, whatever a name or a track name holds
    lines += ["", report.summary_line(), ""]
    folder.write_report("\n".join(lines))


def _progress_bar(total: int, description: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc=description, unit="file", disable=not enabled, leave=False)
