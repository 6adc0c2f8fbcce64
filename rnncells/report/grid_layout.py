"""Where each model of an evaluation sits in the study's grid tables: rows are variants (and depths), column groups
cells; rnncells's models in grid order, and a frame of the layout's cells."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from rnncells.config.dataset import VARIANTS
from rnncells.config.model import CELLS
from rnncells.evaluation.columns import BASELINE_MODEL, MIDI_VARIANT, MODEL_COLUMNS
from rnncells.evaluation.corpus import CUT_VARIANT
from rnncells.report.latex import (
    MISSING,
    escape_latex,
    latex_index,
)


def _order(values: list[str], preferred: tuple[str, ...]) -> list[str]:
    known = [v for v in preferred if v in values]
    return known + sorted(v for v in set(values) if v not in preferred)


@dataclass
class GridLayout:
    """Where each model sits: rows are variants (and depths, when a cell has several), groups are cells."""

    rows: list[tuple[str, ...]]
    row_names: list[str]
    row_of: dict[str, tuple[str, ...]]
    groups: list[str]
    group_of: dict[str, str]
    depth_groups: set[str]
    note: str


# Sets shown by their name, after the models: MIDI files and the dataset's splits cut to the generated length.
NAMED_VARIANTS = (MIDI_VARIANT, CUT_VARIANT)


def grid_models(summary: pd.DataFrame) -> pd.DataFrame:
    """rnncells's models (neither the baseline nor MIDI sets), in grid order."""
    ours = (summary["model_name"] != BASELINE_MODEL) & ~summary["variant"].isin(NAMED_VARIANTS)
    models = summary.loc[ours, list(MODEL_COLUMNS)]
    models = models.drop_duplicates("model_name").copy()
    models["layers"] = models["layers"].astype(int)
    variant_rank = {v: i for i, v in enumerate(_order(list(models["variant"]), VARIANTS))}
    cell_rank = {c: i for i, c in enumerate(_order(list(models["cell"]), CELLS))}
    models["_v"] = models["variant"].map(variant_rank)
    models["_c"] = models["cell"].map(cell_rank)
    models["_n"] = models["model_name"].map(_natural)  # units8 before units16 where runs differ in another axis
    return models.sort_values(["_v", "_c", "layers", "_n"]).reset_index(drop=True)


def _natural(name: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))


def grid_layout(models: pd.DataFrame) -> GridLayout:
    cells = list(dict.fromkeys(models.sort_values("_c")["cell"]))
    stacked = bool(models.groupby(["variant", "cell"]).size().gt(1).any())
    rows: list[tuple[str, ...]] = []
    row_of, group_of, depth_groups = {}, {}, set()
    if stacked:
        # Several depths of one cell per variant: one row per (variant, depth), one column group per cell.
        labels = models["layers"].astype(str)
        row_names, note = ["variant", "layers"], "rows: dataset variant and number of layers; column groups: cell"
        if models.assign(depth=labels).duplicated(["variant", "cell", "depth"]).any():
            labels = models["model_name"]  # the runs of a cell differ in something else than depth (units, ...)
            row_names, note = ["variant", "model"], "rows: dataset variant and model; column groups: cell"
        for model, label in zip(models.itertuples(), labels, strict=True):
            row_of[model.model_name] = (model.variant, label)
            group_of[model.model_name] = escape_latex(model.cell.upper())
        groups = [escape_latex(cell.upper()) for cell in cells]
    else:
        row_names = ["variant"]
        groups = []
        for cell in cells:
            depths = sorted(set(models.loc[models["cell"] == cell, "layers"]))
            group = escape_latex(f"{cell.upper()}-{depths[0]}" if len(depths) == 1 else cell.upper())
            if len(depths) > 1:
                depth_groups.add(group)
            groups.append(group)
            for model in models[models["cell"] == cell].itertuples():
                row_of[model.model_name] = (model.variant,)
                group_of[model.model_name] = group
        note = "rows: dataset variant; column groups: cell, its number of layers after the dash"
        if depth_groups:
            note += " or in the column L"
    for model in models.sort_values(["_v", "layers", "_c"]).itertuples():
        if row_of[model.model_name] not in rows:
            rows.append(row_of[model.model_name])
    return GridLayout(rows, row_names, row_of, groups, group_of, depth_groups, note)


def grid_frame(
    layout: GridLayout,
    models: pd.DataFrame,
    subs: list[str],
    cells: dict[str, dict[str, str]],
    row_prefix: tuple[str, ...] = (),
) -> pd.DataFrame:
    """A frame with layout rows, column groups x ``subs`` (plus L where depths vary) and the given cells."""
    columns = []
    for group in layout.groups:
        columns += ([(group, "L")] if group in layout.depth_groups else []) + [(group, sub) for sub in subs]
    frame = pd.DataFrame(MISSING, index=range(len(layout.rows)), columns=pd.MultiIndex.from_tuples(columns))
    for model in models.itertuples():
        position = layout.rows.index(layout.row_of[model.model_name])
        group = layout.group_of[model.model_name]
        if group in layout.depth_groups:
            frame.loc[position, (group, "L")] = str(model.layers)
        for sub in subs:
            frame.loc[position, (group, sub)] = cells[model.model_name][sub]
    names = ["metric"] * bool(row_prefix) + layout.row_names
    frame.index = latex_index([row_prefix + row for row in layout.rows], names)
    if len(subs) == 1 and not layout.depth_groups:
        frame.columns = [group for group, _ in columns]
    return frame
