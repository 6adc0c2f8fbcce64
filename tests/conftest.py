"""Shared fixtures: the real EDM melodies beside the checkout (``../shared/data/edm``)."""

from __future__ import annotations

import os
import shutil
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


@pytest.fixture(scope="session")
def small_dataset(edm_dir, tmp_path_factory) -> Path:
    """The three variants of 40 EDM melodies (70% train, 30% validation)."""
    from rnncells.config.dataset import DatasetConfig
    from rnncells.data.build import build_dataset

    folder = tmp_path_factory.mktemp("edm40")
    for path in sorted(edm_dir.glob("*.mid"))[:40]:
        shutil.copy(path, folder / path.name)
    out = tmp_path_factory.mktemp("dataset") / "edm40"
    build_dataset(
        DatasetConfig(source=str(folder), train_ratio=0.7, validation_ratio=0.3, test_ratio=0.0), out, progress=False
    )
    return out


# The longest test files first: `pytest -n 2 --dist loadfile` (.ci/run) hands files to workers in collection order,
# so starting these early keeps one worker from running the JAX rerun alone at the end.
SLOW_FILES_FIRST = (
    "tests/test_backends.py",
    "tests/grid/slurm/test_grid_slurm.py",
    "tests/grid/test_grid_run.py",
    "tests/study/test_report.py",
    "tests/grid/test_grid_reuse.py",
    "tests/training/test_trainer.py",
)


def pytest_collection_modifyitems(items: list) -> None:
    """Stable reorder: the files of SLOW_FILES_FIRST before the rest, in that order."""
    rank = {name: position for position, name in enumerate(SLOW_FILES_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))


@pytest.fixture(scope="session")
def replicated_grid(small_dataset, tmp_path_factory) -> Path:
    """A tiny 2-seed grid (control GRU x 1-2 layers) assembled by reuse, without training, from a folder of seed-0
    runs and a folder of seed-1 runs trained apart (``--set axes.seed=[1]``); returns its results folder. The seed
    folders are ``seed0`` and ``seed1`` beside it. Shared by the grid's and the report's replicate tests."""
    import json

    from rnncells.grid.grid_file import load_grid
    from rnncells.grid.paths import grid_paths
    from rnncells.grid.plan import plan_runs
    from rnncells.grid.runner import prepare_dataset, run_grid, train_runs
    from tests.grid.test_grid_run import tiny_grid

    source = Path(json.loads((small_dataset / "dataset.json").read_text())["source"])
    folder = tmp_path_factory.mktemp("replicates")
    config = tiny_grid(folder, source, cells='["gru"]', layers="[1, 2]")
    config.write_text(config.read_text().replace('variants = ["control", "interval"]', 'variants = ["control"]'))
    for name, overrides in (("seed0", []), ("seed1", ["axes.seed=[1]"])):  # as `rnncells grid run --set ...`
        grid = load_grid(config, overrides=overrides)
        paths = grid_paths(grid, folder / name)
        prepare_dataset(grid, paths, progress=False)
        train_runs(plan_runs(grid), paths, jobs=2, progress=False)
    grid = load_grid(config, overrides=["seeds=[0, 1]"])
    grid.reuse = [str(folder / "seed0"), str(folder / "seed1")]
    run_grid(grid, folder / "both", generate_all=True, progress=False)
    return folder / "both"
