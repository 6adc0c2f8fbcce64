"""A grid as Slurm jobs: one array task per training run, then one dependent job that finishes the grid.

``rnncells grid slurm CONFIG`` builds the dataset (quick, on the login node), writes each run's resolved
``RUN/config.toml``, then ``slurm/<grid>/train.sbatch`` (task i runs ``rnncells train --config RUN/config.toml``
for run i; ``%K`` throttles how many run at once) and ``slurm/<grid>/finish.sbatch`` (``rnncells grid finish``:
selection, generation, evaluation, tables), and with ``--submit`` submits both, the second with ``afterok`` on
the array. Each task locks its run folder and the finishing job the results folder (rnncells.locks), so a task
started twice stops with one line instead of writing beside the first. A failed task can be resubmitted alone
(``--resubmit I``); the trainer resumes it from its last epoch.
"""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from rnncells.errors import InputError
from rnncells.grid.config import GridConfig
from rnncells.grid.paths import grid_paths
from rnncells.grid.plan import plan_runs
from rnncells.grid.reuse import reuse_runs
from rnncells.grid.runner import grid_toml, prepare_dataset, train_command, write_run_config
from rnncells.grid.slurm.scripts import resubmit_task, submit, write_dependent_job, write_job_array
from rnncells.grid.status import is_finished
from rnncells.grid.validate import check_grid_data
from rnncells.locks import folder_lock


@dataclass
class SlurmOptions:
    """Resources and environment of the jobs."""

    partition: str | None = None
    time: str = "2-00:00:00"
    mem: str = "8G"
    gpus: int = 0
    cpus: int = 1
    throttle: int | None = None
    setup: str = ""


@dataclass
class SlurmJobs:
    """The scripts written, and the job ids when submitted."""

    train_script: Path
    finish_script: Path
    commands: list[str]
    train_job: str | None = None
    finish_job: str | None = None


def write_grid_jobs(
    grid: GridConfig,
    config_path: Path,
    out: str | Path | None,
    slurm_dir: Path,
    options: SlurmOptions,
    progress: bool = True,
) -> SlurmJobs:
    """Build the dataset, check the grid against it, and write the array and finishing scripts for ``grid``."""
    paths = grid_paths(grid, out)
    with folder_lock(paths.root, "rnncells grid slurm"):  # one writer per results folder (rnncells.locks)
        resolved = paths.write_grid_file(grid_toml(grid))
        prepare_dataset(grid, paths, progress)
        runs = plan_runs(grid)
        check_grid_data(grid, runs, paths.dataset, str(config_path))  # before any task is written
        reuse_runs(runs, paths, grid.reuse, grid.backend, grid.generate)  # their tasks find them finished
        for run in runs:  # each task trains from its run's config.toml; a finished run keeps the config it has
            if not is_finished(paths, run):
                write_run_config(run, paths)
    commands = [shlex.join(train_command(run, paths, grid.backend, options.cpus)) for run in runs]
    folder = slurm_dir / grid.name
    common = {
        "partition": options.partition,
        "time": options.time,
        "mem": options.mem,
        "gpus": options.gpus,
        "cpus": options.cpus,
        "setup": options.setup,
        "log_dir": paths.root.resolve() / "logs",
    }
    train_script = write_job_array(folder, "train", commands, throttle=options.throttle, **common)
    finish = shlex.join(
        [
            sys.executable,
            "-m",
            "rnncells.cli",
            "grid",
            "finish",
            str(resolved.resolve()),
            "--out",
            str(paths.root.resolve()),
        ]
    )
    finish_script = write_dependent_job(folder, "finish", finish, **{**common, "gpus": 0})
    return SlurmJobs(train_script, finish_script, commands)


def submit_grid_jobs(jobs: SlurmJobs, env: dict | None = None) -> SlurmJobs:
    """Submit the array, then the finishing job with ``afterok`` on it."""
    jobs.train_job = submit(jobs.train_script, env=env)
    jobs.finish_job = submit(jobs.finish_script, dependency=jobs.train_job, env=env)
    return jobs


def resubmit_run(jobs: SlurmJobs, index: int, env: dict | None = None) -> str:
    """Submit array task ``index`` again, alone."""
    if not 0 <= index < len(jobs.commands):
        raise InputError(f"--resubmit {index}: the array has tasks 0-{len(jobs.commands) - 1}")
    return resubmit_task(jobs.train_script, index, env=env)
