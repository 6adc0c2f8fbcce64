"""Where melodies come from: a folder of MIDI files, or music21's bundled corpus (parsed in parallel, cached).

A source is written as a folder path, a single ``.mid`` file, ``music21:essenFolksong`` (every file of that
corpus folder) or ``music21:essenFolksong/kinder0`` (one file; one tune = one song).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from rnncells.files import write_json_atomic
from rnncells.music.melody import Melody, Note
from rnncells.music.midi import MidiReadError, read_midi

MIDI_SUFFIXES = (".mid", ".midi", ".kar")
MUSIC21_PREFIX = "music21:"
CACHE_FORMAT = 1


class SourceError(ValueError):
    """A source that cannot be opened at all (missing folder, unknown corpus): the build cannot start."""


@dataclass(frozen=True)
class Skipped:
    """A file (or tune) that gave no song, with a short reason category and the full message."""

    file: str
    reason: str
    detail: str


Progress = Callable[[int], None]


def cache_dir() -> Path:
    """``$RNNCELLS_CACHE``, else ``$XDG_CACHE_HOME/rnncells``, else ``~/.cache/rnncells``."""
    if os.environ.get("RNNCELLS_CACHE"):
        return Path(os.environ["RNNCELLS_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "rnncells"


def read_midi_folder(
    folder: Path, track: str | None = None, progress: Progress | None = None
) -> tuple[list[Melody], list[Skipped]]:
    """Read every MIDI file below ``folder`` in name order; files that give no melody are skipped."""
    folder = Path(folder)
    if folder.is_file():
        files = [folder]
    elif folder.is_dir():
        files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    else:
        raise SourceError(f"{folder}: no such folder or file; give a folder of .mid files or music21:essenFolksong")
    melodies: list[Melody] = []
    skipped: list[Skipped] = []
    for path in files:
        name = str(path.relative_to(folder)) if folder.is_dir() else path.name
        if path.suffix.lower() not in MIDI_SUFFIXES:
            skipped.append(Skipped(name, "not MIDI", f"{name}: not a MIDI file name (.mid or .midi)"))
        else:
            try:
                melody = read_midi(path, track)
                melody.source = name
                melodies.append(melody)
            except MidiReadError as error:
                skipped.append(Skipped(name, error.reason, str(error)))
        if progress:
            progress(1)
    return melodies, skipped


def music21_corpus_files(source: str) -> list[Path]:
    """The files a ``music21:FOLDER[/FILE]`` source names (raises :class:`SourceError` for unknown names)."""
    from music21 import corpus

    spec = source[len(MUSIC21_PREFIX) :].strip("/")
    folder, _, stem = spec.partition("/")
    paths = [Path(p) for p in corpus.getPaths()]
    in_folder = sorted(p for p in paths if folder and folder in p.parent.parts)
    if not in_folder:
        known = sorted({p.parent.name for p in paths if p.parent.name != "corpus"})
        raise SourceError(
            f"unknown music21 corpus {folder!r}; try music21:essenFolksong (known: {', '.join(known[:12])} ...)"
        )
    if not stem:
        return in_folder
    chosen = [p for p in in_folder if p.stem == Path(stem).stem]
    if not chosen:
        names = ", ".join(p.stem for p in in_folder[:20])
        raise SourceError(f"no file {stem!r} in music21:{folder}; choose one of {names} ...")
    return chosen


def _cache_key(path: Path) -> str:
    import music21

    stat = path.stat()
    text = json.dumps([CACHE_FORMAT, str(path), stat.st_size, int(stat.st_mtime), music21.__version__])
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def parse_music21_file(path: Path) -> list[dict]:
    """Parse one corpus file into song dictionaries (one per tune); chords give their highest note."""
    from music21 import converter, stream

    parsed = converter.parse(path, forceSource=True)
    scores = list(parsed.scores) if isinstance(parsed, stream.Opus) else [parsed]
    songs = []
    for number, score in enumerate(scores, start=1):
        flat = score.flatten().stripTies()
        notes = []
        for element in flat.notes:
            pitch = max(p.midi for p in element.pitches)
            onset = round(float(element.offset) * 4)
            duration = round(float(element.quarterLength) * 4)
            notes.append([onset, pitch, duration])
        key = flat.getElementsByClass("KeySignature").first()
        meter = flat.getElementsByClass("TimeSignature").first()
        tempo = flat.getElementsByClass("MetronomeMark").first()
        title = (score.metadata.title if score.metadata else None) or f"tune {number}"
        songs.append(
            {
                "source": f"{path.stem}#{number}",
                "title": title,
                "notes": notes,
                "key_signature": str(key.asKey()) if key is not None else None,
                "time_signature": meter.ratioString if meter is not None else None,
                "bpm": float(tempo.number) if tempo is not None and tempo.number else None,
            }
        )
    return songs


def _parse_cached(path: Path, cache: Path) -> list[dict]:
    cached = cache / f"{path.stem}-{_cache_key(path)}.json"
    if cached.is_file():
        return json.loads(cached.read_text(encoding="utf-8"))
    songs = parse_music21_file(path)
    write_json_atomic(cached, songs)
    return songs


def read_music21_corpus(
    source: str, jobs: int | None = None, progress: Progress | None = None
) -> tuple[list[Melody], list[Skipped]]:
    """Parse a music21 corpus source in parallel (one process per file), with an on-disk cache per file."""
    files = music21_corpus_files(source)
    cache = cache_dir() / "music21"
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(files)))
    results: dict[Path, list[dict] | Exception] = {}
    if jobs == 1:
        for path in files:
            results[path] = _parse_or_error(path, cache)
            if progress:
                progress(1)
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = {path: pool.submit(_parse_or_error, path, cache) for path in files}
            for path, future in futures.items():
                results[path] = future.result()
                if progress:
                    progress(1)
    melodies, skipped = [], []
    for path in files:
        outcome = results[path]
        if isinstance(outcome, Exception):
            skipped.append(Skipped(path.name, "unreadable", f"{path.name}: music21 could not parse it ({outcome})"))
            continue
        for song in outcome:
            notes = [Note(*note) for note in song.pop("notes")]
            if not notes:
                skipped.append(Skipped(song["source"], "no notes", f"{song['source']}: no notes"))
                continue
            melodies.append(Melody(notes=notes, track="music21 tune", **song))
    return melodies, skipped


def _parse_or_error(path: Path, cache: Path) -> list[dict] | Exception:
    try:
        return _parse_cached(path, cache)
    except Exception as error:  # a broken corpus file is reported and skipped, never fatal
        return error


def count_source_files(source: str) -> int:
    """How many files a source will read (for progress bars)."""
    if source.startswith(MUSIC21_PREFIX):
        return len(music21_corpus_files(source))
    folder = Path(source)
    if folder.is_file():
        return 1
    if not folder.is_dir():
        raise SourceError(f"{folder}: no such folder or file; give a folder of .mid files or music21:essenFolksong")
    return sum(1 for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))


def read_source(
    source: str, track: str | None = None, jobs: int | None = None, progress: Progress | None = None
) -> tuple[list[Melody], list[Skipped]]:
    """Read all melodies of a source (see the module docstring for the forms a source takes)."""
    if source.startswith(MUSIC21_PREFIX):
        return read_music21_corpus(source, jobs=jobs, progress=progress)
    return read_midi_folder(Path(source), track=track, progress=progress)
