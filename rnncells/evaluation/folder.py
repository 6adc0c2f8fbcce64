"""The evaluation folder: the one module that reads and writes it (no Keras here); the names of its columns are
in :mod:`rnncells.evaluation.columns`.

``rnncells evaluate`` (:func:`rnncells.evaluation.evaluate.evaluate_song_sets`) writes one folder::

    songs.csv                  one row per song: ID_COLUMNS, METRICS, SONG_COLUMNS (the file it came from, its
                               dataset split), FEATURE_COLUMNS, then MEMORISATION_COLUMNS (with a dataset)
    summary.csv                SUMMARY_COLUMNS: per model and measure n, mean, variance, std (ddof=1), min, max,
                               then SCOPE_COLUMN; the tonality METRICS first, then the features and memorisation
    best_songs.csv             BEST_COLUMNS: per model, the song with the lowest general tonality
    representative_songs.csv   REPRESENTATIVE_COLUMNS: per model, the song nearest to the mean (cmm, lm, centr)
    tests.csv                  TESTS_COLUMNS: pairwise Mann-Whitney U per metric, Holm-corrected
    comparison.csv             COMPARISON_COLUMNS: Yang & Lerch, each set's features against the training set
    memorisation.csv           MEMORISATION_SUMMARY_COLUMNS: per model, copied songs and tonality without them
    corpus_likeness.csv        CORPUS_COLUMNS: per set and informative feature, Yang & Lerch's overlapped area with
                               the training songs, every song cut to the same length (rnncells.evaluation.corpus)
    rankings.csv               RANKINGS_COLUMNS: per set, its rank by tonality (mean general, lowest first) and by
                               corpus-likeness (mean overlapped area, highest first)
    runs.csv                   RUNS_COLUMNS, then METRICS: per run (scored set) its configuration, seed and means
    configurations.csv         CONFIGURATION_COLUMNS: per configuration and metric the mean over seeds of the run
                               means, between-seed SD, hierarchical bootstrap interval, membership of the test family
    run_tests.csv              RUN_TESTS_COLUMNS: run-level tests within the family (a mixed model with the run as a
                               random effect, or the fallback named in ``test``), Holm-corrected, and the
                               permutation test on run means beside them as a check
    variance.csv               VARIANCE_COLUMNS: run means' sums of squares by representation, cell, depth, seed
    evaluation.json            inputs, settings, the file list and each table's size and sha256 (checksums); written
                               last, so its presence means "complete"

Floats are written with 7 significant digits (:func:`rnncells.files.compact_csv`). A committed folder may be made
lighter (rnncells.grid.light): tests.csv cut to a family of sets (``tests_kept`` in evaluation.json), and songs.csv
without the columns another evaluation folder of the same songs holds alike (``songs_columns_in``) and those that
follow from a column it keeps (``songs_columns_derived``: a model's variant, cell and layers, a song's file, paper
mode's ``mean_abs_interval``; :mod:`rnncells.evaluation.derived_columns`); read_songs_table puts both back; a
folder read for a few song columns only (the cost-function validation's) keeps those and loses the tables nothing
reads (``reduced``: what went and why).

A model is any song set: a folder written by ``rnncells generate`` or a set of plain MIDI files (variant
MIDI_VARIANT). The dataset's songs (its training split, or every split) are scored as one more model named
BASELINE_MODEL; :func:`rnncells.evaluation.columns.baseline_label` names it with its scope wherever it is shown.
The tables and figures read the folder through this module; every other module goes through it to open these files.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from rnncells.errors import RnncellsError
from rnncells.evaluation.columns import (
    BEST_COLUMNS,
    COMPARISON_COLUMNS,
    CONFIGURATION_COLUMNS,
    CORPUS_COLUMNS,
    ID_COLUMNS,
    MEMORISATION_SUMMARY_COLUMNS,
    METRICS,
    RANKINGS_COLUMNS,
    REPRESENTATIVE_COLUMNS,
    RUN_TESTS_COLUMNS,
    RUNS_COLUMNS,
    SONG_KEYS,
    SONGS_REQUIRED,
    SUMMARY_COLUMNS,
    TESTS_COLUMNS,
    TEXT_COLUMNS,
    VARIANCE_COLUMNS,
)
from rnncells.evaluation.derived_columns import find_derivations, restore
from rnncells.files import (
    Damage,
    compact_csv,
    damaged_files,
    record_files,
    write_json_atomic,
    write_text_atomic,
)

FORMAT_VERSION = 1

SONGS_TABLE_FILE = "songs.csv"
SUMMARY_FILE = "summary.csv"
BEST_FILE = "best_songs.csv"
REPRESENTATIVE_FILE = "representative_songs.csv"
TESTS_FILE = "tests.csv"
COMPARISON_FILE = "comparison.csv"
MEMORISATION_FILE = "memorisation.csv"
CORPUS_FILE = "corpus_likeness.csv"
RANKINGS_FILE = "rankings.csv"
RUNS_FILE = "runs.csv"
CONFIGURATIONS_FILE = "configurations.csv"
RUN_TESTS_FILE = "run_tests.csv"
VARIANCE_FILE = "variance.csv"
RECORD_FILE = "evaluation.json"
TABLE_COLUMNS = {
    SONGS_TABLE_FILE: (*ID_COLUMNS, *METRICS),
    SUMMARY_FILE: SUMMARY_COLUMNS,
    BEST_FILE: BEST_COLUMNS,
    REPRESENTATIVE_FILE: REPRESENTATIVE_COLUMNS,
    TESTS_FILE: TESTS_COLUMNS,
    COMPARISON_FILE: COMPARISON_COLUMNS,
    MEMORISATION_FILE: MEMORISATION_SUMMARY_COLUMNS,
    CORPUS_FILE: CORPUS_COLUMNS,
    RANKINGS_FILE: RANKINGS_COLUMNS,
    RUNS_FILE: RUNS_COLUMNS,
    CONFIGURATIONS_FILE: CONFIGURATION_COLUMNS,
    RUN_TESTS_FILE: RUN_TESTS_COLUMNS,
    VARIANCE_FILE: VARIANCE_COLUMNS,
}
HINT = "a folder written by rnncells.evaluation.evaluate.evaluate_song_sets: run `rnncells evaluate` first"


class EvaluationFolderError(RnncellsError, ValueError):
    """An evaluation file that is missing or damaged; the message names the file and the fix."""


def _read_csv(path: Path, **options) -> pd.DataFrame:
    """``pd.read_csv`` whose errors (a truncated, binary or empty file) are one line naming the file."""
    try:
        return pd.read_csv(path, **options)
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:  # UnicodeDecodeError too
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise EvaluationFolderError(f"{path}: damaged ({reason}); run `rnncells evaluate` again") from None


def read_songs_table(path: str | Path) -> pd.DataFrame:
    """A songs.csv (at any path), checked to hold SONGS_REQUIRED; empty cells are NaN. The columns a lighter folder
    left out (in another evaluation folder, or derived from columns it keeps) are put back, in their order."""
    path = Path(path)
    if not path.is_file():
        raise EvaluationFolderError(f"{path.parent}: no {path.name}; expected {HINT}")
    record = _record_of(path)
    if record.get("songs_columns_in") or record.get("songs_columns_derived"):
        table = _read_csv(io.StringIO(_song_text(path, record).to_csv(index=False)))
    else:
        table = _read_csv(path)
    missing = [column for column in SONGS_REQUIRED if column not in table.columns]
    if missing and (path.parent / RECORD_FILE).is_file() and not record:
        raise EvaluationFolderError(
            f"{path}: missing column(s) {', '.join(missing)}, and {RECORD_FILE} beside it, which says how to put them "
            "back, is damaged; run `rnncells evaluate` again"
        )
    if missing:
        raise EvaluationFolderError(
            f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(SONGS_REQUIRED)}"
        )
    return table


def _record_of(songs_path: Path) -> dict:
    """evaluation.json beside a songs.csv, or {} where there is none or it is damaged (damage() names it)."""
    try:
        return json.loads((songs_path.parent / RECORD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _song_text(path: Path, record: dict | None = None) -> pd.DataFrame:
    """songs.csv as text (what was written, character for character), with the columns left in another folder
    (``songs_columns_in``) joined back and the derived ones (``songs_columns_derived``) restored; ``record``: its
    evaluation.json when the caller has read it."""
    table = _read_csv(path, dtype=str, keep_default_na=False)
    record = _record_of(path) if record is None else record
    beside, derived = record.get("songs_columns_in"), record.get("songs_columns_derived")
    if beside:
        other = _song_text((path.parent / beside["folder"]).resolve() / SONGS_TABLE_FILE)
        table = table.merge(other[[*SONG_KEYS, *beside["columns"]]], on=SONG_KEYS, how="left").fillna("")
    if derived:
        return restore(table, derived["columns"], derived["order"])
    return table[[c for c in beside["order"] if c in table.columns]] if beside else table


class EvaluationFolder:
    """The files of one evaluation folder (module docstring), read and written only here."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"EvaluationFolder({str(self.path)!r})"

    @property
    def songs_path(self) -> Path:
        return self.path / SONGS_TABLE_FILE

    def table_paths(self) -> list[Path]:
        """The tables present, sorted by file name."""
        return [self.path / name for name in sorted(TABLE_COLUMNS) if (self.path / name).is_file()]

    def is_complete(self) -> bool:
        """True once evaluation.json is written (it is written last)."""
        return (self.path / RECORD_FILE).is_file()

    # -- writing ----------------------------------------------------------------------------------------------
    def write(self, tables: dict[str, pd.DataFrame], record: dict) -> None:
        """Write each table (file name -> frame), remove tables of an earlier evaluation that this one lacks,
        then write ``record`` as evaluation.json with its format version and the file list."""
        for name, frame in tables.items():
            declared = TABLE_COLUMNS[name]
            if tuple(frame.columns[: len(declared)]) != declared:
                raise ValueError(f"{name}: columns {list(frame.columns)} do not start with {list(declared)}")
        # evaluation.json marks a complete folder: drop an old one while its CSVs are being replaced.
        (self.path / RECORD_FILE).unlink(missing_ok=True)
        for name, frame in tables.items():  # floats with 7 significant digits (rnncells.files.compact_csv)
            write_text_atomic(self.path / name, compact_csv(frame.to_csv(index=False)))
        for name in TABLE_COLUMNS:
            if name not in tables:
                (self.path / name).unlink(missing_ok=True)  # stale, from an earlier run with other inputs
        files = sorted(tables) + [RECORD_FILE]
        record = {**record, "format_version": FORMAT_VERSION, "files": files}
        write_json_atomic(self.path / RECORD_FILE, {**record, "checksums": record_files(self.path, sorted(tables))})

    def compact(self) -> list[Path]:
        """Write the floats of a complete folder's tables with 7 significant digits, as :meth:`write` writes them
        now (a folder written before keeps repr floats), and record the new checksums; returns the tables
        rewritten."""
        rewritten = []
        for path in self.table_paths() if self.is_complete() else []:
            text = path.read_text(encoding="utf-8")
            if compact_csv(text) != text:
                write_text_atomic(path, compact_csv(text))
                rewritten.append(path)
        if rewritten:
            self._record_checksums({})
        return rewritten

    def keep_tests(self, models: set[str]) -> int:
        """Keep only the rows of tests.csv between two of ``models`` (a committed folder's test family); their
        p-values stay Holm-corrected over every pair that was tested. evaluation.json records what was kept
        (``tests_kept``: models, rows, rows tested). Returns the rows removed."""
        path = self.path / TESTS_FILE
        if not self.is_complete() or not path.is_file():
            return 0
        tests = self.read_tests()
        inside = tests["model_a"].astype(str).isin(models) & tests["model_b"].astype(str).isin(models)
        if inside.all():
            return 0
        write_text_atomic(path, compact_csv(tests[inside].to_csv(index=False)))
        tested = int(self.read_record().get("tests_kept", {}).get("tested", len(tests)))
        kept = {"models": sorted(models), "rows": int(inside.sum()), "tested": tested}
        self._record_checksums({"tests_kept": kept})
        return int((~inside).sum())

    def drop_song_columns(self, same: EvaluationFolder, keep: Iterable[str]) -> list[str]:
        """Remove from songs.csv the columns, other than ``keep``, ID_COLUMNS and METRICS, that ``same`` (another
        evaluation of the same songs, e.g. ``evaluation/`` beside ``evaluation-corrected/``) holds with the same text
        for every song; evaluation.json records where they are (``songs_columns_in``) and :meth:`read_songs` joins
        them back. Returns the columns removed."""
        if not self.is_complete() or not same.songs_path.is_file() or not self.songs_path.is_file():
            return []
        record = self.read_record()
        ours, theirs = _song_text(self.songs_path, record), _song_text(same.songs_path)
        beside = record.get("songs_columns_in") or {"columns": []}
        candidates = [c for c in ours.columns if c not in {*ID_COLUMNS, *METRICS, *keep, *beside["columns"]}]
        candidates = [c for c in candidates if c in theirs.columns]
        if not candidates or ours.duplicated(SONG_KEYS).any() or theirs.duplicated(SONG_KEYS).any():
            return []
        merged = ours[SONG_KEYS].merge(theirs[[*SONG_KEYS, *candidates]], on=SONG_KEYS, how="left")
        drop = [c for c in candidates if merged[c].fillna("\0").tolist() == ours[c].tolist()]
        if drop:
            columns = [c for c in ours.columns if c in {*beside["columns"], *drop}]
            beside = {"folder": f"../{same.path.name}", "columns": columns, "order": list(ours.columns)}
            self._write_light_songs(ours, beside, record.get("songs_columns_derived"))
        return drop

    def derive_song_columns(self, keep: Iterable[str]) -> list[str]:
        """Remove from songs.csv the columns, other than ``keep``, SONG_KEYS and METRICS, that follow from a column
        it keeps (:mod:`rnncells.evaluation.derived_columns`); evaluation.json records how
        (``songs_columns_derived``) and :meth:`read_songs` restores them. Returns the columns removed."""
        if not self.is_complete() or not self.songs_path.is_file():
            return []
        record = self.read_record()
        full = _song_text(self.songs_path, record)
        beside = record.get("songs_columns_in")
        left_beside = set(beside["columns"]) if beside else set()
        found = find_derivations(full, (*SONG_KEYS, *METRICS, *keep))
        derivations = {column: how for column, how in found.items() if column not in left_beside}
        written = _read_csv(self.songs_path, nrows=0).columns
        drop = [column for column in written if column in derivations]
        if drop:
            self._write_light_songs(full, beside, {"columns": derivations, "order": list(full.columns)})
        return drop

    def _write_light_songs(self, full: pd.DataFrame, beside: dict | None, derived: dict | None) -> None:
        """Write songs.csv (text) without the columns ``beside`` and ``derived`` account for, and record them."""
        left_out = {*(beside or {}).get("columns", []), *(derived or {}).get("columns", {})}
        written = full.drop(columns=[c for c in full.columns if c in left_out])
        write_text_atomic(self.songs_path, written.to_csv(index=False))
        record = {**self.read_record(), "songs_columns_in": beside, "songs_columns_derived": derived}
        self._record_checksums({k: v for k, v in record.items() if v is not None}, replace=True)

    def keep_only(self, song_columns: Iterable[str], drop_tables: Iterable[str], why: str) -> list[str]:
        """Reduce a complete folder that is read for some song columns only (the cost-function validation's, read as
        checkpoint means): songs.csv keeps ID_COLUMNS, METRICS and ``song_columns``, ``drop_tables`` are removed,
        and evaluation.json records what went and ``why`` (``reduced``). Returns the columns and tables removed."""
        if not self.is_complete() or not self.songs_path.is_file():
            return []
        songs = _song_text(self.songs_path)
        kept = {*ID_COLUMNS, *METRICS, *song_columns}
        columns = [c for c in songs.columns if c not in kept]
        tables = [name for name in drop_tables if name != SONGS_TABLE_FILE and (self.path / name).is_file()]
        if not columns and not tables:
            return []
        if columns:
            self._write_light_songs(songs.drop(columns=columns), None, None)
        for name in tables:
            (self.path / name).unlink()
        record = self.read_record()
        earlier = record.get("reduced", {})
        reduced = {
            "song_columns_removed": [*earlier.get("song_columns_removed", []), *columns],
            "tables_removed": sorted({*earlier.get("tables_removed", []), *tables}),
            "why": why,
        }
        self._record_checksums({"reduced": reduced, "files": [name for name in record["files"] if name not in tables]})
        return [*columns, *tables]

    def _record_checksums(self, extra: dict, replace: bool = False) -> None:
        record = dict(extra) if replace else {**self.read_record(), **extra}
        record["checksums"] = record_files(self.path, [name for name in record["files"] if name != RECORD_FILE])
        write_json_atomic(self.path / RECORD_FILE, record)

    def damage(self, deep: bool = True) -> list[Damage]:
        """What no longer matches evaluation.json's ``checksums`` (a table deleted, truncated or, read in full,
        changed); empty for a sound evaluation and for one without evaluation.json (not finished)."""
        if not self.is_complete():
            return []
        try:
            record = self.read_record()
        except EvaluationFolderError as error:
            return [Damage(self.path / RECORD_FILE, str(error))]
        return damaged_files(self.path, record.get("checksums", {}), deep)

    # -- reading ----------------------------------------------------------------------------------------------
    def _check_folder(self) -> None:
        if not self.path.is_dir():
            raise EvaluationFolderError(f"{self.path}: no such folder; expected {HINT}")

    def _read_model_table(self, name: str) -> pd.DataFrame:
        self._check_folder()
        path = self.path / name
        if not path.is_file():
            raise EvaluationFolderError(f"{self.path}: no {name}; expected {HINT}")
        # Text stays text ("00012" is a song id, not 12) and the baseline's empty cell stays ""; an empty number
        # (layers of the baseline, the variance of one song) is NaN.
        table = _read_csv(path, dtype=dict.fromkeys(TEXT_COLUMNS, str))
        for column in TEXT_COLUMNS:
            if column in table:
                table[column] = table[column].fillna("")
        return table

    def read_songs(self) -> pd.DataFrame:
        """songs.csv as :func:`read_songs_table` reads it: every column it was written with."""
        return read_songs_table(self.songs_path)

    def read_summary(self) -> pd.DataFrame:
        return self._read_model_table(SUMMARY_FILE)

    def read_best_songs(self) -> pd.DataFrame:
        return self._read_model_table(BEST_FILE)

    def read_representative_songs(self) -> pd.DataFrame:
        return self._read_model_table(REPRESENTATIVE_FILE)

    def read_tests(self) -> pd.DataFrame:
        """tests.csv: the pairwise Mann-Whitney tests."""
        path = self.path / TESTS_FILE
        if not path.is_file():
            raise EvaluationFolderError(f"{self.path}: no {TESTS_FILE}; expected {HINT}")
        return pd.read_csv(path)

    def read_comparison(self) -> pd.DataFrame | None:
        """comparison.csv, or None when the evaluation had no dataset."""
        return self._read_model_table(COMPARISON_FILE) if (self.path / COMPARISON_FILE).is_file() else None

    def read_memorisation(self) -> pd.DataFrame | None:
        """memorisation.csv, or None when the evaluation had no dataset."""
        return self._read_model_table(MEMORISATION_FILE) if (self.path / MEMORISATION_FILE).is_file() else None

    def read_rankings(self) -> pd.DataFrame | None:
        """rankings.csv, or None when the evaluation had no dataset or no generated set."""
        return self._read_model_table(RANKINGS_FILE) if (self.path / RANKINGS_FILE).is_file() else None

    def read_replicates(self) -> dict[str, pd.DataFrame] | None:
        """The run-level tables (``runs``, ``configurations``, ``run_tests``, ``variance``), or None when this
        evaluation has none (one written before they existed)."""
        files = {"runs": RUNS_FILE, "configurations": CONFIGURATIONS_FILE, "run_tests": RUN_TESTS_FILE}
        files["variance"] = VARIANCE_FILE
        if not all((self.path / name).is_file() for name in files.values()):
            return None
        return {key: self._read_model_table(name) for key, name in files.items()}

    def read_record(self) -> dict:
        """evaluation.json: inputs, settings, statistics and the file list."""
        path = self.path / RECORD_FILE
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise EvaluationFolderError(f"{path}: missing (an unfinished evaluation); expected {HINT}") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise EvaluationFolderError(f"{path}: damaged ({type(error).__name__}); expected {HINT}") from None
