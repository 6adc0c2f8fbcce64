"""Columns of a songs table that a reader can put back from others: found, recorded and restored (no file I/O here).

A committed evaluation is made lighter (:meth:`rnncells.evaluation.folder.EvaluationFolder.derive_song_columns`)
by leaving out of songs.csv the columns whose every cell follows from a column it keeps:

- ``same_as``: the same text as another column in every row (paper mode's ``mean_abs_interval`` is its CMM;
  ``n_pitch_classes_used`` is ``pitch_class_count``);
- ``from``: a function of a key column, with fewer distinct pairs than a tenth of the rows, stored as the pairs
  (``variant``, ``cell`` and ``layers`` follow from ``model_name``; ``shared_with_file`` from ``shared_with``;
  ``file`` from ``song_id``).

The tables here hold text (read with ``dtype=str, keep_default_na=False``), so what is restored is the text that
was written, character for character.
"""

from __future__ import annotations

import pandas as pd

KEY_COLUMNS = ("model_name", "song_id", "shared_with")  # the columns another may be a function of
SMALLEST_SAVING = 10  # a "from" column is left out only where its pairs are at most a tenth of the rows


def find_derivations(table: pd.DataFrame, keep: tuple[str, ...]) -> dict[str, dict]:
    """For each column of ``table`` (text) outside ``keep`` and the key columns, how it follows from a column that
    stays, where one does: ``{"same_as": column}`` or ``{"from": key, "values": {key value: value}}``."""
    derivations: dict[str, dict] = {}
    staying = [c for c in table.columns if c in keep or c in KEY_COLUMNS]
    for column in table.columns:
        if column in staying:
            continue
        values = table[column]
        same = next((c for c in staying if values.equals(table[c])), None)
        if same is not None:
            derivations[column] = {"same_as": same}
            continue
        derived = _as_function(table, column)
        if derived is None:
            staying.append(column)
        else:
            derivations[column] = derived
    return derivations


def _as_function(table: pd.DataFrame, column: str) -> dict | None:
    """``column`` as the pairs of a key column it is a function of (the fewest pairs), or None."""
    best = None
    for key in (k for k in KEY_COLUMNS if k in table.columns):
        pairs = table[[key, column]].drop_duplicates()
        if pairs[key].is_unique and len(pairs) * SMALLEST_SAVING <= len(table):
            if best is None or len(pairs) < len(best["values"]):
                best = {"from": key, "values": dict(zip(pairs[key], pairs[column], strict=True))}
    return best


def restore(table: pd.DataFrame, derivations: dict[str, dict], order: list[str]) -> pd.DataFrame:
    """``table`` (text) with the derived columns put back, in ``order`` (the columns it had when written); a
    derivation whose source column is absent is skipped."""
    restored = table.copy()
    for column, derivation in derivations.items():
        source = derivation.get("same_as") or derivation.get("from")
        if column in restored.columns or source not in restored.columns:
            continue
        if "same_as" in derivation:
            restored[column] = restored[source]
        else:
            restored[column] = restored[source].map(derivation["values"]).fillna("")
    return restored[[c for c in order if c in restored.columns] + [c for c in restored.columns if c not in order]]
