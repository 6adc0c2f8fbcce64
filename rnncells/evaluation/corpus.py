"""Length-matched baselines and the corpus-likeness ranking (docs/method.md, "Baselines and two rankings").

Tonality and several features depend on a song's length (LM and CENTR count windows; a longer song uses more pitch
classes), and the dataset's songs are 5 to 100 notes long while generated ones all have the primer plus ``length``
tokens. So both baselines and the reference are cut to the generated length ``L`` (:func:`cut_length`: the median
length of the generated songs):

- :func:`cut_baselines`: the training songs cut to their first ``L`` notes (``dataset-train-cut``), and the
  validation and test songs cut the same way (``dataset-validation-cut``, ``dataset-test-cut``: the human ceiling,
  songs the models never saw); a song shorter than ``L`` stays whole. Each is an ordinary set of songs.csv, its
  scope saying what it holds.
- :func:`corpus_likeness`: per set, Yang & Lerch's overlapped area (rnncells.music.yang_lerch) of each informative
  feature's distribution with the cut training songs' (the set's songs cut to ``L`` too), averaged over the
  features. A feature is informative unless it is constant within every generated set (the rhythm features of
  pitch-only songs, whose notes all last alike) or another name for one already used (``n_pitch_classes_used`` is
  ``pitch_class_count``). 1 is a set whose features are distributed as the corpus's; lower is less alike.
- :func:`rankings`: each set's rank by tonality (mean general tonality, lowest first: the study's ranking) beside
  its rank by corpus-likeness (highest first), for the report.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd

from rnncells.evaluation.columns import (
    BASELINE_MODEL,
    CORPUS_COLUMNS,
    FEATURE_COLUMNS,
    MODEL_COLUMNS,
    RANKINGS_COLUMNS,
    SCOPE_COLUMN,
)
from rnncells.generation.song_arrays import SongSet
from rnncells.music.yang_lerch import compare_feature

CUT_VARIANT = "dataset-cut"  # the variant of the length-matched dataset sets
CUT_SPLITS = ("train", "validation", "test")
DUPLICATE_FEATURES = {"n_pitch_classes_used": "pitch_class_count"}  # MusPy's name for one of our counts

Features = Callable[[list[int], list[int]], dict[str, float]]


def is_generated(song_set: SongSet) -> bool:
    """A set of the models or baselines being compared: neither the dataset nor one of its cut sets."""
    return song_set.model_name != BASELINE_MODEL and song_set.variant != CUT_VARIANT


def cut_length(sets: list[SongSet]) -> int | None:
    """The median length in notes of every generated song (rounded down); None without generated songs."""
    lengths = [len(pitches) for song_set in sets if is_generated(song_set) for pitches in song_set.pitches]
    return int(np.median(lengths)) if lengths else None


def cut_set(song_set: SongSet, length: int, **changes) -> SongSet:
    """``song_set`` with every song cut to its first ``length`` notes (a shorter song stays whole)."""
    return replace(
        song_set,
        pitches=[pitches[:length] for pitches in song_set.pitches],
        durations=[durations[:length] for durations in song_set.durations],
        **changes,
    )


def cut_baselines(dataset: SongSet, length: int) -> list[SongSet]:
    """``dataset-<split>-cut`` for each split the dataset's songs (of every split) hold, cut to ``length``."""
    made = []
    for split in CUT_SPLITS:
        keep = [number for number, name in enumerate(dataset.splits) if name == split]
        if not keep:
            continue
        part = replace(
            dataset,
            model_name=f"{BASELINE_MODEL}-{split}-cut",
            variant=CUT_VARIANT,
            pitches=[dataset.pitches[i] for i in keep],
            durations=[dataset.durations[i] for i in keep],
            indices=list(range(len(keep))),
            song_ids=[dataset.song_ids[i] for i in keep],
            files=[dataset.files[i] for i in keep] if dataset.files else [],
            splits=[split] * len(keep),
            info={"kind": CUT_VARIANT, "cut": {"split": split, "length": length}},
        )
        made.append(cut_set(part, length))
    return made


def _feature_table(song_set: SongSet, length: int, features: Features) -> pd.DataFrame:
    cut = cut_set(song_set, length)
    return pd.DataFrame([features(p, d) for p, d in zip(cut.pitches, cut.durations, strict=True)])


def informative_features(tables: dict[str, pd.DataFrame], generated: list[str]) -> list[str]:
    """The features that vary within at least one generated set, without another name for a feature kept."""
    kept = []
    for name in FEATURE_COLUMNS:
        if name in DUPLICATE_FEATURES and DUPLICATE_FEATURES[name] in FEATURE_COLUMNS:
            continue
        varies = any(tables[model][name].dropna().nunique() > 1 for model in generated if name in tables[model])
        if varies:
            kept.append(name)
    return kept


def corpus_likeness(
    sets: list[SongSet], reference: SongSet, length: int, features: Features
) -> tuple[pd.DataFrame, list[str]]:
    """corpus_likeness.csv (every set but the dataset against the cut training songs, per informative feature) and
    the features used. ``features`` gives a song's feature dict (evaluate's, so the names match songs.csv's)."""
    compared = [s for s in sets if s.model_name != BASELINE_MODEL]
    tables = {s.model_name: _feature_table(s, length, features) for s in compared}
    trained = _feature_table(reference, length, features)
    used = informative_features(tables, [s.model_name for s in compared if is_generated(s)])
    rows = []
    for song_set in compared:
        model = {column: getattr(song_set, column) for column in MODEL_COLUMNS}
        for name in used:
            values = tables[song_set.model_name][name].dropna().to_numpy(float)
            train = trained[name].dropna().to_numpy(float)
            overlap = compare_feature(values, train)["overlapped_area"] if len(values) and len(train) > 1 else math.nan
            rows.append({**model, "feature": name, "overlapped_area": overlap} | _sizes(values, train, length))
    return pd.DataFrame(rows, columns=list(CORPUS_COLUMNS)), used


def _sizes(values: np.ndarray, train: np.ndarray, length: int) -> dict:
    return {"n_set": len(values), "n_train": len(train), "cut_length": length}


def rankings(songs: pd.DataFrame, corpus: pd.DataFrame, scopes: dict[str, str], used: list[str]) -> pd.DataFrame:
    """rankings.csv: per set of corpus_likeness.csv, mean general tonality and its rank (1 = most tonal), mean
    overlapped area and its rank (1 = most corpus-like); ties share the better rank."""
    likeness = corpus.groupby("model_name", sort=False)["overlapped_area"].mean()
    rows = []
    for name, value in likeness.items():
        group = songs[songs["model_name"] == name]
        first = group.iloc[0]
        rows.append(
            {
                **{column: first[column] for column in MODEL_COLUMNS},
                SCOPE_COLUMN: scopes.get(str(name), ""),
                "songs": len(group),
                "general_mean": float(group["general"].mean()),
                "corpus_likeness": float(value),
                "cut_length": int(corpus["cut_length"].iloc[0]),
                "features": ";".join(used),
            }
        )
    table = pd.DataFrame(rows)
    table["tonality_rank"] = table["general_mean"].rank(method="min").astype("Int64")
    table["corpus_rank"] = table["corpus_likeness"].rank(method="min", ascending=False).astype("Int64")
    return table[list(RANKINGS_COLUMNS)].sort_values(["tonality_rank", "model_name"]).reset_index(drop=True)
