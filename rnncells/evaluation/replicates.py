"""Statistics over replicated runs (docs/method.md §4 "Replicates"): the unit is the trained network, not the song.

A *run* is one scored song set; its *configuration* is its name without the ``-seedN`` part
(:func:`split_replicate`), so ``control-gru-2-seed0`` and ``control-gru-2-seed1`` are two runs of ``control-gru-2``,
and a set without a seed (the ``dataset`` baseline, an ``ngram-3`` set, plain MIDI) is a configuration with one run.
Per configuration and metric: the mean over runs of the run means, the between-seed standard deviation and a 95%
interval from a hierarchical bootstrap (resample runs, then songs within each drawn run). Between the members of a
family (the selected configurations and the baselines): a linear mixed model with the run as a random effect
(rnncells.evaluation.mixed_model, with its fallbacks), Holm-corrected, and an exact permutation test on run means
beside it as a check (with 3 seeds against 3 it cannot go below p 0.1).
The spread of the models' run means is split into representation, cell, depth, other differences and seed by
sequential least squares (an ANOVA on run means). No Keras here.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd
from scipy import stats

from rnncells.evaluation.columns import CONFIGURATION_COLUMNS, METRICS, RUN_TESTS_COLUMNS, RUNS_COLUMNS
from rnncells.evaluation.mixed_model import Side, compare
from rnncells.evaluation.statistics import holm
from rnncells.generation.ngram import NGRAM_CELL
from rnncells.generation.song_set import is_final_weights

HEADLINE_METRIC = "general"
SEED_PART = re.compile(r"-seed(\d+)(?=-|$)")
N_BOOT = 2000
LEVEL = 0.95
MAX_EXACT = 20000  # splits enumerated exactly; above that, random splits
N_PERMUTATIONS = 10000
RUN_TEST_FIELDS = ("test", "estimate", "ci_low", "ci_high", "df", "seed_variance", "p_value")
VARIANCE_SOURCES = ("representation", "cell", "depth", "other (interactions, other axes)", "seed")


def replicate_name(configuration: str, seed: int) -> str:
    """The run name of one seed of a configuration: ``control-gru-2-seed1``."""
    return f"{configuration}-seed{seed}"


def split_replicate(name: str) -> tuple[str, int | None]:
    """``control-gru-2-seed1`` -> (``control-gru-2``, 1); a name without a seed part -> (name, None)."""
    match = SEED_PART.search(name)
    if not match:
        return name, None
    return name[: match.start()] + name[match.end() :], int(match.group(1))


def run_means(songs: pd.DataFrame, metrics: Iterable[str] = METRICS) -> pd.DataFrame:
    """One row per scored set (run): its configuration, seed, variant, cell, layers, song count and mean of every
    metric (NaN songs left out), in the order the sets appear in ``songs``."""
    metrics = list(metrics)
    rows = []
    for name, group in songs.groupby("model_name", sort=False):
        configuration, seed = split_replicate(str(name))
        first = group.iloc[0]
        row = {"model_name": name, "configuration": configuration, "seed": seed}
        row.update({column: first[column] for column in ("variant", "cell", "layers")})
        row["songs"] = len(group)
        row.update({metric: float(group[metric].mean()) for metric in metrics})
        rows.append(row)
    columns = [*RUNS_COLUMNS, *metrics]
    table = pd.DataFrame(rows, columns=columns)
    table["seed"] = table["seed"].astype("Int64")
    return table


def hierarchical_bootstrap(
    groups: list[np.ndarray], n_boot: int = N_BOOT, rng: np.random.Generator | None = None, level: float = LEVEL
) -> tuple[float, float]:
    """Percentile interval of the mean of group means: each replicate draws as many groups as there are, with
    replacement, then resamples each drawn group's values, each draw on its own. One group: songs only."""
    groups = [np.asarray(g, dtype=float) for g in groups]
    groups = [g[~np.isnan(g)] for g in groups]
    groups = [g for g in groups if len(g)]
    if not groups:
        return math.nan, math.nan
    rng = rng or np.random.default_rng(0)
    k = len(groups)
    picks = rng.integers(0, k, size=(n_boot, k))
    total = np.zeros(n_boot)
    for position, values in enumerate(groups):
        replicate = np.nonzero(picks == position)[0]
        if len(replicate):
            drawn = values[rng.integers(0, len(values), size=(len(replicate), len(values)))].mean(axis=1)
            np.add.at(total, replicate, drawn)
    low, high = np.quantile(total / k, [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)


def configuration_stats(songs: pd.DataFrame, runs: pd.DataFrame, n_boot: int = N_BOOT) -> pd.DataFrame:
    """Per configuration and metric: seeds (runs), songs, mean of run means, between-seed SD (ddof 1; NaN with one
    run), and the hierarchical bootstrap's 95% interval (seeded, so the same inputs give the same numbers)."""
    rows = []
    metrics = [metric for metric in METRICS if metric in runs]
    for configuration, members in runs.groupby("configuration", sort=False):
        first = members.iloc[0]
        for metric in metrics:
            groups = [songs.loc[songs["model_name"] == name, metric].to_numpy(float) for name in members["model_name"]]
            low, high = hierarchical_bootstrap(groups, n_boot, np.random.default_rng(0))
            means = members[metric].to_numpy(float)
            rows.append(
                {
                    "configuration": configuration,
                    "variant": first["variant"],
                    "cell": first["cell"],
                    "layers": first["layers"],
                    "metric": metric,
                    "seeds": len(members),
                    "songs": int(members["songs"].sum()),
                    "mean": float(np.mean(means)),
                    "seed_sd": float(np.std(means, ddof=1)) if len(means) > 1 else math.nan,
                    "ci_low": low,
                    "ci_high": high,
                }
            )
    return pd.DataFrame(rows, columns=list(CONFIGURATION_COLUMNS[:-1]))


def smallest_p(n_a: int, n_b: int) -> float:
    """The smallest two-sided p-value an exact permutation test on ``n_a`` against ``n_b`` run means can give."""
    if n_a < 1 or n_b < 1:
        return math.nan
    splits = math.comb(n_a + n_b, n_a)
    return min(1.0, (2 if n_a == n_b else 1) / splits)


def permutation_test(a: np.ndarray, b: np.ndarray, rng: np.random.Generator | None = None) -> float:
    """Two-sided permutation test of the difference of means of two sets of run means: the share of splits of the
    pooled runs whose |difference| is at least the observed one (every split when there are at most MAX_EXACT)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if not len(a) or not len(b):
        return math.nan
    pooled, n_a = np.concatenate([a, b]), len(a)
    observed = abs(a.mean() - b.mean())
    total = pooled.sum()
    if math.comb(len(pooled), n_a) <= MAX_EXACT:
        firsts = np.array(list(itertools.combinations(range(len(pooled)), n_a)))
    else:
        rng = rng or np.random.default_rng(0)
        firsts = np.argsort(rng.random((N_PERMUTATIONS, len(pooled))), axis=1)[:, :n_a]
    sums = pooled[firsts].sum(axis=1)
    differences = np.abs(sums / n_a - (total - sums) / (len(pooled) - n_a))
    return float(np.mean(differences >= observed - 1e-12))


def is_trained(runs: pd.DataFrame) -> bool:
    """Whether a configuration's runs are trained networks, whose mean varies from seed to seed: runs with a seed,
    or a grid configuration without one (a one-seed grid). The baselines are not: the dataset, its cut splits and
    MIDI sets have no cell, and an n-gram set's counts are fixed by its training songs."""
    cells = set(runs["cell"].fillna("").astype(str))
    return bool(runs["seed"].notna().any()) or bool(cells - {"", NGRAM_CELL})


def run_tests(
    songs: pd.DataFrame,
    runs: pd.DataFrame,
    family: list[str],
    metric: str = HEADLINE_METRIC,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Run-level tests between every pair of the family's configurations, Holm over the family: the mixed model
    with the run as a random effect or its fallback (rnncells.evaluation.mixed_model; ``test`` names which, and a
    set without a seed has no between-seed variance), with the permutation test on run means beside it as a check."""
    values = {name: group[metric].to_numpy(float) for name, group in songs.groupby("model_name", sort=False)}
    sides, means = {}, {}
    for name, group in runs.groupby("configuration", sort=False):
        seeded = is_trained(group)
        sides[name] = Side.of([values[run] for run in group["model_name"]], seeded)
        means[name] = group[metric].to_numpy(float)
    members = [name for name in family if name in means]
    rows = []
    for first, name_a in enumerate(members):
        for name_b in members[first + 1 :]:
            a, b = means[name_a], means[name_b]
            outcome = compare(sides[name_a], sides[name_b])
            rows.append(
                {
                    "metric": metric,
                    "configuration_a": name_a,
                    "configuration_b": name_b,
                    "seeds_a": len(a),
                    "seeds_b": len(b),
                    "mean_a": float(a.mean()),
                    "mean_b": float(b.mean()),
                    "difference": float(a.mean() - b.mean()),
                    **{key: getattr(outcome, key) for key in RUN_TEST_FIELDS},
                    "p_permutation": permutation_test(a, b),
                    "smallest_p": smallest_p(len(a), len(b)),
                }
            )
    table = pd.DataFrame(rows, columns=list(RUN_TESTS_COLUMNS[:-2]))
    table["p_holm"] = holm(table["p_value"].to_numpy(float)) if len(table) else []
    table["significant"] = table["p_holm"] < alpha
    return table


def _fitted_sum_of_squares(columns: list[np.ndarray], y: np.ndarray) -> tuple[float, int]:
    """Sum of squares of the least-squares fit of ``y`` on the columns (around the mean) and the fit's rank."""
    design = np.column_stack([np.ones(len(y)), *columns])
    coefficients, _, rank, _ = np.linalg.lstsq(design, y, rcond=None)
    fitted = design @ coefficients
    return float(np.sum((fitted - y.mean()) ** 2)), int(rank)


def _dummies(values: pd.Series) -> list[np.ndarray]:
    return [column.to_numpy(float) for _, column in pd.get_dummies(values.astype(str), drop_first=True).items()]


def variance_decomposition(runs: pd.DataFrame, metric: str = HEADLINE_METRIC) -> pd.DataFrame:
    """Sequential sums of squares of the trained models' run means: representation (variant), cell, depth
    (layers), then whatever else tells configurations apart (their interactions, other axes), then seed (the
    spread of runs of one configuration). One row per source: df, sum of squares, share of the total, F and p
    against the seed row (NaN without a second seed). Only trained models' sets count: the baselines (no cell, or
    the n-gram's) and the final-weights sets (``<run>-final``: the same networks as their runs) are left out."""
    cells = runs["cell"].fillna("").astype(str)
    names = runs["model_name"] if "model_name" in runs else runs["configuration"]
    finals = names.map(is_final_weights).astype(bool)
    trained = (cells != "") & (cells != NGRAM_CELL) & ~finals & runs[metric].notna()
    models = runs[trained].reset_index(drop=True)
    y = models[metric].to_numpy(float)
    factors = [models["variant"], models["cell"], models["layers"], models["configuration"]]
    columns: list[np.ndarray] = []
    rows, explained, rank = [], 0.0, 1
    for source, factor in zip(VARIANCE_SOURCES, factors, strict=False):
        columns += _dummies(factor)
        fitted, new_rank = _fitted_sum_of_squares(columns, y) if len(y) else (0.0, 1)
        rows.append({"source": source, "df": new_rank - rank, "sum_sq": fitted - explained})
        explained, rank = fitted, new_rank
    total = float(np.sum((y - y.mean()) ** 2)) if len(y) else 0.0
    rows.append({"source": "seed", "df": max(0, len(y) - rank), "sum_sq": max(0.0, total - explained)})
    table = pd.DataFrame(rows)
    table["share"] = table["sum_sq"] / total if total > 0 else math.nan
    residual = table.iloc[-1]
    mean_residual = residual["sum_sq"] / residual["df"] if residual["df"] > 0 else math.nan
    table["f_value"] = [
        (row.sum_sq / row.df) / mean_residual if row.df > 0 and mean_residual > 0 else math.nan
        for row in table.iloc[:-1].itertuples()
    ] + [math.nan]
    table["p_value"] = [
        float(stats.f.sf(f, row.df, residual["df"])) if not math.isnan(f) else math.nan
        for f, row in zip(table["f_value"], table.itertuples(), strict=True)
    ]
    return table


def replicate_tables(
    songs: pd.DataFrame, leave_out: Iterable[str] = (), n_boot: int = N_BOOT
) -> dict[str, pd.DataFrame]:
    """The run-level tables of one evaluation's songs: ``runs`` (per run means), ``configurations`` (per
    configuration and metric, with ``in_family``), ``run_tests`` (the family's run-level tests on general tonality)
    and ``variance`` (its decomposition). The family is every configuration not in ``leave_out`` but the
    final-weights sets (``<run>-final``)."""
    runs = run_means(songs)
    configurations = configuration_stats(songs, runs, n_boot)
    left_out = set(leave_out)
    # a final-weights set is the same network as its run: compared with it in the report, not a member of the family
    family = [
        name for name in dict.fromkeys(runs["configuration"]) if name not in left_out and not is_final_weights(name)
    ]
    configurations["in_family"] = configurations["configuration"].isin(family)
    return {
        "runs": runs,
        "configurations": configurations,
        "run_tests": run_tests(songs, runs, family),
        "variance": variance_decomposition(runs),
    }
