"""The quick grid as a Slurm job array on a real one-node cluster: tasks train, the afterok job writes the tables."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from rnncells.grid.slurm.local_cluster import LocalSlurm, missing_binaries
from rnncells.grid.slurm.scripts import wait_for
from tests.grid.slurm.one_cluster import one_cluster_at_a_time

REPO = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.skipif(
    bool(missing_binaries()) or os.geteuid() != 0,
    reason="needs root and Debian's slurm-wlm and munge (apt-get install -y slurm-wlm munge)",
)


@pytest.fixture
def cluster():
    folder = Path(tempfile.mkdtemp(prefix="rnncells-slurm-"))  # slurmd's socket paths must stay short
    with one_cluster_at_a_time():
        local = LocalSlurm(folder)
        local.start()
        try:
            yield local
        finally:
            local.stop()
            shutil.rmtree(folder, ignore_errors=True)


def test_quick_grid_runs_as_a_job_array(cluster, tmp_path):
    env = {**os.environ, **cluster.env()}
    out = tmp_path / "quick"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "rnncells.cli",
            "grid",
            "slurm",
            str(REPO / "configs" / "quick.toml"),
            "--out",
            str(out),
            "--slurm-dir",
            str(tmp_path / "slurm"),
            "--submit",
            "--throttle",
            "2",
            "--time",
            "0:30:00",
            "--mem",
            "2G",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    train_script = tmp_path / "slurm" / "quick" / "train.sbatch"
    script = train_script.read_text()
    assert "#SBATCH --array=0-11%2" in script and "--gres" not in script
    lines = result.stdout.splitlines()
    array_job = lines[-1].split("array job ")[1].split()[0]
    finish_job = lines[-1].split("finishing job ")[1].split()[0]

    states = wait_for([array_job, finish_job], env=env, timeout=1200)
    assert set(states.values()) == {"COMPLETED"}, states
    assert len([key for key in states if key.startswith(f"{array_job}_")]) == 12
    assert (out / "tables" / "tables.tex").is_file() and (out / "index.html").is_file()
    selection = json.loads((out / "selection.json").read_text())
    assert len(selection) == 6 and all(entry["selected"] for entry in selection.values())
    assert len(list((out / "songs").iterdir())) == 6
    if shutil.which("pdflatex"):
        assert (out / "tables" / "tables.pdf").is_file()
    quick = str(REPO / "configs" / "quick.toml")
    status = subprocess.run(
        [sys.executable, "-m", "rnncells.cli", "grid", "status", quick, "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert status.stdout.strip().splitlines()[-1] == "12 done"
