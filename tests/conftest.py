"""Shared fixtures: the real EDM melodies beside the checkout (``../shared/data/edm``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("RNNCELLS_SHARED", REPO.parent / "shared"))
EDM_DIR = SHARED / "data" / "edm"


@pytest.fixture(scope="session")
def edm_dir() -> Path:
    """The folder of 212 real EDM melodies (``Artist - Title.mid``)."""
    if not EDM_DIR.is_dir():
        pytest.skip(f"{EDM_DIR} not found: put the shared folder beside the checkout or set RNNCELLS_SHARED")
    return EDM_DIR
