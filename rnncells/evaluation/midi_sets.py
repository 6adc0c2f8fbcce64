"""Any folder is a song set: what ``rnncells evaluate`` accepts, and plain MIDI files read as a song set.

An input is one of

- a folder written by ``rnncells generate`` (it holds generation.json): read by
:func:`rnncells.generation.song_arrays.load_song_set`;
- a folder of MIDI files (.mid, .midi, .kar, read recursively in name order): one set named after the folder;
- MIDI files named one after another (``other/*.mid``): one set named after the folder that holds the first;
- a list file (.txt): one MIDI path per line, relative to the list's folder (blank lines and ``#`` comments are
  skipped): one set named after the list file.

MIDI files are read exactly as ``rnncells dataset build`` reads them (:func:`rnncells.music.corpus.read_midi_folder`:
the same melody choice, ``--track`` included, and the same quantisation to 16th-note steps, docs/method.md §1), and
a song keeps its pitches and durations, as the dataset stores them. A file that gives no melody, or a melody too
short to score, is skipped with its reason, as the dataset build reports them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from rnncells.evaluation.columns import MIDI_VARIANT
from rnncells.generation.song_arrays import SongSet, load_song_set
from rnncells.generation.song_set import GENERATION_FILE, SONG_SET_HINT, SONGS_FILE, SongSetError, looks_unfinished
from rnncells.music.corpus import MIDI_SUFFIXES, Skipped, SourceError, read_midi_folder
from rnncells.music.melody import Melody

LIST_SUFFIXES = (".txt",)
MIDI_HINT = f"a folder of MIDI files ({', '.join(MIDI_SUFFIXES)}), MIDI files, a .txt list of them, or {SONG_SET_HINT}"


@dataclass
class MidiInput:
    """One set of MIDI files as given: where from, the files (None: a folder read whole) and its name."""

    source: Path
    files: list[Path] | None = None
    name: str = ""
    skipped: list[Skipped] = field(default_factory=list)


def _is_midi(path: Path) -> bool:
    return path.suffix.lower() in MIDI_SUFFIXES


def _read_list(path: Path) -> list[Path]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise SongSetError(f"{path}: cannot read the list ({type(error).__name__}); give a UTF-8 text file") from None
    files = [path.parent / line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]
    if not files:
        raise SongSetError(f"{path}: an empty list; write one MIDI file path per line")
    return files


def _classify(path: Path) -> str:
    """``generated``, ``midi-folder``, ``midi-file`` or ``list``; a one-line error for anything else."""
    if path.is_dir():
        if (path / GENERATION_FILE).is_file():
            return "generated"
        if looks_unfinished(path):  # a generated set still being written, or killed: never read its MIDI
            raise SongSetError(
                f"{path}: looks like a song set of `rnncells generate` (song_NNN.mid, {SONGS_FILE}) but has no "
                f"{GENERATION_FILE}, so it is unfinished (a killed or failed generate); run that `rnncells generate` "
                "again with --overwrite to finish it, or remove the folder"
            )
        if any(_is_midi(p) for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")):
            return "midi-folder"
        raise SongSetError(f"{path}: no MIDI files and no {GENERATION_FILE} + {SONGS_FILE}; expected {MIDI_HINT}")
    if path.is_file() and _is_midi(path):
        return "midi-file"
    if path.is_file() and path.suffix.lower() in LIST_SUFFIXES:
        return "list"
    if not path.exists():
        raise SongSetError(f"{path}: no such folder or file; expected {MIDI_HINT}")
    raise SongSetError(f"{path}: not a song set; expected {MIDI_HINT}")


def group_inputs(paths: list[Path], names: list[str] | None = None) -> list[Path | MidiInput]:
    """The song sets the paths name, in order: a Path per generated folder, a :class:`MidiInput` per MIDI set.

    ``names`` rename the MIDI sets in order (the first name the first MIDI set); by default a set is named
    after its folder or list file.
    """
    inputs: list[Path | MidiInput] = []
    for path in map(Path, paths):
        kind = _classify(path)
        if kind == "generated":
            inputs.append(path)
        elif kind == "midi-folder":
            inputs.append(MidiInput(path, None, path.resolve().name))
        elif kind == "list":
            inputs.append(MidiInput(path, _read_list(path), path.stem))
        elif inputs and isinstance(inputs[-1], MidiInput) and inputs[-1].source == path.parent:
            inputs[-1].files.append(path)  # the next of MIDI files named one after another
        else:
            inputs.append(MidiInput(path.parent, [path], path.resolve().parent.name))
    midi = [item for item in inputs if isinstance(item, MidiInput)]
    names = list(names or [])
    if len(names) > len(midi):
        raise SongSetError(
            f"{len(names)} --name values for {len(midi)} MIDI song set(s); give one name per MIDI folder or list"
        )
    for item, name in zip(midi, names):
        if not name.strip():
            raise SongSetError(f"--name {name!r}: give a non-empty name for {item.source}")
        item.name = name.strip()
    return inputs


def _melodies(item: MidiInput, track: str | None) -> tuple[list[Melody], list[Skipped]]:
    """The melodies of the set's files, read as the dataset build reads them; names relative to the source."""
    try:
        if item.files is None:
            return read_midi_folder(item.source, track=track)
        melodies, skipped = [], []
        for path in item.files:
            read, missed = read_midi_folder(path, track=track)
            melodies += read
            skipped += missed
        return melodies, skipped
    except SourceError as error:
        raise SongSetError(str(error)) from None


def _skip_reason(melody: Melody, rhythm: bool) -> str | None:
    if len(melody.notes) < 2:
        return "fewer than 2 notes (the metrics need an interval)"
    if rhythm and min(melody.durations) < 1:
        return "a note shorter than one 16th step (rhythm-aware metrics need durations >= 1)"
    return None


def read_midi_set(item: MidiInput, *, track: str | None = None, rhythm: bool = False) -> SongSet:
    """A set of MIDI files as a :class:`SongSet` (variant ``midi``); ``info`` lists the files read and skipped."""
    melodies, skipped = _melodies(item, track)
    files_read = len(melodies) + len(skipped)
    kept = []
    for melody in melodies:
        reason = _skip_reason(melody, rhythm)
        if reason:
            skipped.append(Skipped(melody.source, "too short" if "2 notes" in reason else "zero length", reason))
        else:
            kept.append(melody)
    if not kept:
        first = f" (first: {skipped[0].detail})" if skipped else ""
        raise SongSetError(f"{item.source}: no MIDI file gave a song to score{first}; expected {MIDI_HINT}")
    item.skipped = skipped
    return SongSet(
        model_name=item.name,
        variant=MIDI_VARIANT,
        cell="",
        layers=None,
        source=item.source,
        pitches=[m.pitches for m in kept],
        durations=[m.durations for m in kept],
        indices=list(range(len(kept))),
        song_ids=[str(Path(m.source).with_suffix("")) for m in kept],
        info={
            "kind": "midi",
            "track": track,
            "files_read": files_read,
            "skipped": [asdict(s) for s in skipped],
        },
        files=[m.source for m in kept],
    )


def load_inputs(
    paths: list[Path], *, names: list[str] | None = None, track: str | None = None, rhythm: bool = False
) -> list[SongSet]:
    """Every song set the paths name (module docstring), in order."""
    sets = []
    for item in group_inputs(paths, names):
        if isinstance(item, MidiInput):
            sets.append(read_midi_set(item, track=track, rhythm=rhythm))
        else:
            sets.append(load_song_set(item, rhythm=rhythm))
    return sets
