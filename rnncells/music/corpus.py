"""Where melodies come from: a folder of MIDI files, or music21's bundled corpus (parsed in parallel, cached).

A source is written as a folder path (read recursively: every entry below it is read or skipped with a reason),
a single ``.mid`` file, ``music21:essenFolksong`` (every file of that
corpus folder) or ``music21:essenFolksong/kinder0`` (one file; one tune = one song).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from rnncells.errors import RnncellsError
from rnncells.files import write_json_atomic
from rnncells.music.melody import Melody, Note
from rnncells.music.midi import MidiReadError, file_kind, printable, read_midi

MIDI_SUFFIXES = (".mid", ".midi", ".kar")
MUSIC21_PREFIX = "music21:"
CACHE_FORMAT = 1
HIDDEN = "hidden"  # the reason given to entries whose name starts with a dot (listed, never read)


class SourceError(RnncellsError, ValueError):
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


@dataclass(frozen=True)
class Entry:
    """One entry below a source folder: its printable name relative to the folder, its path, and why it is not
    read (None for a file to read)."""

    name: str
    path: Path
    skipped: Skipped | None = None


def _skip(name: str, reason: str, what: str) -> Skipped:
    return Skipped(name, reason, f"{name}: {what}")


def _why_link_is_skipped(path: Path, name: str) -> Skipped | None:
    """A symbolic link: None when it leads to a regular file (read as one), else why it is skipped."""
    try:
        target = os.stat(path)
    except OSError as error:
        try:
            to = printable(os.readlink(path))
        except OSError:
            to = "?"
        if error.errno == errno.ELOOP:
            return _skip(name, "broken link", f"a symbolic link loop (to {to}), not followed")
        if error.errno == errno.ENOENT:
            return _skip(name, "broken link", f"a dangling symbolic link (to {to}, which is not there)")
        return _skip(name, "unreadable", f"a symbolic link that cannot be followed ({error.strerror})")
    if stat.S_ISREG(target.st_mode):
        return None
    if stat.S_ISDIR(target.st_mode):
        return _skip(name, "not a file", "a symbolic link to a folder, not followed")
    return _skip(name, "not a file", f"a symbolic link to {file_kind(target.st_mode)}, never opened")


def _why_skipped(path: Path, name: str, mode: int) -> Skipped | None:
    """Why an entry that is not a folder is not read as a MIDI file, or None when it is read."""
    if path.name.startswith("."):
        return _skip(name, HIDDEN, "a hidden folder, not read" if stat.S_ISDIR(mode) else "a hidden file, not read")
    if stat.S_ISLNK(mode):
        why = _why_link_is_skipped(path, name)
        if why is not None:
            return why
    elif not stat.S_ISREG(mode):
        return _skip(name, "not a file", f"{file_kind(mode)}, never opened")
    if path.suffix.lower() not in MIDI_SUFFIXES:
        return _skip(name, "not MIDI", "not a MIDI file name (.mid, .midi or .kar)")
    return None


def _collect(folder: Path, parts: tuple[str, ...], entries: list[tuple[tuple[str, ...], Entry]]) -> None:
    """Add every entry below ``folder`` (recursively; links to folders are not followed, so no loop is possible)."""
    try:
        with os.scandir(folder) as listing:
            children = [(child.name, Path(child.path)) for child in listing]
    except OSError as error:
        if not parts:
            raise SourceError(f"{printable(str(folder))}: cannot list the folder ({error.strerror})") from None
        name = printable("/".join(parts))
        entries.append((parts, Entry(name, folder, _skip(name, "unreadable", f"cannot list ({error.strerror})"))))
        return
    for child, path in children:
        key = (*parts, child)
        name = printable("/".join(key))
        try:
            mode = os.lstat(path).st_mode
        except OSError as error:  # gone since the listing, or not reachable
            entries.append((key, Entry(name, path, _skip(name, "unreadable", f"cannot read ({error.strerror})"))))
            continue
        if stat.S_ISDIR(mode) and not child.startswith("."):
            if path.suffix.lower() in MIDI_SUFFIXES:
                what = "a folder named like a MIDI file, not a file (the files in it are read)"
                entries.append((key, Entry(name, path, _skip(name, "not a file", what))))
            _collect(path, key, entries)
        else:
            entries.append((key, Entry(name, path, _why_skipped(path, name, mode))))


def source_entries(source: str | Path) -> list[Entry]:
    """Every entry below a source folder (or the source file itself), in name order: files to read and, with a
    reason, everything else (hidden entries, links that are broken or lead to anything but a file, FIFOs, sockets,
    devices, folders named like MIDI files, other file names). Nothing here opens a file."""
    source = Path(source)
    if source.is_file():
        return [Entry(printable(source.name), source)]
    if not source.is_dir():
        try:
            what = f"{file_kind(source.stat().st_mode)}, not a folder or a MIDI file"
        except OSError:
            what = "no such folder or file"
        raise SourceError(f"{printable(str(source))}: {what}; give a folder of .mid files or music21:essenFolksong")
    entries: list[tuple[tuple[str, ...], Entry]] = []
    _collect(source, (), entries)
    return [entry for _, entry in sorted(entries, key=lambda item: item[0])]


def read_midi_folder(
    folder: Path, track: str | None = None, progress: Progress | None = None
) -> tuple[list[Melody], list[Skipped]]:
    """Read every MIDI file below ``folder`` in name order; every other entry, and every file that gives no
    melody, is skipped with its reason. Nothing in a file, its name or the folder's entries stops the reading."""
    melodies: list[Melody] = []
    skipped: list[Skipped] = []
    for entry in source_entries(folder):
        if entry.skipped is not None:
            skipped.append(entry.skipped)
        else:
            try:
                melody = read_midi(entry.path, track)
                melody.source = entry.name
                melodies.append(melody)
            except MidiReadError as error:
                skipped.append(Skipped(entry.name, error.reason, str(error)))
            except Exception as error:  # a last guard: no file may stop a build
                what = printable(f"could not be read ({type(error).__name__}: {error})")
                skipped.append(_skip(entry.name, "unreadable", what))
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
        try:
            return json.loads(cached.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            pass  # a damaged cache entry: parse the file again and replace it
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
    return len(source_entries(source))


def read_source(
    source: str, track: str | None = None, jobs: int | None = None, progress: Progress | None = None
) -> tuple[list[Melody], list[Skipped]]:
    """Read all melodies of a source (see the module docstring for the forms a source takes)."""
    if source.startswith(MUSIC21_PREFIX):
        return read_music21_corpus(source, jobs=jobs, progress=progress)
    return read_midi_folder(Path(source), track=track, progress=progress)
