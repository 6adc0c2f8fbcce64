"""Damaged bookkeeping in a grid's results folder: found, made again where it can be, never silently left out.

Every run folder records the size and sha256 of what its last save wrote (rnncells.training.run_folder
``RunFolder.damage``). Before anything trains, :func:`check_before_training` reads every started run in full: views
that its trainer can make again from the run's resume point (state.json, metrics.csv, last.keras, best.keras,
vocabulary.json) are left to it (the grid hands such a run to its trainer even when it looks finished); anything else
(run.json, config.toml, the resume point itself) stops the grid with one line naming the file and the fix. Before
selection, :func:`check_before_finishing` makes sure no model drops out of the tables because of its bookkeeping: a
run that is still damaged, or a run selected last time (selection.json) that is no longer finished, stops the grid
with one line instead of tables written without it. (Song sets and the dataset are checked where they are reused: a
damaged one is made again.)
"""

from __future__ import annotations

from rnncells.errors import RnncellsError
from rnncells.files import Damage
from rnncells.grid.paths import SELECTION_FILE, GridPaths, selected_runs
from rnncells.grid.plan import PlannedRun
from rnncells.training.run_folder import RunFolder


class GridDamageError(RnncellsError, RuntimeError):
    """Damage the grid cannot make good by itself; the message names the file and the fix."""


def run_damage(paths: GridPaths, run: PlannedRun, deep: bool = False) -> list[Damage]:
    """What is damaged or missing in the run's folder (``deep`` reads every recorded file in full)."""
    return paths.run_folder(run.name).damage(deep=deep)


def _what(damage: Damage) -> str:
    """``PATH: what is wrong``, without the fix the reader suggests (the grid says its own)."""
    return damage.message.split("; ", 1)[0]


def _fix(folder: RunFolder, damage: list[Damage]) -> str:
    if folder.can_redo(damage):
        return "run `rnncells grid run` again: the run's trainer makes it again from the run's resume point"
    return f"put back a good copy, or delete {folder.path} and run `rnncells grid run` again to train the run again"


def check_before_training(runs: list[PlannedRun], paths: GridPaths) -> list[str]:
    """The names of the runs whose damaged views their trainer will make again; raises :class:`GridDamageError`
    for the first run with damage it cannot make again."""
    to_redo = []
    for run in runs:
        folder = paths.run_folder(run.name)
        damage = folder.damage(deep=True)
        if not damage:
            continue
        if not folder.can_redo(damage):
            raise GridDamageError(f"{_what(damage[0])}; {_fix(folder, damage)}")
        to_redo.append(run.name)
    return to_redo


def previously_selected(paths: GridPaths) -> set[str]:
    """The runs selection.json chose last time (none when it is missing or unreadable: it is rewritten)."""
    try:
        return {name for entry in paths.read_selection().values() for name in selected_runs(entry)}
    except (OSError, ValueError, AttributeError, TypeError, KeyError):
        return set()


def check_before_finishing(runs: list[PlannedRun], paths: GridPaths, finished: set[str]) -> None:
    """Raise :class:`GridDamageError` instead of letting a run drop out of the tables because its bookkeeping is
    damaged or gone (module docstring); ``finished`` names the runs that are finished now."""
    for run in runs:
        folder = paths.run_folder(run.name)
        damage = folder.damage(deep=True)
        if damage:
            raise GridDamageError(f"{_what(damage[0])}; the tables would lose {run.name}: {_fix(folder, damage)}")
    lost = sorted(previously_selected(paths) & {run.name for run in runs} - finished)
    if lost:
        raise GridDamageError(
            f"{paths.root / SELECTION_FILE}: {', '.join(lost)} was selected before but is not finished now; run "
            f"`rnncells grid run` to train it again, or delete {SELECTION_FILE} to write the tables without it"
        )
