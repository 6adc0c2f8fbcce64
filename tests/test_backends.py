"""Representative model, training and generation tests again on the JAX backend (same code on every backend).

One of each thing a backend can get wrong, not the whole files (JAX compiles every model anew, and the rerun is a
long subprocess): the custom cells' equations, state carried through stateful training (JAX threads only tracked
variables), an exact resume, and batched generation."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BACKEND_TESTS = [
    "tests/models/test_cells.py",
    "tests/models/test_factory.py::test_stateful_training_carries_state_on_every_backend",
    "tests/training/test_trainer.py::test_same_seed_same_weights_and_resume_equals_unbroken",
    "tests/generation/test_generate.py::test_batched_generation_equals_one_song_at_a_time",
]


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax is not installed (pip install jax)")
def test_model_training_and_generation_tests_pass_on_jax():
    if os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow":
        pytest.skip("already running on a non-default backend")
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *BACKEND_TESTS],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr[-2000:]
    assert result.returncode == 0, f"JAX run failed: {summary}\n{result.stdout[-4000:]}"
    assert " passed" in summary and "failed" not in summary
    print(f"JAX backend: {summary}")
