"""Test workers (``pytest -n 2``) share one host, and a local Slurm owns host-wide things (slurmctld's port,
munged): the Slurm tests take this lock around a cluster's life, so only one cluster runs at a time."""

from __future__ import annotations

import fcntl
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK = Path(tempfile.gettempdir()) / "rnncells-tests-slurm.lock"


@contextmanager
def one_cluster_at_a_time() -> Iterator[None]:
    """Hold the host's Slurm-test lock (waits while another worker's cluster runs)."""
    with open(LOCK, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
