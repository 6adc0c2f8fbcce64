"""The study report's parts beyond the headline, each read from one grid's results folder when it is there.

- other scorings: every complete ``evaluation-*`` folder beside ``evaluation/`` (for example the corrected mode,
  ``rnncells evaluate songs/* --dataset dataset --mode corrected --out evaluation-corrected``);
- the cost-function validation: ``cost_validation/cost_validation.{csv,png,pdf}`` (paper_scripts/08);
- the embeddings of the selected LSTM of each variant: a 2-D figure from ``runs/<run>/projector/`` and the nearest
  neighbours of a few tokens from its ``neighbours.txt``;
- figures the grid drew (box plot of general tonality, memorisation), copied so the report folder stands alone;
- each run's training cost from its metrics.csv, and the published numbers beside ours;
- the axis a (variant, cell) group's runs differ in (layers in the pitch-only grids, units in the rhythm grid), read
  from the grid's own ``grid.toml`` and each run's ``config.toml``.

A :class:`Section` is rendered twice by rnncells.study.report: as Markdown (README.md) and as LaTeX.
"""

from __future__ import annotations

import json
import math
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from rnncells.config.records import ConfigError
from rnncells.evaluation.columns import BASELINE_MODEL
from rnncells.evaluation.corpus import CUT_VARIANT
from rnncells.evaluation.folder import EvaluationFolder
from rnncells.generation.ngram import NGRAM_CELL
from rnncells.generation.song_set import FINAL_WEIGHTS_SUFFIX, is_final_weights
from rnncells.report.published import PUBLISHED_RHYTHM_SELECTION, published_frame
from rnncells.study.grid_folder import GridPaths, selected_runs
from rnncells.training.run_folder import RunError, RunFolder, read_neighbours

NEIGHBOUR_ROWS = 6  # tokens whose neighbours the report lists, per model


@dataclass
class FigureRef:
    """A figure of the report folder: ``stem`` relative to it, without suffix (``.png`` and ``.pdf`` exist)."""

    stem: str
    caption: str


@dataclass
class Section:
    """A heading, paragraphs (Markdown inline), tables (caption, frame) and figures."""

    title: str
    lines: list[str] = field(default_factory=list)
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
    figures: list[FigureRef] = field(default_factory=list)


def own_run_songs(songs: pd.DataFrame) -> pd.DataFrame:
    """The songs of a grid's own runs from their best weights: no dataset, n-gram, cut split or final-weights set."""
    ours = (songs["model_name"] != BASELINE_MODEL) & (songs["cell"] != NGRAM_CELL) & (songs["variant"] != CUT_VARIANT)
    return songs[ours & ~songs["model_name"].map(is_final_weights).astype(bool)]


def swept_axis(paths: GridPaths) -> str:
    """The field a (variant, cell) group's runs differ in: the grid's one axis besides ``cell`` with more than one
    value (``units`` in the rhythm grid); ``layers`` when there is none or several, as in the pitch-only grids."""
    axes = paths.read_grid_tables().get("axes", {})
    swept = [
        name
        for name, values in axes.items()
        if name not in ("cell", "seed") and isinstance(values, list) and len(values) > 1  # seeds are replicates
    ]
    return swept[0] if len(swept) == 1 else "layers"


def axis_values(paths: GridPaths, axis: str) -> dict[str, object]:
    """Each run's value of ``axis`` (a model or training field), from its ``config.toml``
    (rnncells.training.run_folder)."""
    values = {}
    for folder in sorted(paths.runs.glob("*/config.toml")) if paths.runs.is_dir() else []:
        try:
            config = RunFolder(folder.parent).read_config()
        except (ConfigError, RunError):
            continue
        for table in (config.model, config.train):
            if hasattr(table, axis):
                values[folder.parent.name] = getattr(table, axis)
    return values


def setting_text(axis: str, value: object) -> str:
    """A run's swept value as words: ``2 layers``, ``1 layer``, ``256 units``, ``learning_rate 0.001``."""
    if axis == "layers":
        return f"{value} layer{'' if value == 1 else 's'}"
    return f"{value} units" if axis == "units" else f"{axis} {value}"


def curve_name(axis: str) -> str:
    """What the report calls the curve of tonality along ``axis``: the depth curve, the size curve."""
    return {"layers": "depth", "units": "size"}.get(axis, axis)


def copy_figure(source_stem: Path, out: Path, stem: str, caption: str) -> FigureRef | None:
    """Copy ``source_stem``.png/.pdf into ``out/figures/stem``; None when the grid did not draw it."""
    sources = [source_stem.with_name(source_stem.name + suffix) for suffix in (".png", ".pdf")]
    if not all(path.is_file() for path in sources):
        return None
    (out / "figures").mkdir(parents=True, exist_ok=True)
    for path in sources:
        shutil.copyfile(path, out / "figures" / (stem + path.suffix))
    return FigureRef(f"figures/{stem}", caption)


def other_evaluations(paths: GridPaths) -> list[tuple[str, EvaluationFolder]]:
    """``(mode, folder)`` for every complete ``evaluation-*`` folder whose mode differs from ``evaluation/``'s."""
    main_mode = EvaluationFolder(paths.evaluation).read_record().get("settings", {}).get("mode")
    found = []
    for folder in sorted(paths.root.glob("evaluation-*")):
        evaluation = EvaluationFolder(folder)
        if folder.is_dir() and evaluation.is_complete():
            mode = evaluation.read_record().get("settings", {}).get("mode")
            if mode and mode != main_mode:
                found.append((mode, evaluation))
    return found


def cost_validation_section(paths: GridPaths, out: Path, grid: str) -> Section | None:
    """The cost-function validation of ``paths`` (paper_scripts/08), when it was run there."""

    folder = paths.root / "cost_validation"
    csv = folder / "cost_validation.csv"
    if not csv.is_file():
        return None
    table = pd.read_csv(csv)
    section = Section(f"{grid}: cost-function validation")
    section.lines.append(_cost_validation_sentence(table, folder / "cost_validation.json"))
    shown = table[[c for c in ("seed", "step", "loss", "val_loss", "general", "shared_run", "copied") if c in table]]
    section.tables.append((f"{grid}: loss and musical measures per checkpoint", shown))
    figure = copy_figure(folder / "cost_validation", out, f"{grid}-cost_validation", "loss against tonality")
    section.figures += [figure] if figure else []
    return section


def _cost_validation_sentence(table: pd.DataFrame, summary_path: Path) -> str:
    """What the checkpoints show: Spearman's rho of general tonality with the validation loss (or, for an older
    experiment without it, the training loss), its interval when the summary has one, and what its sign means."""
    from scipy.stats import spearmanr

    summary = json.loads(summary_path.read_text(encoding="utf-8")) if summary_path.is_file() else {}
    x = "val_loss" if "val_loss" in table and table["val_loss"].notna().any() else "loss"
    measured = table.dropna(subset=[x, "general"])
    rho, p = spearmanr(measured[x], measured["general"]) if len(measured) > 2 else (float("nan"), float("nan"))
    interval = (summary.get(x) or {}).get("interval_95") or [None, None]
    seeds = table["seed"].nunique() if "seed" in table else 1
    steps = _checkpoint_interval(table)
    text = (
        f"{seeds} run(s) trained again with a checkpoint every {steps} steps; {int(table['songs'].min())} song(s) per "
        f"checkpoint, one primer and sampling seed. Over {len(table)} checkpoints Spearman's rho between the "
        f"{'validation' if x == 'val_loss' else 'training'} loss and mean general tonality is {rho:.2f} "
        f"(p = {p:.2g}"
    )
    training = _training_loss_clause(table, summary) if x == "val_loss" else ""
    if None not in interval:
        text += f"; 95% block-bootstrap interval {interval[0]:.2f} to {interval[1]:.2f}"
        if interval[0] <= 0 <= interval[1]:
            return (
                text + "): the interval holds 0, so these checkpoints do not show loss and tonality moving together."
                f"{training}"
            )
    return text + f"): {_rho_meaning(rho)}.{training}"


def _checkpoint_interval(table: pd.DataFrame) -> int:
    """The median number of steps between one seed's neighbouring checkpoints (0 with fewer than two)."""
    ordered = table.sort_values([c for c in ("seed", "step") if c in table])
    gaps = (ordered.groupby("seed")["step"] if "seed" in table else ordered["step"]).diff().dropna()
    return int(gaps.median()) if len(gaps) else 0


def _training_loss_clause(table: pd.DataFrame, summary: dict) -> str:
    """The same reading against the training loss, beside the validation loss's (empty without it)."""
    from scipy.stats import spearmanr

    measured = table.dropna(subset=["loss", "general"])
    if len(measured) < 3:
        return ""
    rho = spearmanr(measured["loss"], measured["general"])[0]
    interval = (summary.get("loss") or {}).get("interval_95") or [None, None]
    shown = f", interval {interval[0]:.2f} to {interval[1]:.2f}" if None not in interval else ""
    if None not in interval and interval[0] <= 0 <= interval[1]:
        return f" Against the training loss rho is {rho:.2f}{shown}: that interval holds 0 as well."
    return f" Against the training loss rho is {rho:.2f}{shown}: {_rho_meaning(rho)}."


def weights_difference(summaries: list[pd.DataFrame]) -> str:
    """Which weights the tables' songs come from, and whether the final weights were scored too (sets named
    ``<run>-final`` in any of the grids' ``summaries``)."""
    finals = sorted({str(name) for summary in summaries for name in summary["model_name"] if is_final_weights(name)})
    text = (
        "Weights: every table's models sample their run's best-validation weights (checkpoints/best.keras); the "
        "published study sampled the final weights. "
    )
    if finals:
        return text + (
            f"The selected runs' final weights are scored beside them ({len(finals)} sets named <run>"
            f"{FINAL_WEIGHTS_SUFFIX}, e.g. {finals[0]}), so the two choices can be compared in the evaluation."
        )
    return text + "The final weights were not scored in this study."


def _rho_meaning(rho: float) -> str:
    """What the sign of Spearman's rho between loss and general tonality (lower is more tonal) says."""
    if rho > 0:
        return "lower loss went with more tonal songs"
    if rho < 0:
        return "lower loss went with less tonal songs"
    return "loss and tonality did not move together"


def _neighbour_lines(folder: RunFolder) -> list[str]:
    rows = read_neighbours(folder.projector)
    step = max(1, len(rows) // NEIGHBOUR_ROWS)
    return [f"`{token}`: {cosine}" for token, cosine, _ in rows[::step][:NEIGHBOUR_ROWS]]


def embedding_runs(selection: dict) -> list[str]:
    """The runs whose embeddings the report shows: the selected LSTM of each variant (of a replicated configuration,
    its first seed). Their projector files are the ones a committed results folder keeps (rnncells.grid.light)."""
    shown = []
    for group, entry in sorted(selection.items()):
        runs = selected_runs(entry)
        if runs and group.endswith("-lstm"):
            shown.append(runs[0])
    return shown


def embeddings_section(paths: GridPaths, selection: dict, out: Path, grid: str) -> Section | None:
    """The selected LSTM of each variant: its embedding on two principal components and a few neighbour lists."""
    from rnncells.report.embedding import embedding_plot

    section = Section(f"{grid}: embeddings of the LSTM models")
    for run in embedding_runs(selection):
        folder = paths.run_folder(run)
        try:
            vectors, labels = folder.read_projector()
        except (RunError, OSError, ValueError):
            continue
        stem = f"figures/{grid}-embedding-{run}"
        embedding_plot(vectors, labels, out / stem, title=f"{run}: token embedding")
        section.figures.append(FigureRef(stem, f"{run}: embedding on its first two principal components"))
        neighbours = _neighbour_lines(folder)
        if neighbours:
            section.lines.append(f"{run}, nearest tokens by cosine similarity: " + "; ".join(neighbours) + ".")
    return section if section.figures else None


def training_cost(paths: GridPaths) -> pd.DataFrame:
    """Per run: epochs, steps and seconds of training (the sum of its epochs' measured seconds)."""
    rows = []
    for folder in sorted(p for p in paths.runs.iterdir() if p.is_dir()) if paths.runs.is_dir() else []:
        try:
            metrics = RunFolder(folder).read_metrics()
        except RunError:
            continue
        if metrics:
            seconds = sum(row["seconds"] for row in metrics)
            rows.append(
                {
                    "run": folder.name,
                    "epochs": metrics[-1]["epoch"],
                    "steps": metrics[-1]["step"],
                    "seconds": round(seconds, 1),
                }
            )
    return pd.DataFrame(rows, columns=["run", "epochs", "steps", "seconds"])


def median_steps_per_epoch(cost: pd.DataFrame) -> float:
    """The median training steps of an epoch over the runs of a :func:`training_cost` table (NaN without runs)."""
    return (cost["steps"] / cost["epochs"].clip(lower=1)).median() if len(cost) else math.nan


def published_section(results: list) -> Section:
    """The original studies' numbers (another corpus), the rhythm study's too when a grid scored rhythm-aware."""
    section = Section(
        "Published numbers (the original studies, another corpus)",
        ["Mean ± std over 100 songs per model, music_geometry_eval, span 12; MuseScore melodies, not ours."],
        [("Published numbers, pitch-only study (another corpus)", published_frame())],
    )
    if any(result.record.get("settings", {}).get("rhythm") for result in results):
        section.lines.append(
            "The rhythm study scored LM and CENTR rhythm-aware, as our rhythm grid does; it picked "
            f"{PUBLISHED_RHYTHM_SELECTION}."
        )
        section.tables.append(("Published numbers, rhythm study (another corpus)", published_frame(rhythm=True)))
    return section
