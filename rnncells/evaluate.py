"""Score generated song sets with the tonality metrics and compare them (docs/method.md §4).

Input: one or more generated song sets (:mod:`rnncells.songs`) and, optionally, the dataset folder
(:mod:`rnncells.data.folder`) whose training songs are the baseline. Output: an evaluation folder
(:mod:`rnncells.evaluation`, which names its files and columns):

- ``songs.csv``: one row per song: who made it, CMM / LM / CENTR / general tonality, distribution features;
- ``summary.csv``: per model and metric n, mean, variance, std (sample, ddof=1), min, max;
- ``best_songs.csv`` (lowest general tonality) and ``representative_songs.csv`` (nearest to the mean point);
- ``tests.csv``: pairwise Mann-Whitney U tests per metric, rank-biserial effect size, Holm-corrected p;
- ``comparison.csv``: each model's distribution features against the training set (Yang & Lerch);
- ``evaluation.json``: inputs, settings and the file list; written last, so its presence means "complete".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from rnncells.data.folder import DatasetFolder, DatasetFolderError
from rnncells.evaluation import (
    BASELINE_MODEL,
    BEST_COLUMNS,
    BEST_FILE,
    COMPARISON_COLUMNS,
    COMPARISON_FILE,
    ID_COLUMNS,
    METRICS,
    POINT_METRICS,
    REPRESENTATIVE_FILE,
    SONGS_FILE,
    SUMMARY_FILE,
    TESTS_COLUMNS,
    TESTS_FILE,
    EvaluationFolder,
)
from rnncells.music import metrics
from rnncells.songs import GENERATION_FILE, SONG_SET_HINT, SongSet, SongSetError, load_song_set, song_notes

BASELINE_VARIANT = "control"  # the baseline is the training split of this variant: absolute pitches
BASELINE_SPLIT = "train"
EFFECT_SIZE = (
    "rank-biserial correlation r = 2*U_a/(n_a*n_b) - 1 = P(a > b) - P(a < b) (Kerby's simple difference), "
    "U_a = scipy.stats.mannwhitneyu(a, b).statistic; r > 0 when model_a scores higher"
)


class EvaluationError(ValueError):
    """An input that cannot be evaluated; the message names the file or folder and what is expected."""


def _load_song_set(song_dir: Path, rhythm: bool) -> SongSet:
    try:
        return load_song_set(song_dir, rhythm=rhythm)
    except SongSetError as error:
        raise EvaluationError(str(error)) from None


def load_dataset_baseline(dataset_dir: str | Path, *, rhythm: bool = False) -> SongSet:
    """The training songs of the dataset's control variant: absolute pitches, the study's baseline."""
    folder = DatasetFolder(dataset_dir)
    songs_path = folder.songs_path(BASELINE_VARIANT)
    try:
        rows = [row for row in folder.read_songs(BASELINE_VARIANT) if row.get("split") == BASELINE_SPLIT]
    except DatasetFolderError as error:
        raise EvaluationError(str(error)) from None
    if not rows:
        raise EvaluationError(f"{songs_path}: no songs with split == {BASELINE_SPLIT!r}; {folder.fix}")
    pitches, durations = [], []
    for row in rows:
        try:
            notes, steps = song_notes(row, f"{songs_path} song {row.get('id')!r}", rhythm)
        except SongSetError as error:
            raise EvaluationError(str(error)) from None
        pitches.append(notes)
        durations.append(steps)
    return SongSet(
        model_name=BASELINE_MODEL,
        variant=BASELINE_MODEL,
        cell="",
        layers=None,
        source=folder.path,
        pitches=pitches,
        durations=durations,
        indices=list(range(len(rows))),
        song_ids=[str(row.get("id", i)) for i, row in enumerate(rows)],
        songs_path=songs_path,
    )


def score_song_set(
    song_set: SongSet, *, mode: str = "paper", span: int = 12, rhythm: bool = False
) -> tuple[pd.DataFrame, list[dict]]:
    """One row per song (ids, tonality metrics, scalar distribution features) and the raw feature dicts."""
    where = song_set.songs_path or song_set.source
    try:
        if rhythm:
            tonality = metrics.score_songs_rhythm(song_set.pitches, song_set.durations, span=span, mode=mode)
        else:
            tonality = metrics.score_songs(song_set.pitches, mode=mode, span=span)
        features = [metrics.distribution_features(p) for p in song_set.pitches]
    except metrics.MetricInputError as error:
        # The metrics count songs from 0 in the order read; say which file they came from.
        raise EvaluationError(f"{where}: {error}") from None
    tonality = np.asarray(tonality, dtype=float)
    frame = pd.DataFrame(
        {
            "model_name": song_set.model_name,
            "variant": song_set.variant,
            "cell": song_set.cell,
            "layers": pd.array([song_set.layers] * len(song_set.pitches), dtype="Int64"),
            "index": song_set.indices,
            "song_id": song_set.song_ids,
        }
    )
    for column, name in enumerate(METRICS):
        frame[name] = tonality[:, column]
    # A CSV column holds one number: a vector feature (a histogram) would only enter comparison.csv.
    scalar_names = [name for name, value in features[0].items() if np.ndim(value) == 0]
    for name in scalar_names:
        frame[name] = [float(song[name]) for song in features]
    return frame, features


def describe(values: np.ndarray) -> dict[str, float]:
    """n, mean, variance and std (sample, ddof=1, as scipy.stats.describe / tstd), min, max."""
    values = np.asarray(values, dtype=float)
    n = len(values)
    return {
        "n": n,
        "mean": float(np.mean(values)),
        "variance": float(np.var(values, ddof=1)) if n > 1 else float("nan"),
        "std": float(np.std(values, ddof=1)) if n > 1 else float("nan"),
        "min": float(np.min(values)),
        "max": float(np.max(values)),
    }


def _model_columns(group: pd.DataFrame) -> dict[str, Any]:
    first = group.iloc[0]
    return {
        "model_name": first["model_name"],
        "variant": first["variant"],
        "cell": first["cell"],
        "layers": first["layers"],
    }


def _models(songs: pd.DataFrame) -> list[pd.DataFrame]:
    """The per-model groups, in the order the models first appear."""
    return [songs[songs["model_name"] == name] for name in songs["model_name"].unique()]


def summarize(songs: pd.DataFrame) -> pd.DataFrame:
    """Long table: one row per (model, metric) with n, mean, variance, std, min, max."""
    rows = [
        {**_model_columns(group), "metric": metric, **describe(group[metric].to_numpy())}
        for group in _models(songs)
        for metric in METRICS
    ]
    return _with_int_layers(pd.DataFrame(rows))


def best_songs(songs: pd.DataFrame) -> pd.DataFrame:
    """Per model, the song with the lowest general tonality (the first one on a tie)."""
    rows = [group.loc[group["general"].idxmin(), list(BEST_COLUMNS)] for group in _models(songs)]
    return _with_int_layers(pd.DataFrame(rows).reset_index(drop=True))


def representative_songs(songs: pd.DataFrame) -> pd.DataFrame:
    """Per model, the song nearest (Euclidean) to the model's mean (CMM, LM, CENTR) point."""
    rows = []
    for group in _models(songs):
        points = group[list(POINT_METRICS)].to_numpy(dtype=float)
        centre = points.mean(axis=0)
        distances = np.linalg.norm(points - centre, axis=1)
        nearest = int(np.argmin(distances))
        row = group.iloc[nearest][list(BEST_COLUMNS)].to_dict()
        row["distance"] = float(distances[nearest])
        row.update({f"mean_{metric}": float(mean) for metric, mean in zip(POINT_METRICS, centre, strict=True)})
        rows.append(row)
    return _with_int_layers(pd.DataFrame(rows))


def rank_biserial(u_statistic: float, n_a: int, n_b: int) -> float:
    """Rank-biserial correlation from Mann-Whitney's U of the first sample: 2U/(n_a n_b) - 1, in [-1, 1]."""
    return 2.0 * u_statistic / (n_a * n_b) - 1.0


def holm(p_values: Any) -> np.ndarray:
    """Holm-Bonferroni step-down adjusted p-values (same order as given; NaN stays NaN and is not counted)."""
    p_values = np.asarray(p_values, dtype=float)
    adjusted = np.full(p_values.shape, np.nan)
    valid = np.flatnonzero(~np.isnan(p_values))
    m = len(valid)
    running = 0.0
    for rank, position in enumerate(valid[np.argsort(p_values[valid], kind="stable")]):
        running = max(running, min(1.0, (m - rank) * p_values[position]))
        adjusted[position] = running
    return adjusted


def _mann_whitney(a: np.ndarray, others: list[np.ndarray]) -> list[tuple[float, float]]:
    """Two-sided Mann-Whitney U of ``a`` against each of ``others``: [(U of a, p), ...].

    Samples of one length go through scipy in one batched call when both sides have more than 8 values
    (scipy then always takes the asymptotic method, so the numbers equal pair-by-pair calls); a full grid
    of 75 models has 2850 pairs per metric.
    """
    results: dict[int, tuple[float, float]] = {}
    by_length: dict[int, list[int]] = {}
    for position, b in enumerate(others):
        by_length.setdefault(len(b), []).append(position)
    for length, positions in by_length.items():
        if len(a) > 8 and length > 8:
            batch = np.stack([others[position] for position in positions])
            result = stats.mannwhitneyu(a[None, :], batch, axis=1, alternative="two-sided")
            for position, u, p in zip(positions, result.statistic, result.pvalue, strict=True):
                results[position] = (float(u), float(p))
        else:
            for position in positions:
                result = stats.mannwhitneyu(a, others[position], alternative="two-sided")
                results[position] = (float(result.statistic), float(result.pvalue))
    return [results[position] for position in range(len(others))]


def pairwise_tests(songs: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Two-sided Mann-Whitney U between every pair of models per metric, Holm-corrected within a metric."""
    columns = list(TESTS_COLUMNS)
    groups = dict(list(songs.groupby("model_name", sort=False)))
    frames = []
    for metric in METRICS:
        values = {name: group[metric].to_numpy(dtype=float) for name, group in groups.items()}
        names = list(values)
        rows = []
        for first, name_a in enumerate(names):
            a, later = values[name_a], names[first + 1 :]
            for name_b, (u, p) in zip(later, _mann_whitney(a, [values[n] for n in later]), strict=True):
                b = values[name_b]
                rows.append(
                    {
                        "metric": metric,
                        "model_a": name_a,
                        "model_b": name_b,
                        "n_a": len(a),
                        "n_b": len(b),
                        "median_a": float(np.median(a)),
                        "median_b": float(np.median(b)),
                        "u_statistic": u,
                        "p_value": p,
                        "rank_biserial": rank_biserial(u, len(a), len(b)),
                    }
                )
        if rows:
            frame = pd.DataFrame(rows)
            frame["p_holm"] = holm(frame["p_value"].to_numpy())
            frame["significant"] = frame["p_holm"] < alpha
            frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def compare_with_dataset(sets: list[SongSet], features: dict[str, list[dict]], reference: list[dict]) -> pd.DataFrame:
    """Yang & Lerch: each model's distribution features against the training set's (overlap, KL)."""
    rows = []
    for song_set in sets:
        compared = metrics.compare_feature_sets(features[song_set.model_name], reference)
        for feature, values in compared.items():
            rows.append(
                {
                    "model_name": song_set.model_name,
                    "variant": song_set.variant,
                    "cell": song_set.cell,
                    "layers": song_set.layers,
                    "feature": feature,
                    "overlapped_area": float(values["overlapped_area"]),
                    "kl_divergence": float(values["kl_divergence"]),
                }
            )
    return _with_int_layers(pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS)))


def _with_int_layers(frame: pd.DataFrame) -> pd.DataFrame:
    if "layers" in frame:
        frame["layers"] = pd.array(frame["layers"].tolist(), dtype="Int64")
    return frame


def _load_inputs(song_dirs: list[Path], dataset_dir: Path | None, rhythm: bool) -> tuple[list[SongSet], SongSet | None]:
    """The song sets (each with its own model_name) and the dataset baseline (None without a dataset)."""
    if not song_dirs and dataset_dir is None:
        raise EvaluationError(f"nothing to evaluate: pass a dataset (baseline only) or folders holding {SONG_SET_HINT}")
    sets = [_load_song_set(d, rhythm) for d in song_dirs]
    seen: dict[str, Path] = {}
    for song_set in sets:
        if song_set.model_name == BASELINE_MODEL or song_set.model_name in seen:
            other = seen.get(song_set.model_name, "the dataset baseline")
            raise EvaluationError(
                f"{song_set.source}: model_name {song_set.model_name!r} is also used by {other}; "
                f"each song set needs its own model_name in {GENERATION_FILE}"
            )
        seen[song_set.model_name] = song_set.source
    baseline = load_dataset_baseline(dataset_dir, rhythm=rhythm) if dataset_dir is not None else None
    return sets, baseline


def _record(sets: list[SongSet], baseline: SongSet | None, songs: pd.DataFrame, settings: dict) -> dict:
    """What evaluation.json says besides its file list: inputs, the baseline, settings, statistics used."""
    return {
        "inputs": [
            {
                "path": str(s.source),
                "model_name": s.model_name,
                "variant": s.variant,
                "cell": s.cell,
                "layers": s.layers,
                "units": s.info.get("units"),
                "songs": len(s.pitches),
                "generation": s.info.get("config", {}),
            }
            for s in sets
        ],
        "dataset": None
        if baseline is None
        else {
            "path": str(baseline.source),
            "songs_file": baseline.songs_path.relative_to(baseline.source).as_posix(),
            "split": BASELINE_SPLIT,
            "songs": len(baseline.pitches),
            "model_name": BASELINE_MODEL,
        },
        "settings": settings,
        "metrics": list(METRICS),
        "feature_columns": [c for c in songs.columns if c not in ID_COLUMNS and c not in METRICS],
        "statistics": {
            "variance_std": "sample (ddof=1), as scipy.stats.describe and scipy.stats.tstd",
            "test": "scipy.stats.mannwhitneyu, two-sided, every pair of models (dataset included) per metric",
            "effect_size": EFFECT_SIZE,
            "correction": "Holm-Bonferroni over all comparisons of one metric; significant = p_holm < 0.05",
            "representative": "song nearest (Euclidean) to the model's mean (cmm, lm, centr) point",
            "best": "song with the lowest general tonality (cmm + lm + centr)",
        },
    }


def evaluate_song_sets(
    song_dirs: list[Path],
    dataset_dir: Path | None,
    out_dir: Path,
    *,
    mode: str = "paper",
    span: int = 12,
    rhythm: bool = False,
) -> Path:
    """Score, summarize and compare generated song sets (and the dataset baseline); return ``out_dir``.

    Every table is computed before anything is written; each file is written atomically and
    ``evaluation.json`` last (:meth:`rnncells.evaluation.EvaluationFolder.write`).
    """
    sets, baseline = _load_inputs([Path(d) for d in song_dirs], dataset_dir, rhythm)
    frames, features = [], {}
    for song_set in sets + ([baseline] if baseline else []):
        frame, song_features = score_song_set(song_set, mode=mode, span=span, rhythm=rhythm)
        frames.append(frame)
        features[song_set.model_name] = song_features
    songs = pd.concat(frames, ignore_index=True)

    tables = {
        SONGS_FILE: songs,
        SUMMARY_FILE: summarize(songs),
        BEST_FILE: best_songs(songs),
        REPRESENTATIVE_FILE: representative_songs(songs),
        TESTS_FILE: pairwise_tests(songs),
    }
    if baseline is not None:
        tables[COMPARISON_FILE] = compare_with_dataset(sets, features, features[BASELINE_MODEL])
    folder = EvaluationFolder(out_dir)
    folder.write(tables, _record(sets, baseline, songs, {"mode": mode, "span": span, "rhythm": rhythm}))
    return folder.path
