"""A real one-node Slurm cluster (LocalSlurm) running job arrays, dependencies and resubmissions.

Needs the Debian packages ``slurm-wlm munge`` and root (docs/method.md §8); skipped when the programs are absent.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from rnncells.grid.slurm.local_cluster import (
    MUNGE_PID_FILE,
    LocalSlurm,
    missing_binaries,
    process_alive,
    read_pid,
    start_munged,
)
from rnncells.grid.slurm.scripts import (
    job_records,
    resubmit_task,
    submit,
    wait_for,
    write_dependent_job,
    write_job_array,
)
from tests.grid.slurm.one_cluster import one_cluster_at_a_time

MISSING = missing_binaries()
pytestmark = pytest.mark.skipif(
    bool(MISSING), reason=f"Slurm not installed ({', '.join(MISSING)} missing): apt-get install -y slurm-wlm munge"
)

SMALL = {"partition": None, "time": "5:00", "mem": "100M", "gpus": 0, "cpus": 1, "setup": ""}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """One LocalSlurm for the module; the last test stops it and checks what is left."""
    with one_cluster_at_a_time():
        local = LocalSlurm(tmp_path_factory.mktemp("slurm"))
        local.start()
        yield local
        local.stop()


def test_started_cluster_is_idle_and_has_its_own_conf(cluster):
    assert cluster.running()
    assert cluster.node_states() == ["idle"]
    assert cluster.env() == {"SLURM_CONF": str(cluster.folder / "slurm.conf")}
    conf = cluster.conf.read_text()
    for line in (
        "AuthType=auth/munge",
        "ProctrackType=proctrack/linuxproc",
        "SelectType=select/cons_tres",
        "AccountingStorageType=accounting_storage/none",
        f"SlurmdSpoolDir={cluster.folder / 'spool'}",
    ):
        assert line in conf.splitlines()
    assert set(cluster.pids()) >= {"slurmctld", "slurmd"}


def test_throttled_array_then_dependent_summary(cluster, tmp_path):
    # each task records when it ran, to check that no more than two ran at once
    commands = [
        f'start=$(date +%s.%N); sleep 1; echo "$start $(date +%s.%N)" > {tmp_path}/out_{i}.txt' for i in range(4)
    ]
    array = write_job_array(tmp_path, "arr", commands, throttle=2, log_dir=tmp_path / "logs", **SMALL)
    summary = write_dependent_job(
        tmp_path,
        "summary",
        "for i in 0 1 2 3; do test -s out_$i.txt; done; ls out_*.txt | wc -l > summary.txt",
        log_dir=tmp_path / "logs",
        workdir=tmp_path,
        **SMALL,
    )
    started = time.monotonic()
    array_id = submit(array, env=cluster.env())
    summary_id = submit(summary, dependency=array_id, env=cluster.env())
    assert any(record.get("ArrayTaskThrottle") == "2" for record in job_records(array_id, cluster.env()))
    waiting = job_records(summary_id, cluster.env())[0]
    assert (waiting["JobState"], waiting["Reason"]) == ("PENDING", "Dependency")
    assert waiting["Dependency"].startswith(f"afterok:{array_id}")

    states = wait_for([array_id, summary_id], cluster.env(), timeout=40, poll=0.5)
    print(f"4-task array (%2) + dependent job: {time.monotonic() - started:.1f} s")
    assert states == {**{f"{array_id}_{i}": "COMPLETED" for i in range(4)}, summary_id: "COMPLETED"}
    assert (tmp_path / "summary.txt").read_text().strip() == "4"
    spans = [tuple(map(float, (tmp_path / f"out_{i}.txt").read_text().split())) for i in range(4)]
    most_at_once = max(sum(start <= moment < end for start, end in spans) for moment, _ in spans)
    assert 1 <= most_at_once <= 2
    logs = sorted(path.name for path in (tmp_path / "logs").iterdir())
    assert logs == sorted([f"arr_{array_id}_{i}.out" for i in range(4)] + [f"summary_{summary_id}.out"])


def test_failed_job_cancels_its_dependent(cluster, tmp_path):
    failing = write_dependent_job(tmp_path, "fails", "exit 3", log_dir=tmp_path / "logs", **SMALL)
    after = write_dependent_job(tmp_path, "after", f"touch {tmp_path}/ran.txt", log_dir=tmp_path / "logs", **SMALL)
    failing_id = submit(failing, env=cluster.env())
    after_id = submit(after, dependency=failing_id, env=cluster.env())
    states = wait_for([failing_id, after_id], cluster.env(), timeout=30, poll=0.5)
    assert states == {failing_id: "FAILED", after_id: "CANCELLED"}
    assert job_records(failing_id, cluster.env())[0]["ExitCode"] == "3:0"
    assert job_records(after_id, cluster.env())[0]["Reason"] == "DependencyNeverSatisfied"
    assert not (tmp_path / "ran.txt").exists()


def test_resubmitting_one_failed_task_runs_only_that_task(cluster, tmp_path):
    commands = ["echo 0 >> runs.txt", "echo 1 >> runs.txt; test -e flag.txt", "echo 2 >> runs.txt"]
    script = write_job_array(
        tmp_path, "grid", commands, throttle=None, log_dir=tmp_path / "logs", workdir=tmp_path, **SMALL
    )
    array_id = submit(script, env=cluster.env())
    states = wait_for(array_id, cluster.env(), timeout=30, poll=0.5)
    assert states == {f"{array_id}_0": "COMPLETED", f"{array_id}_1": "FAILED", f"{array_id}_2": "COMPLETED"}

    (tmp_path / "flag.txt").touch()
    again_id = resubmit_task(script, 1, cluster.env())
    assert again_id != array_id
    assert wait_for(again_id, cluster.env(), timeout=30, poll=0.5) == {f"{again_id}_1": "COMPLETED"}
    assert sorted((tmp_path / "runs.txt").read_text().split()) == ["0", "1", "1", "2"]
    assert (tmp_path / "logs" / f"grid_{again_id}_1.out").exists()


def test_stop_ends_the_daemons_it_started(cluster):
    cluster.wait_idle(timeout=10)
    pids = cluster.pids()
    munged = read_pid(MUNGE_PID_FILE, "munged")
    started_munged = cluster.started_munged
    cluster.stop()
    assert not cluster.running()
    assert {name: process_alive(pid) for name, pid in pids.items()} == {name: False for name in pids}
    assert munged is not None
    assert process_alive(munged) is not started_munged  # a munged someone else started keeps running
    cluster.stop()  # stopping twice is harmless


def test_munged_we_did_not_start_is_left_running(tmp_path_factory):
    munged = read_pid(MUNGE_PID_FILE, "munged")
    started_here = munged is None
    if started_here:
        munged = start_munged()
    try:
        with LocalSlurm(tmp_path_factory.mktemp("slurm")) as local:
            assert not local.started_munged
            daemons = local.pids()
            assert set(daemons) == {"slurmctld", "slurmd"}
        assert not any(process_alive(pid) for pid in daemons.values())
        assert process_alive(munged)
    finally:
        if started_here:
            os.kill(munged, signal.SIGTERM)
