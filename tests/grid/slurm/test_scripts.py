"""Job scripts written by rnncells.grid.slurm.scripts, checked and run with bash (no Slurm daemons needed)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from rnncells.grid.slurm import local_cluster as local_slurm
from rnncells.grid.slurm.scripts import SlurmError, parse_job_records, submit, write_dependent_job, write_job_array


def sbatch_lines(script: Path) -> list[str]:
    return [line for line in script.read_text().splitlines() if line.startswith("#SBATCH")]


def run_task(script: Path, task: int | None, cwd: Path, timeout: int = 30) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "SLURM_ARRAY_TASK_ID"}
    if task is not None:
        env["SLURM_ARRAY_TASK_ID"] = str(task)
    return subprocess.run(["bash", str(script)], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def test_array_script_has_the_requested_sbatch_lines(tmp_path):
    script = write_job_array(
        tmp_path / "jobs",
        "grid",
        ["true"] * 5,
        partition="gpu",
        time="2-00:00:00",
        mem="16G",
        gpus=2,
        cpus=4,
        throttle=3,
        setup="",
        log_dir=tmp_path / "logs",
    )
    assert script == (tmp_path / "jobs" / "grid.sbatch").resolve()
    assert os.access(script, os.X_OK)
    assert script.read_text().startswith("#!/bin/bash\n")
    assert sbatch_lines(script) == [
        "#SBATCH --job-name=grid",
        "#SBATCH --array=0-4%3",
        f"#SBATCH --output={(tmp_path / 'logs').resolve()}/grid_%A_%a.out",
        "#SBATCH --partition=gpu",
        "#SBATCH --time=2-00:00:00",
        "#SBATCH --mem=16G",
        "#SBATCH --cpus-per-task=4",
        "#SBATCH --gres=gpu:2",
    ]
    assert "set -euo pipefail" in script.read_text().splitlines()
    assert (tmp_path / "logs").is_dir()  # Slurm would not make it, and a task without it fails


def test_no_gres_without_gpus_no_partition_unless_given_no_throttle_unless_given(tmp_path):
    script = write_job_array(
        tmp_path,
        "cpu",
        ["true", "true"],
        partition=None,
        time="1:00:00",
        mem="1G",
        gpus=0,
        cpus=1,
        throttle=None,
        setup="",
        log_dir=tmp_path / "logs",
    )
    lines = sbatch_lines(script)
    assert "#SBATCH --array=0-1" in lines
    assert not any(line.startswith(("#SBATCH --gres", "#SBATCH --partition")) for line in lines)


def test_commands_file_holds_one_command_per_line(tmp_path):
    commands = ["echo a > a.txt", "printf '%s\\n' \"b c\" > b.txt", "echo $((1 + 2)) > c.txt"]
    write_job_array(
        tmp_path,
        "grid",
        commands,
        partition=None,
        time="1:00",
        mem="1G",
        gpus=0,
        cpus=1,
        throttle=2,
        setup="",
        log_dir=tmp_path / "logs",
    )
    assert (tmp_path / "grid.commands").read_text().splitlines() == commands


def test_task_one_runs_only_command_one_after_the_setup_line(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    commands = [
        "echo zero > task0.txt",
        """printf '%s|%s|%s\\n' "$GREETING" 'it'"'"'s "quoted" $HOME' "$SLURM_ARRAY_TASK_ID" > task1.txt""",
        "echo two > task2.txt",
    ]
    script = write_job_array(
        tmp_path,
        "grid",
        commands,
        partition=None,
        time="1:00",
        mem="1G",
        gpus=0,
        cpus=1,
        throttle=None,
        setup="export GREETING=hello",
        log_dir=tmp_path / "logs",
    )
    result = run_task(script, 1, work)
    assert result.returncode == 0, result.stderr
    assert sorted(path.name for path in work.iterdir()) == ["task1.txt"]
    assert (work / "task1.txt").read_text() == 'hello|it\'s "quoted" $HOME|1\n'


def test_failing_command_fails_the_task_and_bad_index_is_refused(tmp_path):
    script = write_job_array(
        tmp_path,
        "grid",
        ["true", "false; touch after.txt"],
        partition=None,
        time="1:00",
        mem="1G",
        gpus=0,
        cpus=1,
        throttle=None,
        setup="",
        log_dir=tmp_path / "logs",
    )
    assert run_task(script, 0, tmp_path).returncode == 0
    assert run_task(script, 1, tmp_path).returncode != 0
    assert not (tmp_path / "after.txt").exists()  # set -e stops at the failing step
    too_far = run_task(script, 2, tmp_path)
    assert too_far.returncode == 2 and "has only 2 commands" in too_far.stderr
    unset = run_task(script, None, tmp_path)
    assert unset.returncode != 0 and "SLURM_ARRAY_TASK_ID" in unset.stderr


def test_dependent_job_script_runs_its_command(tmp_path):
    script = write_dependent_job(
        tmp_path,
        "tables",
        'echo "$GREETING done" > summary.txt',
        partition="cpu",
        time="0:10:00",
        mem="2G",
        gpus=1,
        cpus=2,
        setup="GREETING=hi",
        log_dir=tmp_path / "logs",
        workdir=tmp_path,
    )
    lines = sbatch_lines(script)
    assert f"#SBATCH --output={(tmp_path / 'logs').resolve()}/tables_%j.out" in lines
    assert {"#SBATCH --partition=cpu", "#SBATCH --gres=gpu:1", f"#SBATCH --chdir={tmp_path.resolve()}"} <= set(lines)
    assert not any("--array" in line for line in lines)
    assert os.access(script, os.X_OK)
    assert subprocess.run(["bash", str(script)], cwd=tmp_path, timeout=30).returncode == 0
    assert (tmp_path / "summary.txt").read_text() == "hi done\n"


@pytest.mark.parametrize("commands", [[], ["echo a\necho b"], ["   "]])
def test_bad_command_lists_are_refused(tmp_path, commands):
    with pytest.raises(SlurmError, match="command|no commands"):
        write_job_array(
            tmp_path,
            "grid",
            commands,
            partition=None,
            time="1:00",
            mem="1G",
            gpus=0,
            cpus=1,
            throttle=None,
            setup="",
            log_dir=tmp_path / "logs",
        )


def test_bad_job_name_and_throttle_are_refused(tmp_path):
    with pytest.raises(SlurmError, match="job name"):
        write_job_array(
            tmp_path,
            "my grid",
            ["true"],
            partition=None,
            time="1:00",
            mem="1G",
            gpus=0,
            cpus=1,
            throttle=None,
            setup="",
            log_dir=tmp_path,
        )
    with pytest.raises(SlurmError, match="throttle=0"):
        write_job_array(
            tmp_path,
            "grid",
            ["true"],
            partition=None,
            time="1:00",
            mem="1G",
            gpus=0,
            cpus=1,
            throttle=0,
            setup="",
            log_dir=tmp_path,
        )


def test_parse_job_records_reads_scontrol_one_liners():
    text = (
        "JobId=13 ArrayJobId=12 ArrayTaskId=1 JobName=grid JobState=FAILED Reason=NonZeroExitCode "
        "ExitCode=3:0\nJobId=12 ArrayJobId=12 ArrayTaskId=2-3%2 ArrayTaskThrottle=2 JobState=PENDING\n"
    )
    records = parse_job_records(text)
    assert [(r["JobId"], r["ArrayTaskId"], r["JobState"]) for r in records] == [
        ("13", "1", "FAILED"),
        ("12", "2-3%2", "PENDING"),
    ]
    assert records[0]["ExitCode"] == "3:0" and records[1]["ArrayTaskThrottle"] == "2"


def test_missing_slurm_is_reported_with_the_install_command(tmp_path, monkeypatch):
    monkeypatch.setattr(local_slurm, "which", lambda name: None if name in ("slurmd", "sbatch") else "/bin/true")
    with pytest.raises(
        local_slurm.SlurmUnavailableError,
        match=r"slurmd, sbatch not found.*apt-get install -y "
        r"slurm-wlm munge",
    ):
        local_slurm.LocalSlurm(tmp_path).start()
    assert list(tmp_path.iterdir()) == []  # nothing written, nothing started

    script = write_dependent_job(
        tmp_path,
        "one",
        "true",
        partition=None,
        time="1:00",
        mem="1G",
        gpus=0,
        cpus=1,
        setup="",
        log_dir=tmp_path / "logs",
    )
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(SlurmError, match="sbatch not found"):
        submit(script)


def test_grid_array_task_trains_its_run_from_the_config_toml_the_grid_wrote(edm_dir, tmp_path):
    """``grid slurm`` without daemons: each task's command is ``rnncells train --config RUN/config.toml``."""
    import shutil

    from rnncells.grid.grid_file import load_grid
    from rnncells.grid.plan import plan_runs
    from rnncells.grid.slurm.submit import SlurmOptions, write_grid_jobs
    from rnncells.training.run_folder import RunFolder, read_run_config

    source = tmp_path / "melodies"
    source.mkdir()
    for path in sorted(edm_dir.glob("*.mid"))[:10]:
        shutil.copy(path, source / path.name)
    config = tmp_path / "tiny.toml"
    config.write_text(
        f'name = "tiny"\n[dataset]\nsource = "{source}"\nvariants = ["control"]\ntrain_ratio = 0.7\n'
        'validation_ratio = 0.3\ntest_ratio = 0.0\n[axes]\ncell = ["gru", "lstm"]\n'
        "[model]\nunits = 8\nembedding_dim = 5\n[train]\nepochs = 1\nbatch_size = 4\nseq_length = 8\nclip_norm = 1.5\n"
    )
    grid = load_grid(config)
    jobs = write_grid_jobs(grid, config, tmp_path / "out", tmp_path / "slurm", SlurmOptions(), progress=False)
    runs = plan_runs(grid)
    assert len(jobs.commands) == len(runs) == 2
    for run, command in zip(runs, jobs.commands):
        run_dir = (tmp_path / "out" / "runs" / run.name).resolve()
        assert f"--out {run_dir} --config {run_dir / 'config.toml'} " in command
        assert "--backend tensorflow --threads 1 --quiet" in command and "--units" not in command
        written = read_run_config(run_dir / "config.toml")
        assert (written.model, written.train, written.dataset["source"]) == (run.model, run.train, str(source))
    result = run_task(jobs.train_script, 1, tmp_path, timeout=600)
    assert result.returncode == 0, result.stderr
    trained = RunFolder(tmp_path / "out" / "runs" / runs[1].name)
    assert trained.epochs_done == 1 and trained.read_config().model.embedding_dim == 5
    assert RunFolder(tmp_path / "out" / "runs" / runs[0].name).is_fresh()  # task 0 did not run
