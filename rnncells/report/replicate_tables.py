"""LaTeX of the run-level tables (rnncells.evaluation.replicates): configurations, run-level tests, variance.

Written beside the song-level tables of rnncells.report.tables (``tables/table_configurations.tex``,
``table_run_tests.tex``, ``table_variance.tex``), each a standalone ``table`` float to ``\\input``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from rnncells.evaluation.folder import EvaluationFolder
from rnncells.evaluation.replicates import HEADLINE_METRIC
from rnncells.files import write_text_atomic
from rnncells.report.latex import escape_latex, latex_index, number, to_latex


def _p(value: float) -> str:
    """A p-value: three decimals, or two significant digits below 0.001 (so a small p does not read 0.000)."""
    return f"{value:.1e}" if 0 < value < 0.001 else number(value)


def _interval(low: float, high: float) -> str:
    return f"[{number(low)}, {number(high)}]"


def configurations_latex(configurations: pd.DataFrame, metric: str = HEADLINE_METRIC) -> str:
    """The family's configurations for ``metric``, lowest mean first: seeds, mean of run means, SD, interval."""
    rows = configurations[(configurations["metric"] == metric) & configurations["in_family"].astype(bool)]
    rows = rows.sort_values("mean", kind="stable")
    frame = pd.DataFrame(
        {
            "seeds": rows["seeds"].astype(int).astype(str).to_numpy(),
            "mean": [number(v) for v in rows["mean"]],
            "seed SD": [number(v) for v in rows["seed_sd"]],
            "95\\% interval": [_interval(lo, hi) for lo, hi in zip(rows["ci_low"], rows["ci_high"], strict=True)],
        },
        index=latex_index([(name,) for name in rows["configuration"]], ["configuration"]),
    )
    caption = (
        f"{escape_latex(metric)}: mean over seeds of the run means, between-seed SD and 95\\% hierarchical "
        "bootstrap interval (seeds, then songs), selected configurations and baselines"
    )
    return to_latex(frame, caption, "tab:configurations")


def run_tests_latex(tests: pd.DataFrame) -> str:
    """The family's run-level tests (a minus b): the test used, the estimate's 95% interval, p, Holm p, and the
    permutation test on run means beside them with the smallest p it could give."""
    missing = pd.Series([float("nan")] * len(tests), index=tests.index)
    frame = pd.DataFrame(
        {
            "difference": [number(v) for v in tests["difference"]],
            "test": [escape_latex(str(v)) for v in tests.get("test", pd.Series(["permutation"] * len(tests)))],
            "95\\% interval": [
                _interval(lo, hi) for lo, hi in zip(tests.get("ci_low", missing), tests.get("ci_high", missing))
            ],
            "p": [_p(v) for v in tests["p_value"]],
            "Holm p": [_p(v) for v in tests["p_holm"]],
            "permutation p": [number(v) for v in tests.get("p_permutation", tests["p_value"])],
            "smallest p": [number(v) for v in tests["smallest_p"]],
        },
        index=latex_index(list(zip(tests["configuration_a"], tests["configuration_b"], strict=True)), ["a", "b"]),
    )
    caption = (
        "Run-level tests on general tonality (a minus b): mixed model with the seed as a random effect (or the "
        "fallback named), Holm over the family; the permutation test on run means beside it as a check"
    )
    return to_latex(frame, caption, "tab:run-tests")


def variance_latex(variance: pd.DataFrame) -> str:
    """The ANOVA of run means: df, sum of squares, share, F and p per source."""
    frame = pd.DataFrame(
        {
            "df": variance["df"].astype(int).astype(str).to_numpy(),
            "sum of squares": [number(v, 4) for v in variance["sum_sq"]],
            "share": [number(v) for v in variance["share"]],
            "F": [number(v, 2) for v in variance["f_value"]],
            "p": [number(v) for v in variance["p_value"]],
        },
        index=latex_index([(source,) for source in variance["source"]], ["source"]),
    )
    return to_latex(frame, "Where the spread of run means comes from (general tonality)", "tab:variance")


def write_replicate_tables(eval_dir: Path, out_dir: Path) -> list[Path]:
    """Write the three run-level tables of ``eval_dir`` as LaTeX into ``out_dir``; none when it has no such tables."""
    tables = EvaluationFolder(eval_dir).read_replicates()
    if tables is None:
        return []
    texts = {
        "table_configurations": configurations_latex(tables["configurations"]),
        "table_run_tests": run_tests_latex(tables["run_tests"]) if len(tables["run_tests"]) else None,
        "table_variance": variance_latex(tables["variance"]),
    }
    return [write_text_atomic(Path(out_dir) / f"{name}.tex", text) for name, text in texts.items() if text]
