"""Does the answer survive a second seed? The leader and selection's choices taken seed by seed.

For a grid with two or more seeds (selection.json's ``run_scores``, every run's best validation loss), each seed is
treated as if it were the only one: per (variant, cell) the configuration with the lowest best validation loss of
that seed's run, then the leader, the chosen configuration whose seed run has the lowest mean general tonality
(runs.csv). Only configurations that have that seed take part, so like is compared with like in a partly finished
replicate. Beside the seed rows: the grid's own answer (each configuration over all the seeds it has, as
selection.json and the verdict use them) and, when not every configuration has every seed, the same over the seeds
every configuration has.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from rnncells.evaluation.replicates import HEADLINE_METRIC, split_replicate
from rnncells.files import write_text_atomic
from rnncells.study.sections import Section

ALL_SEEDS = "mean, all seeds"


def _seed_scores(selection: dict) -> dict[str, dict[str, dict[int, float]]]:
    """{group: {configuration: {seed: best score}}} from selection.json (runs without a seed part are left out)."""
    scores: dict[str, dict[str, dict[int, float]]] = {}
    for group, entry in selection.items():
        for configuration, runs in (entry.get("run_scores") or {}).items():
            for name, score in runs.items():
                seed = split_replicate(name)[1]
                if seed is not None:
                    scores.setdefault(group, {}).setdefault(configuration, {})[seed] = float(score)
    return scores


def grid_seeds(selection: dict) -> list[int]:
    """Every seed any run of the grid has, in order."""
    return sorted({seed for group in _seed_scores(selection).values() for runs in group.values() for seed in runs})


def _choose(scores: dict[str, dict[int, float]], seeds: list[int]) -> str | None:
    """The configuration with the lowest mean score over ``seeds`` among those that have all of them."""
    means = {name: sum(runs[s] for s in seeds) / len(seeds) for name, runs in scores.items() if set(seeds) <= set(runs)}
    return min(means, key=means.get) if means else None


def _tonality(runs: pd.DataFrame, configuration: str, seeds: list[int] | None, metric: str) -> float:
    """Mean of the configuration's run means over ``seeds`` (None: every scored seed); NaN when one is unscored."""
    rows = runs[runs["configuration"] == configuration]
    if seeds is not None:
        rows = rows[rows["seed"].isin(seeds)]
        if len(rows) < len(seeds):
            return math.nan
    values = rows[metric].dropna()
    return float(values.mean()) if len(values) else math.nan


def _row(label: str, choices: dict[str, str | None], runs: pd.DataFrame, seeds: list[int] | None, metric: str) -> dict:
    """One row of the table: the leader among ``choices`` by tonality over ``seeds``, and each group's choice."""
    means = {name: _tonality(runs, name, seeds, metric) for name in choices.values() if name}
    scored = {name: value for name, value in means.items() if not math.isnan(value)}
    leader = min(scored, key=scored.get) if scored else ""
    row = {"seeds": label, "leader": leader, metric: scored.get(leader, math.nan)}
    for group, name in choices.items():
        row[group] = name[len(group) + 1 :] if name and name.startswith(f"{group}-") else (name or "")
    return row


def seed_table(selection: dict, runs: pd.DataFrame, metric: str = HEADLINE_METRIC) -> pd.DataFrame | None:
    """One row per seed, then the grid's answer over all seeds (and over the common seeds when some configuration
    lacks one): ``seeds``, ``leader``, its ``metric`` and per (variant, cell) the chosen configuration (its name
    without the group, e.g. ``2`` for 2 layers). None for a grid with fewer than two seeds."""
    scores, seeds = _seed_scores(selection), grid_seeds(selection)
    if len(seeds) < 2:
        return None
    rows = [
        _row(f"seed {seed}", {g: _choose(c, [seed]) for g, c in scores.items()}, runs, [seed], metric) for seed in seeds
    ]
    chosen = {group: selection[group].get("selected") for group in scores}
    rows.append(_row(ALL_SEEDS, chosen, runs, None, metric))
    common = sorted(set.intersection(*(set(r) for c in scores.values() for r in c.values())))
    if common != seeds and common:
        shown = ", ".join(map(str, common))
        choices = {g: _choose(c, common) for g, c in scores.items()}
        rows.append(_row(f"mean, seeds {shown} (common)", choices, runs, common, metric))
    return pd.DataFrame(rows)


def seed_counts(selection: dict) -> dict[str, int]:
    """How many seeds each configuration of the grid has finished."""
    return {name: len(runs) for group in _seed_scores(selection).values() for name, runs in group.items()}


def replicated_scope(selection: dict) -> tuple[int, int, bool]:
    """(configurations with the most seeds, all configurations, whether some (variant, cell) has more than one of
    them, so that a later seed's selection had a choice to make)."""
    counts = {
        group: [len(runs) for runs in configurations.values()]
        for group, configurations in _seed_scores(selection).items()
    }
    most = max((n for group in counts.values() for n in group), default=0)
    replicated = {group: sum(n == most for n in seeds) for group, seeds in counts.items()}
    total = sum(len(seeds) for seeds in counts.values())
    return sum(replicated.values()), total, any(n > 1 for n in replicated.values())


def _names(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def seed_sentence(
    table: pd.DataFrame, ties: list[str], leads: bool, partial: bool = False, scope: tuple[int, int, bool] | None = None
) -> str:
    """The opening's sentence: whether every seed names the same leader and depths, and what their mean names;
    ``partial``: some configurations have fewer seeds (``replicate_configurations``), so a later seed chooses among
    the replicated configurations only, and its agreement says less; ``scope``: :func:`replicated_scope`."""
    per_seed = table[table["seeds"].str.startswith("seed ")]
    overall = table[table["seeds"] == ALL_SEEDS].iloc[0]
    labels = _names(list(per_seed["seeds"]))
    leaders = [leader or "none scored" for leader in per_seed["leader"]]
    groups = [c for c in table.columns if c not in ("seeds", "leader", HEADLINE_METRIC) and c in per_seed]
    changing = [g for g in groups if per_seed[g].nunique() > 1]
    tied = f", tied with {_names(ties)}" if ties else (", which leads" if leads else "")
    if len(set(leaders)) == 1:
        text = f"Seed by seed, {labels} all name {leaders[0]} the most tonal selected configuration"
    else:
        named = "; ".join(f"{label} {leader}" for label, leader in zip(per_seed["seeds"], leaders, strict=True))
        text = f"Seed by seed, {labels} name different leaders ({named})"
    text += f"; their mean names {overall['leader'] or 'no scored configuration'}{tied}"
    if changing:
        text += f"; selection's choice differs between seeds for {_names(changing)}"
    elif partial and scope and scope[2]:
        text += (
            f"; the later seeds were run for {scope[0]} of the {scope[1]} configurations, and among those selection"
            " picks the same configuration in every seed"
        )
    elif partial:
        text += (
            "; the later seeds were run for the first seed's selected configurations only, so they repeat its choice"
        )
    else:
        text += "; selection picks the same configuration in every seed"
    return text + " (table: the answer seed by seed)."


def unscored_choices(table: pd.DataFrame, runs: pd.DataFrame) -> list[str]:
    """The runs a seed's own selection chose whose songs were not scored (generated only with ``--all-models``)."""
    scored = {(str(c), int(s)) for c, s in zip(runs["configuration"], runs["seed"]) if pd.notna(s)}
    groups = [column for column in table.columns if column not in ("seeds", "leader", HEADLINE_METRIC)]
    missing = []
    for row in table[table["seeds"].str.startswith("seed ")].to_dict("records"):
        seed = int(row["seeds"].removeprefix("seed "))
        chosen = [f"{group}-{row[group]}" for group in groups if row[group]]  # a run's name may put -seedN inside
        missing += [f"{name} seed {seed}" for name in chosen if (name, seed) not in scored]
    return missing


def seed_section(name: str, selection: dict, runs: pd.DataFrame, out: Path) -> tuple[Section, pd.DataFrame] | None:
    """The report's section "the answer seed by seed" and its table, also written as ``<out>/<name>-seeds.csv``;
    None for a grid with fewer than two seeds."""
    table = seed_table(selection, runs)
    if table is None:
        return None
    write_text_atomic(Path(out) / f"{name}-seeds.csv", table.to_csv(index=False))
    lines = [
        "Each seed taken as if it were the only one: per variant and cell the configuration with the lowest best "
        "validation loss of that seed's run, then the leader, the one whose seed run has the lowest mean general "
        "tonality; only configurations that have the seed take part. One column per seed, then the mean over all "
        "seeds (as selection.json and the verdict take it) and, when some configuration lacks a seed, over the seeds "
        "they all have (common); the rows per variant and cell show the chosen configuration without its group (its "
        f"depth). Also in `{name}-seeds.csv`, one row per seed."
    ]
    counts = seed_counts(selection)
    most = max(counts.values())
    fewer = [f"{configuration} {count}" for configuration, count in counts.items() if count < most]
    if fewer:
        lines.append(f"Not every configuration has all {most} seeds: {', '.join(fewer)} (the others {most}).")
    unscored = unscored_choices(table, runs)
    if unscored:
        lines.append(
            f"{len(unscored)} run(s) a seed chose on its own were not scored ({', '.join(unscored[:4])}"
            f"{', ...' if len(unscored) > 4 else ''}; `rnncells grid run --all-models` generates every run's songs): "
            "that seed's leader is taken among the scored ones."
        )
    shown = table.assign(**{HEADLINE_METRIC: ["--" if math.isnan(v) else f"{v:.3f}" for v in table[HEADLINE_METRIC]]})
    shown = shown.set_index("seeds").T  # a column per seed: a grid has far more groups than seeds
    shown.insert(0, "per seed", list(shown.index))
    shown = shown.reset_index(drop=True)
    shown.columns.name = None
    section = Section(f"{name}: the answer seed by seed", lines, [(f"{name}: leader and selection per seed", shown)])
    return section, table
