"""Building the three variants: invariants on every EDM song, splits, determinism, the skip report."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from rnncells.config.dataset import DatasetConfig
from rnncells.config.records import ConfigError
from rnncells.data.build import DatasetError, build_dataset
from rnncells.data.folder import DatasetFolder, DatasetFolderError
from rnncells.data.windows import load_variant
from rnncells.music.corpus import SourceError
from rnncells.music.transforms import from_intervals
from tests.music.test_midi import line, make_midi


@pytest.fixture(scope="module")
def edm_dataset(edm_dir, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("edm") / "dataset"
    build_dataset(DatasetConfig(source=str(edm_dir)), out, progress=False)
    return out


def test_counts_match_the_measured_corpus(edm_dataset):
    control, control_rows = load_variant(edm_dataset, "control")
    interval, interval_rows = load_variant(edm_dataset, "interval")
    transposed, transposed_rows = load_variant(edm_dataset, "transposed")
    assert len(control_rows) == len(interval_rows) == 212 and len(transposed_rows) == 12 * 212
    assert sum(len(r["tokens"]) for r in control_rows) == 9957
    assert sum(len(r["tokens"]) for r in interval_rows) == 9957 - 212
    assert sum(len(r["tokens"]) for r in transposed_rows) == 12 * 9957
    assert control["format_version"] == 1 and control["content_hash"].startswith("sha256:")
    flash = next(r for r in control_rows if r["source"] == "ATB - Flash X.mid")
    assert (flash["artist"], flash["title"], flash["bpm"]) == ("ATB", "Flash X", 128.0)
    assert (flash["time_signature"], flash["key_signature"]) == ("4/4", "E")
    assert sum(r["key_signature"] is None for r in control_rows) == 3
    assert control["vocabulary"] == sorted(control["vocabulary"])
    train_tokens = {t for r in control_rows if r["split"] == "train" for t in r["tokens"]}
    assert set(control["vocabulary"]) == train_tokens


def test_db12_invariants_on_every_song(edm_dataset):
    _, rows = load_variant(edm_dataset, "transposed")
    _, control_rows = load_variant(edm_dataset, "control")
    originals = {r["song"]: r["pitches"] for r in control_rows}
    by_song: dict[int, list[dict]] = {}
    for row in rows:
        by_song.setdefault(row["song"], []).append(row)
    assert len(by_song) == 212
    for song, versions in by_song.items():
        offsets = [v["transposition"] for v in versions]
        firsts = [v["tokens"][0] for v in versions]
        assert len(versions) == 12 and offsets[0] == 0 and len(set(offsets)) == 12
        assert max(firsts) - min(firsts) == 11
        assert len({v["split"] for v in versions}) == 1
        for version in versions:
            assert version["tokens"] == [p + version["transposition"] for p in originals[song]]
            assert all(0 <= p <= 127 for p in version["tokens"])


def test_interval_songs_decode_to_the_original_pitches(edm_dataset):
    _, rows = load_variant(edm_dataset, "interval")
    _, control_rows = load_variant(edm_dataset, "control")
    originals = {r["song"]: r["tokens"] for r in control_rows}
    for row in rows:
        assert from_intervals(row["base_note"], row["tokens"]) == originals[row["song"]]


def test_splits_share_no_song_and_are_written_down(edm_dataset):
    _, rows = load_variant(edm_dataset, "transposed")
    splits: dict[str, set[str]] = {}
    for row in rows:
        splits.setdefault(row["split"], set()).add(row["source"])
    assert not splits["train"] & splits["validation"] and not splits["train"] & splits["test"]
    assert not splits["validation"] & splits["test"]
    written = json.loads((edm_dataset / "split.json").read_text())
    assert {s.split(" ", 1)[1] for s in written["songs"]["validation"]} == splits["validation"]
    assert sum(len(v) for v in written["songs"].values()) == 212


def test_same_build_twice_gives_identical_files(edm_dir, edm_dataset, tmp_path):
    again = tmp_path / "again"
    build_dataset(DatasetConfig(source=str(edm_dir)), again, progress=False)
    files = sorted(p.relative_to(edm_dataset) for p in edm_dataset.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    for name in files:
        first, second = (edm_dataset / name).read_bytes(), (again / name).read_bytes()
        if name.name in ("dataset.json", "report.txt"):  # they name the output folder
            first = first.replace(str(edm_dataset).encode(), b"OUT")
            second = second.replace(str(again).encode(), b"OUT")
        assert first == second, name


def test_pitch_duration_cleaning_counts(edm_dir, tmp_path):
    report = build_dataset(
        DatasetConfig(source=str(edm_dir), representation="pitch_duration", variants=["control", "interval"]),
        tmp_path,
        progress=False,
    )
    assert report.dropped == {"a note longer than 16 steps": 7, "a note shorter than 1 step": 4}
    manifest, rows = load_variant(tmp_path, "interval")
    assert len(rows) == 201 and manifest["dropped_by_cleaning"] == report.dropped
    for row in rows:
        assert all(len(t) == 2 and 1 <= t[1] <= 16 for t in row["tokens"])
        assert [t[1] for t in row["tokens"]] == row["durations"][:-1]
        assert from_intervals(row["base_note"], [t[0] for t in row["tokens"]]) == row["pitches"]
    stricter = build_dataset(
        DatasetConfig(source=str(edm_dir), representation="pitch_duration", max_duration=8, variants=["control"]),
        tmp_path / "strict",
        progress=False,
    )
    assert stricter.dropped["a note longer than 8 steps"] > 7


def broken_folder(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(4):
        make_midi(folder / f"Artist - Good {number}.mid", [line([60 + number + i % 7 for i in range(16)])])
    make_midi(folder / "Artist - Short.mid", [line([60, 62, 64])])
    make_midi(folder / "Artist - Drums.mid", [line([36] * 16, channel=9)])
    (folder / "Artist - Empty.mid").write_bytes(b"")
    (folder / "Artist - Text.mid").write_text("not a midi file at all")
    good = (folder / "Artist - Good 0.mid").read_bytes()
    (folder / "Artist - Truncated.mid").write_bytes(good[:-40])
    (folder / "notes.txt").write_text("a readme in the folder")
    return folder


def test_bad_files_are_skipped_and_reported(tmp_path):
    folder = broken_folder(tmp_path / "midi")
    report = build_dataset(
        DatasetConfig(source=str(folder), train_ratio=0.5, validation_ratio=0.5, test_ratio=0.0),
        tmp_path / "out",
        progress=False,
    )
    reasons = {s.file: s.reason for s in report.skipped}
    assert reasons == {
        "Artist - Drums.mid": "drums only",
        "Artist - Empty.mid": "empty",
        "Artist - Text.mid": "not MIDI",
        "Artist - Truncated.mid": "truncated",
        "notes.txt": "not MIDI",
        "Artist - Short.mid": "dropped by cleaning",
    }
    assert report.songs == 4 and report.dropped == {"fewer than 12 notes": 1}
    text = (tmp_path / "out" / "report.txt").read_text()
    assert "Artist - Truncated.mid" in text and text.strip().splitlines()[-1] == report.summary_line()
    assert "4 songs kept from 10 files" in report.summary_line()
    manifest, _ = load_variant(tmp_path / "out", "control")
    assert {s["file"] for s in manifest["skipped"]} == set(reasons)
    with pytest.raises(DatasetError, match="--strict: 6 file"):
        build_dataset(DatasetConfig(source=str(folder), strict=True), tmp_path / "strict", progress=False)


def test_missing_and_unknown_sources(tmp_path):
    with pytest.raises(SourceError, match="no such folder"):
        build_dataset(DatasetConfig(source=str(tmp_path / "nothing")), tmp_path / "o", progress=False)
    with pytest.raises(SourceError, match="unknown music21 corpus 'nope'"):
        build_dataset(DatasetConfig(source="music21:nope"), tmp_path / "o", progress=False)
    with pytest.raises(ConfigError, match="split ratios"):
        build_dataset(DatasetConfig(source=str(tmp_path), train_ratio=0.9), tmp_path / "o", progress=False)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DatasetError, match="no song left"):
        build_dataset(DatasetConfig(source=str(empty)), tmp_path / "o", progress=False)


def test_music21_file_parses_in_parallel_and_caches(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNCELLS_CACHE", str(tmp_path / "cache"))
    config = DatasetConfig(source="music21:essenFolksong/erk5", variants=["control"])
    first = build_dataset(config, tmp_path / "a", progress=False)
    cached = list((tmp_path / "cache" / "music21").glob("erk5-*.json"))
    assert len(cached) == 1
    second = build_dataset(config, tmp_path / "b", progress=False)
    assert first.songs == second.songs > 0
    assert (tmp_path / "a/control/songs.jsonl").read_bytes() == (tmp_path / "b/control/songs.jsonl").read_bytes()
    _, rows = load_variant(tmp_path / "a", "control")
    assert all(len(r["tokens"]) >= 12 for r in rows) and all(r["source"].startswith("erk5#") for r in rows)
    shutil.rmtree(tmp_path / "cache")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_failed_build_leaves_no_half_written_folder(tmp_path, monkeypatch):
    source = broken_folder(tmp_path / "midi")
    config = DatasetConfig(source=str(source), train_ratio=0.5, validation_ratio=0.5, test_ratio=0.0)
    build_dataset(config, tmp_path / "old", progress=False)
    before = snapshot(tmp_path / "old")

    def fail(self, split):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(DatasetFolder, "write_split", fail)
    with pytest.raises(OSError, match="No space"):
        build_dataset(config, tmp_path / "new", progress=False)
    with pytest.raises(OSError, match="No space"):
        build_dataset(replace(config, seed=2, variants=["control"]), tmp_path / "old", progress=False)
    assert not (tmp_path / "new").exists() and snapshot(tmp_path / "old") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["midi", "old"]  # no staging folder left


def test_a_new_build_replaces_the_old_dataset_and_keeps_other_files(tmp_path):
    source = broken_folder(tmp_path / "midi")
    config = DatasetConfig(source=str(source), train_ratio=0.5, validation_ratio=0.5, test_ratio=0.0)
    build_dataset(config, tmp_path / "out", progress=False)
    (tmp_path / "out" / "notes.md").write_text("mine")
    smaller = replace(config, seed=2, variants=["control"])
    build_dataset(smaller, tmp_path / "out", progress=False)
    folder = DatasetFolder(tmp_path / "out")
    assert folder.variants() == ["control"] and folder.built_with(smaller)
    assert (tmp_path / "out" / "notes.md").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["midi", "out"]
    (tmp_path / "file").write_text("x")
    with pytest.raises(DatasetFolderError, match="not a folder"):
        build_dataset(config, tmp_path / "file", progress=False)


def test_a_source_path_that_is_not_utf8_builds_and_is_reused(tmp_path):
    source = broken_folder(tmp_path / os.fsdecode(b"caf\xe9\nmidi"))
    config = DatasetConfig(source=str(source), train_ratio=0.5, validation_ratio=0.5, test_ratio=0.0)
    report = build_dataset(config, tmp_path / "out", progress=False)
    assert report.songs == 4
    summary = DatasetFolder(tmp_path / "out").read_summary()
    assert summary["source"].endswith("caf\\xe9\\nmidi") and DatasetFolder(tmp_path / "out").built_with(config)
    assert (
        (tmp_path / "out" / "report.txt")
        .read_text()
        .splitlines()[0]
        .endswith("caf\\xe9\\nmidi into " + str(tmp_path / "out"))
    )
