"""The evaluation folder: the one module that reads and writes it, and the names of its columns (no Keras here).

``rnncells evaluate`` (:func:`rnncells.evaluate.evaluate_song_sets`) writes one folder::

    songs.csv                  one row per song: ID_COLUMNS, METRICS, then the scalar distribution features
    summary.csv                SUMMARY_COLUMNS: per model and metric n, mean, variance, std (ddof=1), min, max
    best_songs.csv             BEST_COLUMNS: per model, the song with the lowest general tonality
    representative_songs.csv   REPRESENTATIVE_COLUMNS: per model, the song nearest to the mean (cmm, lm, centr)
    tests.csv                  TESTS_COLUMNS: pairwise Mann-Whitney U per metric, Holm-corrected
    comparison.csv             COMPARISON_COLUMNS: distribution features against the training set (with a dataset)
    evaluation.json            inputs, settings, the file list; written last, so its presence means "complete"

The dataset's training songs are scored as one more model named BASELINE_MODEL. The tables and figures read
the folder through this module; every other module goes through it to open these files.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from rnncells.files import write_atomic, write_json_atomic
from rnncells.music.metrics import SCORE_COLUMNS

FORMAT_VERSION = 1
METRICS = SCORE_COLUMNS  # cmm, lm, centr, general: the tonality metrics, in the order they are scored
POINT_METRICS = METRICS[:3]  # the representative song is nearest to the mean of these
BASELINE_MODEL = "dataset"  # model_name (and variant) of the dataset's training songs, the baseline

MODEL_COLUMNS = ("model_name", "variant", "cell", "layers")
ID_COLUMNS = (*MODEL_COLUMNS, "index", "song_id")
STATISTICS = ("n", "mean", "variance", "std", "min", "max")
SUMMARY_COLUMNS = (*MODEL_COLUMNS, "metric", *STATISTICS)
BEST_COLUMNS = (*ID_COLUMNS, *METRICS)
REPRESENTATIVE_COLUMNS = (*BEST_COLUMNS, "distance", *(f"mean_{m}" for m in POINT_METRICS))
TESTS_COLUMNS = (
    "metric",
    "model_a",
    "model_b",
    "n_a",
    "n_b",
    "median_a",
    "median_b",
    "u_statistic",
    "p_value",
    "p_holm",
    "rank_biserial",
    "significant",
)
COMPARISON_COLUMNS = (*MODEL_COLUMNS, "feature", "overlapped_area", "kl_divergence")
# What a songs.csv must hold to be drawn (song_id only labels songs).
SONGS_REQUIRED = (*MODEL_COLUMNS, "index", *METRICS)

SONGS_FILE = "songs.csv"
SUMMARY_FILE = "summary.csv"
BEST_FILE = "best_songs.csv"
REPRESENTATIVE_FILE = "representative_songs.csv"
TESTS_FILE = "tests.csv"
COMPARISON_FILE = "comparison.csv"
RECORD_FILE = "evaluation.json"
TABLE_COLUMNS = {
    SONGS_FILE: (*ID_COLUMNS, *METRICS),
    SUMMARY_FILE: SUMMARY_COLUMNS,
    BEST_FILE: BEST_COLUMNS,
    REPRESENTATIVE_FILE: REPRESENTATIVE_COLUMNS,
    TESTS_FILE: TESTS_COLUMNS,
    COMPARISON_FILE: COMPARISON_COLUMNS,
}
HINT = "a folder written by rnncells.evaluate.evaluate_song_sets: run `rnncells evaluate` first"


class EvaluationFolderError(ValueError):
    """An evaluation file that is missing or damaged; the message names the file and the fix."""


def read_songs_table(path: str | Path) -> pd.DataFrame:
    """A songs.csv (at any path), checked to hold SONGS_REQUIRED; empty cells are NaN."""
    path = Path(path)
    if not path.is_file():
        raise EvaluationFolderError(f"{path.parent}: no {path.name}; expected {HINT}")
    table = pd.read_csv(path)
    missing = [column for column in SONGS_REQUIRED if column not in table.columns]
    if missing:
        raise EvaluationFolderError(
            f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(SONGS_REQUIRED)}"
        )
    return table


class EvaluationFolder:
    """The files of one evaluation folder (module docstring), read and written only here."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"EvaluationFolder({str(self.path)!r})"

    @property
    def songs_path(self) -> Path:
        return self.path / SONGS_FILE

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
        for name, frame in tables.items():
            write_atomic(self.path / name, lambda tmp, frame=frame: frame.to_csv(tmp, index=False))
        for name in TABLE_COLUMNS:
            if name not in tables:
                (self.path / name).unlink(missing_ok=True)  # stale, from an earlier run with other inputs
        files = sorted(tables) + [RECORD_FILE]
        write_json_atomic(self.path / RECORD_FILE, {**record, "format_version": FORMAT_VERSION, "files": files})

    # -- reading ----------------------------------------------------------------------------------------------
    def _check_folder(self) -> None:
        if not self.path.is_dir():
            raise EvaluationFolderError(f"{self.path}: no such folder; expected {HINT}")

    def _read_model_table(self, name: str) -> pd.DataFrame:
        self._check_folder()
        path = self.path / name
        if not path.is_file():
            raise EvaluationFolderError(f"{self.path}: no {name}; expected {HINT}")
        # The baseline's empty cell stays "", its empty layers is <NA>.
        return pd.read_csv(path, keep_default_na=False, na_values={"layers": [""]})

    def read_songs(self) -> pd.DataFrame:
        """songs.csv, checked like :func:`read_songs_table`."""
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

    def read_record(self) -> dict:
        """evaluation.json: inputs, settings, statistics and the file list."""
        path = self.path / RECORD_FILE
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise EvaluationFolderError(f"{path}: missing (an unfinished evaluation); expected {HINT}") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise EvaluationFolderError(f"{path}: damaged ({type(error).__name__}); expected {HINT}") from None
