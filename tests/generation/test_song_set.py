"""The song set folder module: what it writes reads back as a SongSet; bad folders are one-line errors."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path

import pytest

from rnncells.config.generate import GenerateConfig
from rnncells.generation.song_arrays import load_song_set
from rnncells.generation.song_set import SongSetError, SongSetFolder, song_id
from rnncells.music.melody import Note, laid_end_to_end
from rnncells.music.midi import read_midi

CONFIG = GenerateConfig(n_songs=2, seed=3)
ROWS = [
    {"index": 0, "pitches": [60, 62, 64], "durations": [2, 2, 4], "tokens": [60, 62, 64]},
    {"index": 1, "pitches": [67, 65], "durations": [4, 4], "tokens": [67, 65]},
]


def write_set(path: Path) -> SongSetFolder:
    folder = SongSetFolder(path)
    for row in ROWS:
        onsets = [sum(row["durations"][:i]) for i in range(len(row["pitches"]))]
        notes = [Note(o, p, d) for o, p, d in zip(onsets, row["pitches"], row["durations"], strict=True)]
        folder.write_midi(row["index"], notes, bpm=120.0, program=81, name=f"song {row['index']}")
    folder.write_songs(ROWS)
    record = {"model_name": "control-lstm-2", "variant": "control", "cell": "lstm", "layers": 2, "units": 128}
    folder.write_generation({**record, "config": asdict(CONFIG)})
    return folder


def test_a_written_set_reads_back(tmp_path):
    folder = write_set(tmp_path / "songs")
    assert sorted(p.name for p in folder.path.iterdir()) == [
        "generation.json",
        "song_000.mid",
        "song_001.mid",
        "songs.jsonl",
    ]
    assert [n.pitch for n in read_midi(folder.midi_path(1)).notes] == [67, 65]
    assert folder.read_midi(0) == (folder.path / "song_000.mid").read_bytes()
    without_tokens = [{k: v for k, v in row.items() if k != "tokens"} for row in ROWS]  # they repeat the pitches
    whole = [{**row, "onsets": onsets} for row, onsets in zip(without_tokens, ([0, 2, 4], [0, 4]), strict=True)]
    assert folder.read_song(1) == whole[1] and folder.read_songs() == whole  # notes end to end, as drawn
    song_set = load_song_set(folder.path, rhythm=True)
    assert (song_set.model_name, song_set.variant, song_set.cell, song_set.layers) == (
        "control-lstm-2",
        "control",
        "lstm",
        2,
    )
    assert song_set.pitches == [[60, 62, 64], [67, 65]] and song_set.durations == [[2, 2, 4], [4, 4]]
    assert song_set.song_ids == [song_id(0), song_id(1)] == ["song_000", "song_001"]
    assert song_set.songs_path == folder.path / "songs.jsonl" and song_set.info["units"] == 128


def test_a_reused_set_is_recorded_under_its_new_run_name(tmp_path):
    """A set copied into a replicated grid as seed 0 reads back under the grid's run name, still sound and made with
    the same settings, and remembers the name it was drawn under."""
    folder = write_set(tmp_path / "songs")
    songs = folder.songs_path.read_bytes()
    folder.rename_model("control-lstm-2-seed0")
    song_set = load_song_set(folder.path)
    assert song_set.model_name == "control-lstm-2-seed0" and song_set.info["renamed_from"] == "control-lstm-2"
    assert folder.made_with(CONFIG) and not folder.damage() and folder.songs_path.read_bytes() == songs
    folder.rename_model("control-lstm-2-seed0")  # again: nothing changes
    assert load_song_set(folder.path).info["renamed_from"] == "control-lstm-2"


def test_made_with_compares_the_generation_config(tmp_path):
    folder = write_set(tmp_path / "songs")
    assert folder.made_with(CONFIG)
    assert not folder.made_with(GenerateConfig(n_songs=2, seed=4))
    assert not SongSetFolder(tmp_path / "nowhere").made_with(CONFIG)
    folder.generation_path.write_text("{")
    assert not folder.made_with(CONFIG)


def one_line(call) -> str:
    with pytest.raises(SongSetError) as caught:
        call()
    assert "\n" not in str(caught.value)
    return str(caught.value)


def test_bad_sets_name_the_file(tmp_path):
    assert "no such folder" in one_line(lambda: load_song_set(tmp_path / "nowhere"))
    folder = write_set(tmp_path / "songs")
    folder.songs_path.write_text(json.dumps(ROWS[0]) + "\n\n" + "{broken\n")
    message = one_line(folder.read_songs)
    assert str(folder.songs_path) in message and "line 3" in message
    folder.songs_path.write_text(json.dumps({"index": 0, "pitches": [60]}) + "\n")
    assert "at least 2 notes" in one_line(lambda: load_song_set(folder.path))
    folder.songs_path.write_text(json.dumps({"index": 0, "pitches": [60, 61]}) + "\n")
    assert "as long as 'pitches'" in one_line(lambda: load_song_set(folder.path, rhythm=True))
    assert "no song with index 5" in one_line(lambda: folder.read_song(5))
    folder.songs_path.write_text("")
    assert "no songs (empty file)" in one_line(lambda: load_song_set(folder.path))
    folder.generation_path.write_text(json.dumps({"model_name": "x", "variant": "control"}))
    message = one_line(folder.read_generation)
    assert str(folder.generation_path) in message and "missing cell, layers" in message
    folder.generation_path.write_text("[")
    assert "not valid JSON" in one_line(folder.read_generation)
    folder.generation_path.unlink()
    assert "no generation.json" in one_line(lambda: load_song_set(folder.path))


def test_generation_json_records_the_song_files_and_damage_is_found(tmp_path):
    folder = write_set(tmp_path / "songs")
    files = folder.read_generation()["files"]
    assert set(files) == {"song_000.mid", "song_001.mid", "songs.jsonl"}
    assert files["song_001.mid"]["size"] == folder.midi_path(1).stat().st_size
    assert folder.damage() == [] and SongSetFolder(tmp_path / "nowhere").damage() == []
    folder.midi_path(1).unlink()
    folder.songs_path.write_text(folder.songs_path.read_text()[:-5])
    assert [d.path.name for d in folder.damage()] == ["song_001.mid", "songs.jsonl"]
    folder.generation_path.write_text("{")
    assert [d.path.name for d in folder.damage()] == ["generation.json"]


def test_the_lock_file_is_none_of_the_sets_files(tmp_path):
    from rnncells.locks import LOCK_FILE, folder_lock

    folder = SongSetFolder(tmp_path / "songs")
    with folder_lock(folder.path):
        assert folder.is_empty() and folder.foreign_files() == []
        write_set(folder.path)
        folder.clear()
        assert (folder.path / LOCK_FILE).is_file() and folder.is_empty()


def test_songs_longer_than_a_melody_or_not_whole_numbers_are_one_line_errors(tmp_path):
    folder = write_set(tmp_path / "songs")
    for row, words in [
        ({"index": 0, "pitches": [60, 62], "durations": [2, 10_737_418_200]}, "a note of 10737418200 16ths"),
        ({"index": 0, "pitches": [60, 62] * 100, "durations": [4000] * 200}, "800000 16ths in all, more than"),
        ({"index": 0, "pitches": [60, 62], "durations": [2, "Infinity"]}, "must hold whole numbers"),
    ]:
        folder.songs_path.write_text(json.dumps(row).replace('"Infinity"', "Infinity") + "\n")
        message = one_line(lambda: load_song_set(folder.path, rhythm=True))
        assert str(folder.songs_path) in message and words in message, message


def test_a_set_recorded_before_newer_fields_counts_as_made_with_their_defaults(tmp_path):
    """A committed set's generation.json lacks fields added since (scale_rule, leap_weight, ...) and says
    scale = "chromatic" where a config now leaves the scale unset: both mean the same songs, so it is not redrawn."""
    folder = write_set(tmp_path / "songs")
    record = json.loads(folder.generation_path.read_text())
    old = {k: v for k, v in record["config"].items() if k not in ("scale_rule", "leap_weight", "accent", "rests")}
    folder.generation_path.write_text(json.dumps({**record, "config": {**old, "scale": "chromatic"}}))
    assert folder.made_with(CONFIG)
    assert not folder.made_with(replace(CONFIG, key="F", scale="minor"))


def test_tokens_are_kept_only_where_they_are_not_the_pitches_and_older_sets_compact_soundly(tmp_path):
    folder = write_set(tmp_path / "songs")
    interval = {"index": 2, "pitches": [60, 62], "durations": [2, 2], "tokens": [0, 2]}
    folder.write_songs([*ROWS, interval])
    assert [("tokens" in row) for row in folder.read_songs()] == [False, False, True]
    # a set written before: tokens repeated in songs.jsonl, its checksum in generation.json
    older = SongSetFolder(tmp_path / "older")
    write_set(older.path)
    text = "".join(json.dumps(row, sort_keys=True, separators=(",", ":")) + "\n" for row in ROWS)
    older.songs_path.write_text(text)
    record = older.read_generation()
    record.pop("files")
    older.write_generation(record)
    before, size = load_song_set(older.path, rhythm=True), older.songs_path.stat().st_size
    assert older.compact() is True and older.compact() is False
    after = load_song_set(older.path, rhythm=True)
    assert older.songs_path.stat().st_size < size and older.damage() == []
    assert (after.pitches, after.durations, after.song_ids) == (before.pitches, before.durations, before.song_ids)
    assert older.made_with(CONFIG) and older.read_generation()["model_name"] == "control-lstm-2"


def drawn_set(path: Path, rows: list[dict], note_steps: int = 2) -> tuple[SongSetFolder, dict[str, bytes]]:
    """A set as `rnncells generate` draws it, written the way sets were written before: every row whole (durations,
    onsets, tokens), its checksums in generation.json; and the bytes of its MIDI files."""
    folder = SongSetFolder(path)
    for row in rows:
        notes = [Note(*note) for note in zip(row["onsets"], row["pitches"], row["durations"], strict=True)]
        folder.write_song(row["index"], notes, bpm=126.0, program=81, model="control-lstm-2", accent=20)
    text = "".join(json.dumps(row, sort_keys=True, separators=(",", ":")) + "\n" for row in rows)
    folder.songs_path.write_text(text)
    record = {"model_name": "control-lstm-2", "variant": "control", "cell": "lstm", "layers": 2, "bpm": 126.0}
    config = asdict(replace(CONFIG, accent=20, program=81))
    folder.write_generation({**record, "note_steps": note_steps, "config": config})
    return folder, {p.name: p.read_bytes() for p in sorted(folder.path.glob("song_*.mid"))}


def pitch_row(index: int, pitches: list[int], note_steps: int = 2, rests: int = 0) -> dict:
    """A pitch-only song: every note ``note_steps`` long, a gap of ``rests`` steps before its last note."""
    onsets = [note_steps * i + (rests if i == len(pitches) - 1 else 0) for i in range(len(pitches))]
    return {"index": index, "pitches": pitches, "durations": [note_steps] * len(pitches), "onsets": onsets}


def test_a_pitch_only_set_is_written_without_durations_and_onsets_and_reads_back_whole(tmp_path):
    rows = [{**pitch_row(0, [60, 62, 64]), "tokens": [60, 62, 64]}, pitch_row(1, [67, 65, 64], rests=3)]
    folder, _ = drawn_set(tmp_path / "songs", rows)
    folder.write_songs(rows, note_steps=2)
    written = [json.loads(line) for line in folder.songs_path.read_text().splitlines()]
    # the second song's rest keeps its onsets; durations that are all note_steps go, as do tokens that are pitches
    assert written[0] == {"index": 0, "pitches": [60, 62, 64]}
    assert written[1] == {"index": 1, "pitches": [67, 65, 64], "onsets": [0, 2, 7]}
    assert folder.read_songs() == [{k: v for k, v in row.items() if k != "tokens"} for row in rows]
    assert load_song_set(folder.path, rhythm=True).durations == [[2, 2, 2], [2, 2, 2]]
    # the studio's set has no generation.json yet: it gives the note_steps itself
    folder.generation_path.unlink()
    assert folder.read_songs(note_steps=2) == [{k: v for k, v in row.items() if k != "tokens"} for row in rows]
    assert "durations" not in folder.read_songs()[0]  # none known: the row reads as written


def test_a_rhythm_set_keeps_its_durations_and_onsets_only_where_notes_do_not_lie_end_to_end(tmp_path):
    varied = {"index": 0, "pitches": [60, 62, 64], "durations": [3, 1, 4], "tokens": [[60, 3], [62, 1], [64, 4]]}
    varied["onsets"] = laid_end_to_end(varied["durations"])
    gap = {"index": 1, "pitches": [60, 62], "durations": [2, 4], "onsets": [0, 6], "tokens": [[60, 2], [62, 4]]}
    folder, _ = drawn_set(tmp_path / "songs", [varied, gap])
    folder.write_songs([varied, gap], note_steps=2)
    written = [json.loads(line) for line in folder.songs_path.read_text().splitlines()]
    assert written == [{k: v for k, v in varied.items() if k != "onsets"}, gap]
    assert folder.read_songs() == [varied, gap] and folder.compact() is False


def test_compact_rewrites_an_older_set_soundly_and_its_midi_comes_back_byte_for_byte(tmp_path):
    rows = [{**pitch_row(i, [60 + i, 62, 64, 65]), "tokens": [60 + i, 62, 64, 65]} for i in range(3)]
    rows[2] = {**rows[2], "durations": [2, 2, 2, 5]}  # cut to the bars: its durations stay
    folder, drawn = drawn_set(tmp_path / "older", rows)
    before, size = folder.read_songs(), folder.songs_path.stat().st_size
    assert folder.compact() is True and folder.compact() is False
    assert folder.damage() == [] and folder.songs_path.stat().st_size < size / 2
    pitches_only = [{k: v for k, v in row.items() if k != "tokens"} for row in before]  # tokens that were pitches
    assert folder.read_songs() == pitches_only and [("durations" in row) for row in folder._read_rows()] == [0, 0, 1]
    assert folder.leave_out_midi() == 3 and not list(folder.path.glob("*.mid"))  # only when they come back the same
    assert folder.write_midi_again() == 3 and folder.damage() == []
    assert {p.name: p.read_bytes() for p in sorted(folder.path.glob("song_*.mid"))} == drawn
    # a damaged set is left as it is, for damage() to go on naming
    damaged, _ = drawn_set(tmp_path / "damaged", rows)
    damaged.midi_path(0).write_bytes(b"MThd")
    text = damaged.songs_path.read_text()
    assert damaged.compact() is False and damaged.songs_path.read_text() == text and damaged.damage()
