"""The report's verdict at run level: who leads, by how much, with what interval, against whom it is tied.

Read from the run-level tables of one evaluation (rnncells.evaluation.replicates, computed from its songs.csv and
the grid's selection): the family is the selected configurations plus every other scored set (the dataset
baseline, an n-gram set, MIDI sets). A configuration *leads* only when its run-level tests against every other
selected configuration are significant after Holm's correction over the family; otherwise the verdict names the
tie. The tests are rnncells.evaluation.mixed_model's (a mixed model with the seed as a random effect, or its named
fallback); the permutation test on run means is quoted beside them as a check. With one seed per configuration the
tests have nothing to work with, and the verdict says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from rnncells.evaluation.replicates import HEADLINE_METRIC, split_replicate
from rnncells.study.figures import variance_plot
from rnncells.study.sections import FigureRef, Section

ALPHA = 0.05


@dataclass
class Verdict:
    """The outcome of one evaluation's run-level comparison (module docstring)."""

    leader: str
    leads: bool
    family: pd.DataFrame  # the family's rows of configurations.csv for the headline metric, lowest mean first
    versus: pd.DataFrame  # the leader's tests (VERSUS_COLUMNS), other minus leader
    ties: list[str] = field(default_factory=list)  # selected configurations the leader is not told apart from

    @property
    def row(self) -> pd.Series:
        return self.family.set_index("configuration").loc[self.leader]


def family_table(configurations: pd.DataFrame, metric: str = HEADLINE_METRIC) -> pd.DataFrame:
    """The family's rows for ``metric``, lowest mean (most tonal) first."""
    rows = configurations[(configurations["metric"] == metric) & configurations["in_family"].astype(bool)]
    return rows.sort_values("mean", kind="stable").reset_index(drop=True)


VERSUS_COLUMNS = [
    "other",
    "mean",
    "difference",
    "test",
    "ci_low",
    "ci_high",
    "p_value",
    "p_holm",
    "p_permutation",
    "smallest_p",
]


def _versus(tests: pd.DataFrame, leader: str, means: dict[str, float]) -> pd.DataFrame:
    """The leader's tests, each turned to read "other minus leader" (difference, its interval)."""
    rows = []
    for test in tests[(tests["configuration_a"] == leader) | (tests["configuration_b"] == leader)].to_dict("records"):
        flip = test["configuration_a"] == leader  # the tables hold a minus b; the verdict reads other minus leader
        other = test["configuration_b"] if flip else test["configuration_a"]
        low, high = test.get("ci_low", math.nan), test.get("ci_high", math.nan)
        rows.append(
            {
                "other": other,
                "mean": means[other],
                "difference": means[other] - means[leader],
                "test": test.get("test", "permutation"),
                "ci_low": -high if flip else low,
                "ci_high": -low if flip else high,
                "p_value": test["p_value"],
                "p_holm": test["p_holm"],
                "p_permutation": test.get("p_permutation", test["p_value"]),
                "smallest_p": test.get("smallest_p", math.nan),
            }
        )
    return pd.DataFrame(rows, columns=VERSUS_COLUMNS).sort_values("mean", kind="stable").reset_index(drop=True)


def decide(tables: dict[str, pd.DataFrame], models: set[str]) -> Verdict | None:
    """The verdict among the selected configurations ``models`` (None when none of them was scored)."""
    family = family_table(tables["configurations"])
    ranked = family[family["configuration"].isin(models)]
    if ranked.empty:
        return None
    leader = str(ranked["configuration"].iloc[0])
    versus = _versus(tables["run_tests"], leader, dict(zip(family["configuration"], family["mean"], strict=True)))
    rivals = versus[versus["other"].isin(models)]
    ties = [str(row.other) for row in rivals.itertuples() if not (row.p_holm < ALPHA)]
    return Verdict(leader, not ties and len(rivals) > 0, family, versus, ties)


def _interval(row: pd.Series) -> str:
    return f"95% interval [{row['ci_low']:.3f}, {row['ci_high']:.3f}]"


def _seeds_text(family: pd.DataFrame, models: set[str]) -> tuple[str, int]:
    counts = sorted({int(n) for n in family[family["configuration"].isin(models)]["seeds"]})
    one = f"{counts[0]} seed{'s' * (counts[0] != 1)}"
    text = one if len(counts) == 1 else f"{counts[0]} to {counts[-1]} seeds"
    return f"{text} per configuration", counts[-1]


def verdict_lines(
    name: str, verdict: Verdict, models: set[str], scopes: dict[str, str], corrected: Verdict | None
) -> list[str]:
    """The opening's sentences for one grid: leader or tie, gap, interval, seeds, baselines, corrected mode."""
    row, family = verdict.row, verdict.family
    seeds, most = _seeds_text(family, models)
    rivals = verdict.versus[verdict.versus["other"].isin(models)]
    if verdict.leads:
        head = f"**{verdict.leader}** leads on `{name}`"
    elif rivals.empty:
        head = f"**{verdict.leader}** is the only selected configuration on `{name}`"
    else:
        head = f"No configuration leads on `{name}`: **{verdict.leader}** has the lowest mean"
    lines = [
        f"{head} ({seeds}): mean general tonality {row['mean']:.3f} over its seeds' run means, "
        f"{_interval(row)} (hierarchical bootstrap: seeds, then songs)"
        + (f", between-seed SD {row['seed_sd']:.3f}" if not math.isnan(row["seed_sd"]) else "")
        + "."
    ]
    if len(rivals):
        nearest = rivals.iloc[0]
        lines.append(
            f"The next selected configuration, {nearest['other']}, is {nearest['difference']:.3f} higher"
            + _difference_text(nearest)
            + "."
        )
    lines += _test_lines(verdict, rivals, most)
    lines += _baseline_lines(verdict, models, scopes)
    if corrected is not None:
        lines.append(_corrected_line(verdict, corrected))
    return lines


TESTED_BY = (
    "run-level tests (a mixed model with the seed as a random effect, Holm over the selected configurations and the "
    "baselines)"
)


def _difference_text(test: pd.Series) -> str:
    """`` (95% interval of the difference [a, b], Holm p 0.03)`` from the run-level test, empty without one."""
    if test["test"] == "none" or math.isnan(test["p_value"]):
        return ""
    interval = ""
    if not math.isnan(test["ci_low"]):
        interval = f"95% interval of the difference [{test['ci_low']:.3f}, {test['ci_high']:.3f}], "
    return f" ({interval}Holm p {test['p_holm']:.2g})"


def _test_lines(verdict: Verdict, rivals: pd.DataFrame, most: int) -> list[str]:
    """Which rivals the tests tell the leader from, which test was used where, and what the seeds allow."""
    lines = []
    if verdict.ties and most > 1:
        shown = ", ".join(f"{r.other} (Holm p {r.p_holm:.2g})" for r in rivals.itertuples() if r.other in verdict.ties)
        lines.append(f"The {TESTED_BY} do not tell it from: {shown}.")
    elif verdict.leads:
        lines.append(f"The {TESTED_BY} separate it from every other selected configuration.")
    if most < 2:
        lines.append(
            "One seed per configuration: each is a single trained network, so its interval resamples songs only, "
            "no between-seed spread is measured, and run-level tests cannot separate anything; read the ranking as "
            "provisional."
        )
        return lines
    lines += _uneven_seeds(verdict.family, set(rivals["other"]) | {verdict.leader}, most)
    fallback = [str(r.other) for r in verdict.versus.itertuples() if r.test.startswith("welch-runs")]
    untested = [str(r.other) for r in verdict.versus.itertuples() if r.test == "none"]
    if fallback:
        lines.append(
            f"Against {_listed(fallback)} the mixed model put the seed variance at zero (or did not converge), so "
            "Welch's t on run means gave the p-value instead."
        )
    if untested:
        lines.append(f"Against {_listed(untested)} no run-level test is possible: one seed on a side, none to compare.")
    floor = float(rivals["smallest_p"].min()) if len(rivals) else math.nan
    if not math.isnan(floor) and floor >= ALPHA:
        nearest = rivals.iloc[0]
        lines.append(
            f"As a check, the exact permutation test on run means gives p {nearest['p_permutation']:.2g} against "
            f"{nearest['other']}; with these seeds it cannot go below {floor:.2g}, so it alone could never show a "
            "lead at 0.05."
        )
    return lines


def _uneven_seeds(family: pd.DataFrame, models: set[str], most: int) -> list[str]:
    """A partly finished replicate: which selected configurations have fewer seeds than the most any has."""
    rows = family[family["configuration"].isin(models) & (family["seeds"] < most)]
    if rows.empty:
        return []
    fewer = [f"{r.configuration} {int(r.seeds)}" for r in rows.itertuples()]
    return [
        f"Not every configuration has all {most} seeds yet ({_listed(fewer, 6)}): each is compared over the seeds "
        "it has, the mixed model pooling the seed variance of both sides."
    ]


def likeness_lines(verdict: Verdict, rankings: pd.DataFrame | None, models: set[str]) -> list[str]:
    """The second ranking (rankings.csv, rnncells.evaluation.corpus): each selected configuration's corpus-likeness,
    the mean over its runs of the overlapped area with the training songs' feature distributions, and where the
    tonality leader stands in it; the test songs, cut alike, as the human ceiling. Empty without rankings."""
    if rankings is None or rankings.empty or rankings["corpus_likeness"].isna().all():
        return []
    table = rankings.assign(configuration=[split_replicate(str(n))[0] for n in rankings["model_name"]])
    ours = table[table["configuration"].isin(models)].groupby("configuration")["corpus_likeness"].mean()
    ours = ours.dropna().sort_values(ascending=False, kind="stable")
    if verdict.leader not in ours.index:
        return []
    first, features = table.iloc[0], str(table.iloc[0]["features"]).split(";")
    how = (
        f"the mean overlapped area of {len(features)} per-song feature distributions with the training songs', every "
        f"song cut to {int(first['cut_length'])} notes; higher is more like the corpus"
    )
    place = list(ours.index).index(verdict.leader) + 1
    if place == 1:
        line = f"By the second ranking, corpus-likeness ({how}), the tonality leader is also the most corpus-like"
    else:
        line = (
            f"By the second ranking, corpus-likeness ({how}), the most corpus-like selected configuration is "
            f"**{ours.index[0]}** ({ours.iloc[0]:.3f}); the tonality leader ranks {place} of {len(ours)}"
        )
    line += f" ({ours[verdict.leader]:.3f})"
    test = table[table["model_name"] == "dataset-test-cut"]["corpus_likeness"]
    return [line + (f"; the test songs, cut alike, reach {test.iloc[0]:.3f}." if len(test) else ".")]


def _corrected_line(verdict: Verdict, corrected: Verdict) -> str:
    """Whether the verdict holds when the songs are scored in corrected mode."""
    same = corrected.leader == verdict.leader
    who = "the same configuration" if same else corrected.leader
    status = "leads" if corrected.leads else f"has the lowest mean, not told apart from {_listed(corrected.ties)}"
    line = f"In corrected mode (evaluation-corrected/) {who} {status} ({corrected.row['mean']:.3f}, "
    line += f"{_interval(corrected.row)})"
    means = dict(zip(corrected.family["configuration"], corrected.family["mean"], strict=True))
    if not same and verdict.leader in means:
        line += f"; {verdict.leader} is {means[verdict.leader] - corrected.row['mean']:.3f} higher there"
    return line + "."


def _listed(names: list[str], at_most: int = 3) -> str:
    """``a, b, c`` or ``a, b, c and 5 others``; ``no other`` for none."""
    if not names:
        return "no other"
    rest = len(names) - at_most
    return ", ".join(names[:at_most]) + (f" and {rest} other(s)" if rest > 0 else "")


def _baseline_lines(verdict: Verdict, models: set[str], scopes: dict[str, str]) -> list[str]:
    baselines = verdict.versus[~verdict.versus["other"].isin(models)]
    if baselines.empty:
        return []
    rows = verdict.family.set_index("configuration")
    untested = bool(baselines["p_holm"].isna().all())
    shown = []
    for test in baselines.itertuples():
        scope = f" ({scopes[test.other]})" if scopes.get(test.other) else ""
        side = "more" if test.difference > 0 else "less"
        tested = "" if untested else f", Holm p {test.p_holm:.2g}" if not math.isnan(test.p_holm) else ", untested"
        shown.append(
            f"{test.other}{scope} {test.mean:.3f} ({_interval(rows.loc[test.other])}; the leader is "
            f"{abs(test.difference):.3f} {side} tonal{tested})"
        )
    head = "each a single song set, with no between-seed variance"
    head += "; with one seed of the leader no run-level test is possible" if untested else ""
    return [f"Against the baselines ({head}): " + "; ".join(shown) + "."]


def shown_family(verdict: Verdict) -> pd.DataFrame:
    """The family as the report prints it: seeds, mean of run means, between-seed SD, interval."""
    family = verdict.family
    return pd.DataFrame(
        {
            "configuration": family["configuration"],
            "seeds": family["seeds"].astype(int),
            "mean": [f"{v:.3f}" for v in family["mean"]],
            "seed SD": ["--" if math.isnan(v) else f"{v:.3f}" for v in family["seed_sd"]],
            "95% interval": [
                f"[{lo:.3f}, {hi:.3f}]" for lo, hi in zip(family["ci_low"], family["ci_high"], strict=True)
            ],
        }
    )


def variance_section(name: str, variance: pd.DataFrame, out: Path) -> Section | None:
    """Where the spread of the models' run means comes from: a table and a bar figure (None without spread)."""
    if variance["sum_sq"].sum() <= 0 or variance["share"].isna().all():
        return None
    seed = variance.set_index("source").loc["seed"]
    lines = [
        "Sequential sums of squares of every scored model's run mean (general tonality): representation, then cell, "
        "then depth, then what else tells configurations apart, and last the seed (runs of one configuration)."
    ]
    if seed["df"] == 0:
        lines.append("One seed per configuration: the seed's share cannot be measured and no F test is possible.")
    shown = variance.assign(
        share=[f"{v:.0%}" for v in variance["share"]],
        sum_sq=[f"{v:.4f}" for v in variance["sum_sq"]],
        f_value=["--" if math.isnan(v) else f"{v:.2f}" for v in variance["f_value"]],
        p_value=["--" if math.isnan(v) else f"{v:.2g}" for v in variance["p_value"]],
    )
    section = Section(f"{name}: where the variance comes from", lines, [(f"{name}: ANOVA of run means", shown)])
    stem = f"figures/{name}-variance"
    variance_plot(variance, out / stem, f"{name}: share of the run means' spread")
    section.figures.append(FigureRef(stem, f"{name}: share of the spread of run means by source"))
    return section
