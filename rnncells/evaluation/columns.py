"""The evaluation tables' column names, the baseline's name and scope, and values rounded as the tables store them.

The evaluation folder (:mod:`rnncells.evaluation.folder`) is the one module that reads and writes the tables; its
docstring lists which columns each file holds.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from rnncells.evaluation.memorisation import COLUMNS as MEMORISATION_COLUMNS
from rnncells.files import SIGNIFICANT_DIGITS
from rnncells.music.features import MUSPY_FEATURES
from rnncells.music.metrics import FEATURE_NAMES, SCORE_COLUMNS
from rnncells.music.yang_lerch import COMPARISON_MEASURES

METRICS = SCORE_COLUMNS  # cmm, lm, centr, general: the tonality metrics, in the order they are scored
POINT_METRICS = METRICS[:3]  # the representative song is nearest to the mean of these
BASELINE_MODEL = "dataset"  # model_name (and variant) of the dataset's songs, the baseline
BASELINE_SPLITS = ("train", "all")  # the baseline is the training split (default) or every song of the dataset
SPLIT_ORDER = ("train", "validation", "test")
MIDI_VARIANT = "midi"  # the variant of a song set read from plain MIDI files (another system's, a composer's)
# Per-song features: the distribution features, then MusPy's metrics not among them (docs/method.md §4).
FEATURE_COLUMNS = (*FEATURE_NAMES, *(name for name in MUSPY_FEATURES if name not in FEATURE_NAMES))
SONG_COLUMNS = ("file", "split")  # the file a song came from; its dataset split (empty for other sets)

MODEL_COLUMNS = ("model_name", "variant", "cell", "layers")
ID_COLUMNS = (*MODEL_COLUMNS, "index", "song_id")
STATISTICS = ("n", "mean", "variance", "std", "min", "max")
SUMMARY_COLUMNS = (*MODEL_COLUMNS, "metric", *STATISTICS)
SCOPE_COLUMN = "scope"  # the summary table's last column: which songs a set holds (baseline_scope for the dataset)
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
COMPARISON_COLUMNS = (*MODEL_COLUMNS, "feature", *COMPARISON_MEASURES, "n_set", "n_train")
MEMORISATION_SUMMARY_COLUMNS = (
    *MODEL_COLUMNS,
    "songs",
    "copied_songs",
    "copied_share",
    "median_shared_run",
    "max_shared_run",
    "mean_ngram4_in_train",
    "mean_ngram8_in_train",
    *(f"{metric}_{stat}{part}" for metric in METRICS for part in ("", "_not_copied") for stat in ("mean", "std")),
)
CORPUS_COLUMNS = (*MODEL_COLUMNS, "feature", "overlapped_area", "n_set", "n_train", "cut_length")
RANKINGS_COLUMNS = (
    *MODEL_COLUMNS,
    SCOPE_COLUMN,
    "songs",
    "general_mean",
    "tonality_rank",
    "corpus_likeness",
    "corpus_rank",
    "cut_length",
    "features",
)
# The run-level tables (rnncells.evaluation.replicates): a run is one scored set, a configuration its name without
# the -seedN part.
RUNS_COLUMNS = ("model_name", "configuration", "seed", "variant", "cell", "layers", "songs")
CONFIGURATION_COLUMNS = (
    "configuration",
    "variant",
    "cell",
    "layers",
    "metric",
    "seeds",
    "songs",
    "mean",
    "seed_sd",
    "ci_low",
    "ci_high",
    "in_family",
)
RUN_TESTS_COLUMNS = (
    "metric",
    "configuration_a",
    "configuration_b",
    "seeds_a",
    "seeds_b",
    "mean_a",
    "mean_b",
    "difference",
    "test",
    "estimate",
    "ci_low",
    "ci_high",
    "df",
    "seed_variance",
    "p_value",
    "p_permutation",
    "smallest_p",
    "p_holm",
    "significant",
)
VARIANCE_COLUMNS = ("source", "df", "sum_sq", "share", "f_value", "p_value")
# Every column of the songs table in order; the memorisation columns come only with a dataset.
SONGS_LAYOUT = (*ID_COLUMNS, *METRICS, *SONG_COLUMNS, *FEATURE_COLUMNS, *MEMORISATION_COLUMNS)
# Columns of the model tables that hold text, never numbers.
TEXT_COLUMNS = (
    "model_name",
    "configuration",
    "configuration_a",
    "configuration_b",
    "test",
    "variant",
    "cell",
    "song_id",
    "metric",
    "feature",
    "features",
    "source",
    SCOPE_COLUMN,
)
SONG_KEYS = ["model_name", "index"]  # one song of the songs table
# What a songs table must hold to be drawn (song_id only labels songs).
SONGS_REQUIRED = (*MODEL_COLUMNS, "index", *METRICS)


def baseline_scope(splits: Iterable[object]) -> str:
    """The baseline's scope from its songs' split values: ``train split, 170 songs`` or ``all splits, 212 songs``.

    Songs without a split (an older songs table) give only the count.
    """
    splits = [split for split in splits]
    named = {split for split in splits if isinstance(split, str) and split}
    count = f"{len(splits)} song{'s' * (len(splits) != 1)}"
    if not named:
        return count
    order = [split for split in SPLIT_ORDER if split in named] + sorted(named - set(SPLIT_ORDER))
    if set(order) == set(SPLIT_ORDER):
        return f"all splits, {count}"
    return f"{'+'.join(order)} split{'s' * (len(order) > 1)}, {count}"


def baseline_label(splits: Iterable[object]) -> str:
    """``dataset (train split, 170 songs)``: the baseline's name with its scope, for legends and captions."""
    return f"{BASELINE_MODEL} ({baseline_scope(splits)})"


def as_stored(table: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """``table`` with ``columns`` rounded to the significant digits the tables keep (SIGNIFICANT_DIGITS,
    :func:`rnncells.files.compact_csv`), so a statistic computed from them equals one computed from the file."""
    rounded = table.copy()
    for column in columns:
        rounded[column] = [float(f"{value:.{SIGNIFICANT_DIGITS}g}") for value in table[column].to_numpy(dtype=float)]
    return rounded
