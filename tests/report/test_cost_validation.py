"""Cost-function validation end to end: paper_scripts/08 retrains a run with every step checkpoint, draws one song
per checkpoint, scores it, and writes the loss-against-tonality table and figure."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from rnncells.report.cost_validation import checkpoint_table

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
    checkpoints = sorted((out / "run" / "checkpoints").glob("step-*.keras"))
    assert len(checkpoints) >= 3
    with open(out / "cost_validation.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(row["step"]) for row in rows] == [int(re.search(r"step-(\d+)", p.name)[1]) for p in checkpoints]
    assert all(int(row["step"]) % 10 == 0 and row["songs"] == "2" for row in rows)
    losses = {
        int(re.search(r"step-(\d+)", p.name)[1]): float(re.search(r"loss-([\d.]+)", p.stem)[1]) for p in checkpoints
    }
    assert all(float(row["loss"]) == pytest.approx(losses[int(row["step"])]) for row in rows)
    songs = pd.read_csv(out / "evaluation" / "songs.csv")  # each row is the mean of its checkpoint's songs
    for row in rows:
        own = songs[songs["model_name"].str.startswith(f"step-{int(row['step']):07d}-")]
        assert float(row["general"]) == pytest.approx(own["general"].mean())
        assert float(row["shared_run"]) == pytest.approx(own["shared_run"].mean())
    assert r"\begin{table}" in (out / "cost_validation.tex").read_text()
    assert (out / "cost_validation.png").stat().st_size > 10_000 and (out / "cost_validation.pdf").is_file()


def test_song_sets_not_named_after_checkpoints_are_refused(tmp_path):
    folder = tmp_path / "evaluation"
    folder.mkdir()
    (folder / "songs.csv").write_text(
        "model_name,variant,cell,layers,index,cmm,lm,centr,general\nmy-model,control,lstm,1,0,1,1,0.1,3.0\n"
    )
    with pytest.raises(ValueError, match="not named after a step checkpoint"):
        checkpoint_table(folder)
