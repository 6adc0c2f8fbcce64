"""The statistics of an evaluation (docs/method.md §4 "Statistics"): describe, Mann-Whitney U, Holm, effect size.

Per model and measure: n, mean, variance and std (sample, ddof = 1, as ``scipy.stats.describe`` and ``tstd``), min
and max. Between every pair of song sets, per metric: a two-sided Mann-Whitney U test, the rank-biserial
correlation as effect size, and Holm-Bonferroni corrected p-values within a metric.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from rnncells.evaluation.columns import METRICS, TESTS_COLUMNS

EFFECT_SIZE = (
    "rank-biserial correlation r = 2*U_a/(n_a*n_b) - 1 = P(a > b) - P(a < b) (Kerby's simple difference), "
    "U_a = scipy.stats.mannwhitneyu(a, b).statistic; r > 0 when model_a scores higher"
)


def describe(values: np.ndarray) -> dict[str, float]:
    """n, mean, variance and std (sample, ddof=1, as scipy.stats.describe / tstd), min, max; NaN values are left
    out (a feature a song has not, such as the 8-gram share of a song of 5 notes), and no value gives NaN."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    n = len(values)
    if n == 0:
        return {"n": 0, **dict.fromkeys(("mean", "variance", "std", "min", "max"), float("nan"))}
    return {
        "n": n,
        "mean": float(np.mean(values)),
        "variance": float(np.var(values, ddof=1)) if n > 1 else float("nan"),
        "std": float(np.std(values, ddof=1)) if n > 1 else float("nan"),
        "min": float(np.min(values)),
        "max": float(np.max(values)),
    }


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
