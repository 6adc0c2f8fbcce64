"""Reading melodies from MIDI: quantisation, metadata, melody-part choice, skyline, bad files."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import mido
import pytest

from rnncells.music.melody import Note, interval_name, note_name, pitch_from_name
from rnncells.music.midi import MidiReadError, artist_and_title, printable, read_midi, write_midi


def make_midi(
    path: Path,
    tracks: list[list[tuple]],
    *,
    tpq: int = 480,
    midi_type: int = 1,
    bpm: float | None = 128.0,
    key: str | None = "Am",
    names: list[str] | None = None,
) -> Path:
    """Write a MIDI file; each track is a list of (start_tick, end_tick, pitch, channel)."""
    midi = mido.MidiFile(type=midi_type, ticks_per_beat=tpq)
    for number, notes in enumerate(tracks):
        track = mido.MidiTrack()
        if names and names[number]:
            track.append(mido.MetaMessage("track_name", name=names[number], time=0))
        if number == 0 and bpm:
            track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm), time=0))
            track.append(mido.MetaMessage("time_signature", numerator=3, denominator=4, time=0))
        if number == 0 and key:
            track.append(mido.MetaMessage("key_signature", key=key, time=0))
        events = []
        for start, end, pitch, channel in notes:
            events.append((start, 1, pitch, channel))
            events.append((end, 0, pitch, channel))
        now = 0
        for tick, on, pitch, channel in sorted(events, key=lambda e: (e[0], e[1])):
            kind = "note_on" if on else "note_off"
            track.append(mido.Message(kind, note=pitch, velocity=80 if on else 0, channel=channel, time=tick - now))
            now = tick
        midi.tracks.append(track)
    midi.save(path)
    return path


def line(pitches: list[int], step: int = 120, channel: int = 0, start: int = 0) -> list[tuple]:
    return [(start + i * step, start + (i + 1) * step, p, channel) for i, p in enumerate(pitches)]


def test_quantises_to_sixteenths_and_keeps_metadata(tmp_path):
    path = make_midi(tmp_path / "Some Artist - Some Title.mid", [line([60, 62, 64], step=240)], tpq=480)
    melody = read_midi(path)
    assert melody.notes == [Note(0, 60, 2), Note(2, 62, 2), Note(4, 64, 2)]
    assert (melody.artist, melody.title) == ("Some Artist", "Some Title")
    assert melody.bpm == 128.0 and melody.time_signature == "3/4" and melody.key_signature == "Am"


def test_other_ticks_per_quarter(tmp_path):
    path = make_midi(tmp_path / "a.mid", [line([60, 61, 62, 63], step=24)], tpq=96, midi_type=0, bpm=None, key=None)
    melody = read_midi(path)
    assert melody.notes == [Note(0, 60, 1), Note(1, 61, 1), Note(2, 62, 1), Note(3, 63, 1)]
    assert melody.bpm is None and melody.key_signature is None


def test_names_with_en_dash_and_two_separators():
    assert artist_and_title("Ariana Grande ft. The Weeknd – Love Me Harder.mid") == (
        "Ariana Grande ft. The Weeknd",
        "Love Me Harder",
    )
    assert artist_and_title("Mark Dreamer - Adventures - 1.mid") == ("Mark Dreamer", "Adventures - 1")
    assert artist_and_title("untitled.mid") == (None, "untitled")


def test_melody_track_by_name_and_by_option(tmp_path):
    bass, lead, pad = line([36, 38, 40, 41]), line([72, 74, 76, 77]), line([60, 64, 67, 72])
    path = make_midi(tmp_path / "multi.mid", [bass, lead, pad], names=["Bass", "Lead Synth", "Pad"])
    melody = read_midi(path)
    assert melody.pitches == [72, 74, 76, 77] and "named like a melody" in melody.track
    chosen = read_midi(path, track="bass")
    assert chosen.pitches == [36, 38, 40, 41] and "--track 'bass'" in chosen.track
    with pytest.raises(MidiReadError, match="no track named like 'strings'"):
        read_midi(path, track="strings")


def test_skyline_of_unnamed_tracks_never_uses_drums(tmp_path):
    low, high = line([48, 50, 52, 53]), line([67, 55, 69, 71])
    drums = line([100, 100, 100, 100], channel=9)
    path = make_midi(tmp_path / "poly.mid", [low, high, drums], names=["", "", "Drums"])
    melody = read_midi(path)
    assert melody.pitches == [67, 55, 69, 71]
    assert melody.track.startswith("skyline")


def test_overlaps_keep_the_highest(tmp_path):
    notes = [
        (0, 240, 60, 0),
        (0, 240, 72, 0),  # octave chord -> 72
        (240, 720, 64, 0),
        (360, 480, 62, 0),  # lower note under a sounding note -> dropped
        (720, 960, 65, 0),
        (840, 1080, 67, 0),
    ]  # higher note starts: the earlier one is cut
    melody = read_midi(make_midi(tmp_path / "o.mid", [notes]))
    assert [(n.onset, n.pitch, n.duration) for n in melody.notes] == [(0, 72, 2), (2, 64, 4), (6, 65, 1), (7, 67, 2)]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"RIFF\x00\x00\x00\x04WAVE", "not MIDI"),
        (None, "truncated"),
        ("drums", "drums only"),
        ("nonotes", "no notes"),
    ],
)
def test_bad_files_raise_with_a_reason(tmp_path, content, reason):
    path = tmp_path / "bad.mid"
    if content is None:
        good = make_midi(tmp_path / "good.mid", [line(list(range(60, 80)))]).read_bytes()
        path.write_bytes(good[: len(good) - 30])
    elif content == "drums":
        make_midi(path, [line([36, 38, 36, 38], channel=9)])
    elif content == "nonotes":
        make_midi(path, [[]])
    else:
        path.write_bytes(content)
    with pytest.raises(MidiReadError) as caught:
        read_midi(path)
    assert caught.value.reason == reason
    assert str(path) in str(caught.value)


def patched(tmp_path: Path, offset: int, patch: bytes, name: str = "bad.mid") -> Path:
    """A good melody with ``patch`` written over its bytes at ``offset``."""
    data = make_midi(tmp_path / "good.mid", [line(list(range(60, 76)))]).read_bytes()
    path = tmp_path / name
    path.write_bytes(data[:offset] + patch + data[offset + len(patch) :])
    return path


def with_meta(tmp_path: Path, message: mido.MetaMessage) -> Path:
    """A type-0 file of 16 sixteenth notes that starts with ``message``."""
    track = mido.MidiTrack([message])
    for pitch in range(60, 76):
        track.append(mido.Message("note_on", note=pitch, velocity=80, time=0))
        track.append(mido.Message("note_off", note=pitch, velocity=0, time=120))
    midi = mido.MidiFile(type=0, ticks_per_beat=480)
    midi.tracks.append(track)
    midi.save(tmp_path / "meta.mid")
    return tmp_path / "meta.mid"


@pytest.mark.parametrize(
    ("offset", "patch", "words"),
    [
        (12, b"\x00\x00", "0 ticks per beat"),
        (12, b"\xff\xff", "time division 0xFFFF"),
        (12, b"\xe7\x28", r"SMPTE time \(25 frames per second\)"),
    ],
)
def test_impossible_divisions_are_bad_timing(tmp_path, offset, patch, words):
    with pytest.raises(MidiReadError, match=words) as caught:
        read_midi(patched(tmp_path, offset, patch))
    assert caught.value.reason == "bad timing"


@pytest.mark.parametrize(
    ("message", "words"),
    [
        (mido.MetaMessage("set_tempo", tempo=0), "a tempo of 0"),
        (mido.MetaMessage("time_signature", numerator=0, denominator=4), "time signature 0/4"),
    ],
)
def test_tempo_and_time_signature_of_zero_are_bad_timing(tmp_path, message, words):
    with pytest.raises(MidiReadError, match=words) as caught:
        read_midi(with_meta(tmp_path, message))
    assert caught.value.reason == "bad timing"


def test_a_key_signature_mido_refuses_and_a_bogus_track_count_are_corrupt(tmp_path):
    data = make_midi(tmp_path / "good.mid", [line(list(range(60, 76)))], key="C").read_bytes()
    bad_key = data.replace(bytes.fromhex("ff59020000"), bytes.fromhex("ff59020900"))
    (tmp_path / "key.mid").write_bytes(bad_key)
    with pytest.raises(MidiReadError, match="KeySignatureError") as caught:
        read_midi(tmp_path / "key.mid")
    assert caught.value.reason == "corrupt"
    for count in (b"\x00\x00", b"\x00\x05", b"\xff\xff"):
        with pytest.raises(MidiReadError, match="tracks announced") as caught:
            read_midi(patched(tmp_path, 10, count))
        assert caught.value.reason == "corrupt"


def test_a_fifo_is_never_opened(tmp_path):
    os.mkfifo(tmp_path / "pipe.mid")
    outcome: list = []

    def read() -> None:
        try:
            read_midi(tmp_path / "pipe.mid")
        except MidiReadError as error:
            outcome.append(error)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(5)
    assert not reader.is_alive(), "read_midi blocked on a FIFO"
    assert outcome[0].reason == "not a file" and "FIFO" in str(outcome[0])


def test_names_that_are_not_utf8_or_hold_control_characters_read_escaped(tmp_path):
    good = make_midi(tmp_path / "good.mid", [line(list(range(60, 76)))]).read_bytes()
    path = tmp_path / os.fsdecode(b"Caf\xe9\nBar - Song\x1b.mid")
    path.write_bytes(good)
    melody = read_midi(path)
    assert melody.source == "Caf\\xe9\\nBar - Song\\x1b.mid"
    assert (melody.artist, melody.title) == ("Caf\\xe9\\nBar", "Song\\x1b")
    melody.source.encode("utf-8")  # JSON-safe


def test_printable_escapes_line_breaks_controls_and_undecodable_bytes():
    assert printable("Artist - Title.mid") == "Artist - Title.mid"
    assert printable("a\nb\rc\td") == "a\\nb\\rc\\td"
    assert printable("\x1b[31m\x7f\x85") == "\\x1b[31m\\x7f\\x85"
    assert printable("x\u2028y") == "x\\u2028y"
    assert printable(os.fsdecode(b"\xff\xfe")) == "\\xff\\xfe"
    assert printable("Beyoncé – Halo ♪ back\\slash") == "Beyoncé – Halo ♪ back\\slash"
    assert printable(printable("a\nb")) == printable("a\nb")


def test_write_then_read_round_trip(tmp_path):
    notes = [Note(0, 60, 4), Note(4, 67, 2), Note(6, 65, 2), Note(12, 64, 4)]
    path = write_midi(tmp_path / "out.mid", notes, bpm=140, program=81)
    melody = read_midi(path)
    assert melody.notes == notes and melody.bpm == 140.0
    programs = [m.program for m in mido.MidiFile(path).tracks[0] if m.type == "program_change"]
    assert programs == [81]


def test_every_edm_file_reads(edm_dir):
    melodies = [read_midi(path) for path in sorted(edm_dir.glob("*.mid"))]
    assert len(melodies) == 212
    assert sum(len(m.notes) for m in melodies) == 9957  # 9961 notes, 4 removed as chord/duplicate overlaps
    pitches = {p for m in melodies for p in m.pitches}
    assert (min(pitches), max(pitches), len(pitches)) == (50, 102, 47)
    assert sum(m.bpm is None for m in melodies) == 3
    assert all(m.artist and m.title for m in melodies)
    assert all(all(b.onset >= a.onset + a.duration for a, b in zip(m.notes, m.notes[1:])) for m in melodies)


def test_note_and_interval_names():
    assert [note_name(p) for p in (60, 61, 21, 127)] == ["C4", "C#4", "A0", "G9"]
    assert all(pitch_from_name(note_name(p)) == p for p in range(128))
    assert [interval_name(i) for i in (0, 4, -12, 14, -7)] == ["P1", "+M3", "-P8", "+M2+P8", "-P5"]


def long_note_file(path: Path, deltas: int = 10) -> Path:
    """The hostile file of issue 23: a tick division of 1 and one note held for ``deltas`` maximal delta times
    (0x0FFFFFFF ticks each, written as no-op text events between its note-on and note-off), after a short tune."""
    max_delta = b"\xff\xff\xff\x7f"  # a variable-length 0x0FFFFFFF
    events = b"".join(b"\x00\x90" + bytes([p]) + b"\x40\x01\x80" + bytes([p]) + b"\x00" for p in (60, 62, 64))
    events += b"\x00\x90\x43\x40" + (max_delta + b"\xff\x01\x00") * deltas + b"\x00\x80\x43\x00"
    events += b"\x00\xff\x2f\x00"
    header = b"MThd" + (6).to_bytes(4, "big") + (0).to_bytes(2, "big") + (1).to_bytes(2, "big") + (1).to_bytes(2, "big")
    path.write_bytes(header + b"MTrk" + len(events).to_bytes(4, "big") + events)
    return path


def test_a_note_longer_than_any_melody_is_skipped_with_a_reason(tmp_path):
    import tracemalloc

    from rnncells.music.corpus import read_midi_folder

    path = long_note_file(tmp_path / "long.mid")
    tracemalloc.start()
    with pytest.raises(MidiReadError, match=r"a note at step 12 lasts 10737418200 16ths, more than") as refused:
        read_midi(path)
    assert refused.value.reason == "too long"
    write_midi(tmp_path / "good.mid", [Note(i * 2, 60 + i, 2) for i in range(12)])
    melodies, skipped = read_midi_folder(tmp_path)  # as `dataset build` and `evaluate` read a folder
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert [m.source for m in melodies] == ["good.mid"]
    assert [(s.file, s.reason) for s in skipped] == [("long.mid", "too long")]
    assert peak < 50 * 2**20  # nothing in proportion to the note's length (20 GiB before)


def test_a_melody_ending_after_any_melody_is_skipped(tmp_path):
    from rnncells.music.midi import MAX_SONG_STEPS

    notes = [Note(0, 60, 4), Note(MAX_SONG_STEPS, 62, 4)]  # a short note, hours after the first
    write_midi(tmp_path / "late.mid", notes)
    with pytest.raises(MidiReadError, match=rf"ends at step {MAX_SONG_STEPS + 4}, later than a melody"):
        read_midi(tmp_path / "late.mid")
