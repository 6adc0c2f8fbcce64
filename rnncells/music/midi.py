"""Read a melody from a MIDI file (type 0 or 1) and write melodies back as MIDI.

Reading: the file's chunks and header are checked first (a truncated or damaged file, impossible timing such as 0
ticks per beat, an SMPTE division, a tempo of 0 or a time signature of 0 beats are refused with a reason), then
every note of every track is paired note-on -> note-off (first in, first out per channel and pitch).
The melody part is chosen in this order: ``track`` (case-insensitive substring of the track or instrument
name), else a part named like a melody (melody / lead / vocal / voice), else the only part, else the top voice
("skyline") of all non-drum parts. Drums (MIDI channel 10) are never used. The chosen notes are made
monophonic by the skyline rule (see :func:`skyline`), then quantised to 16th-note steps:
``onset = round(start_ticks / (ticks_per_quarter / 4))`` and
``duration = round(length_ticks / (ticks_per_quarter / 4))`` (Python's round, half to even, as docs/method.md §1).
"""

from __future__ import annotations

import io
import os
import re
import stat
import struct
import unicodedata
from collections import defaultdict, deque
from dataclasses import dataclass
from pathlib import Path

import mido

from rnncells.errors import RnncellsError
from rnncells.files import write_atomic
from rnncells.music.melody import STEPS_PER_QUARTER, Melody, Note

DRUM_CHANNEL = 9
MELODY_NAME = re.compile(r"melod|lead|vocal|voice", re.IGNORECASE)
NAME_SEPARATORS = (" - ", " – ", " — ")
MAX_FILE_BYTES = 16 * 1024 * 1024  # far more than any melody; a bigger "MIDI file" is refused unread
MAX_NOTE_STEPS = 4096  # 16ths in one note (256 4/4 bars); a longer note is refused with the file (reason too long)
MAX_SONG_STEPS = 16 * 16_384  # 16ths from the first to the last note's end (16,384 bars, hours of music)
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


class MidiReadError(RnncellsError, ValueError):
    """A file that gives no melody; ``reason`` is a short category for reports, the message says more."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class TickNote:
    """A note in ticks, before quantisation."""

    start: int
    end: int
    pitch: int


@dataclass
class Part:
    """The notes of one (track, channel) pair and the names it carries."""

    track_index: int
    channel: int
    name: str
    notes: list[TickNote]

    @property
    def label(self) -> str:
        return f"{self.name or 'untitled'} (track {self.track_index}, channel {self.channel + 1})"


def artist_and_title(path: str | Path) -> tuple[str | None, str | None]:
    """Split ``Artist - Title.mid`` on the first separator (hyphen, en dash or em dash with spaces)."""
    stem = Path(path).stem
    cuts = [(stem.find(sep), sep) for sep in NAME_SEPARATORS if sep in stem]
    if not cuts:
        return None, stem or None
    position, sep = min(cuts)
    return stem[:position].strip() or None, stem[position + len(sep) :].strip() or None


def printable(text: str) -> str:
    """``text`` on one printable line: line breaks, tabs and control characters become backslash escapes
    (``\\n``, ``\\t``, ``\\x1b``, ``\\u2028``), and a byte that was not UTF-8 in a file name (decoded by
    ``os.fsdecode`` as a lone surrogate) becomes ``\\xNN``. Other text, backslashes included, is kept as it is."""
    if text.isprintable():
        return text
    out = []
    for char in text:
        code = ord(char)
        if char in _NAMED_ESCAPES:
            out.append(_NAMED_ESCAPES[char])
        elif 0xDC80 <= code <= 0xDCFF:  # surrogateescape: the byte code - 0xDC00 of a name that is not UTF-8
            out.append(f"\\x{code - 0xDC00:02x}")
        elif unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp"):
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


def file_kind(mode: int) -> str:
    """What a file that is not a regular file is, in words (from its ``st_mode``)."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    return "not a regular file"


def _read_bytes(path: Path, where: str) -> bytes:
    """The bytes of a regular file. Anything else (a FIFO, a device, a folder) is refused before it is opened; the
    file is opened non-blocking and checked again, so one swapped in meanwhile cannot block the read either."""
    try:
        info = os.stat(path)
    except OSError as error:
        raise MidiReadError("unreadable", f"{where}: cannot read ({error.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        raise MidiReadError("not a file", f"{where}: {file_kind(info.st_mode)}, not a MIDI file")
    if info.st_size > MAX_FILE_BYTES:
        raise MidiReadError("too large", f"{where}: {info.st_size} bytes, more than a MIDI melody ({MAX_FILE_BYTES})")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as error:
        raise MidiReadError("unreadable", f"{where}: cannot read ({error.strerror})") from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise MidiReadError("not a file", f"{where}: {file_kind(os.fstat(fd).st_mode)}, not a MIDI file")
        try:
            data = handle.read(MAX_FILE_BYTES + 1)
        except OSError as error:
            raise MidiReadError("unreadable", f"{where}: cannot read ({error.strerror})") from None
    if not data:
        raise MidiReadError("empty", f"{where}: empty file (0 bytes)")
    if len(data) > MAX_FILE_BYTES:
        raise MidiReadError("too large", f"{where}: more than {MAX_FILE_BYTES} bytes, more than a MIDI melody")
    return data


def _check_header(data: bytes, where: str) -> int:
    """Check the header chunk (format, time division); return the number of tracks it announces."""
    if data[:4] != b"MThd":
        if len(data) < 4 and b"MThd".startswith(data):
            raise MidiReadError("truncated", f"{where}: truncated MIDI file (ends inside the header)")
        raise MidiReadError("not MIDI", f"{where}: not a MIDI file (no MThd header)")
    if len(data) < 14:
        raise MidiReadError("truncated", f"{where}: truncated MIDI file (ends inside the header)")
    size, midi_type, tracks, division = struct.unpack(">IHHH", data[4:14])
    if size < 6:
        raise MidiReadError("corrupt", f"{where}: corrupt MIDI header ({size} bytes, at least 6)")
    if midi_type == 2:
        raise MidiReadError("unsupported", f"{where}: MIDI type 2 (independent patterns) is not supported")
    if midi_type > 2:
        raise MidiReadError("unsupported", f"{where}: MIDI type {midi_type} does not exist (0, 1 or 2)")
    if division & 0x8000:
        frames = 256 - (division >> 8)
        what = f"SMPTE time ({frames} frames per second)" if frames in (24, 25, 29, 30) else f"0x{division:04X}"
        raise MidiReadError("bad timing", f"{where}: time division {what}, not ticks per beat (docs/method.md §1)")
    if division == 0:
        raise MidiReadError("bad timing", f"{where}: 0 ticks per beat, so no note has a length")
    return tracks


def _check_chunks(data: bytes, where: str) -> None:
    """Every chunk after the header must be a track lying inside the file, as many as the header announces."""
    announced = _check_header(data, where)
    position, found = 8 + struct.unpack(">I", data[4:8])[0], 0
    while position < len(data):
        if position + 8 > len(data):
            raise MidiReadError("truncated", f"{where}: truncated MIDI file (ends inside a chunk header)")
        name, size = data[position : position + 4], struct.unpack(">I", data[position + 4 : position + 8])[0]
        if name != b"MTrk":
            raise MidiReadError("corrupt", f"{where}: corrupt MIDI data ({printable(repr(name))} at byte {position})")
        if position + 8 + size > len(data):
            raise MidiReadError("truncated", f"{where}: truncated MIDI file (track {found} runs past the end)")
        position, found = position + 8 + size, found + 1
    if position > len(data):
        raise MidiReadError("truncated", f"{where}: truncated MIDI file (the header runs past the end)")
    if found != announced:
        raise MidiReadError("corrupt", f"{where}: corrupt MIDI header ({announced} tracks announced, {found} found)")


def _open_midi(path: Path, where: str) -> mido.MidiFile:
    data = _read_bytes(path, where)
    _check_chunks(data, where)
    try:
        return mido.MidiFile(file=io.BytesIO(data), clip=True)
    except EOFError:
        raise MidiReadError("truncated", f"{where}: truncated MIDI file (ends inside a track)") from None
    except Exception as error:  # mido raises many kinds (OSError, KeySignatureError, IndexError ...) on bad data
        detail = printable(f"{type(error).__name__}: {error}")
        raise MidiReadError("corrupt", f"{where}: corrupt MIDI data ({detail})") from None


def _timing_problem(message: mido.MetaMessage) -> str | None:
    """Why a tempo or time signature makes timing impossible, or None."""
    if message.type == "set_tempo" and message.tempo <= 0:
        return "a tempo of 0 microseconds per beat"
    if message.type == "time_signature" and not (message.numerator > 0 and 0 < message.denominator <= 256):
        denominator = message.denominator
        shown = f"2^{denominator.bit_length() - 1}" if denominator > 256 else str(denominator)
        return f"time signature {message.numerator}/{shown}"
    return None


def _parts_and_meta(midi: mido.MidiFile, where: str) -> tuple[list[Part], dict]:
    """Pair notes per (track, channel); collect the first tempo, time and key signature.

    A tempo of 0 or a time signature of 0 beats anywhere is impossible timing: the file is refused."""
    meta: dict = {}
    parts: list[Part] = []
    for track_index, track in enumerate(midi.tracks):
        tick = 0
        names: list[str] = []
        open_notes: dict[tuple[int, int], deque[int]] = defaultdict(deque)
        notes: dict[int, list[TickNote]] = defaultdict(list)
        for message in track:
            tick += message.time
            kind = message.type
            if kind == "note_on" and message.velocity > 0:
                open_notes[(message.channel, message.note)].append(tick)
            elif kind in ("note_off", "note_on"):
                starts = open_notes.get((message.channel, message.note))
                if starts:
                    start = starts.popleft()
                    notes[message.channel].append(TickNote(start, tick, message.note))
            elif kind in ("track_name", "instrument_name") and message.name.strip():
                names.append(message.name.strip())
            elif kind in ("set_tempo", "time_signature") and _timing_problem(message):
                raise MidiReadError("bad timing", f"{where}: {_timing_problem(message)} (track {track_index})")
            elif kind == "set_tempo" and "bpm" not in meta:
                meta["bpm"] = round(mido.tempo2bpm(message.tempo), 2)
            elif kind == "time_signature" and "time_signature" not in meta:
                meta["time_signature"] = f"{message.numerator}/{message.denominator}"
            elif kind == "key_signature" and "key_signature" not in meta:
                meta["key_signature"] = message.key
        for (channel, pitch), starts in open_notes.items():  # notes never switched off end with the track
            notes[channel].extend(TickNote(start, tick, pitch) for start in starts)
        name = " / ".join(dict.fromkeys(names))
        for channel in sorted(notes):
            parts.append(Part(track_index, channel, name, sorted(notes[channel], key=lambda n: (n.start, n.pitch))))
    return parts, meta


def skyline(notes: list[TickNote]) -> list[TickNote]:
    """Make notes monophonic, keeping the highest voice.

    Of notes starting together the highest (then the longest) is kept. A note starting while the kept note
    still sounds is dropped if it is lower and ends no later (it is under the skyline); otherwise the kept
    note is cut where the new one starts.
    """
    melody: list[TickNote] = []
    for note in sorted(notes, key=lambda n: (n.start, -n.pitch, -n.end)):
        if melody:
            previous = melody[-1]
            if note.start == previous.start:
                continue
            if note.start < previous.end:
                if note.pitch < previous.pitch and note.end <= previous.end:
                    continue
                melody[-1] = TickNote(previous.start, note.start, previous.pitch)
        melody.append(note)
    return melody


def choose_melody_part(parts: list[Part], track: str | None, path: str | Path) -> tuple[list[TickNote], str]:
    """Pick the melody notes and say how they were chosen (see the module docstring for the order); ``path``
    names the file in errors."""
    pitched = [part for part in parts if part.channel != DRUM_CHANNEL and part.notes]
    if not pitched:
        if any(part.notes for part in parts):
            raise MidiReadError("drums only", f"{path}: only drum notes (channel 10), no melody")
        raise MidiReadError("no notes", f"{path}: no notes")
    if track:
        chosen = [part for part in pitched if track.lower() in part.name.lower()]
        if not chosen:
            names = ", ".join(part.label for part in pitched)
            raise MidiReadError("no such track", f"{path}: no track named like {track!r} (tracks: {names})")
        how = f"--track {track!r}"
    else:
        chosen = [part for part in pitched if MELODY_NAME.search(part.name)]
        how = "named like a melody"
        if not chosen:
            chosen, how = pitched, ("only part" if len(pitched) == 1 else "skyline of all non-drum parts")
    notes = [note for part in chosen for note in part.notes]
    return skyline(notes), f"{how}: " + "; ".join(part.label for part in chosen)


def _check_lengths(notes: list[Note], where: str) -> None:
    """Refuse (reason ``too long``) a melody with a note longer than MAX_NOTE_STEPS or ending after
    MAX_SONG_STEPS: no melody holds one, and whatever reads the songs later may size arrays by them."""
    longest = max(notes, key=lambda note: note.duration, default=None)
    if longest is not None and longest.duration > MAX_NOTE_STEPS:
        raise MidiReadError(
            "too long",
            f"{where}: a note at step {longest.onset} lasts {longest.duration} 16ths, more than a melody's note "
            f"({MAX_NOTE_STEPS}, {MAX_NOTE_STEPS // 16} bars)",
        )
    end = max((note.onset + note.duration for note in notes), default=0)
    if end > MAX_SONG_STEPS:
        raise MidiReadError(
            "too long",
            f"{where}: ends at step {end}, later than a melody ({MAX_SONG_STEPS} 16ths, {MAX_SONG_STEPS // 16} bars)",
        )


def read_midi(path: str | Path, track: str | None = None) -> Melody:
    """Read the melody of one MIDI file; raises :class:`MidiReadError` when the file gives none."""
    path = Path(path)
    where = printable(str(path))
    midi = _open_midi(path, where)
    parts, meta = _parts_and_meta(midi, where)
    tick_notes, how = choose_melody_part(parts, track, where)
    if midi.ticks_per_beat <= 0:  # _check_header refuses these; kept so no path ever divides by it
        raise MidiReadError("bad timing", f"{where}: {midi.ticks_per_beat} ticks per beat")
    step = midi.ticks_per_beat / STEPS_PER_QUARTER
    notes = [Note(round(n.start / step), n.pitch, round((n.end - n.start) / step)) for n in tick_notes]
    _check_lengths(notes, where)
    name = printable(path.name)
    artist, title = artist_and_title(name)
    return Melody(
        notes=notes,
        source=name,
        artist=artist,
        title=title,
        bpm=meta.get("bpm"),
        time_signature=meta.get("time_signature"),
        key_signature=meta.get("key_signature"),
        track=how,
    )


def melody_to_midi(
    notes: list[Note],
    *,
    bpm: float = 120.0,
    program: int = 0,
    velocity: int = 80,
    ticks_per_quarter: int = 480,
    name: str = "melody",
    time_signature: tuple[int, int] = (4, 4),
    velocities: list[int] | None = None,
) -> mido.MidiFile:
    """Build a type-0 MIDI file of one monophonic track (notes in 16th-note steps); ``velocities`` gives each note
    its own velocity (default: ``velocity`` for all)."""
    velocities = velocities if velocities is not None else [velocity] * len(notes)
    step = ticks_per_quarter // STEPS_PER_QUARTER
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("track_name", name=name, time=0))
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm), time=0))
    numerator, denominator = time_signature
    track.append(mido.MetaMessage("time_signature", numerator=numerator, denominator=denominator, time=0))
    track.append(mido.Message("program_change", program=program, channel=0, time=0))
    events: list[tuple[int, int, int, int]] = []  # (tick, order, pitch, velocity); note-offs sort before note-ons
    for note, loudness in zip(notes, velocities, strict=True):
        if note.duration <= 0:
            continue
        events.append((note.onset * step, 1, note.pitch, loudness))
        events.append(((note.onset + note.duration) * step, 0, note.pitch, 0))
    now = 0
    for tick, is_on, pitch, loudness in sorted(events):
        kind = "note_on" if is_on else "note_off"
        track.append(mido.Message(kind, note=pitch, velocity=loudness, channel=0, time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=0))
    midi = mido.MidiFile(type=0, ticks_per_beat=ticks_per_quarter)
    midi.tracks.append(track)
    return midi


def write_midi(path: str | Path, notes: list[Note], **options) -> Path:
    """Write notes as a MIDI file atomically (options as :func:`melody_to_midi`)."""
    midi = melody_to_midi(notes, **options)
    return write_atomic(path, lambda tmp: midi.save(filename=str(tmp)))


def written_track_name(path: str | Path) -> str | None:
    """The track name a file of :func:`write_midi` carries (None when it has none or cannot be read)."""
    try:
        midi = mido.MidiFile(filename=str(path))
    except (OSError, ValueError, EOFError):
        return None
    names = [m.name for track in midi.tracks for m in track if m.type == "track_name"]
    return names[0] if names else None
