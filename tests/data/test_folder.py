"""The dataset folder module: what it writes reads back, damaged files name themselves, reuse is decided here."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path

import pytest

from rnncells.config.dataset import DatasetConfig
from rnncells.data.folder import DatasetFolder, DatasetFolderError, check_variant, load_variant

ROWS = [
    {"id": "00000", "split": "train", "tokens": [60, 62], "pitches": [60, 62], "durations": [2, 2]},
    {"id": "00001", "split": "validation", "tokens": [64, 65, 67], "pitches": [64, 65, 67], "durations": [1, 1, 2]},
]


def write_dataset(path: Path, config: DatasetConfig | None = None) -> DatasetFolder:
    config = config or DatasetConfig(source="melodies", variants=["control"])
    folder = DatasetFolder(path)
    folder.write_variant("control", ROWS, {"variant": "control", "vocabulary": [60, 62]})
    folder.write_split({"seed": config.seed, "songs": {"train": ["00000 a.mid"]}})
    folder.write_summary({"source": config.source, "parameters": asdict(config)})
    folder.write_report("Dataset built\n\nsummary\n")
    return folder


def test_what_is_written_reads_back_with_format_version_and_content_hash(tmp_path):
    folder = write_dataset(tmp_path / "ds")
    manifest, rows = load_variant(tmp_path / "ds", "control")
    assert rows == ROWS and manifest["format_version"] == 1 and manifest["variant"] == "control"
    digest = hashlib.sha256(folder.songs_path("control").read_bytes())
    digest.update(json.dumps([60, 62]).encode())
    assert manifest["content_hash"] == "sha256:" + digest.hexdigest()
    assert folder.read_summary()["format_version"] == 1 and folder.read_split()["seed"] == 0
    assert folder.read_report() == "Dataset built\n\nsummary\n"
    assert folder.variants() == ["control"] and folder.has_variant("control") and not folder.has_variant("interval")


def test_missing_variants_name_what_exists(tmp_path):
    write_dataset(tmp_path / "ds")
    with pytest.raises(FileNotFoundError, match=r"no 'interval' variant \(has: control\); build it with"):
        check_variant(tmp_path / "ds", "interval")
    with pytest.raises(FileNotFoundError, match="not a dataset folder"):
        check_variant(tmp_path / "empty", "control")


def test_damaged_files_are_one_line_errors_naming_the_file(tmp_path):
    folder = write_dataset(tmp_path / "ds")
    folder.manifest_path("control").write_text('{"variant": ')
    with pytest.raises(DatasetFolderError) as caught:
        folder.read_manifest("control")
    assert str(folder.manifest_path("control")) in str(caught.value) and "\n" not in str(caught.value)
    assert "rnncells dataset build --out" in str(caught.value)

    folder.songs_path("control").write_text('{"id": "00000"}\n\n{oops\n')
    with pytest.raises(DatasetFolderError, match=r"songs\.jsonl: damaged line 3"):
        folder.read_songs("control")

    (folder.path / "dataset.json").write_bytes(b"\xff\xfe")
    with pytest.raises(DatasetFolderError, match=r"dataset\.json: damaged \(not UTF-8 text\)"):
        folder.read_summary()
    with pytest.raises(DatasetFolderError, match=r"split\.json: missing"):
        DatasetFolder(tmp_path / "nowhere").read_split()


def test_built_with_compares_parameters_and_variants(tmp_path):
    config = DatasetConfig(source="melodies", variants=["control"])
    folder = write_dataset(tmp_path / "ds", config)
    assert folder.built_with(config)
    assert not folder.built_with(DatasetConfig(source="melodies", variants=["control"], seed=1))
    assert not folder.built_with(DatasetConfig(source="melodies", variants=["control", "interval"]))
    assert not DatasetFolder(tmp_path / "nowhere").built_with(config)
    (folder.path / "dataset.json").write_text("[1, 2")
    assert not folder.built_with(config)


def test_built_with_reads_a_tuple_of_variants_as_the_list_it_stored(tmp_path):
    folder = write_dataset(tmp_path / "ds", DatasetConfig(source="melodies", variants=["control"]))
    assert folder.built_with(DatasetConfig(source="melodies", variants=("control",)))


def test_damage_names_each_unreadable_file_and_songs_that_no_longer_match_their_hash(tmp_path):
    folder = write_dataset(tmp_path / "ds")
    assert folder.damage() == []
    songs = folder.songs_path("control")
    songs.write_text(songs.read_text().replace("60", "61", 1))
    assert folder.damage(deep=False) == []
    assert [str(d.path.relative_to(folder.path)) for d in folder.damage()] == ["control"]
    assert "content differs from its manifest's content_hash" in str(folder.damage()[0])
    (folder.path / "split.json").write_text("{")
    songs.unlink()
    damage = [str(d) for d in folder.damage()]
    assert "split.json: damaged" in damage[0] and "songs.jsonl: missing" in damage[1]


def test_a_fresh_build_is_renamed_into_place_whole_with_its_lock(tmp_path, monkeypatch):
    import os

    from rnncells.data.build import build_dataset
    from rnncells.locks import LOCK_FILE
    from rnncells.music.melody import Note
    from rnncells.music.midi import write_midi

    for song in range(4):
        write_midi(tmp_path / "midi" / f"tune{song}.mid", [Note(2 * i, 60 + (i * song) % 7, 2) for i in range(16)])
    config = DatasetConfig(
        source=str(tmp_path / "midi"), variants=["control"], train_ratio=0.5, validation_ratio=0.5, test_ratio=0.0
    )
    renames, real_replace = [], os.replace

    def replace(source, target):
        renames.append((Path(source).name, Path(target).name))
        return real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace)
    build_dataset(config, tmp_path / "dataset", progress=False)
    monkeypatch.setattr(os, "replace", real_replace)
    assert (LOCK_FILE, LOCK_FILE) in renames and renames[-1][1] == "dataset"  # one rename of the whole folder
    out = tmp_path / "dataset"
    assert DatasetFolder(out).built_with(config) and (out / LOCK_FILE).is_file()
