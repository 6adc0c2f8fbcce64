"""Per-set tables of an evaluation drawn from songs.csv: Yang & Lerch against the training set, memorisation.

- :func:`compare_with_training`: comparison.csv, every set's features against the training songs
  (:func:`rnncells.music.yang_lerch.compare_feature`, docs/method.md §4);
- :func:`memorisation_summary`: memorisation.csv, per set the copied songs and the tonality over all songs and over
  the songs not copied (docs/method.md, "Memorisation");
- :func:`set_scope`: what a set holds, in words (summary.csv's scope column).

The training songs are the baseline's songs whose split is ``train`` (the whole baseline by default; a part of it
with ``--baseline all``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from rnncells.evaluation.columns import (
    BASELINE_MODEL,
    COMPARISON_COLUMNS,
    FEATURE_COLUMNS,
    MEMORISATION_SUMMARY_COLUMNS,
    METRICS,
    MIDI_VARIANT,
    MODEL_COLUMNS,
    baseline_scope,
)
from rnncells.generation.song_arrays import SongSet
from rnncells.music.yang_lerch import COMPARISON_MEASURES, compare_feature

TRAIN_SPLIT = "train"


def set_scope(song_set: SongSet) -> str:
    """``generated, 100 songs``, ``MIDI files, 30 songs``, the n-gram's ``n-gram baseline (order 3, control
    train split), 100 songs`` or the dataset baseline's ``train split, 170 songs``."""
    if song_set.model_name == BASELINE_MODEL:
        return baseline_scope(song_set.splits)
    cut = song_set.info.get("cut")
    if isinstance(cut, dict):
        return f"{cut['split']} split cut to {cut['length']} notes, {len(song_set.pitches)} songs"
    ngram = song_set.info.get("baseline")
    if isinstance(ngram, dict):
        return (
            f"{ngram.get('model', 'n-gram')} baseline (order {ngram.get('order')}, {song_set.variant} train split), "
            f"{len(song_set.pitches)} songs"
        )
    kind = "MIDI files" if song_set.variant == MIDI_VARIANT else "generated"
    return f"{kind}, {len(song_set.pitches)} songs"


def training_rows(songs: pd.DataFrame) -> pd.DataFrame:
    """The baseline's training songs (all baseline rows when songs.csv has no split column)."""
    baseline = songs[songs["model_name"] == BASELINE_MODEL]
    if "split" not in baseline:
        return baseline
    return baseline[baseline["split"].fillna("").astype(str).isin([TRAIN_SPLIT, ""])]


def _model_groups(songs: pd.DataFrame, baseline: bool) -> list[pd.DataFrame]:
    names = [n for n in songs["model_name"].unique() if baseline or n != BASELINE_MODEL]
    return [songs[songs["model_name"] == name] for name in names]


def _model(group: pd.DataFrame) -> dict:
    first = group.iloc[0]
    return {column: first[column] for column in MODEL_COLUMNS}


def compare_with_training(songs: pd.DataFrame) -> pd.DataFrame:
    """comparison.csv: per set (the baseline aside) and feature, every Yang & Lerch measure against training.

    NaN values (a rhythm feature of a song without durations) are left out; a feature with no value in the set
    or fewer than 2 in the training songs gets NaN measures.
    """
    reference = training_rows(songs)
    features = [name for name in FEATURE_COLUMNS if name in songs.columns]
    rows = []
    for group in _model_groups(songs, baseline=False):
        done: dict[bytes, dict[str, float]] = {}  # a feature equal to another (a count under two names) is done once
        for feature in features:
            generated = group[feature].dropna().to_numpy(float)
            trained = reference[feature].dropna().to_numpy(float)
            key = generated.tobytes() + b"|" + trained.tobytes()
            if key in done:
                measures = done[key]
            elif len(generated) >= 1 and len(trained) >= 2:
                measures = done[key] = compare_feature(generated, trained)
            else:
                measures = dict.fromkeys(COMPARISON_MEASURES, math.nan)
            rows.append(
                {**_model(group), "feature": feature, **measures, "n_set": len(generated), "n_train": len(trained)}
            )
    return pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))


def _mean_std(values: pd.Series) -> tuple[float, float]:
    values = values.dropna().to_numpy(float)
    mean = float(values.mean()) if len(values) else math.nan
    return mean, (float(values.std(ddof=1)) if len(values) > 1 else math.nan)


def memorisation_summary(songs: pd.DataFrame) -> pd.DataFrame:
    """memorisation.csv: per set (baseline included) the copied songs and tonality with and without them."""
    rows = []
    for group in _model_groups(songs, baseline=True):
        copied = group["copied"].to_numpy(int)
        row = {
            **_model(group),
            "songs": len(group),
            "copied_songs": int(copied.sum()),
            "copied_share": float(copied.mean()),
            "median_shared_run": float(np.median(group["shared_run"])),
            "max_shared_run": int(group["shared_run"].max()),
            "mean_ngram4_in_train": _mean_std(group["ngram4_in_train"])[0],
            "mean_ngram8_in_train": _mean_std(group["ngram8_in_train"])[0],
        }
        novel = group[copied == 0]
        for metric in METRICS:
            for part, rows_of in (("", group), ("_not_copied", novel)):
                row[f"{metric}_mean{part}"], row[f"{metric}_std{part}"] = _mean_std(rows_of[metric])
        rows.append(row)
    return pd.DataFrame(rows, columns=list(MEMORISATION_SUMMARY_COLUMNS))
