"""The grid's training workers: runs trained in turn by one worker equal runs trained each in a process of its own,
a failing run ends only its worker, and a worker left behind by a dead grid is recognised by its runs folder."""

from __future__ import annotations

import csv
import importlib.util
import subprocess
import sys
import time
from pathlib import Path

import keras
import numpy as np
import pytest

from rnncells.grid.supervise import Trainers, stop_orphan, trainer_alive
from rnncells.grid.worker import MODULE, task, worker_command


def _config(run_dir: Path, cell: str, variant: str = "control") -> Path:
    run_dir.mkdir(parents=True)
    path = run_dir / "config.toml"
    path.write_text(
        f'[model]\ncell = "{cell}"\nlayers = 1\nunits = 16\n'
        f'[train]\nvariant = "{variant}"\nepochs = 2\nbatch_size = 8\nseq_length = 16\nlearning_rate = 0.01\n'
    )
    return path


def _metrics(run_dir: Path) -> list[dict]:
    with open(run_dir / "metrics.csv") as handle:
        return [{k: v for k, v in row.items() if k != "seconds"} for row in csv.DictReader(handle)]  # wall time


def _weights(run_dir: Path) -> list[np.ndarray]:
    return keras.saving.load_model(run_dir / "checkpoints" / "best.keras", compile=False).get_weights()


def _becomes_worker_of(pid: int, run_dir: Path, timeout: float = 20.0) -> bool:
    """True once ``pid`` shows as the worker of ``run_dir``: just after the fork its command line is still the
    parent's (pytest's) until the new program starts, a window a loaded machine makes visible."""
    deadline = time.monotonic() + timeout
    while not trainer_alive(pid, run_dir):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_runs_in_turn_in_one_worker_equal_runs_in_processes_of_their_own(small_dataset, tmp_path):
    runs, logs = tmp_path / "runs", tmp_path / "logs"
    logs.mkdir()
    trainers = Trainers(worker_command(runs, "tensorflow", 1))

    def through_worker(name: str, cell: str, variant: str = "control") -> tuple[int, int]:
        config, log = _config(runs / name, cell, variant), logs / f"{name}.log"
        with open(log, "a") as handle:
            process = trainers.start(handle)
        assert process is not None and _becomes_worker_of(process.pid, runs / name)  # its command line names runs/
        return process.pid, trainers.train(process, task(small_dataset, runs / name, config, log))

    try:
        broken_pid, code = through_worker("broken", "lstm", variant="sideways")  # a config error: exit code 2
        first_pid, first = through_worker("first", "lstm")
        second_pid, second = through_worker("second", "gru")
    finally:
        trainers.close()
    assert (
        code == 2
        and "rnncells: error:" in (logs / "broken.log").read_text()
        and "sideways" in (logs / "broken.log").read_text()
    )
    assert (first, second) == (0, 0) and first_pid == second_pid != broken_pid  # failed: a fresh worker after it
    alone = tmp_path / "alone"
    command = [sys.executable, "-m", "rnncells.cli", "train", "--dataset", str(small_dataset), "--out", str(alone)]
    config = _config(alone, "gru")
    subprocess.run([*command, "--config", str(config), "--threads", "1", "--quiet"], check=True, capture_output=True)
    assert len(_metrics(alone)) == 2 and _metrics(runs / "second") == _metrics(alone)
    for ours, theirs in zip(_weights(runs / "second"), _weights(alone), strict=True):
        np.testing.assert_array_equal(ours, theirs)
    assert (runs / "second" / "vocabulary.json").read_bytes() == (alone / "vocabulary.json").read_bytes()


FAKE = """
import json, sys
for line in sys.stdin:
    code = json.loads(line)["code"]
    if code == "die":
        sys.exit(3)
    print(json.dumps({"code": code}), flush=True)
"""


def test_a_worker_that_dies_fails_only_its_run_and_the_slot_gets_a_fresh_one(tmp_path):
    trainers = Trainers([sys.executable, "-c", FAKE])
    with open(tmp_path / "log", "a") as log:
        try:
            first = trainers.start(log)
            assert trainers.train(first, {"code": 0}) == 0
            assert trainers.start(log) is first  # the slot keeps its worker while its runs succeed
            assert trainers.train(first, {"code": "die"}) == 3  # died without an answer: its exit code
            second = trainers.start(log)
            assert second is not first and first.poll() == 3
            assert trainers.train(second, {"code": 2}) == 2  # an answered failure retires the worker too
            third = trainers.start(log)
            assert third is not second and trainers.train(third, {"code": 0}) == 0
            trainers.stop()
            assert trainers.start(log) is None  # a stopping grid starts nothing
        finally:
            trainers.close()
    assert third.poll() == 0 and not trainers.workers


def test_a_worker_is_recognised_by_its_runs_folder_only(tmp_path):
    runs = tmp_path / "out" / "runs"
    sleeper = [sys.executable, "-c", "import time; time.sleep(60)", MODULE]
    ours = subprocess.Popen([*sleeper, "--runs", str(runs)])
    other = subprocess.Popen([*sleeper, "--runs", str(tmp_path / "other" / "runs")])
    try:
        assert _becomes_worker_of(ours.pid, runs / "control-lstm-1") and trainer_alive(ours.pid, runs / "control-gru-2")
        assert _becomes_worker_of(other.pid, tmp_path / "other" / "runs" / "control-lstm-1")  # started, then:
        assert not trainer_alive(other.pid, runs / "control-lstm-1")
        assert not trainer_alive(ours.pid, tmp_path / "out" / "elsewhere" / "control-lstm-1")
        assert stop_orphan(ours.pid, runs / "control-lstm-1")
        ours.wait(timeout=10)
        assert other.poll() is None
    finally:
        for process in (ours, other):
            process.kill()
            process.wait()


def test_a_worker_without_its_backend_fails_its_run_with_one_line(tmp_path):
    if importlib.util.find_spec("torch") is not None:
        pytest.skip("torch is installed: no missing backend to try")
    trainers = Trainers(worker_command(tmp_path / "runs", "torch", 1))
    log_path = tmp_path / "run.log"
    try:
        with open(log_path, "a") as log:
            process = trainers.start(log)
        code = trainers.train(process, task(tmp_path, tmp_path / "runs" / "a", tmp_path / "config.toml", log_path))
    finally:
        trainers.close()
    assert code == 2
    last = log_path.read_text().strip().splitlines()[-1]
    assert last == "rnncells: error: backend torch: the torch module is missing; pip install torch"
