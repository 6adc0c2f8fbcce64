"""The Keras backend of a process and how many CPU threads it may use; both must be set before Keras is imported.

A grid trains ``--jobs J`` processes at once. Left alone, each backend sizes its thread pools to every core of
the machine, so J processes would run J times as many threads as there are cores and slow each other down.
:func:`thread_environment` gives each process its share instead (TensorFlow's intra/inter-op pools, XLA's CPU
threads for JAX, OpenMP and PyTorch's pools).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys

from rnncells.config.records import ConfigError

BACKENDS = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}
PACKAGES = {"tensorflow": "tensorflow-cpu", "jax": "jax", "torch": "torch"}


def select_backend(name: str | None) -> str:
    """Make ``name`` (or ``$KERAS_BACKEND``, else tensorflow) this process's Keras backend; a one-line error
    names the package to install when its module is missing, or says that Keras already runs another one."""
    name = name or os.environ.get("KERAS_BACKEND") or "tensorflow"
    if name not in BACKENDS:
        raise ConfigError(f"backend {name!r}: use one of {', '.join(BACKENDS)}")
    if importlib.util.find_spec(BACKENDS[name]) is None:
        raise ConfigError(f"backend {name}: the {BACKENDS[name]} module is missing; pip install {PACKAGES[name]}")
    keras = sys.modules.get("keras")
    if keras is not None and keras.backend.backend() != name:
        raise ConfigError(f"backend {name}: Keras already runs on {keras.backend.backend()} in this process")
    os.environ["KERAS_BACKEND"] = name
    return name


def threads_per_job(jobs: int, cores: int | None = None) -> int:
    """Each of ``jobs`` processes' share of the machine's cores (at least one)."""
    if cores is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, cores // max(1, jobs))


def thread_environment(threads: int) -> dict[str, str]:
    """Environment variables that hold every backend of a new process to ``threads`` CPU threads."""
    xla = os.environ.get("XLA_FLAGS", "")
    xla_threads = f"--xla_cpu_multi_thread_eigen={'true' if threads > 1 else 'false'}"
    return {
        "TF_NUM_INTRAOP_THREADS": str(threads),
        "TF_NUM_INTEROP_THREADS": "1" if threads == 1 else "2",
        "OMP_NUM_THREADS": str(threads),
        "MKL_NUM_THREADS": str(threads),
        "XLA_FLAGS": f"{xla} {xla_threads} intra_op_parallelism_threads={threads}".strip(),
        "RNNCELLS_THREADS": str(threads),
    }


def limit_threads(threads: int | None) -> None:
    """Hold this process to ``threads`` CPU threads (call before Keras is imported; None leaves the defaults)."""
    if not threads:
        return
    if threads < 1:
        raise ConfigError(f"threads {threads} must be at least 1")
    environment = thread_environment(threads)
    os.environ.update(environment)
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    if backend == "tensorflow" and importlib.util.find_spec("tensorflow") is not None:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(int(environment["TF_NUM_INTEROP_THREADS"]))
    if backend == "torch" and importlib.util.find_spec("torch") is not None:
        import torch

        torch.set_num_threads(threads)


def quiet_tensorflow() -> None:
    """Silence TensorFlow's C++ start-up logging (oneDNN notice, absl warnings) unless the user set otherwise."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    logging.getLogger("tensorflow").setLevel(logging.ERROR)  # retracing notices of short-lived models
