"""The run-level test between two configurations (docs/method.md §4 "Replicates"): a linear mixed model with the
run (seed) as a random effect, and the fallbacks it needs when that model cannot be fitted.

Model, fitted by REML (statsmodels ``MixedLM``) on the songs of both configurations::

    song metric = intercept + difference * [song of a] + u_run * [run of a seeded configuration] + e_song

with ``u_run ~ N(0, seed variance)`` and ``e_song ~ N(0, song variance)``. A set without a seed (a baseline: the
dataset, an n-gram set, a MIDI folder) is one group whose random effect is switched off: it has no between-seed
variance, its mean is known up to its songs' spread. The difference is tested with a Wald t on the between-run
degrees of freedom (the seeded runs less one per seeded configuration), not a normal z: with 3 runs against 3, a z
test would call about one null pair in eight. In a balanced design the test then equals Student's t on run means,
but unlike a permutation test its p-value is not floored at 0.1 for 3 seeds against 3.

A fit is *degenerate* when statsmodels raises, does not converge, gives a non-finite estimate or standard error, or
puts the seed variance at zero (below :data:`ZERO_SEED_VARIANCE`, the boundary: the songs then explain all the
spread and the model would treat the songs as independent); the test then falls back to Welch's t on run means, a
set without a seed contributing its songs' standard error. Which test gave each p-value is recorded (:data:`TESTS`).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

LEVEL = 0.95
# A seed variance below this share of a run mean's song variance (song variance / songs per run) is the boundary,
# zero: REML's optimizer stops near zero rather than at it (about 1e-4 of it for identical runs).
ZERO_SEED_VARIANCE = 1e-3
TESTS = {
    "mixed": "linear mixed model, run as random effect (REML), Wald t on the between-run degrees of freedom",
    "welch-runs": "Welch's t on run means (the mixed model was degenerate; a set without a seed counts its songs)",
    "welch-songs": "Welch's t on songs (neither side has seeds, so neither has between-seed variance)",
    "none": "no test: a configuration with one seed has no between-seed spread of its own to compare against",
}


@dataclass(frozen=True)
class Side:
    """One configuration's songs, run by run; ``seeded`` is False for a set without a seed (a baseline)."""

    runs: list[np.ndarray]
    seeded: bool = True

    @classmethod
    def of(cls, runs: list[np.ndarray], seeded: bool = True) -> Side:
        """The side with NaN songs and empty runs left out."""
        kept = [np.asarray(run, dtype=float) for run in runs]
        kept = [run[~np.isnan(run)] for run in kept]
        return cls([run for run in kept if len(run)], seeded)

    @property
    def between_df(self) -> int:
        """Degrees of freedom this side lends the seed variance: its runs less one (none without seeds)."""
        return max(0, len(self.runs) - 1) if self.seeded else 0


@dataclass(frozen=True)
class RunTest:
    """The outcome of one comparison: the estimated difference a minus b, its interval and p-value."""

    test: str
    estimate: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    p_value: float = math.nan
    df: float = math.nan
    seed_variance: float = math.nan  # the mixed model's estimate (NaN for the other tests)


def _t_outcome(test: str, estimate: float, se: float, df: float, level: float, seed_variance: float) -> RunTest:
    """Wald t on ``df`` degrees of freedom: interval and two-sided p (zero spread: p 1 or 0, interval a point)."""
    if se == 0:
        return RunTest(test, estimate, estimate, estimate, 1.0 if estimate == 0 else 0.0, df, seed_variance)
    half = float(stats.t.ppf((1 + level) / 2, df)) * se
    p = float(2 * stats.t.sf(abs(estimate) / se, df))
    return RunTest(test, estimate, estimate - half, estimate + half, p, df, seed_variance)


def _mean_error(side: Side) -> tuple[float, float, int] | None:
    """Mean, squared standard error and degrees of freedom of a side's mean for Welch: over run means for a
    seeded configuration (None with one run), over songs for a set without a seed (None with one song)."""
    values = np.array([run.mean() for run in side.runs]) if side.seeded else np.concatenate(side.runs or [[]])
    if len(values) < 2:
        return None
    return float(values.mean()), float(values.var(ddof=1) / len(values)), len(values) - 1


def welch(a: Side, b: Side, level: float = LEVEL) -> RunTest:
    """Welch's t on run means (``welch-runs``), or on songs when neither side has seeds (``welch-songs``);
    ``none`` when a seeded side has a single run."""
    name = "welch-runs" if a.seeded or b.seeded else "welch-songs"
    first, second = _mean_error(a), _mean_error(b)
    if first is None or second is None:
        return RunTest("none")
    (mean_a, var_a, df_a), (mean_b, var_b, df_b) = first, second
    variance = var_a + var_b
    df = variance**2 / (var_a**2 / df_a + var_b**2 / df_b) if variance > 0 else float(df_a + df_b)
    return _t_outcome(name, mean_a - mean_b, math.sqrt(variance), df, level, math.nan)


def _design(a: Side, b: Side) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Response, fixed effects (intercept, song of a), groups (one per run) and the random-effect switch."""
    values, is_a, groups, switch = [], [], [], []
    for flag, side in ((1.0, a), (0.0, b)):
        for run in side.runs:
            values.append(run)
            is_a.append(np.full(len(run), flag))
            groups.append(np.full(len(run), len(groups)))
            switch.append(np.full(len(run), 1.0 if side.seeded else 0.0))
    x = np.concatenate(is_a)
    return np.concatenate(values), np.column_stack([np.ones_like(x), x]), np.concatenate(groups), np.concatenate(switch)


def mixed_model(a: Side, b: Side, level: float = LEVEL) -> RunTest | None:
    """The mixed model's test of a minus b (module docstring); None when the fit is degenerate."""
    from statsmodels.regression.mixed_linear_model import MixedLM

    df = a.between_df + b.between_df
    if df < 1 or not a.runs or not b.runs:
        return None
    y, exog, groups, switch = _design(a, b)
    try:
        with warnings.catch_warnings(), np.errstate(invalid="ignore"):
            warnings.simplefilter("ignore")  # convergence, boundary, singular covariance: judged from the fit below
            fit = MixedLM(y, exog, groups=groups, exog_re=switch[:, None]).fit(reml=True)
            estimate, se = float(fit.fe_params[1]), float(fit.bse_fe[1])  # the standard errors are computed here
            seed_variance, scale = float(np.asarray(fit.cov_re).ravel()[0]), float(fit.scale)
    except (np.linalg.LinAlgError, ValueError, IndexError, ZeroDivisionError):
        return None
    finite = all(math.isfinite(v) for v in (estimate, se, seed_variance, scale))
    songs_per_run = len(y) / (len(a.runs) + len(b.runs))
    if not fit.converged or not finite or seed_variance <= ZERO_SEED_VARIANCE * scale / songs_per_run:
        return None
    return _t_outcome("mixed", estimate, se, df, level, seed_variance)


def compare(a: Side, b: Side, level: float = LEVEL) -> RunTest:
    """The run-level test of a minus b: the mixed model where a seeded side gives it between-run degrees of
    freedom and the fit is sound, else Welch's t (:data:`TESTS` names which)."""
    if not (a.seeded or b.seeded):
        return welch(a, b, level)
    return mixed_model(a, b, level) or welch(a, b, level)
