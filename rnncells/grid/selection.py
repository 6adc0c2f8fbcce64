"""Selection: per (variant, cell), the configuration whose runs have the lowest mean best ``select_by`` score.

A configuration is a run's name without its seed (rnncells.grid.plan); without replicates it has one run and the
rule is the study's (the run with the lowest best validation loss, docs/method.md §2). With replicates each run's
own best score (its metrics.csv) is averaged over the seeds that finished, so one lucky seed does not pick a depth.
selection.json (written through :class:`~rnncells.grid.paths.GridPaths`) keeps every run's score and the reason.
"""

from __future__ import annotations

from rnncells.grid.config import GridConfig
from rnncells.grid.plan import PlannedRun
from rnncells.grid.status import best_score, is_finished
from rnncells.study.grid_folder import GridPaths
from rnncells.training.run_folder import SELECT_BY


def _configuration_scores(members: list[PlannedRun], paths: GridPaths, select_by: str) -> dict[str, dict[str, float]]:
    """{configuration: {run name: best score}} over the finished runs of one group, in plan order."""
    scores: dict[str, dict[str, float]] = {}
    for run in members:
        score = best_score(paths, run, select_by) if is_finished(paths, run) else None
        if score is not None:
            scores.setdefault(run.configuration, {})[run.name] = score
    return scores


def _shared_seed_means(members: list[PlannedRun], scores: dict[str, dict[str, float]]) -> tuple[dict, list[int]]:
    """Each configuration's mean over the seeds every configuration of the group has planned (all of them unless
    ``replicate_configurations`` gave some configurations more seeds than others), and those seeds."""
    seed_of = {run.name: run.train.seed for run in members}
    planned: dict[str, set[int]] = {}
    for run in members:
        planned.setdefault(run.configuration, set()).add(run.train.seed)
    shared = sorted(set.intersection(*planned.values()))
    means = {}
    for configuration, runs in scores.items():
        values = [score for name, score in runs.items() if seed_of[name] in shared]
        if values:
            means[configuration] = sum(values) / len(values)
    return means, shared


def _seed_text(runs: dict[str, float], seeds: dict[str, int]) -> str:
    return ", ".join(f"seed {seeds[name]} {score:.4f}" for name, score in runs.items())


def _entry(members: list[PlannedRun], paths: GridPaths, select_by: str) -> dict:
    """One group's selection entry (module docstring)."""
    scores = _configuration_scores(members, paths, select_by)
    seeds = {run.name: run.train.seed for run in members}
    missing = sorted(run.name for run in members if not any(run.name in r for r in scores.values()))
    entry = {"select_by": select_by, "missing": missing, "run_scores": scores}
    if not scores:
        return {**entry, "selected": None, "runs": [], "candidates": {}, "why": "no finished run in this group"}
    means, shared = _shared_seed_means(members, scores)
    if not means:
        return {**entry, "selected": None, "runs": [], "candidates": {}, "why": f"no finished run of seed(s) {shared}"}
    chosen = min(means, key=means.get)
    measure = SELECT_BY[select_by]
    replicated = any(run.name != run.configuration for run in members)
    if replicated:
        count, own = len(scores[chosen]), _seed_text(scores[chosen], seeds)
        why = f"lowest mean best {measure} over {count} seed(s), {means[chosen]:.4f} ({own})"
        if len(shared) < len({run.train.seed for run in members}):
            common = f"the seeds every configuration has ({shared})"
            why = f"lowest mean best {measure} over {common}, {means[chosen]:.4f} ({own})"
        others = "; ".join(
            f"{name} {means[name]:.4f} ({_seed_text(scores[name], seeds)})" for name in means if name != chosen
        )
    else:
        why = f"lowest best {measure} {means[chosen]:.4f}"
        others = ", ".join(f"{name} {means[name]:.4f}" for name in sorted(means) if name != chosen)
    why += f" (others: {others})" if others else " (only candidate)"
    if missing:
        why += f"; not finished, left out: {', '.join(missing)}"
    return {
        **entry,
        "selected": chosen,
        "runs": list(scores[chosen]),
        "score": means[chosen],
        "candidates": means,
        "why": why,
    }


def select_runs(grid: GridConfig, runs: list[PlannedRun], paths: GridPaths) -> dict:
    """The configuration with the lowest mean best ``select_by`` score per (variant, cell) over its finished seeds,
    every run's score and the reason written down in selection.json; returns the selection."""
    groups: dict[tuple[str, str], list[PlannedRun]] = {}
    for run in runs:
        groups.setdefault(run.group, []).append(run)
    selection = {f"{variant}-{cell}": _entry(group, paths, grid.select_by) for (variant, cell), group in groups.items()}
    paths.write_selection(selection)
    return selection
