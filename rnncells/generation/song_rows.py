"""What a row of a song set's songs.jsonl holds, as written (compact) and as read (whole); pure functions, no I/O.

rnncells.generation.song_set is still the one module that reads and writes the set folder (its module docstring,
"Rows", says what a row leaves out); it codes each row with these: :func:`compact_row` before writing songs.jsonl,
:func:`whole_row` after reading it, with the set's :func:`note_steps_of` its generation.json.
"""

from __future__ import annotations

import contextlib
from typing import Any

from rnncells.music.melody import laid_end_to_end


def note_steps_of(record: dict) -> int | None:
    """generation.json's ``note_steps`` (16ths a note of a pitch-only run); None in a record without it."""
    value = record.get("note_steps")
    return value if type(value) is int and value >= 1 else None


def _ints(values: Any) -> bool:
    """True for a list of whole numbers as JSON reads them back (no floats, no booleans)."""
    return isinstance(values, list) and all(type(v) is int for v in values)


def compact_row(row: Any, note_steps: int | None) -> Any:
    """``row`` without the fields :func:`whole_row` puts back the same (rnncells.generation.song_set, "Rows")."""
    if not isinstance(row, dict):
        return row
    pitches, durations = row.get("pitches"), row.get("durations")
    left_out = set()
    if "tokens" in row and row["tokens"] == pitches:
        left_out.add("tokens")
    if isinstance(pitches, list) and note_steps is not None and _ints(durations):
        if durations == [note_steps] * len(pitches):
            left_out.add("durations")
    if _ints(durations) and _ints(row.get("onsets")) and row["onsets"] == laid_end_to_end(durations):
        left_out.add("onsets")
    return {key: value for key, value in row.items() if key not in left_out}


def whole_row(row: Any, note_steps: int | None) -> Any:
    """A row of songs.jsonl with the durations (every note ``note_steps``, when known) and onsets (notes end to end)
    it leaves out; a row that cannot have them (no pitches list, durations not whole numbers) stays as it is, for
    :func:`rnncells.generation.song_arrays.song_notes` to name."""
    if not isinstance(row, dict):
        return row
    whole = dict(row)
    if "durations" not in whole and note_steps is not None and isinstance(whole.get("pitches"), list):
        whole["durations"] = [note_steps] * len(whole["pitches"])
    if "onsets" not in whole and isinstance(whole.get("durations"), list):
        with contextlib.suppress(TypeError, ValueError, OverflowError):
            whole["onsets"] = laid_end_to_end(whole["durations"])
    return whole
