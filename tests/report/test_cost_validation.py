"""Cost-function validation end to end: paper_scripts/08 retrains a run per seed with every step checkpoint, draws
songs per checkpoint, scores them, and writes the table, summary and figure against the validation loss; the block
bootstrap's interval on data with a known answer."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rnncells.report.cost_validation import (
    block_bootstrap_interval,
    checkpoint_table,
    cost_validation_figure,
    rank_correlation,
)

REPO = Path(__file__).resolve().parents[2]


def test_script_08_writes_one_row_per_checkpoint(small_dataset, tmp_path):
    work = tmp_path / "work"
    (work / "runs" / "control-lstm-1").mkdir(parents=True)
    (work / "dataset").symlink_to(small_dataset)
    (work / "runs" / "control-lstm-1" / "config.toml").write_text(
        '[model]\ncell = "lstm"\nlayers = 1\nunits = 16\n'
        '[train]\nvariant = "control"\nepochs = 4\nbatch_size = 8\nseq_length = 16\nlearning_rate = 0.01\n'
    )
    bin_dir = Path(sys.executable).parent
    env = {
        **os.environ,
        "WORK": str(work),
        "LAYERS": "1",
        "STEPS": "10",
        "SONGS": "2",
        "SEEDS": "0 1",
        "RNNCELLS": str(bin_dir / "rnncells"),
    }
    env["PATH"] = f"{bin_dir}:{env['PATH']}"
    done = subprocess.run(
        ["bash", str(REPO / "paper_scripts" / "08_cost_function_validation.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = work / "cost_validation"
    with open(out / "cost_validation.csv") as handle:
        rows = list(csv.DictReader(handle))
    songs = pd.read_csv(out / "evaluation" / "songs.csv")  # each row is the mean of its checkpoint's songs
    for seed in (0, 1):
        checkpoints = sorted((out / f"run-seed{seed}" / "checkpoints").glob("step-*.keras"))
        assert len(checkpoints) >= 3
        own_rows = [row for row in rows if row["seed"] == str(seed)]
        assert [int(row["step"]) for row in own_rows] == [int(re.search(r"step-(\d+)", p.name)[1]) for p in checkpoints]
        losses = {
            int(re.search(r"step-(\d+)", p.name)[1]): float(re.search(r"loss-([\d.]+)", p.stem)[1]) for p in checkpoints
        }
        for row in own_rows:
            assert int(row["step"]) % 10 == 0 and row["songs"] == "2"
            assert float(row["loss"]) == pytest.approx(losses[int(row["step"])])
            assert 0 < float(row["val_loss"]) < 10  # measured on the validation songs at that checkpoint
            own = songs[songs["model_name"].str.startswith(f"seed{seed}-step-{int(row['step']):07d}-")]
            assert float(row["general"]) == pytest.approx(own["general"].mean())
            assert float(row["shared_run"]) == pytest.approx(own["shared_run"].mean())
    summary = json.loads((out / "cost_validation.json").read_text())
    assert summary["seeds"] == [0, 1] and summary["checkpoints"] == len(rows)
    assert set(summary["val_loss"]) == {"rho", "p", "interval_95"}
    assert r"\begin{table}" in (out / "cost_validation.tex").read_text()
    assert (out / "cost_validation.png").stat().st_size > 10_000 and (out / "cost_validation.pdf").is_file()


def synthetic_checkpoints(rng: np.random.Generator, slope: float, noise: float) -> pd.DataFrame:
    """Three seeds of 15 checkpoints each: the validation loss falls, general tonality follows it by ``slope``."""
    rows = []
    for seed in range(3):
        val_loss = np.linspace(3.0, 2.0, 15) + rng.normal(0, 0.02, 15)
        general = 5 + slope * (val_loss - 2.5) + rng.normal(0, noise, 15)
        rows += [
            {"seed": seed, "step": 10 * (i + 1), "val_loss": v, "general": g}
            for i, (v, g) in enumerate(zip(val_loss, general))
        ]
    return pd.DataFrame(rows)


def test_block_bootstrap_interval_finds_a_known_answer():
    rng = np.random.default_rng(5)
    related = synthetic_checkpoints(rng, slope=2.0, noise=0.05)
    rho, _ = rank_correlation(related, "general", "val_loss")
    low, high = block_bootstrap_interval(related, "general", "val_loss", samples=400)
    assert rho > 0.9 and 0.7 < low <= rho <= high <= 1.0  # lower loss, lower general (more tonal)
    unrelated = synthetic_checkpoints(rng, slope=0.0, noise=0.5)
    low, high = block_bootstrap_interval(unrelated, "general", "val_loss", samples=400)
    assert low < 0 < high
    assert np.isnan(block_bootstrap_interval(related.iloc[:2], "general", "val_loss", samples=50)[0])


def test_checkpoint_table_joins_each_seeds_validation_loss(tmp_path):
    folder = tmp_path / "evaluation"
    folder.mkdir()
    lines = ["model_name,variant,cell,layers,index,cmm,lm,centr,general"]
    for seed, step, general in ((0, 10, 5.0), (0, 10, 7.0), (1, 10, 4.0), (0, 20, 3.0)):
        lines.append(f"seed{seed}-step-{step:07d}-loss-2.5000,control,lstm,1,0,1,1,0.1,{general}")
    (folder / "songs.csv").write_text("\n".join(lines) + "\n")
    losses = pd.DataFrame({"seed": [0, 0, 1], "step": [10, 20, 10], "val_loss": [2.9, 2.7, 3.1]})
    table = checkpoint_table(folder, losses)
    assert table[["seed", "step", "songs", "general", "val_loss"]].values.tolist() == [
        [0, 10, 2, 6.0, 2.9],
        [0, 20, 1, 3.0, 2.7],
        [1, 10, 1, 4.0, 3.1],
    ]
    assert checkpoint_table(folder)["val_loss"].isna().all()  # without the runs: no validation loss


def test_song_sets_not_named_after_checkpoints_are_refused(tmp_path):
    folder = tmp_path / "evaluation"
    folder.mkdir()
    (folder / "songs.csv").write_text(
        "model_name,variant,cell,layers,index,cmm,lm,centr,general\nmy-model,control,lstm,1,0,1,1,0.1,3.0\n"
    )
    with pytest.raises(ValueError, match="not named after a step checkpoint"):
        checkpoint_table(folder)


def test_the_figure_names_each_seeds_marker_and_the_correlation():
    table = synthetic_checkpoints(np.random.default_rng(2), slope=2.0, noise=0.05)
    table["loss"] = table["val_loss"] - 0.3
    figure = cost_validation_figure(table, "control-lstm-1")
    assert [text.get_text() for text in figure.legends[0].get_texts()] == ["seed 0", "seed 1", "seed 2"]
    assert figure.axes[0].get_title().startswith("Spearman rho ")  # the first panel: validation loss
    assert figure.axes[0].get_xlabel() == "validation loss at the checkpoint"
