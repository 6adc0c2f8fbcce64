"""One grid's results as the study report reads them: the selection, the evaluation's tables, the run-level
tables, and the headline table of its selected configurations (with their depth curve, lead tests and the
answer it gives in words)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from rnncells.errors import RnncellsError
from rnncells.evaluation.columns import BASELINE_MODEL
from rnncells.evaluation.folder import EvaluationFolder
from rnncells.evaluation.replicates import replicate_tables
from rnncells.generation.song_set import FINAL_WEIGHTS_SUFFIX
from rnncells.study.grid_folder import GridPaths, selected_runs
from rnncells.study.sections import (
    axis_values,
    other_evaluations,
    own_run_songs,
    setting_text,
    swept_axis,
)

HEADLINE_METRIC = "general"


class ReportError(RnncellsError, ValueError):
    """A results folder that cannot be reported on; the message names it and the fix."""


@dataclass
class GridResult:
    """What the report reads of one grid's results folder."""

    paths: GridPaths
    selection: dict
    summary: pd.DataFrame
    tests: pd.DataFrame
    songs: pd.DataFrame
    record: dict
    axis: str = "layers"  # the field the runs of a (variant, cell) group differ in (study_sections.swept_axis)
    sizes: dict = field(default_factory=dict)  # each run's value of axis, when it is not layers
    replicates: dict = field(default_factory=dict)  # run-level tables (rnncells.evaluation.replicates)
    others: dict = field(default_factory=dict)  # {mode: GridResult} of the evaluation-<mode> folders, read once
    rankings: pd.DataFrame | None = None  # rankings.csv: each set's tonality and corpus-likeness ranks

    @property
    def name(self) -> str:
        return self.paths.root.name


def read_result(root: Path) -> GridResult:
    """Read one grid results folder written by ``rnncells grid run``."""
    paths = GridPaths(Path(root))
    evaluation = EvaluationFolder(paths.evaluation)
    if not paths.selection_path.is_file() or not evaluation.is_complete():
        raise ReportError(f"{paths.root}: no selection.json or complete evaluation/; run `rnncells grid run` first")
    selection = paths.read_selection()
    summary, songs, record = evaluation.read_summary(), evaluation.read_songs(), evaluation.read_record()
    axis = swept_axis(paths)
    sizes = {} if axis == "layers" else axis_values(paths, axis)
    tests, replicates = evaluation.read_tests(), run_level(selection, songs)
    result = GridResult(paths, selection, summary, tests, songs, record, axis, sizes, replicates)
    result.rankings = evaluation.read_rankings()
    for mode, other in other_evaluations(paths):  # scored in another mode: the same grid, other songs.csv
        other_songs = other.read_songs()
        result.others[mode] = GridResult(
            paths,
            selection,
            other.read_summary(),
            other.read_tests(),
            other_songs,
            other.read_record(),
            axis,
            sizes,
            run_level(selection, other_songs),
        )
    return result


def selected_models(selection: dict) -> set[str]:
    """The selected configurations (a configuration is a run's name without its seed)."""
    return {entry["selected"] for entry in selection.values() if entry.get("selected")}


def run_level(selection: dict, songs: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The run-level tests of ``songs`` with the grid's family: its selected configurations and every set that is
    no grid configuration (baselines); the configurations selection passed over, and the final-weights sets of the
    selected ones (another choice of weights, not a baseline; "which weights" compares them), are left out."""
    candidates = {name for entry in selection.values() for name in entry.get("candidates", {})}
    finals = {f"{name}{FINAL_WEIGHTS_SUFFIX}" for name in candidates}
    return replicate_tables(songs, leave_out=(candidates - selected_models(selection)) | finals)


def _with_axis(result: GridResult, songs: pd.DataFrame) -> pd.DataFrame:
    """``songs`` with a column for the swept axis (``layers`` is already there)."""
    if result.axis == "layers":
        return songs
    return songs.assign(**{result.axis: songs["model_name"].map(result.sizes)})


def model_mean_std(summary: pd.DataFrame, model: str, metric: str) -> tuple[float, float]:
    row = summary[(summary["model_name"] == model) & (summary["metric"] == metric)]
    return (float(row["mean"].iloc[0]), float(row["std"].iloc[0])) if len(row) else (math.nan, math.nan)


def headline(result: GridResult) -> pd.DataFrame:
    """One row per selected configuration: its swept value (depth, size), seeds, per metric the mean over seeds of
    its run means and the std over all its songs, the general tonality's between-seed SD and 95% interval, copied
    share and non-copied tonality (with one seed: the model's own songs, as before replicates)."""
    configurations = result.replicates["configurations"].set_index(["configuration", "metric"])
    rows = []
    for group, entry in sorted(result.selection.items()):
        model, runs = entry.get("selected"), selected_runs(entry)
        songs = _with_axis(result, result.songs[result.songs["model_name"].isin(runs)])
        if not model or songs.empty:
            continue
        value = songs[result.axis].iloc[0]
        value = int(value) if float(value).is_integer() else float(value)
        row = {"model": model, "group": group, result.axis: value, "setting": setting_text(result.axis, value)}
        row["songs"], row["seeds"] = len(songs), int(songs["model_name"].nunique())
        for metric in ("cmm", "lm", "centr", HEADLINE_METRIC):
            row[metric], row[f"{metric}_std"] = configurations.loc[(model, metric), "mean"], songs[metric].std()
        for column in ("seed_sd", "ci_low", "ci_high"):
            row[f"{HEADLINE_METRIC}_{column}"] = configurations.loc[(model, HEADLINE_METRIC), column]
        if "copied" in songs:
            kept = songs[songs["copied"] < 0.5]
            row["copied_share"] = float(songs["copied"].mean())
            row["general_not_copied"] = float(kept[HEADLINE_METRIC].mean()) if len(kept) else math.nan
        rows.append(row)
    if not rows:
        raise ReportError(f"{result.paths.root}: no selected model was evaluated; run `rnncells grid finish`")
    return pd.DataFrame(rows).sort_values(HEADLINE_METRIC, kind="stable").reset_index(drop=True)


def depth_curve(result: GridResult) -> pd.DataFrame:
    """Mean general tonality of every evaluated run by variant, cell and the swept axis (depth, size); empty unless
    more than one run of a group was scored."""
    songs = _with_axis(result, own_run_songs(result.songs))
    curve = songs.groupby(["variant", "cell", result.axis])[HEADLINE_METRIC].mean().reset_index()
    per_group = curve.groupby(["variant", "cell"]).size()
    return curve if len(per_group) and per_group.max() > 1 else curve.iloc[0:0]


def lead_tests(result: GridResult, best: str) -> pd.DataFrame:
    """The Mann-Whitney tests of the best model against every other set on general tonality."""
    tests = result.tests[result.tests["metric"] == HEADLINE_METRIC]
    return tests[(tests["model_a"] == best) | (tests["model_b"] == best)].reset_index(drop=True)


def shown_headline(table: pd.DataFrame, axis: str = "layers") -> pd.DataFrame:
    """The headline table as the report prints it: mean ± std, copied share in percent."""
    shown = pd.DataFrame({"model": table["model"], axis: table[axis].astype(str)})
    for metric, label in (("general", "general"), ("cmm", "CMM"), ("lm", "LM"), ("centr", "CENTR")):
        shown[label] = [f"{m:.3f} ± {s:.3f}" for m, s in zip(table[metric], table[f"{metric}_std"])]
    if "copied_share" in table:
        shown["copied"] = [f"{v:.0%}" for v in table["copied_share"]]
        shown["general, not copied"] = [f"{v:.3f}" for v in table["general_not_copied"]]
    return shown


def answer(result: GridResult, table: pd.DataFrame) -> list[str]:
    best = table.iloc[0]
    baseline = model_mean_std(result.summary, BASELINE_MODEL, HEADLINE_METRIC)
    scope = (result.record.get("dataset") or {}).get("scope", "the training split")
    lines = [
        f"On `{result.name}`, the most tonal model is **{best['model']}** ({best['group']}, {best['setting']}): "
        f"mean general tonality {best[HEADLINE_METRIC]:.3f} ± {best[f'{HEADLINE_METRIC}_std']:.3f} over "
        f"{best['songs']} songs (lower is more tonal).",
    ]
    if not math.isnan(baseline[0]):
        lines.append(f"The dataset baseline ({scope}) scores {baseline[0]:.3f} ± {baseline[1]:.3f}.")
    if len(table) > 1:
        second = table.iloc[1]
        tests = lead_tests(result, best["model"])
        pair = tests[(tests["model_a"] == second["model"]) | (tests["model_b"] == second["model"])]
        verdict = ""
        if len(pair):
            test = pair.iloc[0]
            verdict = (
                f" (Mann-Whitney p = {test['p_value']:.3g}, Holm-corrected {test['p_holm']:.3g}, "
                f"rank-biserial r = {test['rank_biserial']:+.2f}: "
                f"{'significant' if bool(test['significant']) else 'not significant'} at 0.05)"
            )
        lines.append(f"Second is {second['model']} with {second[HEADLINE_METRIC]:.3f}{verdict}.")
    if "copied_share" in table:
        ranked = table.sort_values("general_not_copied", kind="stable")
        leader = ranked.iloc[0]["model"]
        holds = "the ranking holds" if leader == best["model"] else f"the ranking changes: {leader} leads"
        lines.append(
            f"{best['copied_share']:.0%} of {best['model']}'s songs copy a run of the training songs; on the songs "
            f"that do not, {holds}."
        )
    return lines
