"""The budget comparison: two grids' depth curves, read from their run folders and songs, set side by side."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rnncells.config.model import ModelConfig
from rnncells.config.train import TrainConfig
from rnncells.study.budget import BudgetGrid, budget_sections, budget_text, depth_gap, is_budget, pairs
from rnncells.study.grid_folder import GridPaths
from rnncells.training.run_folder import RunFolder
from rnncells.training.run_types import RunConfig

PAPER = TrainConfig(epochs=6)
LONGER = TrainConfig(epochs=10, lr_decay_steps=505, early_stopping_patience=2)


def write_run(root: Path, name: str, layers: int, train: TrainConfig, val_losses: list[float]) -> None:
    """A run folder with its config and metrics (the format's own writer), as a trained run leaves them."""
    folder = RunFolder(root / "runs" / name)
    folder.path.mkdir(parents=True)
    folder.write_config(RunConfig({"variant": "control"}, ModelConfig(cell="lstm", layers=layers), train))
    rows = [
        {"epoch": e, "step": 3 * e, "loss": 3.0, "accuracy": 0.1, "perplexity": 20.0, "val_loss": v}
        | {"val_accuracy": 0.1, "val_perplexity": float(np.exp(v)), "learning_rate": 0.002, "seconds": 1.0}
        for e, v in enumerate(val_losses, start=1)
    ]
    folder.write_metrics(rows)


def grid(root: Path, train: TrainConfig, runs: dict[str, tuple[int, list[float], float]]) -> BudgetGrid:
    """A grid folder with ``runs`` (name: layers, validation losses, the general tonality of each of its 4 songs
    around that mean: mean - 0.1, mean, mean, mean + 0.1)."""
    rows = []
    for name, (layers, losses, mean) in runs.items():
        write_run(root, name, layers, train if "seed1" not in name else TrainConfig(epochs=6, seed=1), losses)
        rows += [{"model_name": name, "general": mean + d} for d in (-0.1, 0.0, 0.0, 0.1)]
    return BudgetGrid(root.name, GridPaths(root), pd.DataFrame(rows))


@pytest.fixture
def two_grids(tmp_path) -> list[BudgetGrid]:
    paper = grid(
        tmp_path / "paper",
        PAPER,
        {
            "control-lstm-1": (1, [3.0, 2.5, 2.4, 2.45, 2.5, 2.6], 4.0),
            "control-lstm-2": (2, [3.0, 2.9, 2.8, 2.7, 2.65, 2.6], 4.6),  # still improving at the cap
            "control-lstm-1-seed1": (1, [3.0, 2.0], 9.0),  # another seed: not in the budget grid, left out
        },
    )
    longer = grid(
        tmp_path / "longer",
        LONGER,
        {
            "control-lstm-1": (1, [3.0, 2.5, 2.45, 2.5, 2.6], 4.5),  # stopped early, best epoch 3
            "control-lstm-2": (2, [3.0, 2.6, 2.3, 2.2, 2.25, 2.3], 3.8),
        },
    )
    return [paper, longer]


def test_a_budget_is_a_step_decay_or_early_stopping_and_says_so():
    assert not is_budget(PAPER) and is_budget(LONGER) and is_budget(TrainConfig(early_stopping_patience=5))
    assert budget_text(PAPER) == "rate 0.002 × 0.97^epoch, 6 epochs"
    assert budget_text(LONGER) == (
        "rate 0.002 × 0.97 per 505 steps, stopped after 2 epochs without a new best validation loss, at most 10 epochs"
    )


def test_the_depth_gap_is_the_difference_of_song_means_with_a_song_interval():
    songs = pd.DataFrame({"model_name": ["a"] * 3 + ["b"] * 3, "general": [5.0, 5.0, 5.0, 4.0, 4.0, 4.0]})
    assert depth_gap(songs, ["a"], ["b"]) == pytest.approx((-1.0, -1.0, -1.0))  # no spread: the interval is a point
    noisy = pd.DataFrame({"model_name": ["a"] * 50 + ["b"] * 50, "general": list(np.linspace(4, 6, 50)) * 2})
    gap, low, high = depth_gap(noisy, ["a"], ["b"])
    assert gap == pytest.approx(0.0) and low < 0 < high and depth_gap(noisy, ["a"], ["b"]) == (gap, low, high)


def test_pairs_match_the_budget_grid_with_the_reference_on_its_seeds(two_grids):
    [(reference, budget, rows)] = pairs(two_grids)
    assert (reference.name, budget.name) == ("paper", "longer")
    assert sorted(zip(rows["grid"], rows["run"])) == [
        ("longer", "control-lstm-1"),
        ("longer", "control-lstm-2"),
        ("paper", "control-lstm-1"),
        ("paper", "control-lstm-2"),
    ]
    one = rows.set_index(["grid", "run"]).loc[("longer", "control-lstm-1")]
    assert (one["val_loss"], one["best_epoch"], one["epochs"], one["cap"]) == (2.45, 3, 5, 10)
    assert one["general"] == pytest.approx(4.5)
    assert pairs(two_grids[:1]) == [] and pairs(two_grids[1:]) == []  # no reference, or no budget grid


def test_the_section_says_whether_depth_helps_under_the_budget(two_grids, tmp_path):
    sections, opening, numbers = budget_sections(two_grids, tmp_path / "report")
    [section] = sections
    [(_, table)] = section.tables
    assert table["layers"].tolist() == [1, 2]
    assert table["paper: general"].tolist() == pytest.approx([4.0, 4.6])
    assert table["longer: val loss"].tolist() == pytest.approx([2.45, 2.2])
    assert table["longer: best / epochs"].tolist() == ["3 / 5", "4 / 6"]
    text = " ".join(section.lines)
    assert "Under `paper`'s budget (rate 0.002 × 0.97^epoch, 6 epochs) the most tonal control LSTM" in text
    assert "has 1 layer(s) (4.000;" in text and "validation loss picks 1 layer(s) (2.400)" in text
    assert "Still improving when it ended (best epoch = last epoch = cap): 2 layer(s)." in text
    assert text.count("No run reached step 505: the rate never decayed") == 1  # the longer grid's runs: 18 steps
    # under the longer budget the 2-layer model (3.8) beats the 1-layer one (4.5) well beyond its songs' spread
    assert opening == [section.lines[-1]]
    assert opening[0].startswith('**"Depth does not help" does not survive** `longer`')
    assert "the most tonal depth goes from 0.600 under `paper`'s budget to 0.700 under `longer`'s. One" in opening[0]
    assert "(2 layers) minus 1 layer(s): -0.700" in opening[0] and "One seed per depth" in opening[0]
    assert {p.name for p in (tmp_path / "report" / "figures").iterdir()} == {
        "longer-budget_curve.png",
        "longer-budget_curve.pdf",
    }
    assert numbers["longer"][0]["reference"] == "paper" and len(numbers["longer"][0]["rows"]) == 4


def test_depth_not_helping_under_the_budget_survives(two_grids, tmp_path):
    paper, longer = two_grids
    flat = longer.songs.assign(general=[4.0, 4.1, 4.1, 4.2, 4.0, 4.1, 4.1, 4.2])  # the same songs at both depths
    _, opening, _ = budget_sections([paper, BudgetGrid("longer", longer.paths, flat)], tmp_path)
    assert opening[0].startswith('**"Depth does not help" survives** `longer`')
    assert "+0.000" in opening[0] and "to 0.000 under `longer`'s: most of the deep models' deficit was" in opening[0]


def test_a_curve_two_references_share_is_compared_once(two_grids, tmp_path):
    """A grid that reused the reference's runs holds the same curve: the budget grid is set beside the first only."""
    import shutil

    paper, longer = two_grids
    shutil.copytree(paper.paths.root, tmp_path / "reused")
    reused = BudgetGrid("reused", GridPaths(tmp_path / "reused"), paper.songs)
    assert [(r.name, b.name) for r, b, _ in pairs([paper, reused, longer])] == [("paper", "longer")]
    assert [(r.name, b.name) for r, b, _ in pairs([reused, paper, longer])] == [("reused", "longer")]
