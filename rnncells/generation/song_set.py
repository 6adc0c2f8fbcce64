"""A generated song set folder: the one module that reads and writes it (no Keras here).

``rnncells generate`` writes one folder per model (README "Generation")::

    song_NNN.mid       one MIDI file per song (NNN = the song's index, from 000)
    songs.jsonl        one song per line: index, pitches, durations (16th-note steps), onsets, and the model's
                       tokens; each field only where it says more than the others (see "Rows" below)
    generation.json    who made the songs (model_name, variant, cell, layers, units, representation, run,
                       dataset, checkpoint), bpm, note_steps, the primer used (source, base_note, tokens, moved),
                       what was generated (length sampled and why, bars, key, scale, octave, tonic, register,
                       sampling, mask_fallbacks), the generation config and ``files`` (size and sha256 of each
                       MIDI file and of songs.jsonl); written last, so its presence means the set is complete

Rows. songs.jsonl leaves out what a reader derives again, so a committed results folder stays small: ``tokens``
where they are the pitches themselves (pitch variants), ``durations`` where every note lasts the set's
``note_steps`` (generation.json; pitch-only runs), and ``onsets`` where the notes lie end to end (each starts as the
one before ends, :func:`rnncells.music.melody.laid_end_to_end`). :meth:`SongSetFolder.read_songs` puts durations
and onsets back, so every reader sees each song's index, pitches, durations and onsets, and its tokens where they
differ from the pitches; :meth:`SongSetFolder.compact` rewrites a set written before in this form. A row of an
older set without onsets reads with its notes end to end, as they were drawn.

A set may keep its songs without their MIDI files (``midi_left_out`` in generation.json, whose record then lists
songs.jsonl only): a committed results folder keeps the MIDI of its selected models only
(rnncells.grid.light). :meth:`SongSetFolder.write_midi_again` writes them back from songs.jsonl, byte for byte as they
were drawn (the notes' onsets, pitches and durations, the set's bpm, program, accents and track name); ``rnncells
render`` and ``grid finish`` do so when they need them.

:meth:`SongSetFolder.damage` lists what no longer matches that record (a deleted or changed song file); the
folder's lock file (rnncells.locks) is none of the set's files.

A set is written whole into a hidden sibling, ``.NAME.partial``, and renamed into place once generation.json is
written (:meth:`SongSetFolder.replace_with`), so a killed or disk-full ``generate`` leaves no set in NAME: at most
that staging folder, which the next ``generate`` into NAME removes.

Files named like a song (``song_NNN.*``, e.g. a rendered ``song_000.wav``) belong to the set:
:meth:`SongSetFolder.clear` removes them with it.

Evaluation reads a set as a :class:`rnncells.generation.song_arrays.SongSet` (its ``load_song_set`` goes through
:class:`SongSetFolder`); the studio reads its songs and MIDI bytes. Every other module goes through this one to open
these files. How a row is left compact and made whole again is coded in rnncells.generation.song_rows (pure
functions, used here).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from rnncells.config.generate import GenerateConfig
from rnncells.errors import RnncellsError
from rnncells.files import Damage, damaged_files, record_files, write_json_atomic, write_jsonl_atomic
from rnncells.generation.feel import accents
from rnncells.generation.song_rows import compact_row, note_steps_of, whole_row
from rnncells.locks import LOCK_FILE
from rnncells.music.melody import Note
from rnncells.music.midi import write_midi, written_track_name

SONGS_FILE = "songs.jsonl"
GENERATE_FIELDS = frozenset(f.name for f in fields(GenerateConfig))
STAGING_SUFFIX = ".partial"
GENERATION_FILE = "generation.json"
IDENTITY_FIELDS = ("model_name", "variant", "cell", "layers")
# song_NNN.* and the temp files a killed writer leaves (.song_000.mid.x1y2.tmp, .songs.jsonl.x1y2.tmp)
SONG_FILE = re.compile(r"^(\.?song_\d{3,}\.|\.songs\.jsonl\.|\.generation\.json\.)")
OPERATIONAL_FIELDS = ("overwrite",)  # GenerateConfig fields that say how a set is written, not what it holds
MIDI_LEFT_OUT = "midi_left_out"  # generation.json: the set keeps its songs without their MIDI files
MIDI_TRACK = "midi_track"  # generation.json: the MIDI track name the songs were drawn under, less " song N"
FINAL_WEIGHTS_SUFFIX = "-final"  # a selected run's songs from its final weights, beside those of its best weights
SONG_SET_HINT = f"a generated song set folder ({GENERATION_FILE} + {SONGS_FILE}, written by `rnncells generate`)"


class SongSetError(RnncellsError, ValueError):
    """A song set that cannot be read; the message names the file or folder and what is expected."""


def song_track_name(model: str, index: int) -> str:
    """``control-lstm-2 song 7``: the MIDI track name of a drawn song."""
    return f"{model} song {index}"


def is_final_weights(name: str) -> bool:
    """A song set drawn from a run's final weights (``<run>-final``), beside the run's own best-weights set."""
    return str(name).endswith(FINAL_WEIGHTS_SUFFIX)


def song_id(index: int) -> str:
    """``song_007``: a generated song's name, as its MIDI file is called."""
    return f"song_{index:03d}"


class SongSetFolder:
    """The files of one song set folder (module docstring), read and written only here."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"SongSetFolder({str(self.path)!r})"

    @property
    def songs_path(self) -> Path:
        return self.path / SONGS_FILE

    @property
    def generation_path(self) -> Path:
        return self.path / GENERATION_FILE

    def midi_path(self, index: int) -> Path:
        return self.path / f"{song_id(index)}.mid"

    # -- writing (MIDI files, then songs.jsonl, then generation.json) -------------------------------------------
    def write_midi(
        self, index: int, notes: list[Note], *, bpm: float, program: int, name: str, velocities: list[int] | None = None
    ) -> Path:
        """Song ``index`` as ``song_NNN.mid`` (``velocities``: one a note; default 80 for all)."""
        path = self.midi_path(index)
        write_midi(path, notes, bpm=bpm, program=program, name=name, velocities=velocities)
        return path

    def write_song(
        self, index: int, notes: list[Note], *, bpm: float, program: int, model: str, accent: int = 0
    ) -> Path:
        """A drawn song as ``song_NNN.mid``: its track named after the model (:func:`song_track_name`), its notes
        accented by ``accent`` (rnncells.generation.feel; 0: every note at velocity 80)."""
        velocities = accents(notes, accent) if accent else None
        name = song_track_name(model, index)
        return self.write_midi(index, notes, bpm=bpm, program=program, name=name, velocities=velocities)

    def write_songs(self, rows: list[dict], note_steps: int | None = None) -> None:
        """songs.jsonl: the rows, each without what a reader derives again (module docstring, "Rows");
        ``note_steps`` is the set's, which generation.json records after (None: every row keeps its durations)."""
        write_jsonl_atomic(self.songs_path, [compact_row(row, note_steps) for row in rows])

    def compact(self) -> bool:
        """Rewrite a sound set written before in the form sets are written now (module docstring, "Rows"), and
        generation.json's record of the files with it; the songs read back the same. Returns whether anything was
        rewritten (never for a damaged set: :meth:`damage` goes on naming what differs from its record)."""
        record = self.read_generation()
        note_steps, written = note_steps_of(record), self._read_rows()
        rows = [whole_row(row, note_steps) for row in written]
        if written == [compact_row(row, note_steps) for row in rows] or self.damage():
            return False
        record.pop("files", None)
        self.write_songs(rows, note_steps)
        self.write_generation(record)
        return True

    def write_generation(self, record: dict) -> None:
        """generation.json: ``record`` and the size and sha256 of every song file and of songs.jsonl (of songs.jsonl
        only when the record says the MIDI files are left out)."""
        midi = [] if record.get(MIDI_LEFT_OUT) else sorted(self.path.glob("song_*.mid"))
        names = [p.name for p in (self.songs_path, *midi) if p.is_file()]
        write_json_atomic(self.generation_path, {**record, "files": record_files(self.path, names)})

    @property
    def midi_left_out(self) -> bool:
        """True when the set keeps its songs without their MIDI files (module docstring)."""
        try:
            return bool(self.read_generation().get(MIDI_LEFT_OUT))
        except SongSetError:
            return False

    def leave_out_midi(self) -> int:
        """Remove the set's MIDI files, recording that they are left out (songs.jsonl keeps every note); returns how
        many were removed. Only when :meth:`write_midi_again` would write every one of them back byte for byte
        (checked in a scratch folder first); otherwise the set keeps them and 0 is returned."""
        files = sorted(self.path.glob("song_*.mid"))
        rows = self.read_songs() if files else []
        record = self.read_generation() if files else {}
        if not files or "bpm" not in record:
            return 0
        track = written_track_name(files[0]) or ""
        suffix = song_track_name("", rows[0]["index"]) if rows else ""
        record = {**record, MIDI_TRACK: track.removesuffix(suffix)}
        with tempfile.TemporaryDirectory() as scratch:
            again = SongSetFolder(scratch)
            again._write_midi_from(record, rows)
            if sorted(p.name for p in again.path.glob("song_*.mid")) != [p.name for p in files]:
                return 0
            if any((again.path / p.name).read_bytes() != p.read_bytes() for p in files):
                return 0
        record.pop("files", None)
        self.write_generation({**record, MIDI_LEFT_OUT: True})  # first: from here on the set is sound without them
        for path in files:
            path.unlink()
        return len(files)

    def write_midi_again(self) -> int:
        """Write back the MIDI files of a set that left them out, as they were drawn; returns how many."""
        record = self.read_generation()
        if not record.get(MIDI_LEFT_OUT):
            return 0
        rows = self.read_songs()
        self._write_midi_from(record, rows)
        record.pop("files", None)
        record.pop(MIDI_LEFT_OUT)
        self.write_generation(record)
        return len(rows)

    def _write_midi_from(self, record: dict, rows: list[dict]) -> None:
        config = record.get("config") or {}
        for row in rows:
            steps = [max(int(d), 1) for d in row["durations"]]  # as drawn: a note lasts at least one step
            notes = [Note(*note) for note in zip(row["onsets"], row["pitches"], steps, strict=True)]
            self.write_song(
                row["index"],
                notes,
                bpm=record["bpm"],
                program=config.get("program", 0),
                model=record[MIDI_TRACK],
                accent=config.get("accent") or 0,
            )

    def rename_model(self, model_name: str) -> None:
        """Record the set under another model name: a run reused by content under a grid's own run name (e.g. seed 0
        of a replicated grid, ``control-gru-2-seed0``), so its songs are counted as that run's. The songs are
        unchanged; their MIDI track names keep the name they were drawn under, and ``renamed_from`` keeps it too."""
        record = self.read_generation()
        if record["model_name"] == model_name:
            return
        record.pop("files", None)
        record.setdefault("renamed_from", record["model_name"])
        self.write_generation({**record, "model_name": model_name})

    def damage(self, deep: bool = True) -> list[Damage]:
        """What no longer matches generation.json's record of the set's files (``deep`` reads them in full); empty
        for a sound set and for a folder without generation.json (no finished set)."""
        if not self.generation_path.is_file():
            return []
        try:
            record = self.read_generation()
        except SongSetError as error:
            return [Damage(self.generation_path, str(error))]
        if "files" not in record:  # an older set: its songs.jsonl and each song's MIDI file
            try:
                indices = [int(row.get("index", line)) for line, row in enumerate(self.read_songs())]
            except (SongSetError, TypeError, ValueError, AttributeError) as error:
                return [Damage(self.songs_path, f"{self.songs_path}: damaged ({error})")]
            return [Damage(p, f"{p}: missing") for p in map(self.midi_path, indices) if not p.is_file()]
        return damaged_files(self.path, record["files"], deep)

    def is_empty(self) -> bool:
        """True when the folder is missing or holds nothing."""
        return not self.path.exists() or not any(p.name != LOCK_FILE for p in self.path.iterdir())

    def clear(self) -> None:
        """Remove the song set (generation.json first, so a half-cleared folder never reads as complete).

        Raises :class:`SongSetError`, removing nothing, when the folder holds files that are not the song set's.
        """
        if not self.path.is_dir():
            return
        foreign = self.foreign_files()
        if foreign:
            raise SongSetError(
                f"{self.path}: holds {', '.join(foreign[:5])}{' ...' if len(foreign) > 5 else ''}, which are not "
                "a song set's files; move them away or choose another folder"
            )
        self.generation_path.unlink(missing_ok=True)
        for path in sorted(self.path.iterdir()):
            if path.name != LOCK_FILE:  # a writer's lock stays while it writes
                path.unlink(missing_ok=True)

    def foreign_files(self) -> list[str]:
        """The names of what the folder holds besides the song set's files (module docstring)."""
        if not self.path.is_dir():
            return []
        ours = {SONGS_FILE, GENERATION_FILE, LOCK_FILE}
        return sorted(
            p.name for p in self.path.iterdir() if not (p.is_file() and (p.name in ours or SONG_FILE.match(p.name)))
        )

    # -- staging: a set is written whole into a hidden sibling, then renamed into place ----------------------
    @property
    def staging_path(self) -> Path:
        """``.NAME.partial`` beside the folder: where ``rnncells generate`` writes the set before it is complete."""
        return self.path.parent / f".{self.path.name}{STAGING_SUFFIX}"

    def staging(self) -> SongSetFolder:
        """An empty staging folder for this set (what a killed writer left there is removed first); call it only
        while holding this folder's lock (rnncells.locks), which covers its staging folder too."""
        staging = SongSetFolder(self.staging_path)
        if staging.path.is_dir() and not staging.path.is_symlink():
            shutil.rmtree(staging.path)
        else:
            staging.path.unlink(missing_ok=True)
        staging.path.mkdir(parents=True)
        return staging

    def replace_with(self, staging: SongSetFolder) -> None:
        """Put the complete set of ``staging`` in place of this folder's set, by renaming the folder: a reader sees
        the old set, no set or the new one, never part of one. The folder's lock file moves along (a lock follows
        its file), so the writer holds the lock of the new folder as it held the old one's."""
        if not staging.generation_path.is_file():
            raise SongSetError(f"{staging.path}: no {GENERATION_FILE}; a set is put in place only when complete")
        self.clear()
        lock = self.path / LOCK_FILE
        if lock.is_file():
            os.replace(lock, staging.path / LOCK_FILE)
        if self.path.is_dir():
            self.path.rmdir()  # empty now; another writer's lock file here makes this fail, not overwrite it
        os.replace(staging.path, self.path)

    # -- reading ----------------------------------------------------------------------------------------------
    def check(self) -> None:
        """A one-line error unless the folder holds songs.jsonl and generation.json."""
        if not self.path.is_dir():
            raise SongSetError(f"{self.path}: no such folder; expected {SONG_SET_HINT}")
        for path in (self.songs_path, self.generation_path):
            if not path.is_file():
                raise SongSetError(f"{self.path}: no {path.name}; expected {SONG_SET_HINT}")

    def read_generation(self) -> dict:
        """generation.json, with the fields that say who made the songs."""
        try:
            record = json.loads(self.generation_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SongSetError(f"{self.path}: no {GENERATION_FILE}; expected {SONG_SET_HINT}") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            reason = error.msg if isinstance(error, json.JSONDecodeError) else "not UTF-8 text"
            raise SongSetError(f"{self.generation_path}: not valid JSON ({reason}); expected {SONG_SET_HINT}") from None
        missing = [key for key in IDENTITY_FIELDS if not isinstance(record, dict) or key not in record]
        if missing:
            raise SongSetError(f"{self.generation_path}: missing {', '.join(missing)}; expected {SONG_SET_HINT}")
        return record

    def read_songs(self, note_steps: int | None = None) -> list[dict]:
        """The song rows of songs.jsonl in file order, each whole: the durations and onsets the file leaves out put
        back (module docstring, "Rows"). ``note_steps``: the set's, for a set whose generation.json is not written
        (the studio's); by default generation.json's, read only when a row has no durations."""
        rows = self._read_rows()
        if note_steps is None and any(isinstance(row, dict) and "durations" not in row for row in rows):
            with contextlib.suppress(SongSetError):  # no record, no durations: the row reads as written
                note_steps = note_steps_of(self.read_generation())
        return [whole_row(row, note_steps) for row in rows]

    def _read_rows(self) -> list[Any]:
        """The rows as songs.jsonl holds them."""
        path = self.songs_path
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            raise SongSetError(f"{self.path}: no {SONGS_FILE}; expected {SONG_SET_HINT}") from None
        except UnicodeDecodeError:
            raise SongSetError(f"{path}: not UTF-8 text; expected {SONG_SET_HINT}") from None
        rows = []
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as error:
                raise SongSetError(
                    f"{path}: not valid JSON lines ({error.msg}, line {number}); expected {SONG_SET_HINT}"
                ) from None
        return rows

    def read_song(self, index: int) -> dict:
        """The row of song ``index``."""
        for row in self.read_songs():
            if row.get("index") == index:
                return row
        raise SongSetError(f"{self.songs_path}: no song with index {index}")

    def read_midi(self, index: int) -> bytes:
        """The bytes of ``song_NNN.mid``."""
        if self.midi_left_out:
            raise SongSetError(f"{self.path}: its MIDI files are left out; `rnncells render {self.path}` writes them")
        return self.midi_path(index).read_bytes()

    def made_with(self, config: GenerateConfig) -> bool:
        """True when the set is complete and generation.json records ``config`` (``overwrite`` aside)."""
        try:
            recorded = dict(self.read_generation().get("config") or {})
        except SongSetError:
            return False
        recorded, wanted = _effective(recorded), _effective(asdict(config))
        for name in OPERATIONAL_FIELDS:
            recorded.pop(name, None)
            wanted.pop(name, None)
        return recorded == wanted


def _effective(values: dict[str, Any]) -> dict[str, Any]:
    """GenerateConfig values as they act: a field a set's record lacks (it was written before the field existed) is
    taken at its default, and the scale is the one sampled in (no key and no scale is the chromatic scale)."""
    merged = {**asdict(GenerateConfig()), **{k: v for k, v in values.items() if k in GENERATE_FIELDS}}
    merged["scale"] = GenerateConfig(**merged).scale_used
    return merged


def looks_unfinished(folder: str | Path) -> bool:
    """True for a folder holding a song set's files (songs.jsonl, ``song_NNN.mid`` or their temp files) but no
    generation.json: a set a killed or failed writer left, which no reader may trust."""
    path = Path(folder)
    if (path / GENERATION_FILE).is_file() or not path.is_dir():
        return False
    return any(p.name == SONGS_FILE or SONG_FILE.match(p.name) for p in path.iterdir())
