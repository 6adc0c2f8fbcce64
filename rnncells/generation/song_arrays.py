"""A song set as evaluation reads it: each song's pitches and durations as lists of whole numbers, and who made them.

:func:`load_song_set` reads a generated set folder through :class:`rnncells.generation.song_set.SongSetFolder`, the
one module that reads and writes it, checking each song with :func:`song_notes`; rnncells.evaluation builds a
:class:`SongSet` of the dataset's songs (with :func:`song_notes` too) and of plain MIDI files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rnncells.generation.song_set import SongSetError, SongSetFolder, song_id
from rnncells.music.midi import MAX_NOTE_STEPS, MAX_SONG_STEPS


@dataclass
class SongSet:
    """The songs of one model (or of the dataset baseline) and who made them."""

    model_name: str
    variant: str
    cell: str
    layers: int | None
    source: Path
    pitches: list[list[int]]
    durations: list[list[int]]
    indices: list[int]
    song_ids: list[str]
    info: dict[str, Any] = field(default_factory=dict)
    songs_path: Path | None = None  # the file the songs came from, for messages
    files: list[str] = field(default_factory=list)  # per song, the file it came from (its MIDI file's name)
    splits: list[str] = field(default_factory=list)  # per song, its dataset split (dataset songs only)


def song_notes(row: dict, where: str, rhythm: bool) -> tuple[list[int], list[int]]:
    """A song row's pitches (at least 2) and durations (as many as pitches when ``rhythm``)."""
    pitches = row.get("pitches")
    durations = row.get("durations") or []
    if not isinstance(pitches, list) or len(pitches) < 2:
        raise SongSetError(f"{where}: a song needs a 'pitches' list of at least 2 notes")
    if rhythm and len(durations) != len(pitches):
        raise SongSetError(f"{where}: rhythm=True needs a 'durations' list as long as 'pitches'")
    try:
        values, steps = [int(p) for p in pitches], [int(d) for d in durations]
    except (TypeError, ValueError, OverflowError):
        raise SongSetError(f"{where}: 'pitches' and 'durations' must hold whole numbers") from None
    # Bounded as `dataset build` bounds a MIDI file's notes (reason "too long"): later steps size arrays by them.
    if steps and (max(steps) > MAX_NOTE_STEPS or sum(steps) > MAX_SONG_STEPS):
        raise SongSetError(
            f"{where}: a note of {max(steps)} 16ths or {sum(steps)} 16ths in all, more than a melody "
            f"({MAX_NOTE_STEPS} a note, {MAX_SONG_STEPS} in all); build or generate it again"
        )
    return values, steps


def load_song_set(song_dir: str | Path, *, rhythm: bool = False) -> SongSet:
    """Read one generated song set folder as a :class:`SongSet` (every song needs at least 2 notes)."""
    folder = SongSetFolder(song_dir)
    folder.check()
    generation = folder.read_generation()
    rows = folder.read_songs()
    if not rows:
        raise SongSetError(f"{folder.songs_path}: no songs (empty file); expected one JSON song per line")
    pitches, durations, indices = [], [], []
    for line, row in enumerate(rows, start=1):
        notes, steps = song_notes(row, f"{folder.songs_path} line {line}", rhythm)
        pitches.append(notes)
        durations.append(steps)
        indices.append(int(row.get("index", line - 1)))
    return SongSet(
        model_name=str(generation["model_name"]),
        variant=str(generation["variant"]),
        cell=str(generation["cell"]),
        layers=int(generation["layers"]),
        source=folder.path,
        pitches=pitches,
        durations=durations,
        indices=indices,
        song_ids=[song_id(index) for index in indices],
        info=generation,
        songs_path=folder.songs_path,
        files=[folder.midi_path(index).name for index in indices],
    )
