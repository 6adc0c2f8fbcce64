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
from scipy.stats import gaussian_kde

from rnncells.music.metrics import MetricInputError

KDE_GRID_POINTS = 1024
DISTANCE_BINS = 4096
KL_FLOOR = 1e-12
NARROW_KERNEL = 0.01

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


# The comparison of training and generated feature values through scipy's gaussian_kde, binned: the reference
# that the direct sums above are checked against (tests/music/test_yang_lerch.py).


def _distance_histogram(a: np.ndarray, b: np.ndarray, bin_width: float) -> np.ndarray:
    """Counts of |a_i - b_j| over all pairs (i, j), in DISTANCE_BINS bins of ``bin_width`` from 0."""
    counts = np.zeros(DISTANCE_BINS, dtype=np.int64)
    rows = max(1, 2_000_000 // max(len(b), 1))
    for begin in range(0, len(a), rows):
        distances = np.abs(a[begin : begin + rows, None] - b[None, :]).ravel()
        bins = np.minimum((distances / bin_width).astype(np.int64), DISTANCE_BINS - 1)
        counts += np.bincount(bins, minlength=DISTANCE_BINS)
    return counts


def _weighted_std(counts: np.ndarray, centres: np.ndarray) -> float:
    mean = np.average(centres, weights=counts)
    return float(np.sqrt(np.average((centres - mean) ** 2, weights=counts)))


def _density(counts: np.ndarray, centres: np.ndarray, width: float) -> Callable[[np.ndarray], np.ndarray]:
    """A Gaussian KDE of binned distances with kernel standard deviation ``width``.

    ``gaussian_kde`` scales its kernel by the sample's spread, so a sample with none (every distance in one
    bin) cannot go through it; its KDE is then the single kernel at that distance.
    """
    used = counts > 0
    spread = _weighted_std(counts, centres)
    if used.sum() < 2 or spread == 0.0:
        centre = float(centres[used][0])
        return lambda x: np.exp(-0.5 * ((x - centre) / width) ** 2)
    return gaussian_kde(centres[used], bw_method=width / spread, weights=counts[used])


def _compare_one_feature(generated: np.ndarray, reference: np.ndarray) -> dict[str, float]:
    largest = float(max(generated.max(), reference.max()) - min(generated.min(), reference.min()))
    if largest == 0.0:
        return {"overlapped_area": 1.0, "kl_divergence": 0.0}
    bin_width = largest / (DISTANCE_BINS - 1)
    centres = (np.arange(DISTANCE_BINS) + 0.5) * bin_width
    # Intra-set distances of the reference: all ordered pairs minus the n self-pairs (bin 0), halved.
    intra = _distance_histogram(reference, reference, bin_width)
    intra[0] -= len(reference)
    intra //= 2
    inter = _distance_histogram(generated, reference, bin_width)
    songs = min(len(generated), len(reference))
    width = max(_weighted_std(intra, centres), _weighted_std(inter, centres)) * songs**-0.2
    if width == 0.0:
        width = NARROW_KERNEL * largest
    used = (intra > 0) | (inter > 0)
    grid = np.linspace(centres[used].min() - 4 * width, centres[used].max() + 4 * width, KDE_GRID_POINTS)
    p = _density(intra, centres, width)(grid)
    q = _density(inter, centres, width)(grid)
    p, q = p / p.sum(), q / q.sum()
    overlapped_area = float(np.minimum(p, q).sum())
    mass = p > 0
    kl_divergence = float((p[mass] * np.log(p[mass] / np.maximum(q[mass], KL_FLOOR))).sum())
    return {"overlapped_area": min(overlapped_area, 1.0), "kl_divergence": max(kl_divergence, 0.0)}


def compare_feature_sets(
    generated: Sequence[dict[str, float]], reference: Sequence[dict[str, float]]
) -> dict[str, dict[str, float]]:
    """Yang & Lerch's relative measure: how a generated song set sits against a reference (training) set.

    For each feature (the keys of the dicts, e.g. from :func:`distribution_features`) it computes:

    1. the reference's *intra-set* distances ``|r_i - r_j|`` over all pairs ``i < j``, and the *inter-set*
       distances ``|g_i - r_j|`` over all pairs of a generated and a reference song. They are counted in
       4096 bins from 0 to the largest possible distance (memory for 4096 bins instead of all pairs; each
       distance moves by at most half a bin, 1/8192 of the feature's range);
    2. a Gaussian KDE of each (``scipy.stats.gaussian_kde`` on the bin centres weighted by their counts),
       both with the *same* kernel width ``h = max(std_intra, std_inter) * n ** (-1/5)``, Scott's rule with
       ``n`` = songs in the smaller set. Yang & Lerch let each KDE pick its own width from its number of
       pairs; with sets of different sizes the two kernels then differ, and integer features (pitch range,
       pitch-class count) come out as combs of different sharpness whose overlap is well below 1 even for
       two samples of one distribution. Pairs of songs are not independent, so the songs count as ``n``;
    3. both densities on one grid of 1024 points from the smallest to the largest distance seen, padded by
       ``4 h``, each normalised to sum 1 (``p`` intra-set, ``q`` inter-set);
    4. ``overlapped_area = sum(min(p, q))`` (1 = same shape, 0 = apart) and
       ``kl_divergence = KL(p || q) = sum(p * log(p / max(q, 1e-12)))`` in nats (0 = same; the floor keeps
       it finite, below 28, when the sets are far apart).

    If the generated songs were drawn like the reference ones, inter-set distances are distributed like the
    reference's intra-set distances: OA near 1, KL near 0. Constant features do not crash: a feature equal
    in every song of both sets gives OA 1 and KL 0; a distance sample with no spread is a single kernel
    (``gaussian_kde`` cannot take it), and if neither has spread the kernel width is 1% of the largest
    distance. Needs at least 1 generated and 2 reference songs.
    """
    if len(generated) < 1 or len(reference) < 2:
        raise MetricInputError(
            f"{len(generated)} generated and {len(reference)} reference songs: "
            "compare at least 1 generated song with at least 2 reference songs"
        )
    names = list(reference[0])
    result = {}
    for name in names:
        columns = []
        for label, songs in (("generated", generated), ("reference", reference)):
            missing = [index for index, features in enumerate(songs) if name not in features]
            if missing:
                raise MetricInputError(
                    f"{label} song {missing[0]} has no feature {name!r}; give every song the same features"
                )
            column = np.array([features[name] for features in songs], dtype=np.float64)
            if not np.isfinite(column).all():
                bad = int(np.flatnonzero(~np.isfinite(column))[0])
                raise MetricInputError(f"{label} song {bad}: feature {name!r} is {column[bad]}; give finite numbers")
            columns.append(column)
        result[name] = _compare_one_feature(*columns)
    return result
