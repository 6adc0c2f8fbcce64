"""Slurm job scripts for a grid of runs: one job array (task i runs command i), then one dependent final step.

    script = write_job_array(out, "grid", commands, partition="gpu", time="2-00:00:00", mem="16G", gpus=2,
                             cpus=4, throttle=8, setup="source .venv/bin/activate", log_dir=out / "logs")
    array_id = submit(script)
    final_id = submit(write_dependent_job(out, "tables", "rnncells tables ..."), dependency=array_id)
    wait_for([array_id, final_id], timeout=3600)

The array's commands live in a separate file (one line each) that the script reads by ``$SLURM_ARRAY_TASK_ID``,
so a command needs no quoting beyond what it would need at a shell prompt. Job states come from
``scontrol show job`` because ``sacct`` needs accounting storage, which small clusters often lack (docs/method.md §8).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import time as clock
from collections.abc import Mapping, Sequence
from pathlib import Path

from rnncells.errors import RnncellsError
from rnncells.files import write_text_atomic

# states after which a job never runs again (scontrol's names)
FINISHED_STATES = frozenset(
    {
        "COMPLETED",
        "FAILED",
        "CANCELLED",
        "TIMEOUT",
        "OUT_OF_MEMORY",
        "NODE_FAIL",
        "PREEMPTED",
        "BOOT_FAIL",
        "DEADLINE",
        "REVOKED",
        "SPECIAL_EXIT",
    }
)
_JOB_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_RECORD_FIELD = re.compile(r"(?:^|\s)([A-Za-z]+)=(\S*)")


class SlurmError(RnncellsError, RuntimeError):
    """A Slurm command failed or a job script cannot be written; the message says which and why."""


def _header(
    job_name: str,
    *,
    output: Path,
    partition: str | None,
    time: str,
    mem: str,
    gpus: int,
    cpus: int,
    workdir: Path | None,
    extra: Sequence[str] = (),
) -> list[str]:
    if not _JOB_NAME.match(job_name):
        raise SlurmError(f"job name {job_name!r} must be letters, digits, '_', '.' or '-' (it names log files)")
    if gpus < 0 or cpus < 1:
        raise SlurmError(f"gpus={gpus}, cpus={cpus}: need gpus >= 0 and cpus >= 1")
    lines = ["#!/bin/bash", f"#SBATCH --job-name={job_name}", *extra, f"#SBATCH --output={output}"]
    if partition:
        lines.append(f"#SBATCH --partition={partition}")
    lines += [f"#SBATCH --time={time}", f"#SBATCH --mem={mem}", f"#SBATCH --cpus-per-task={cpus}"]
    if gpus > 0:
        lines.append(f"#SBATCH --gres=gpu:{gpus}")
    if workdir is not None:
        lines.append(f"#SBATCH --chdir={Path(workdir).resolve()}")
    return lines + ["", "set -euo pipefail"]


def _setup(setup: str) -> list[str]:
    if not setup.strip():
        return []
    # activation scripts (venv, conda, environment modules) often read unset variables
    return ["set +u", setup.strip(), "set -u"]


def _write_script(path: Path, lines: list[str]) -> Path:
    write_text_atomic(path, "\n".join(lines) + "\n")
    path.chmod(0o755)
    return path


def _check_commands(job_name: str, commands: Sequence[str]) -> None:
    if not commands:
        raise SlurmError(f"job array {job_name!r} has no commands; give at least one")
    for index, command in enumerate(commands):
        if "\n" in command or "\r" in command or not command.strip():
            raise SlurmError(
                f"command {index} of {job_name!r} is empty or spans lines ({command!r}); "
                "give one shell line per task (join steps with &&)"
            )


def write_job_array(
    out_dir: Path,
    job_name: str,
    commands: Sequence[str],
    *,
    partition: str | None = None,
    time: str = "2-00:00:00",
    mem: str = "8G",
    gpus: int = 0,
    cpus: int = 1,
    throttle: int | None = None,
    setup: str = "",
    log_dir: Path | None = None,
    workdir: Path | None = None,
) -> Path:
    """Write ``OUT_DIR/JOB_NAME.sbatch``, a job array whose task i runs ``commands[i]``; return its path.

    The commands go to ``OUT_DIR/JOB_NAME.commands``, one per line. ``throttle`` caps how many tasks run at once
    (``--array=0-N%K``); each task logs to ``LOG_DIR/JOB_NAME_<array id>_<task>.out`` (default ``OUT_DIR/logs``);
    ``workdir`` is where the commands run (default: where ``sbatch`` was called).
    """
    _check_commands(job_name, commands)
    if throttle is not None and throttle < 1:
        raise SlurmError(f"throttle={throttle}: give a positive number of tasks to run at once, or None")
    out_dir = Path(out_dir).resolve()
    log_dir = Path(log_dir).resolve() if log_dir is not None else out_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)  # Slurm does not make the folder, and a task without it fails
    commands_file = write_text_atomic(out_dir / f"{job_name}.commands", "".join(c + "\n" for c in commands))
    array = f"0-{len(commands) - 1}" + (f"%{throttle}" if throttle else "")
    lines = _header(
        job_name,
        output=log_dir / f"{job_name}_%A_%a.out",
        partition=partition,
        time=time,
        mem=mem,
        gpus=gpus,
        cpus=cpus,
        workdir=workdir,
        extra=[f"#SBATCH --array={array}"],
    )
    lines += [
        f"commands_file={shlex.quote(str(commands_file))}",
        ': "${SLURM_ARRAY_TASK_ID:?is not set: submit this script with sbatch, or set it to a task index}"',
        'mapfile -t commands < "$commands_file"',
        "if (( SLURM_ARRAY_TASK_ID >= ${#commands[@]} )); then",
        '    echo "task $SLURM_ARRAY_TASK_ID: $commands_file has only ${#commands[@]} commands" >&2',
        "    exit 2",
        "fi",
        "command=${commands[$SLURM_ARRAY_TASK_ID]}",
        *_setup(setup),
        'echo "task $SLURM_ARRAY_TASK_ID on $(hostname): $command" >&2',
        'eval "$command"',
    ]
    return _write_script(out_dir / f"{job_name}.sbatch", lines)


def write_dependent_job(
    out_dir: Path,
    job_name: str,
    command: str,
    *,
    partition: str | None = None,
    time: str = "1:00:00",
    mem: str = "4G",
    gpus: int = 0,
    cpus: int = 1,
    setup: str = "",
    log_dir: Path | None = None,
    workdir: Path | None = None,
) -> Path:
    """Write ``OUT_DIR/JOB_NAME.sbatch``, one job running ``command`` (a final step; submit it with a dependency).

    It logs to ``LOG_DIR/JOB_NAME_<job id>.out`` (default ``OUT_DIR/logs``).
    """
    if not command.strip():
        raise SlurmError(f"job {job_name!r} has an empty command")
    out_dir = Path(out_dir).resolve()
    log_dir = Path(log_dir).resolve() if log_dir is not None else out_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    lines = _header(
        job_name,
        output=log_dir / f"{job_name}_%j.out",
        partition=partition,
        time=time,
        mem=mem,
        gpus=gpus,
        cpus=cpus,
        workdir=workdir,
    )
    lines += [*_setup(setup), command]
    return _write_script(out_dir / f"{job_name}.sbatch", lines)


def _run(command: list[str], env: Mapping[str, str] | None) -> str:
    try:
        result = subprocess.run(command, env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=120)
    except FileNotFoundError as error:
        raise SlurmError(
            f"{command[0]} not found: run this on a Slurm login node, or install Slurm "
            "(`apt-get install -y slurm-wlm munge`, then `python -m rnncells.grid.slurm.local_cluster up`)"
        ) from error
    if result.returncode != 0:
        message = " ".join(result.stderr.split()) or f"exit status {result.returncode}"
        raise SlurmError(f"`{shlex.join(command)}` failed: {message}")
    return result.stdout


def submit(
    script: Path,
    *,
    dependency: str | Sequence[str] | None = None,
    env: Mapping[str, str] | None = None,
    array: str | None = None,
) -> str:
    """Submit ``script`` with sbatch and return its job ID (for an array, the array's job ID).

    ``dependency``: job ID(s) that must all finish successfully first (``afterok``); should one fail, Slurm
    cancels this job instead of leaving it pending forever. ``array`` overrides the script's task range.
    ``env``: variables added to this process's environment for sbatch (and so for the job), e.g. SLURM_CONF.
    """
    command = ["sbatch", "--parsable"]
    if dependency:
        ids = [dependency] if isinstance(dependency, str) else list(dependency)
        command += [f"--dependency=afterok:{':'.join(ids)}", "--kill-on-invalid-dep=yes"]
    if array is not None:
        command.append(f"--array={array}")
    output = _run([*command, str(Path(script).resolve())], env).strip()
    job_id = output.split(";")[0]  # --parsable prints "ID" or "ID;cluster"
    if not job_id.isdigit():
        raise SlurmError(f"sbatch {script} printed {output!r}, not a job ID")
    return job_id


def resubmit_task(script: Path, index: int, env: Mapping[str, str] | None = None) -> str:
    """Submit task ``index`` of the job array ``script`` again, alone; return the new array job's ID."""
    if index < 0:
        raise SlurmError(f"task index {index} is negative")
    return submit(script, env=env, array=str(index))


def parse_job_records(text: str) -> list[dict[str, str]]:
    """Parse ``scontrol show job -o`` output: one dict of its KEY=VALUE fields per line (values without spaces)."""
    return [dict(_RECORD_FIELD.findall(line)) for line in text.splitlines() if line.strip()]


def job_records(job_id: str, env: Mapping[str, str] | None = None) -> list[dict[str, str]]:
    """scontrol's records of a job (one per array task); [] once Slurm has forgotten it (MinJobAge, 5 min)."""
    try:
        return parse_job_records(_run(["scontrol", "show", "job", "-o", str(job_id)], env))
    except SlurmError as error:
        if "Invalid job id" in str(error):
            return []
        raise


def _task_key(record: dict[str, str]) -> str:
    task = record.get("ArrayTaskId")
    if task is None:
        return record["JobId"]
    # pending tasks not yet split off share one record whose task field is a range: "2-5%2"
    return f"{record['ArrayJobId']}_{task}" if task.isdigit() else f"{record['ArrayJobId']}_[{task}]"


def job_states(job_id: str, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The state of a job, or of each task of an array: ``{"12": "COMPLETED"}``, ``{"12_0": ..., "12_1": ...}``."""
    return {_task_key(record): record.get("JobState", "UNKNOWN") for record in job_records(job_id, env)}


def wait_for(
    job_ids: Sequence[str] | str, env: Mapping[str, str] | None = None, timeout: float = 3600, poll: float = 1.0
) -> dict[str, str]:
    """Wait until every job (every task of an array) has finished; return all their states.

    A job Slurm has already forgotten counts as finished and is left out. Raises TimeoutError naming the jobs
    still queued or running after ``timeout`` seconds.
    """
    ids = [job_ids] if isinstance(job_ids, str) else list(job_ids)
    deadline = clock.monotonic() + timeout
    while True:
        states: dict[str, str] = {}
        for job_id in ids:
            states.update(job_states(job_id, env))
        unfinished = {key: state for key, state in states.items() if state not in FINISHED_STATES}
        if not unfinished:
            return states
        if clock.monotonic() > deadline:
            raise TimeoutError(f"Slurm jobs still unfinished after {timeout:.0f} s: {unfinished}")
        clock.sleep(poll)
