"""The model, training and generation tests again on the JAX backend (issue: same code on every backend)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BACKEND_TESTS = ["tests/models", "tests/training/test_trainer.py", "tests/generation/test_generate.py"]


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax is not installed (pip install jax)")
def test_model_training_and_generation_tests_pass_on_jax():
    if os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow":
        pytest.skip("already running on a non-default backend")
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    result = subprocess.run(
        # The kill-at-every-write sweep trains ~60 times; JAX compiles each anew, so it runs on TensorFlow only
        # (the exact-resume test that does run here checks the same guarantee once).
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "not every_write", *BACKEND_TESTS],
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
