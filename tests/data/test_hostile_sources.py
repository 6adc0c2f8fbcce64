"""Fuzz test: no MIDI file, name or directory entry can crash or abort a build (issue 11, point 1).

Damaged copies of the real EDM melodies (truncations, byte flips, header and track-length damage, bad meta events),
valid melodies under hostile names (newline, escape codes, non-UTF-8 bytes) and hostile entries (link loops,
dangling links, a FIFO, links to devices and to a folder, a socket, folders named ``*.mid``) lie beside good
files. The build must return normally, keep every good file and list every other entry in report.txt, one line
each.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import struct
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

import mido
import numpy as np
import pytest

from rnncells.config.dataset import DatasetConfig
from rnncells.data.build import DatasetError, build_dataset
from rnncells.data.folder import load_variant

SEED = 11
# Meta events a MIDI file can carry that give no sane song (delta 0, then FF type length data).
TEMPO_ZERO = bytes.fromhex("00ff510300 0000".replace(" ", ""))
KEY_SHARPS = bytes.fromhex("00ff59020800")  # 8 sharps
KEY_FLATS = bytes.fromhex("00ff5902f800")  # 8 flats
KEY_MODE = bytes.fromhex("00ff59020005")  # mode 5
TIME_ZERO = bytes.fromhex("00ff580400021808")  # numerator 0
TEMPO_SHORT = bytes.fromhex("00ff510100")  # a tempo of one byte
BAD_META = {
    "tempo 0": [TEMPO_ZERO],
    "key 8 sharps": [KEY_SHARPS],
    "key 8 flats": [KEY_FLATS],
    "key mode 5": [KEY_MODE],
    "time 0": [TIME_ZERO],
    "tempo of 1 byte": [TEMPO_SHORT],
    "several": [TEMPO_ZERO, KEY_SHARPS, TIME_ZERO],
}
# Valid melodies under hostile names: (name as bytes on disk, the name the dataset and report.txt show).
HOSTILE_NAMES = [
    (b"Artist - New\nLine.mid", "Artist - New\\nLine.mid"),
    (b"Esc \x1b[31mRed\x1b[0m - Title.mid", "Esc \\x1b[31mRed\\x1b[0m - Title.mid"),
    (b"Tab\tand\rCR - Title.mid", "Tab\\tand\\rCR - Title.mid"),
    (b"Caf\xe9 - Latin 1.mid", "Caf\\xe9 - Latin 1.mid"),
    (b"\xff\xfe - Bytes.mid", "\\xff\\xfe - Bytes.mid"),
    ("Line\u2028Separator - Title.mid".encode(), "Line\\u2028Separator - Title.mid"),
]


def chunks(data: bytes) -> list[tuple[int, bytes, int]]:
    """(offset, id, length) of each chunk of a MIDI file."""
    found, position = [], 0
    while position + 8 <= len(data):
        (length,) = struct.unpack(">I", data[position + 4 : position + 8])
        found.append((position, data[position : position + 4], length))
        position += 8 + length
    return found


def set_track_length(data: bytes, track: int, length: int) -> bytes:
    offset = chunks(data)[1 + track][0]
    return data[: offset + 4] + struct.pack(">I", length) + data[offset + 8 :]


def insert_events(data: bytes, events: list[bytes]) -> bytes:
    """Put meta events at the start of the first track and fix its length."""
    offset, _, length = chunks(data)[1]
    inserted = b"".join(events)
    start = offset + 8
    return data[: offset + 4] + struct.pack(">I", length + len(inserted)) + inserted + data[start:]


def type_one(data: bytes) -> bytes:
    """The same melody as a type-1 file: a conductor track with the meta events, then the notes."""
    midi = mido.MidiFile(file=__import__("io").BytesIO(data))
    conductor, notes = mido.MidiTrack(), mido.MidiTrack()
    now = meta_time = note_time = 0
    for message in midi.tracks[0]:
        now += message.time
        if message.is_meta and message.type != "end_of_track":
            conductor.append(message.copy(time=now - meta_time))
            meta_time = now
        elif not message.is_meta:
            notes.append(message.copy(time=now - note_time))
            note_time = now
    out = mido.MidiFile(type=1, ticks_per_beat=midi.ticks_per_beat)
    out.tracks += [conductor, notes]
    buffer = __import__("io").BytesIO()
    out.save(file=buffer)
    return buffer.getvalue()


def damaged_files(sources: list[bytes], rng: np.random.Generator) -> dict[str, tuple[bytes, bool]]:
    """name -> (content, must be reported); byte flips may still be valid MIDI, every other kind is not."""
    files: dict[str, tuple[bytes, bool]] = {}

    def pick() -> bytes:
        data = sources[int(rng.integers(len(sources)))]
        return type_one(data) if rng.random() < 0.3 else data

    for number in range(30):
        data = pick()
        files[f"Trunc - {number:02d}.mid"] = (data[: int(rng.integers(1, len(data)))], True)
    for number in range(45):
        data = bytearray(pick())
        for _ in range(int(rng.integers(1, 5))):
            data[int(rng.integers(len(data)))] ^= int(rng.integers(1, 256))
        files[f"Flip - {number:02d}.mid"] = (bytes(data), False)
    header = {
        "division 0": (12, b"\x00\x00"),
        "division FFFF": (12, b"\xff\xff"),
        "division 8000": (12, b"\x80\x00"),
        "SMPTE 25 fps": (12, b"\xe7\x28"),
        "SMPTE 30 fps": (12, b"\xe2\x50"),
        "tracks 0": (10, b"\x00\x00"),
        "tracks 3": (10, b"\x00\x03"),
        "tracks FFFF": (10, b"\xff\xff"),
        "tracks 8000": (10, b"\x80\x00"),
        "format 2": (8, b"\x00\x02"),
        "format 7": (8, b"\x00\x07"),
        "header length 0": (4, b"\x00\x00\x00\x00"),
        "header length 5": (4, b"\x00\x00\x00\x05"),
        "header length 7": (4, b"\x00\x00\x00\x07"),
        "header length huge": (4, b"\xff\xff\xff\xff"),
        "no MThd": (0, b"MThx"),
    }
    for kind, (offset, patch) in header.items():
        for copy in range(2):
            data = pick()
            files[f"Header - {kind} {copy}.mid"] = (data[:offset] + patch + data[offset + len(patch) :], True)
    for number in range(24):
        data = pick()
        track = int(rng.integers(len(chunks(data)) - 1))
        length = chunks(data)[1 + track][2]
        new = [0, 0xFFFFFFFF, length + int(rng.integers(1, 60)), max(0, length - int(rng.integers(1, 60)))][number % 4]
        files[f"Track length - {number:02d}.mid"] = (set_track_length(data, track, new), True)
    for kind, events in BAD_META.items():
        for copy in range(4):
            files[f"Meta - {kind} {copy}.mid"] = (insert_events(pick(), events), True)
    return files


def make_special_entries(folder: Path, good: bytes) -> dict[str, Callable[[], None]]:
    """Hostile directory entries: name -> how to make it."""
    sub = folder / "sub"
    return {
        "loop a.mid": lambda: os.symlink("loop b.mid", folder / "loop a.mid"),
        "loop b.mid": lambda: os.symlink("loop a.mid", folder / "loop b.mid"),
        "self.mid": lambda: os.symlink("self.mid", folder / "self.mid"),
        "dangling.mid": lambda: os.symlink("nowhere.mid", folder / "dangling.mid"),
        "fifo.mid": lambda: os.mkfifo(folder / "fifo.mid"),
        "pipe": lambda: os.mkfifo(folder / "pipe"),
        "null.mid": lambda: os.symlink("/dev/null", folder / "null.mid"),
        "zero.mid": lambda: os.symlink("/dev/zero", folder / "zero.mid"),
        "x.mid": lambda: (folder / "x.mid").mkdir(),
        "linked folder.mid": lambda: (sub.mkdir(), os.symlink("sub", folder / "linked folder.mid")),
        "socket.mid": lambda: socket.socket(socket.AF_UNIX).bind(str(folder / "socket.mid")),
        ".hidden.mid": lambda: (folder / ".hidden.mid").write_bytes(good),
        "readme.txt": lambda: (folder / "readme.txt").write_text("not a melody"),
        "Fifo\nnewline.mid": lambda: os.mkfifo(folder / "Fifo\nnewline.mid"),
        "Trunc\x1b[2J - Esc.mid": lambda: (folder / "Trunc\x1b[2J - Esc.mid").write_bytes(good[:40]),
    }


def one_line(name: str) -> str:
    """The name as report.txt shows it (the test's own statement of the escaping)."""
    out = []
    for byte_or_char in name:
        code = ord(byte_or_char)
        if byte_or_char in "\n\r\t":
            out.append(repr(byte_or_char)[1:-1])
        elif code < 32 or code == 127:
            out.append(f"\\x{code:02x}")
        else:
            out.append(byte_or_char)
    return "".join(out)


@pytest.fixture(scope="module")
def hostile(edm_dir, tmp_path_factory):
    """The hostile source folder, built once: (folder, goods, damaged, specials, dataset, seconds)."""
    rng = np.random.default_rng(SEED)
    edm = sorted(edm_dir.glob("*.mid"))
    chosen = [edm[int(i)] for i in rng.choice(len(edm), size=30, replace=False)]
    folder = tmp_path_factory.mktemp("hostile") / "source"
    folder.mkdir()
    goods = [path.name for path in chosen[:10]]
    for path in chosen[:10]:
        shutil.copy(path, folder / path.name)
    (folder / "folder.mid").mkdir()
    shutil.copy(chosen[10], folder / "folder.mid" / chosen[10].name)
    goods.append(f"folder.mid/{chosen[10].name}")
    for raw, shown in HOSTILE_NAMES:
        (folder / os.fsdecode(raw)).write_bytes(chosen[11].read_bytes())
        goods.append(shown)
    damaged = damaged_files([path.read_bytes() for path in chosen[12:]], rng)
    for name, (data, _) in damaged.items():
        (folder / name).write_bytes(data)
    specials = make_special_entries(folder, chosen[11].read_bytes())
    for make in specials.values():
        make()
    out = folder.parent / "dataset"
    start = time.perf_counter()
    report = build_dataset(
        DatasetConfig(source=str(folder), test_ratio=0.0, validation_ratio=0.2), out, jobs=1, progress=False
    )
    return folder, goods, damaged, specials, out, report, time.perf_counter() - start


def test_a_hostile_folder_builds_keeps_every_good_file_and_reports_the_rest(hostile):
    folder, goods, damaged, specials, out, report, seconds = hostile
    assert len(damaged) >= 150 and seconds < 60
    _, rows = load_variant(out, "control")
    kept = {row["source"] for row in rows}
    assert set(goods) <= kept
    summary = json.loads((out / "dataset.json").read_text(encoding="utf-8"))
    skipped = {entry["file"]: entry for entry in summary["skipped"]}
    for name, (_, must_report) in damaged.items():
        assert name in skipped or (not must_report and name in kept), name
    for name in specials:
        if name != "linked folder.mid":  # its target, sub/, is an empty folder that is read
            assert one_line(name) in skipped, name
    assert {"sub"} & skipped.keys() == set()
    assert len(kept) + len(skipped) == report.files_read


def test_report_has_one_line_per_skipped_entry_and_no_control_characters(hostile):
    *_, out, report, _ = hostile
    text = (out / "report.txt").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert len(lines) == 2 + len(report.skipped) + 2
    assert sum(line.startswith("skipped ") for line in lines) == len(report.skipped)
    assert not [c for c in text if c != "\n" and unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp")]
    assert lines[-1] == report.summary_line()


def test_impossible_timing_and_bad_meta_events_are_skip_reasons(hostile):
    _, _, damaged, _, out, report, _ = hostile
    reasons = {s.file: s.reason for s in report.skipped}
    for name in damaged:
        if "division" in name or "SMPTE" in name or "tempo 0" in name or "time 0" in name:
            assert reasons[name] == "bad timing", (name, reasons[name])
        if name.startswith(("Meta - key", "Meta - several")):  # mido refuses the key signature
            assert reasons[name] == "corrupt", name
        if name.startswith("Header - tracks"):
            assert reasons[name] != "no notes", name
    _, rows = load_variant(out, "control")
    for row in rows:
        assert all(d >= 0 for d in row["durations"]) and all(0 <= p <= 127 for p in row["pitches"])


def test_entries_that_are_not_files_are_never_opened_and_say_what_they_are(hostile):
    *_, report, _ = hostile
    details = {s.file: s.detail for s in report.skipped}
    assert "loop" in details["loop a.mid"] and "loop" in details["self.mid"]
    assert "dangling" in details["dangling.mid"]
    assert "FIFO" in details["fifo.mid"] and "FIFO" in details["pipe"] and "FIFO" in details["Fifo\\nnewline.mid"]
    assert "character device" in details["null.mid"] and "character device" in details["zero.mid"]
    assert "folder" in details["x.mid"] and "folder" in details["linked folder.mid"]
    assert "socket" in details["socket.mid"] and "hidden" in details[".hidden.mid"]


def test_strict_fails_on_a_hostile_entry_but_not_on_a_hidden_one(edm_dir, tmp_path):
    folder = tmp_path / "source"
    folder.mkdir()
    for path in sorted(edm_dir.glob("*.mid"))[:5]:
        shutil.copy(path, folder / path.name)
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    config = DatasetConfig(source=str(folder), strict=True, train_ratio=0.6, validation_ratio=0.4, test_ratio=0.0)
    assert build_dataset(config, tmp_path / "a", progress=False).songs == 5
    os.mkfifo(folder / "pipe\n.mid")
    with pytest.raises(DatasetError, match=r"--strict: 1 file\(s\) skipped, first: pipe\\n.mid: a named pipe"):
        build_dataset(config, tmp_path / "b", progress=False)
    assert not (tmp_path / "b").exists()
