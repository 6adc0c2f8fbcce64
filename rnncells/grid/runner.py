"""Run a whole grid locally: dataset -> every training run (N worker processes) -> selection -> generation ->
evaluation -> tables and figures -> an index page. Every step is resumable.

The results folder's layout is in rnncells.grid.paths. Each run is handed its resolved config as
``RUN/config.toml`` and trained from it as ``rnncells train --config RUN/config.toml`` does: here by the worker of
its job slot (rnncells.grid.worker, one Keras import per slot), in the Slurm job arrays of
rnncells.grid.slurm.submit by that command itself; its progress and scores are read back from its run folder
(rnncells.training.run_folder). The registry (rnncells.grid.registry) keeps what the run folder cannot: status,
attempts, last error, trainer PID.

A grid started again after a crash or SIGKILL stops a trainer the crash left behind (rnncells.grid.supervise),
skips finished runs, resumes unfinished ones from their last epoch (the trainer's own resume), retries failed ones
(``retries`` more attempts per start) and lists those that still fail; later steps reuse what they already wrote.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rnncells.backend import threads_per_job
from rnncells.config.records import ConfigError, to_toml
from rnncells.data.folder import DatasetFolder
from rnncells.errors import InputError
from rnncells.evaluation.folder import EvaluationFolder
from rnncells.files import portable_path, remove_stale_temp_files
from rnncells.generation.song_set import SongSetFolder
from rnncells.grid.beside import generate_baselines, generate_final_songs
from rnncells.grid.config import GridConfig
from rnncells.grid.damage import check_before_finishing, check_before_training, planned_run_damage
from rnncells.grid.history import recorded
from rnncells.grid.index import write_index
from rnncells.grid.listen import start_listening
from rnncells.grid.paths import grid_paths
from rnncells.grid.plan import PlannedRun, plan_runs
from rnncells.grid.registry import read_entry, write_entry
from rnncells.grid.reuse import reuse_runs
from rnncells.grid.selection import select_runs
from rnncells.grid.status import is_finished, steps_saved
from rnncells.grid.supervise import Trainers, stop_orphan, terminate_as_interrupt
from rnncells.grid.validate import check_grid_data
from rnncells.grid.worker import task, worker_command
from rnncells.locks import folder_lock
from rnncells.study.grid_folder import GridPaths, selected_runs
from rnncells.training.run_folder import RunError

# -- steps ---------------------------------------------------------------------------------------------------


def prepare_dataset(grid: GridConfig, paths: GridPaths, progress: bool = True) -> Path:
    """Build the grid's dataset, or reuse the one in the results folder when its parameters match."""
    from rnncells.data.build import build_dataset

    folder = DatasetFolder(paths.dataset)
    if folder.built_with(grid.dataset) and not folder.damage():  # a damaged dataset is built again (same bytes)
        return paths.dataset
    build_dataset(grid.dataset, paths.dataset, progress=progress)
    return paths.dataset


def write_run_config(run: PlannedRun, paths: GridPaths) -> Path:
    """Hand the run its resolved config: write ``RUN/config.toml``, which ``rnncells train --config`` reads.

    A folder holding only this file counts as fresh for the trainer. A folder that already holds a run is
    resumed only if it is the same run (epochs may differ); otherwise this raises, naming the fields, instead of
    letting the new file hide the difference from the trainer.
    """
    folder = paths.run_folder(run.name)
    if folder.is_run():
        changed = folder.read_config().same_run_as(run.config)
        if changed:
            raise RunError(
                f"{folder.path} holds another run ({', '.join(changed)} differ from the grid); "
                "move it away or give the grid another --out"
            )
    folder.write_config(run.config)
    return folder.config_path


def train_command(
    run: PlannedRun, paths: GridPaths, backend: str = "tensorflow", threads: int | None = None
) -> list[str]:
    """The command line that trains (or resumes) one run from its ``config.toml`` (see :func:`write_run_config`),
    on ``backend`` with at most ``threads`` CPU threads (None: the backend's default, every core)."""
    folder = paths.run_folder(run.name)
    run_dir = folder.path.resolve()
    return [
        sys.executable,
        "-m",
        "rnncells.cli",
        "train",
        "--dataset",
        str(paths.dataset.resolve()),
        "--out",
        str(run_dir),
        "--config",
        str(run_dir / folder.config_path.name),
        "--backend",
        backend,
        *(["--threads", str(threads)] if threads else []),
        "--quiet",
    ]


def _last_line(log: Path, code: int) -> str:
    lines = log.read_text(encoding="utf-8", errors="replace").strip().splitlines() if log.is_file() else []
    return (lines[-1] if lines else f"exit code {code}")[:500]


def _train_one(
    run: PlannedRun,
    paths: GridPaths,
    retries: int,
    command: list[str],
    trainers: Trainers,
    redo: bool = False,
) -> dict:
    """Train one run to its last epoch with up to ``retries`` extra attempts; returns its registry entry. ``redo``:
    its views are damaged, so its trainer runs even if it looks finished (it makes them again,
    rnncells.training.trainer). Each attempt is a task of the slot's worker (rnncells.grid.worker), which trains as
    ``command`` (the run's ``rnncells train`` command line, written to its log) would; a failed attempt retires
    the worker, so a retry starts in a fresh process.
    A run whose trainer the stopping grid stopped is left pending, never retried."""
    entry = read_entry(paths, run.name)
    stop_orphan(entry.get("pid"), paths.runs / run.name)
    if is_finished(paths, run) and not redo:
        return write_entry(paths, run.name, status="done", pid=None)
    try:
        write_run_config(run, paths)
    except (RunError, ConfigError) as error:
        return write_entry(paths, run.name, status="failed", pid=None, error=str(error)[:500])
    log_path = paths.log(run.name)
    folder = paths.run_folder(run.name)
    job = task(paths.dataset.resolve(), folder.path.resolve(), folder.config_path.resolve(), log_path.resolve())
    for _ in range(retries + 1):
        paths.logs.mkdir(parents=True, exist_ok=True)
        with open(log_path, "a", encoding="utf-8") as log:
            log.write(f"\n$ {' '.join(command)}\n")
            log.flush()
            process = trainers.start(log)
            if process is None:
                return write_entry(paths, run.name, status="pending", pid=None)
            log.write(f"(as a task of worker PID {process.pid}, rnncells.grid.worker)\n")
        entry = write_entry(paths, run.name, status="running", pid=process.pid, attempts=entry.get("attempts", 0) + 1)
        code = trainers.train(process, job)
        if trainers.stopping:
            return write_entry(paths, run.name, status="pending", pid=None, error=None)
        if code == 0 and is_finished(paths, run) and not planned_run_damage(paths, run):
            return write_entry(paths, run.name, status="done", pid=None, error=None)
        entry = write_entry(paths, run.name, status="failed", pid=None, error=_last_line(log_path, code))
    return entry


def train_runs(
    runs: list[PlannedRun],
    paths: GridPaths,
    jobs: int = 1,
    retries: int = 1,
    progress: bool = True,
    backend: str = "tensorflow",
    redo: frozenset[str] = frozenset(),
) -> dict[str, dict]:
    """Train every run with ``jobs`` worker processes at once, each on its share of the cores and each importing
    Keras once for the runs of its slot (rnncells.grid.worker). One progress bar counts the training steps of the
    whole grid (saved steps, so it moves at each run's saves); its ETA follows their cost."""
    from tqdm import tqdm

    from rnncells.grid.estimate import steps_per_epoch

    per_epoch = steps_per_epoch(runs, paths.dataset)
    total = {run.name: run.train.epochs * per_epoch[run.name] for run in runs}

    def steps_done() -> int:
        return sum(min(steps_saved(paths, run), total[run.name]) for run in runs)

    bar = tqdm(total=sum(total.values()), initial=steps_done(), desc="grid", unit="step", disable=not progress)
    finished = threading.Event()

    def watch() -> None:
        while not finished.wait(1.0):
            bar.update(steps_done() - bar.n)
            running = [run.name for run in runs if read_entry(paths, run.name)["status"] == "running"]
            bar.set_postfix_str(", ".join(running)[:80])

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    threads = threads_per_job(jobs)
    trainers = Trainers(worker_command(paths.runs, backend, threads))
    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:

            def one(run: PlannedRun) -> dict:
                command = train_command(run, paths, backend, threads)
                return _train_one(run, paths, retries, command, trainers, run.name in redo)

            try:
                results = dict(zip((run.name for run in runs), pool.map(one, runs)))
            except BaseException:  # Ctrl-C or SIGTERM: the pool waits for the workers, which commit and stop
                trainers.stop()
                raise
    finally:
        trainers.close()
        finished.set()
        watcher.join()
        bar.update(steps_done() - bar.n)
        bar.close()
    return results


def generate_songs(grid: GridConfig, runs: list[PlannedRun], paths: GridPaths, names: list[str]) -> list[Path]:
    """Generate each named run's songs, skipping song sets already written with the same settings."""
    from rnncells.generation.generate import generate

    folders = []
    for run in runs:
        if run.name not in names:
            continue
        folder = paths.songs / run.name
        if SongSetFolder(folder).made_with(grid.generate) and not SongSetFolder(folder).damage():
            SongSetFolder(folder).write_midi_again()  # a light results folder left them out (rnncells.grid.light)
            folders.append(folder)
            continue
        # a stale set (other settings, or damaged) is replaced: the grid owns its songs/ folder
        settings = dataclasses.replace(grid.generate, overwrite=True)
        folders.append(generate(paths.runs / run.name, folder, settings, name=run.name))
    return folders


def make_figures(runs: list[PlannedRun], paths: GridPaths, selected: list[str]) -> list[Path]:
    """Box plots, memorisation and distance figures, learning curves per (variant, cell), piano rolls of each model's
    best song, a span plot."""
    from rnncells.report.figures import learning_curves, piano_roll, span_plot
    from rnncells.report.set_figures import evaluation_figures

    evaluation = EvaluationFolder(paths.evaluation)
    made = evaluation_figures(paths.evaluation, paths.figures)
    groups: dict[tuple[str, str], list[Path]] = {}
    for run in runs:
        folder = paths.run_folder(run.name)
        if folder.metrics_path.is_file():
            groups.setdefault(run.group, []).append(folder.path)
    for (variant, cell), folders in groups.items():
        made += learning_curves(folders, paths.figures / f"curves_{variant}_{cell}")
    best = {row["model_name"]: row for row in evaluation.read_best_songs().to_dict("records")}
    for name in selected:
        if name not in best:
            continue
        song = SongSetFolder(paths.songs / name).read_song(int(best[name]["index"]))
        made += piano_roll(
            song["pitches"],
            song["durations"],
            paths.figures / f"best_song_{name}",
            title=f"{name}: best song (general tonality {float(best[name]['general']):.2f})",
        )
        if name == selected[0]:
            made += span_plot(song["pitches"], paths.figures / f"span_{name}", title=f"{name}: best song")
    return made


def finish_grid(
    grid: GridConfig,
    runs: list[PlannedRun],
    paths: GridPaths,
    generate_all: bool = False,
    progress: bool = True,
    audio: str = "picks",
) -> Path:
    """Selection, generation, evaluation, tables, figures and the index page, from finished runs; never without
    a run whose bookkeeping is damaged (rnncells.grid.damage: it stops with one line instead)."""
    with terminate_as_interrupt(), folder_lock(paths.root, "rnncells grid"), recorded(paths.root, "grid finish"):
        check_before_finishing(runs, paths, {run.name for run in runs if is_finished(paths, run)})
        return _finish(grid, runs, paths, generate_all, progress, audio)


def _finish(
    grid: GridConfig, runs: list[PlannedRun], paths: GridPaths, generate_all: bool, progress: bool, audio: str
) -> Path:
    from rnncells.evaluation.evaluate import evaluate_song_sets
    from rnncells.grid.tensorboard import rebuild_tensorboard
    from rnncells.report.replicate_tables import write_replicate_tables
    from rnncells.report.tables import compile_pdf, write_tables

    selection = select_runs(grid, runs, paths)
    selected = [name for entry in selection.values() for name in selected_runs(entry)]  # every seed's run
    chosen = list(selected)
    picked = {entry["selected"] for entry in selection.values() if entry["selected"]}
    if generate_all or grid.generate_all:
        chosen = [run.name for run in runs if is_finished(paths, run)]
    # the scored configurations selection did not pick: outside the test family
    leave_out = sorted({run.configuration for run in runs if run.name in chosen} - picked)
    if not chosen:
        raise InputError(f"{paths.root}: no finished run to generate from; see `rnncells grid status`")
    _say(progress, f"generating {grid.generate.n_songs} songs with {len(chosen)} model(s)")
    song_dirs = generate_songs(grid, runs, paths, chosen)
    if grid.score_final_weights:
        song_dirs += generate_final_songs(grid, paths, selected, lambda text: _say(progress, text))
    song_dirs += generate_baselines(grid, paths)
    _say(progress, "evaluating")
    evaluate_song_sets(
        song_dirs,
        paths.dataset,
        paths.evaluation,
        mode=grid.evaluate.mode,
        span=grid.evaluate.span,
        rhythm=grid.evaluate.rhythm,
        cut_baselines_too=grid.evaluate.cut_baselines,
        leave_out=leave_out,
    )
    # audio of the selected models' best and representative songs (--audio all: every song of theirs), once
    # (rnncells.grid.listen); with --all-models the others are scored and drawn but not rendered; of a replicated
    # configuration only its first seed is rendered. FluidSynth and pdflatex run in the background while matplotlib
    # (on one core) draws the figures; each waits for the files it reads, and each file is still written atomically.
    first_seeds = [selected_runs(entry)[0] for entry in selection.values() if entry["selected"]]
    listened = start_listening(paths, first_seeds, progress, audio)
    try:
        tables = write_tables(paths.evaluation, paths.tables, selected=selected)
        tables += write_replicate_tables(paths.evaluation, paths.tables)
        with ThreadPoolExecutor(max_workers=1) as background:  # leaving the block waits for pdflatex
            tex = paths.tables / "tables.tex"
            compiling = background.submit(compile_pdf, tex) if shutil.which("pdflatex") else None
            figures = make_figures(runs, paths, chosen)
            rebuild_tensorboard(paths.root)  # each run's scalars and HParams session with its tonality
            pdf = compiling.result() if compiling else None
    finally:
        listening = listened()
    return write_index(grid, paths, selection, figures, tables, pdf, listening)


def _say(progress: bool, text: str) -> None:
    if progress:
        print(text, file=sys.stderr)


def run_grid(
    grid: GridConfig,
    out: str | Path | None = None,
    jobs: int = 1,
    retries: int = 1,
    generate_all: bool = False,
    progress: bool = True,
    audio: str = "picks",
) -> Path:
    """The whole study: dataset, training, selection, generation, evaluation, tables; returns index.html."""
    paths = grid_paths(grid, out)
    with terminate_as_interrupt(), folder_lock(paths.root, "rnncells grid run"), recorded(paths.root, "grid run"):
        remove_stale_temp_files(paths.root)  # half-written files of a killed earlier start
        paths.write_grid_file(grid_toml(grid))
        prepare_dataset(grid, paths, progress)
        runs = plan_runs(grid)
        check_grid_data(grid, runs, paths.dataset, f"grid {grid.name}")  # before anything trains
        reuse_runs(runs, paths, grid.reuse, grid.backend, grid.generate)  # equal runs of other grids, copied
        redo = frozenset(check_before_training(runs, paths))
        results = train_runs(runs, paths, jobs, retries, progress, grid.backend, redo)
        failed = [name for name, entry in results.items() if entry["status"] != "done"]
        if failed:  # said even when quiet: a result folder with missing runs must not pass unnoticed
            print(
                f"{len(failed)} run(s) failed and are left out: {', '.join(failed)} "
                f"(logs in {paths.logs}; `rnncells grid run` again retries them)",
                file=sys.stderr,
            )
        return finish_grid(grid, runs, paths, generate_all=generate_all, progress=progress, audio=audio)


def grid_toml(grid: GridConfig) -> str:
    """The resolved grid as TOML, readable again by ``rnncells grid run``; its paths as the user gave them, an
    absolute one relative to the working directory (no machine path in a committed record)."""
    dataset = dataclasses.replace(grid.dataset, source=portable_path(grid.dataset.source))
    grid = dataclasses.replace(grid, dataset=dataset, reuse=[portable_path(p) for p in grid.reuse])
    scalars = {
        f.name: getattr(grid, f.name)
        for f in dataclasses.fields(grid)
        if isinstance(getattr(grid, f.name), (str, bool, int, float, list))
    }
    head = "".join(f"{key} = {json.dumps(value)}\n" for key, value in scalars.items())
    tables = {
        "dataset": grid.dataset,
        "axes": grid.axes,
        "epochs": grid.epochs,
        "model": grid.model,
        "train": grid.train,
        "generate": grid.generate,
        "evaluate": grid.evaluate,
        "baseline": grid.baseline,
    }
    return (
        head
        + "\n"
        + to_toml({name: table for name, table in tables.items() if dataclasses.is_dataclass(table) or table})
    )
