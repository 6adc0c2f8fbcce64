"""The study report: grid result folders in, ``README.md``, ``report.tex``/``report.pdf`` and ``numbers.json`` out.

Every number comes from the folders' own files (``selection.json``, ``evaluation/`` through
:class:`~rnncells.evaluation.folder.EvaluationFolder`, each run's metrics through
:class:`~rnncells.training.run_folder.RunFolder`), so running ``rnncells report RESULTS... --out DIR`` again on the
same folders writes the same report. Its opening states each grid's verdict at run level (rnncells.study.verdict:
the leader or the tie, the gap, the interval, the seeds, the baselines, the corrected mode; with two or more seeds,
whether each seed alone names the same leader, rnncells.study.seeds), from run-level tables
computed from songs.csv and selection.json (rnncells.evaluation.replicates; the bootstrap is seeded). For each grid
it answers the study's question on that corpus: which (variant,
cell) model, at its selected depth, has the lowest mean general tonality (lower is more tonal, docs/method.md §4),
whether that lead is significant (Mann-Whitney U, Holm-corrected, rank-biserial effect size), how it compares with
the dataset baseline, how much of its output is copied from the training songs and whether the ranking holds on the
songs that are not, the depth curve when every run was scored, and what each run cost to train. The published numbers
(another corpus) are shown beside ours.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pandas as pd

from rnncells.evaluation.columns import BASELINE_MODEL
from rnncells.files import write_json_atomic, write_text_atomic
from rnncells.report.published import PUBLISHED_SELECTION, PUBLISHED_STEPS_PER_EPOCH
from rnncells.report.tables import compile_pdf
from rnncells.study.budget import BudgetGrid, budget_sections
from rnncells.study.render import render_latex, render_markdown
from rnncells.study.result import (
    HEADLINE_METRIC,
    GridResult,
    answer,
    depth_curve,
    headline,
    model_mean_std,
    read_result,
    selected_models,
    shown_headline,
)
from rnncells.study.sections import (
    FigureRef,
    Section,
    curve_name,
    median_steps_per_epoch,
    own_run_songs,
    published_section,
    training_cost,
    weights_difference,
)
from rnncells.study.seeds import replicated_scope, seed_counts, seed_section, seed_sentence, seed_table
from rnncells.study.verdict import decide, likeness_lines, shown_family, variance_section, verdict_lines


def _grid_sections(result: GridResult, out: Path) -> tuple[list[Section], dict]:
    from rnncells.study.figures import depth_curve_plot
    from rnncells.study.sections import copy_figure, cost_validation_section, embeddings_section

    name, table = result.name, headline(result)
    curve, cost = depth_curve(result), training_cost(result.paths)
    baseline = model_mean_std(result.summary, BASELINE_MODEL, HEADLINE_METRIC)[0]
    main = Section(f"{name}: the selected models", answer(result, table))
    main.tables.append(
        (
            f"{name}: selected models (best {curve_name(result.axis)} per variant and cell), mean ± std over their "
            "songs",
            shown_headline(table, result.axis),
        )
    )
    spans = [p.stem for p in sorted(result.paths.figures.glob("span_*.png"))]
    for stem, caption in [
        ("box_general", "general tonality of every scored set (a configuration's seeds in one box)"),
        ("memorisation", "longest run shared with a training song (a configuration's seeds pooled)"),
        *[(span, f"LM and CENTR of {span[5:]}'s best song against the window size (span)") for span in spans],
    ]:
        figure = copy_figure(result.paths.figures / stem, out, f"{name}-{stem}", f"{name}: {caption}")
        main.figures += [figure] if figure else []
    verdict = decide(result.replicates, selected_models(result.selection))
    if verdict is not None:
        main.tables.append(
            (
                f"{name}: run level, the selected configurations and the baselines: mean over seeds of the run means "
                "(general tonality), between-seed SD, 95% hierarchical bootstrap interval",
                shown_family(verdict),
            )
        )
    sections, numbers = [main], {"headline": table.to_dict("records"), "depth_curve": curve.to_dict("records")}
    by_seed = seed_section(name, result.selection, result.replicates["runs"], out)
    if by_seed:
        sections.append(by_seed[0])
        numbers["seed_leaders"] = by_seed[1].to_dict("records")
    for key in ("configurations", "run_tests", "variance"):
        numbers[key] = result.replicates[key].to_dict("records")
    if len(curve):
        axis, word = result.axis, curve_name(result.axis)
        depth = Section(
            f"{name}: the {word} curve",
            [
                f"Mean general tonality of every run (rows: variant and cell; columns: {axis}). Lower is more tonal; "
                f"the selected {word} is the one validation loss picked."
            ],
        )
        pivot = curve.pivot_table(index=["variant", "cell"], columns=axis, values=HEADLINE_METRIC).reset_index()
        pivot.columns = [c if isinstance(c, str) else f"{c:g}" for c in pivot.columns]
        depth.tables.append((f"{name}: mean general tonality by {word}", pivot))
        stem = f"figures/{name}-{word}_curve"
        shown_baseline = None if math.isnan(baseline) else baseline
        depth_curve_plot(curve, out / stem, shown_baseline, f"{name}: {word} curve", axis=axis)
        depth.figures.append(FigureRef(stem, f"{name}: mean general tonality against {axis} (dashed: dataset)"))
        sections.append(depth)
    variance = variance_section(name, result.replicates["variance"], out)
    sections += [variance] if variance else []
    for mode, other in result.others.items():
        other_table = headline(other)
        sections.append(
            Section(
                f"{name}: scored in {mode} mode",
                answer(other, other_table),
                [(f"{name}, {mode} mode: selected models", shown_headline(other_table, result.axis))],
            )
        )
        numbers[f"headline_{mode}"] = other_table.to_dict("records")
    for extra in (
        cost_validation_section(result.paths, out, name),
        embeddings_section(result.paths, result.selection, out, name),
    ):
        sections += [extra] if extra else []
    if len(cost):
        minutes, per_step = cost["seconds"].sum() / 60, cost["seconds"].sum() / max(1, cost["steps"].sum())
        summary = (
            f"{len(cost)} runs, {cost['steps'].sum()} steps, {minutes:.1f} minutes of measured epoch time "
            f"({per_step * 1000:.0f} ms a step on average; each run's seconds are in its metrics.csv)."
        )
        starts = [e for e in result.paths.read_history() if e.get("action") == "grid run" and "wall_seconds" in e]
        if starts:
            wall = sum(e["wall_seconds"] for e in starts) / 60
            summary += f" The grid's own wall time (history.jsonl): {wall:.1f} minutes over {len(starts)} start(s)."
        sections.append(Section(f"{name}: training cost", [summary], [(f"{name}: training cost per run", cost)]))
    numbers["training_cost"] = cost.to_dict("records")
    return sections, numbers


def _overall(results: list[GridResult], tables: dict[str, pd.DataFrame]) -> Section:
    """The most tonal selected model, and the best per representation, among grids scored alike: a rhythm-aware
    score (the rhythm grid) is not set against a pitch-only one."""
    scorings: dict[str, list[str]] = {}
    for result in results:
        settings = result.record.get("settings", {})
        kind = "rhythm-aware" if settings.get("rhythm") else "on pitches"
        scorings.setdefault(f"{kind}, {settings.get('mode', 'paper')} mode", []).append(result.name)
    lines = []
    for result in results:
        lines += _verdict(result)
    for scoring, names in scorings.items():
        rows = [(name, row) for name in names for _, row in tables[name].iterrows()]
        name, best = min(rows, key=lambda item: item[1][HEADLINE_METRIC])
        variant, cell = best["group"].rsplit("-", 1)
        lines.append(
            f"Across {len(names)} grid(s) scored {scoring}, the most tonal selected model is **{best['model']}** "
            f"from `{name}`: the {variant} representation, {cell} cell, {best['setting']}, mean general tonality "
            f"{best[HEADLINE_METRIC]:.3f} (lower is more tonal)."
        )
        lines += _unequal_seeds(results, names, tables)
        for variant_name in sorted({row["group"].rsplit("-", 1)[0] for _, row in rows}):
            ours = [(n, r) for n, r in rows if r["group"].rsplit("-", 1)[0] == variant_name]
            leader = min(ours, key=lambda item: item[1][HEADLINE_METRIC])[1]
            lines.append(f"Best {variant_name} model ({scoring}): {leader['model']} ({leader[HEADLINE_METRIC]:.3f}).")
    if len(scorings) > 1:
        lines.append("Grids scored differently are answered apart: their numbers measure different things.")
    return Section("The answer", lines)


def _unequal_seeds(results: list[GridResult], names: list[str], tables: dict[str, pd.DataFrame]) -> list[str]:
    """A caveat when grids compared across hold different numbers of seeds: a one-seed mean is one run, and one run
    of a replicated grid's selected configurations can land far from their means."""
    seeds = {name: int(tables[name]["seeds"].max()) for name in names}
    if len(set(seeds.values())) < 2:
        return []
    most = max(seeds, key=seeds.get)
    result = next(r for r in results if r.name == most)
    runs = result.replicates["runs"]
    runs = runs[runs["configuration"].isin(selected_models(result.selection))][HEADLINE_METRIC]
    counts = ", ".join(f"`{name}` {count}" for name, count in seeds.items())
    return [
        f"These grids hold different numbers of seeds per configuration ({counts}): a one-seed mean is a single "
        f"run, and the single runs of `{most}`'s selected configurations range from {runs.min():.3f} to "
        f"{runs.max():.3f}, so this ranking across grids is provisional."
    ]


def _verdict(result: GridResult) -> list[str]:
    """The run-level verdict of one grid (rnncells.study.verdict), with its corrected-mode counterpart."""
    models = selected_models(result.selection)
    verdict = decide(result.replicates, models)
    if verdict is None:
        return []
    corrected = decide(result.others["corrected"].replicates, models) if "corrected" in result.others else None
    scopes = dict(zip(result.summary["model_name"], result.summary.get("scope", ""), strict=True))
    lines = verdict_lines(result.name, verdict, models, scopes, corrected)
    lines += likeness_lines(verdict, result.rankings, models)
    by_seed = seed_table(result.selection, result.replicates["runs"])  # None with fewer than two seeds
    partial = by_seed is not None and len(set(seed_counts(result.selection).values())) > 1
    scope = replicated_scope(result.selection) if partial else None
    seeds = [seed_sentence(by_seed, verdict.ties, verdict.leads, partial, scope)] if by_seed is not None else []
    return lines[:1] + seeds + lines[1:]


def _differences(results: list[GridResult]) -> Section:
    first = results[0]
    songs = (first.record.get("dataset") or {}).get("training_songs")
    per_epoch = median_steps_per_epoch(training_cost(first.paths))
    lines = [
        f"Corpus: {songs or 'our'} training songs of this corpus against the published 4,874 MuseScore songs; at "
        f"batch 50 × 50 an epoch here is {per_epoch:.0f} step(s) against about {PUBLISHED_STEPS_PER_EPOCH}, so "
        "300 epochs are a few hundred updates, not 150,000. Deep models get far fewer updates at a learning rate "
        "that decays per epoch (0.002 × 0.97^epoch), which is why deep LSTMs can underfit here.",
        "Depth selection: by each run's lowest validation loss, written down in selection.json; the published study "
        "chose by eye from the learning curves ("
        + "; ".join(f"{k}: {v}" for k, v in PUBLISHED_SELECTION.items())
        + ").",
        "Training: one optimizer step per batch (the original took two by accident); Keras 3 cells, NAS and UGRNN "
        "written after their TensorFlow 1 definitions; the recurrent state carried between batches within an epoch.",
        "Scoring: paper mode reproduces music_geometry_eval exactly; the corrected mode (pitch classes, [5, 8], "
        "centricity) is reported beside it where it was run. The published numbers are on another corpus: read them "
        "for the shape of the comparison, not as a target.",
    ]
    lines.append(weights_difference([result.summary for result in results]))
    for result in results:
        if result.record.get("settings", {}).get("rhythm"):
            lines.append(_rhythm_difference(result))
    return Section("What differs from the published study, and why", lines)


def _rhythm_difference(result: GridResult) -> str:
    per_epoch = median_steps_per_epoch(training_cost(result.paths))
    sizes = sorted({value for value in result.sizes.values() if isinstance(value, int)})
    shown = ", ".join(map(str, sizes)) or "several"
    return (
        f"Rhythm grid `{result.name}`: (pitch, duration) tokens, one layer of {shown} units (the published grid "
        f"also had 1024 and 2048); an epoch is {per_epoch:.0f} step(s) here, so the larger models see few updates. "
        "The size is picked by validation loss; the published study picked it by eye from the learning curves."
    )


def write_report(result_dirs: list[Path], out: Path, pdf: bool = True) -> list[Path]:
    """Write README.md, numbers.json, report.tex, figures/ and (with pdflatex) report.pdf for the result folders."""
    results = [read_result(Path(d)) for d in result_dirs]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    sections, numbers, tables = [], {}, {}
    for result in results:
        grid_sections, numbers[result.name] = _grid_sections(result, out)
        sections += grid_sections
        tables[result.name] = headline(result)
    grids = [BudgetGrid(r.name, r.paths, own_run_songs(r.songs)) for r in results if r.axis == "layers"]
    budget, opening, comparison = budget_sections(grids, out)
    numbers.update({"budget_comparison": comparison} if comparison else {})
    answer = _overall(results, tables)
    answer.lines += opening
    sections = [answer, *sections, *budget, published_section(results), _differences(results)]
    command = "rnncells report " + " ".join(str(d) for d in result_dirs) + " --out <this folder>"
    written = [
        write_text_atomic(out / "README.md", render_markdown(sections, command)),
        write_json_atomic(out / "numbers.json", numbers, indent=None),  # for programs: README and PDF are the pages
        write_text_atomic(out / "report.tex", render_latex(sections, command)),
    ]
    _remove_unshown_figures(out, sections)
    if pdf and shutil.which("pdflatex"):
        written.append(compile_pdf(out / "report.tex"))
    return written


def _remove_unshown_figures(out: Path, sections: list[Section]) -> list[Path]:
    """Remove the figures under ``out/figures`` that no section shows: those of an earlier report into the same
    folder (a run renamed since, a grid left out), which would otherwise be committed beside the new ones."""
    shown = {Path(figure.stem).name for section in sections for figure in section.figures}
    stale = [p for p in sorted((out / "figures").glob("*")) if p.suffix in (".png", ".pdf") and p.stem not in shown]
    for path in stale:
        path.unlink()
    return stale
