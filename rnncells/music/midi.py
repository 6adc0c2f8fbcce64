"""Read a melody from a MIDI file (type 0 or 1) and write melodies back as MIDI.

Reading: every note of every track is paired note-on -> note-off (first in, first out per channel and pitch).
The melody part is chosen in this order: ``track`` (case-insensitive substring of the track or instrument
name), else a part named like a melody (melody / lead / vocal / voice), else the only part, else the top voice
("skyline") of all non-drum parts. Drums (MIDI channel 10) are never used. The chosen notes are made
monophonic by the skyline rule (see :func:`skyline`), then quantised to 16th-note steps:
``onset = round(start_ticks / (ticks_per_quarter / 4))`` and
``duration = round(length_ticks / (ticks_per_quarter / 4))`` (Python's round, half to even, as docs/method.md §1).
"""

from __future__ import annotations

import re
from collections import defaultdict, deque
from dataclasses import dataclass
from pathlib import Path

import mido

from rnncells.files import write_atomic
from rnncells.music.melody import STEPS_PER_QUARTER, Melody, Note

DRUM_CHANNEL = 9
MELODY_NAME = re.compile(r"melod|lead|vocal|voice", re.IGNORECASE)
NAME_SEPARATORS = (" - ", " – ", " — ")


class MidiReadError(ValueError):
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


def _open_midi(path: Path) -> mido.MidiFile:
    if not path.is_file():
        raise MidiReadError("unreadable", f"{path}: no such file")
    try:
        size = path.stat().st_size
    except OSError as error:
        raise MidiReadError("unreadable", f"{path}: cannot read ({error.strerror})") from None
    if size == 0:
        raise MidiReadError("empty", f"{path}: empty file (0 bytes)")
    try:
        return mido.MidiFile(path, clip=True)
    except EOFError:
        raise MidiReadError("truncated", f"{path}: truncated MIDI file (ends inside a track)") from None
    except PermissionError:
        raise MidiReadError("unreadable", f"{path}: permission denied") from None
    except OSError as error:
        if "MThd" in str(error):
            raise MidiReadError("not MIDI", f"{path}: not a MIDI file (no MThd header)") from None
        raise MidiReadError("unreadable", f"{path}: cannot read ({error})") from None
    except (KeyError, ValueError, IndexError, TypeError) as error:
        raise MidiReadError("corrupt", f"{path}: corrupt MIDI data ({error})") from None


def _parts_and_meta(midi: mido.MidiFile) -> tuple[list[Part], dict]:
    """Pair notes per (track, channel); collect the first tempo, time and key signature."""
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


def choose_melody_part(parts: list[Part], track: str | None, path: Path) -> tuple[list[TickNote], str]:
    """Pick the melody notes and say how they were chosen (see the module docstring for the order)."""
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


def read_midi(path: str | Path, track: str | None = None) -> Melody:
    """Read the melody of one MIDI file; raises :class:`MidiReadError` when the file gives none."""
    path = Path(path)
    midi = _open_midi(path)
    if midi.type == 2:
        raise MidiReadError("unsupported", f"{path}: MIDI type 2 (independent patterns) is not supported")
    parts, meta = _parts_and_meta(midi)
    tick_notes, how = choose_melody_part(parts, track, path)
    step = midi.ticks_per_beat / STEPS_PER_QUARTER
    notes = [Note(round(n.start / step), n.pitch, round((n.end - n.start) / step)) for n in tick_notes]
    artist, title = artist_and_title(path)
    return Melody(
        notes=notes,
        source=path.name,
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
) -> mido.MidiFile:
    """Build a type-0 MIDI file of one monophonic track (notes in 16th-note steps)."""
    step = ticks_per_quarter // STEPS_PER_QUARTER
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("track_name", name=name, time=0))
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm), time=0))
    numerator, denominator = time_signature
    track.append(mido.MetaMessage("time_signature", numerator=numerator, denominator=denominator, time=0))
    track.append(mido.Message("program_change", program=program, channel=0, time=0))
    events: list[tuple[int, int, int]] = []  # (tick, order, pitch); note-offs sort before note-ons
    for note in notes:
        if note.duration <= 0:
            continue
        events.append((note.onset * step, 1, note.pitch))
        events.append(((note.onset + note.duration) * step, 0, note.pitch))
    now = 0
    for tick, is_on, pitch in sorted(events):
        kind = "note_on" if is_on else "note_off"
        track.append(mido.Message(kind, note=pitch, velocity=velocity if is_on else 0, channel=0, time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=0))
    midi = mido.MidiFile(type=0, ticks_per_beat=ticks_per_quarter)
    midi.tracks.append(track)
    return midi


def write_midi(path: str | Path, notes: list[Note], **options) -> Path:
    """Write notes as a MIDI file atomically (options as :func:`melody_to_midi`)."""
    midi = melody_to_midi(notes, **options)
    return write_atomic(path, lambda tmp: midi.save(filename=str(tmp)))
