"""Backend choice and thread limits: set before Keras is imported, checked in fresh processes."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from rnncells.backend import select_backend, thread_environment, threads_per_job
from rnncells.cli import main
from rnncells.config.records import ConfigError


def test_threads_per_job_splits_the_cores():
    assert threads_per_job(1, cores=16) == 16
    assert threads_per_job(2, cores=16) == 8
    assert threads_per_job(3, cores=2) == 1


def test_thread_environment_holds_every_backend():
    env = thread_environment(3)
    assert env["TF_NUM_INTRAOP_THREADS"] == "3" and env["OMP_NUM_THREADS"] == "3"
    assert "intra_op_parallelism_threads=3" in env["XLA_FLAGS"]


def test_tensorflow_runs_on_the_threads_it_is_given():
    code = (
        "from rnncells.backend import limit_threads, select_backend\n"
        "select_backend('tensorflow'); limit_threads(1)\n"
        "import keras, tensorflow as tf\n"
        "keras.ops.ones((2, 2))\n"
        "print(tf.config.threading.get_intra_op_parallelism_threads(), "
        "tf.config.threading.get_inter_op_parallelism_threads())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split()[-2:] == ["1", "1"]


@pytest.mark.skipif(importlib.util.find_spec("torch") is not None, reason="torch is installed here")
def test_a_missing_backend_is_one_line_naming_the_package(capsys, tmp_path):
    with pytest.raises(ConfigError, match="pip install torch"):
        select_backend("torch")
    code = main(["train", "--dataset", str(tmp_path), "--out", str(tmp_path / "run"), "--backend", "torch"])
    error = capsys.readouterr().err
    assert code == 2 and error.count("\n") == 1 and "pip install torch" in error
