"""Yang & Lerch (2018) in full: intra-set and inter-set distance distributions of one feature, and their overlap.

docs/method.md §4 ("Distribution features"). For one feature, a song set ``g`` and the training set ``r``:

- the *absolute* measures: mean and std (ddof 0) of the feature in each set;
- three distance samples: the training set's intra-set distances ``|r_i - r_j|`` (pairs i < j), the set's own
  intra-set distances ``|g_i - g_j|`` and the inter-set distances ``|g_i - r_j|`` (all pairs); their mean and std
  come from closed forms over the sorted values, so no pair list is built;
- the *relative* measures: the overlapped area and KL divergence of the training intra-set density against the
  inter-set density (exactly :func:`rnncells.music.metrics.compare_feature_sets`'s numbers: the same binned KDE,
  the same shared kernel width) and, as Yang & Lerch also report, of the set's own intra-set density against the
  inter-set density (``overlapped_area_intra``, ``kl_divergence_intra``).

:func:`distance_curves` gives the three densities on one grid, for the figure of the distributions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

# The binned KDE of rnncells.music.metrics, shared so that both modules give the same overlap and divergence.
from rnncells.music.metrics import (
    DISTANCE_BINS,
    KDE_GRID_POINTS,
    KL_FLOOR,
    NARROW_KERNEL,
    MetricInputError,
    _density,
    _distance_histogram,
    _weighted_std,
)

COMPARISON_MEASURES = (
    "overlapped_area",
    "kl_divergence",
    "overlapped_area_intra",
    "kl_divergence_intra",
    "set_mean",
    "set_std",
    "train_mean",
    "train_std",
    "intra_mean",
    "intra_std",
    "inter_mean",
    "inter_std",
    "train_intra_mean",
    "train_intra_std",
)
CURVES = ("train_intra", "set_intra", "inter")
KERNEL_CHUNK = 256  # bin centres per block of the mixture sum: a block is grid points x 256 kernels


def _kde(counts: np.ndarray, centres: np.ndarray, width: float) -> Callable[[np.ndarray], np.ndarray]:
    """The density of :func:`rnncells.music.metrics._density`, evaluated as a plain Gaussian mixture.

    ``gaussian_kde`` spends most of an evaluation's time on its general d-dimensional machinery; this is the same
    one-dimensional sum with the same kernel (gaussian_kde's: std = bw factor * the weighted sample std with
    ``np.cov``'s unbiased weights), up to a constant factor that the callers' normalisation removes.
    """
    used = counts > 0
    if used.sum() < 2 or _weighted_std(counts, centres) == 0.0:
        return _density(counts, centres, width)
    points = centres[used]
    weights = counts[used] / counts[used].sum()
    mean = weights @ points
    variance = (weights @ (points - mean) ** 2) / (1.0 - weights @ weights)
    scale = width / _weighted_std(counts, centres) * math.sqrt(variance)

    def density(x: np.ndarray) -> np.ndarray:
        total = np.zeros(len(x))
        for start in range(0, len(points), KERNEL_CHUNK):
            block = x[:, None] - points[None, start : start + KERNEL_CHUNK]
            block *= block
            block *= -0.5 / scale**2
            total += np.exp(block, out=block) @ weights[start : start + KERNEL_CHUNK]
        return total

    return density


def _pair_sums_within(values: np.ndarray) -> tuple[int, float, float]:
    """Number of pairs i < j, the sum of their |differences| and of their squared differences."""
    n = len(values)
    ordered = np.sort(values)
    absolute = float(ordered @ (2 * np.arange(n) - n + 1))
    squared = float(n * (values**2).sum() - values.sum() ** 2)
    return n * (n - 1) // 2, absolute, squared


def _pair_sums_between(a: np.ndarray, b: np.ndarray) -> tuple[int, float, float]:
    """Number of pairs (i, j), the sum of |a_i - b_j| and of (a_i - b_j)^2."""
    ordered = np.sort(b)
    prefix = np.concatenate(([0.0], np.cumsum(ordered)))
    below = np.searchsorted(ordered, a, side="right")
    absolute = float((a * below - prefix[below]).sum() + ((prefix[-1] - prefix[below]) - a * (len(b) - below)).sum())
    squared = float(len(b) * (a**2).sum() + len(a) * (b**2).sum() - 2 * a.sum() * b.sum())
    return len(a) * len(b), absolute, squared


def _mean_std(sums: tuple[int, float, float]) -> tuple[float, float]:
    pairs, absolute, squared = sums
    if pairs == 0:
        return math.nan, math.nan
    mean = absolute / pairs
    return mean, math.sqrt(max(squared / pairs - mean**2, 0.0))


def _overlap(p_counts: np.ndarray, q_counts: np.ndarray, centres: np.ndarray, songs: int, largest: float) -> tuple:
    """Overlapped area and KL(p || q) of two binned distance samples (steps 2-4 of compare_feature_sets)."""
    width = max(_weighted_std(p_counts, centres), _weighted_std(q_counts, centres)) * songs**-0.2
    if width == 0.0:
        width = NARROW_KERNEL * largest
    used = (p_counts > 0) | (q_counts > 0)
    grid = np.linspace(centres[used].min() - 4 * width, centres[used].max() + 4 * width, KDE_GRID_POINTS)
    p = _kde(p_counts, centres, width)(grid)
    q = _kde(q_counts, centres, width)(grid)
    p, q = p / p.sum(), q / q.sum()
    overlapped_area = float(np.minimum(p, q).sum())
    mass = p > 0
    kl_divergence = float((p[mass] * np.log(p[mass] / np.maximum(q[mass], KL_FLOOR))).sum())
    return min(overlapped_area, 1.0), max(kl_divergence, 0.0)


def _within_histogram(values: np.ndarray, bin_width: float) -> np.ndarray:
    counts = _distance_histogram(values, values, bin_width)
    counts[0] -= len(values)  # the self-pairs
    return counts // 2


def _checked(values: Sequence[float], what: str, minimum: int) -> np.ndarray:
    column = np.asarray(values, dtype=np.float64)
    if len(column) < minimum or not np.isfinite(column).all():
        raise MetricInputError(f"{len(column)} {what} values: give at least {minimum} finite numbers")
    return column


def compare_feature(generated: Sequence[float], reference: Sequence[float]) -> dict[str, float]:
    """Every measure of ``COMPARISON_MEASURES`` for one feature (module docstring).

    Needs at least 1 generated and 2 reference values; the set's intra-set measures are NaN below 2 songs.
    """
    g, r = _checked(generated, "generated", 1), _checked(reference, "reference", 2)
    result = {
        "set_mean": float(g.mean()),
        "set_std": float(g.std()),
        "train_mean": float(r.mean()),
        "train_std": float(r.std()),
    }
    result["intra_mean"], result["intra_std"] = _mean_std(_pair_sums_within(g))
    result["inter_mean"], result["inter_std"] = _mean_std(_pair_sums_between(g, r))
    result["train_intra_mean"], result["train_intra_std"] = _mean_std(_pair_sums_within(r))
    largest = float(max(g.max(), r.max()) - min(g.min(), r.min()))
    if largest == 0.0:
        same = {"overlapped_area": 1.0, "kl_divergence": 0.0, "overlapped_area_intra": 1.0, "kl_divergence_intra": 0.0}
        if len(g) < 2:
            same.update(overlapped_area_intra=math.nan, kl_divergence_intra=math.nan)
        return {name: (same | result)[name] for name in COMPARISON_MEASURES}
    bin_width = largest / (DISTANCE_BINS - 1)
    centres = (np.arange(DISTANCE_BINS) + 0.5) * bin_width
    inter = _distance_histogram(g, r, bin_width)
    songs = min(len(g), len(r))
    result["overlapped_area"], result["kl_divergence"] = _overlap(
        _within_histogram(r, bin_width), inter, centres, songs, largest
    )
    if len(g) >= 2:
        intra = _within_histogram(g, bin_width)
        result["overlapped_area_intra"], result["kl_divergence_intra"] = _overlap(intra, inter, centres, songs, largest)
    else:
        result["overlapped_area_intra"] = result["kl_divergence_intra"] = math.nan
    return {name: result[name] for name in COMPARISON_MEASURES}


def distance_curves(
    generated: Sequence[float], reference: Sequence[float], points: int = KDE_GRID_POINTS
) -> dict[str, np.ndarray]:
    """``{"distance", "train_intra", "set_intra", "inter"}``: the three distance densities on one grid.

    Gaussian KDEs with one kernel width for all three (Scott's rule over the songs of the smaller set, as in
    :func:`compare_feature`); each curve integrates to 1 over the grid of ``points`` distances. ``set_intra`` is
    all NaN below 2 songs.
    """
    g, r = _checked(generated, "generated", 1), _checked(reference, "reference", 2)
    largest = float(max(g.max(), r.max()) - min(g.min(), r.min())) or 1.0
    bin_width = largest / (DISTANCE_BINS - 1)
    centres = (np.arange(DISTANCE_BINS) + 0.5) * bin_width
    samples = {"train_intra": _within_histogram(r, bin_width), "inter": _distance_histogram(g, r, bin_width)}
    if len(g) >= 2:
        samples["set_intra"] = _within_histogram(g, bin_width)
    spreads = [_weighted_std(counts, centres) for counts in samples.values() if counts.sum() > 0]
    width = (max(spreads, default=0.0) * min(len(g), len(r)) ** -0.2) or NARROW_KERNEL * largest
    used = np.logical_or.reduce([counts > 0 for counts in samples.values()])
    grid = np.linspace(max(centres[used].min() - 4 * width, 0.0), centres[used].max() + 4 * width, points)
    step = grid[1] - grid[0]
    curves = {"distance": grid}
    for name in CURVES:
        if name not in samples or samples[name].sum() == 0:
            curves[name] = np.full(len(grid), np.nan)
            continue
        density = _kde(samples[name], centres, width)(grid)
        curves[name] = density / (density.sum() * step)
    return curves
