"""How far each run of a grid got, read from its run folder (rnncells.training.run_folder) and its registry entry.

``rnncells grid status`` prints :func:`status_rows` through :func:`format_status`; the index page shows the same
rows. Selection reads :func:`best_score`, the run's own record of its lowest ``val_loss`` or ``loss``. A run
whose files are damaged or missing (rnncells.training.run_folder ``RunFolder.damage``, sizes only) shows as
``damaged`` with the first such file in its error column; no damaged file stops the table.
"""

from __future__ import annotations

from rnncells.errors import InputError
from rnncells.grid.config import GridConfig
from rnncells.grid.plan import PlannedRun, plan_runs
from rnncells.grid.registry import STATUSES, read_entry
from rnncells.grid.supervise import trainer_alive
from rnncells.study.grid_folder import GridPaths
from rnncells.training.damage import run_damage
from rnncells.training.run_folder import SELECT_BY, RunError
from rnncells.training.schedule import run_complete


def epochs_done(paths: GridPaths, run: PlannedRun) -> int:
    """Epochs the run has finished (0 before the first, or when its state file is damaged: it trains again)."""
    try:
        return paths.run_folder(run.name).epochs_done
    except RunError:
        return 0


def steps_saved(paths: GridPaths, run: PlannedRun) -> int:
    """Training steps of the run's last save (0 before it)."""
    try:
        state = paths.run_folder(run.name).read_state()
    except RunError:
        return 0
    return state.step if state else 0


def is_finished(paths: GridPaths, run: PlannedRun) -> bool:
    """True once the run has trained all its epochs, or stopped early (however it was run: here or as a Slurm
    task; rnncells.training.schedule)."""
    return run_complete(paths.run_folder(run.name), run.train)


def best_score(paths: GridPaths, run: PlannedRun, select_by: str = "val_loss") -> float | None:
    """The run's lowest ``select_by`` (``val_loss`` or ``loss``) over its epochs, from its metrics.csv;
    a run without a validation split scores its training loss. None before its first epoch."""
    try:
        return paths.run_folder(run.name).best_score(select_by)
    except RunError:
        return None


def score_column(select_by: str) -> str:
    """The status table's column for the selection score: ``best_val_loss`` or ``best_loss``."""
    if select_by not in SELECT_BY:
        raise InputError(f"select_by {select_by!r}: use one of {', '.join(SELECT_BY)}")
    return f"best_{select_by}"


def run_status(paths: GridPaths, run: PlannedRun, entry: dict, damaged: bool = False) -> str:
    """``damaged`` (``damaged``: its folder has damage), done (all epochs trained), else the registry's status;
    ``interrupted`` for a run marked running whose trainer is gone (a grid killed part-way)."""
    if damaged and not trainer_alive(entry.get("pid"), paths.runs / run.name):
        return "damaged"
    if is_finished(paths, run):
        return "done"
    if entry["status"] == "running" and not trainer_alive(entry.get("pid"), paths.runs / run.name):
        return "interrupted"
    return entry["status"]


def status_rows(grid: GridConfig, paths: GridPaths) -> list[dict]:
    """One row per planned run: status, epochs done / asked, best selection score, attempts, last error."""
    rows = []
    column = score_column(grid.select_by)
    for run in plan_runs(grid):
        entry = read_entry(paths, run.name)
        score = best_score(paths, run, grid.select_by)
        damage = run_damage(paths.run_folder(run.name), deep=False)
        rows.append(
            {
                "run": run.name,
                "status": run_status(paths, run, entry, bool(damage)),
                "epochs": f"{epochs_done(paths, run)}/{run.train.epochs}",
                column: "" if score is None else f"{score:.4f}",
                "attempts": entry.get("attempts", 0),
                "error": str(damage[0]) if damage else entry.get("error") or "",
            }
        )
    return rows


def format_status(rows: list[dict]) -> str:
    """The run table as aligned text, then a count per status."""
    if not rows:
        return "no runs"
    columns = list(rows[0])
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in columns}
    lines = ["  ".join(c.ljust(widths[c]) for c in columns).rstrip()]
    lines += ["  ".join(str(r[c]).ljust(widths[c]) for c in columns).rstrip() for r in rows]
    counts = {s: sum(r["status"] == s for r in rows) for s in (*STATUSES, "interrupted", "damaged")}
    lines.append(", ".join(f"{n} {s}" for s, n in counts.items() if n))
    return "\n".join(lines)
