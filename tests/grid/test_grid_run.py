"""The grid: planning, a whole local run, failures listed, and a grid killed part-way that resumes to the same end."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rnncells.config.records import ConfigError
from rnncells.grid.grid_file import load_grid
from rnncells.grid.plan import plan_runs
from rnncells.grid.runner import grid_toml
from tests.grid.test_grid_listen import assert_audio_sources_exist
from tests.report.test_audio import installed as audio_installed

REPO = Path(__file__).resolve().parents[2]


def tiny_grid(folder: Path, source: Path, extra: str = "", cells: str = '["lstm", "gru"]', layers: str = "[1]") -> Path:
    path = folder / "tiny.toml"
    path.write_text(f"""
name = "tiny"
[dataset]
source = "{source}"
variants = ["control", "interval"]
train_ratio = 0.7
validation_ratio = 0.3
test_ratio = 0.0
[axes]
cell = {cells}
layers = {layers}
{extra}
[epochs]
control = 3
interval = 3
[model]
units = 16
[train]
batch_size = 8
seq_length = 16
learning_rate = 0.01
[generate]
n_songs = 10
length = 20
""")
    return path


@pytest.fixture(scope="module")
def edm40(small_dataset) -> Path:
    """The folder of 40 EDM files behind the ``small_dataset`` fixture."""
    return Path(json.loads((small_dataset / "dataset.json").read_text())["source"])


def grid(*args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rnncells.cli", "grid", *args], capture_output=True, text=True, cwd=REPO, timeout=timeout
    )


def test_shipped_grids_plan_the_study():
    paper = plan_runs(load_grid(REPO / "configs" / "paper.toml"))
    assert len(paper) == 45 * 3 and {r.model.cell for r in paper} == {"lstm", "gru", "rnn"}  # seeds 0-2
    assert {r.name.rsplit("-", 1)[1] for r in paper} == {"seed0", "seed1", "seed2"}
    assert {r.train.epochs for r in paper if r.train.variant == "transposed"} == {50}
    assert {r.train.epochs for r in paper if r.train.variant != "transposed"} == {300}
    assert {r.model.cell for r in plan_runs(load_grid(REPO / "configs" / "paper-nas-ugrnn.toml"))} == {
        "lstm",
        "nas",
        "ugrnn",
    }
    rhythm = plan_runs(load_grid(REPO / "configs" / "paper-rhythm.toml"))
    assert len(rhythm) == 30 and sorted({r.model.units for r in rhythm}) == [128, 256, 512, 1024, 2048]
    assert rhythm[0].name == "control-lstm-1-units128" and rhythm[0].model.embedding_dim == 256
    quick = load_grid(REPO / "configs" / "quick.toml", source="somewhere/else")
    assert quick.dataset.source == "somewhere/else" and len(plan_runs(quick)) == 12


def test_grid_file_round_trips_and_bad_axes_are_refused(tmp_path):
    quick = load_grid(REPO / "configs" / "quick.toml")
    (tmp_path / "again.toml").write_text(grid_toml(quick))
    again = load_grid(tmp_path / "again.toml")
    assert [r.name for r in plan_runs(again)] == [r.name for r in plan_runs(quick)]
    assert again.dataset == quick.dataset and again.generate == quick.generate
    (tmp_path / "bad.toml").write_text("[axes]\nwidth = [1, 2]\n")
    with pytest.raises(ConfigError, match="axis 'width' is not a model or training field"):
        load_grid(tmp_path / "bad.toml")


def test_failing_run_is_listed_and_the_grid_goes_on(edm40, tmp_path):
    config = tiny_grid(tmp_path, edm40, cells='["gru"]')
    (tmp_path / "out" / "runs" / "interval-gru-1").mkdir(parents=True)
    (tmp_path / "out" / "runs" / "interval-gru-1" / "notes.txt").write_text("not a run")  # its trainer refuses
    result = grid("run", str(config), "--out", str(tmp_path / "out"), "--quiet", "--retries", "0")
    assert result.returncode == 0, result.stderr
    assert "1 run(s) failed and are left out: interval-gru-1" in result.stderr
    status = grid("status", str(config), "--out", str(tmp_path / "out"))
    failed = [line for line in status.stdout.splitlines() if " failed " in line]
    assert len(failed) == 1 and "is not empty and holds no run" in failed[0]
    selection = json.loads((tmp_path / "out" / "selection.json").read_text())
    assert selection["control-gru"]["selected"] == "control-gru-1" and selection["interval-gru"]["selected"] is None
    assert_no_machine_path(tmp_path / "out")


# an absolute path of this machine (a relative one such as ../../tmp/x is preceded by a dot)
MACHINE_PATH = re.compile(r"(?<![\w.~-])/(tmp|work|home|root|usr|opt|var|srv)/")
NOT_COMMITTED = ("checkpoints", "tensorboard", "dataset", "registry", "logs")  # results/.gitignore, with LaTeX's
NOT_COMMITTED_SUFFIXES = (".log", ".aux")  # tables/*.log and *.aux


def assert_no_machine_path(folder: Path) -> None:
    """What a results folder commits holds no absolute path (the grid was given an absolute source and --out)."""
    checked = 0
    for path in folder.rglob("*"):
        if not path.is_file() or set(path.relative_to(folder).parts) & set(NOT_COMMITTED):
            continue
        if path.suffix in NOT_COMMITTED_SUFFIXES:
            continue
        text = path.read_bytes().decode("utf-8", errors="replace")
        assert not MACHINE_PATH.search(text), f"{path}: {MACHINE_PATH.search(text).group(0)}"
        checked += 1
    assert checked > 40  # records, songs, tables, figures, index.html


def test_a_batch_larger_than_the_data_stops_the_grid_before_anything_trains(edm40, tmp_path):
    config = tiny_grid(tmp_path, edm40, extra="seq_length = [16, 100000]", cells='["gru"]')
    result = grid("run", str(config), "--out", str(tmp_path / "out"), "--quiet")
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert "run control-gru-1-seqlength100000 (batch_size 8, seq_length 100000" in lines[0]
    assert "token pairs are fewer than one batch" in lines[0] and not (tmp_path / "out" / "runs").exists()


def read_summary(folder: Path) -> dict:
    with open(folder / "evaluation" / "summary.csv") as handle:
        return {(row["model_name"], row["metric"]): float(row["mean"]) for row in csv.DictReader(handle)}


def outputs(folder: Path) -> set[str]:
    skip = ("logs", "registry", "tensorboard")
    return {
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.is_file() and not any(part in skip for part in p.relative_to(folder).parts)
    }


def test_killed_grid_resumes_to_the_same_results(edm40, tmp_path):
    config = tiny_grid(tmp_path, edm40, cells='["gru"]')  # 2 runs: the kill falls between them
    unbroken = tmp_path / "unbroken"
    assert grid("run", str(config), "--out", str(unbroken), "--quiet").returncode == 0

    broken = tmp_path / "broken"
    command = [sys.executable, "-m", "rnncells.cli", "grid", "run", str(config), "--out", str(broken), "--quiet"]
    process = subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.time() + 300
    first_run_state = broken / "runs" / "control-gru-1" / "state.json"
    while time.time() < deadline and process.poll() is None and not first_run_state.is_file():
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # the grid and its trainer die at once, as in a crash
    process.wait()
    assert first_run_state.is_file() and not (broken / "index.html").exists()

    status = grid("status", str(config), "--out", str(broken))
    assert "interrupted" in status.stdout or "pending" in status.stdout
    resumed = grid("run", str(config), "--out", str(broken), "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    assert "index:" in resumed.stdout and (broken / "tables" / "tables.tex").is_file()
    assert outputs(broken) == outputs(unbroken)
    audio = assert_audio_sources_exist(broken / "index.html")  # every player of the index page has its file
    # only the best and most representative song of each of the 4 selected models (--audio picks, the default)
    assert 4 <= len(set(audio)) <= 8 or not audio_installed()
    assert not list((broken / "audio").rglob("*.wav")) and len(list((broken / "audio").rglob("*.ogg"))) <= 8
    first, second = read_summary(unbroken), read_summary(broken)
    assert first.keys() == second.keys()
    for key, value in first.items():
        assert second[key] == pytest.approx(value, rel=1e-6), key
    epochs = [int(row["epoch"]) for row in csv.DictReader(open(broken / "runs" / "control-gru-1" / "metrics.csv"))]
    assert epochs == [1, 2, 3]


@pytest.mark.parametrize("stop", ["SIGTERM to the grid", "SIGINT to its process group"])
def test_a_stopped_grid_stops_its_trainers_and_records_it(edm40, tmp_path, stop):
    config = tiny_grid(tmp_path, edm40, cells='["lstm"]')
    text = config.read_text().replace("control = 3", "control = 400").replace("interval = 3", "interval = 1")
    config.write_text(text.replace("[train]\n", "[train]\nsave_every_seconds = 0\n"))  # state.json after epoch 1
    out = tmp_path / "out"
    command = [sys.executable, "-m", "rnncells.cli", "grid", "run", str(config), "--out", str(out), "--jobs", "2"]
    process = subprocess.Popen(  # SIGINT as at a terminal: not ignored, as it would be in a background job
        command, cwd=REPO, stderr=subprocess.PIPE, text=True, start_new_session=True, preexec_fn=_default_sigint
    )
    state = out / "runs" / "control-lstm-1" / "state.json"
    deadline = time.time() + 300
    while time.time() < deadline and process.poll() is None and not state.is_file():
        time.sleep(0.05)
    if stop.startswith("SIGTERM"):
        process.send_signal(signal.SIGTERM)  # the grid alone: it passes the stop on to its trainers
    else:
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C: every process of the group gets it
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130 and "run the same command again to resume" in err
    assert not [p for p in Path("/proc").glob("[0-9]*") if str(out) in _cmdline(p)]  # no trainer left behind
    entry = json.loads((out / "registry" / "control-lstm-1.json").read_text())
    assert entry["status"] == "pending" and entry["attempts"] == 1  # stopped, not failed, and not restarted
    history = [json.loads(line) for line in (out / "history.jsonl").read_text().splitlines()]
    assert history[-1]["exit"] == "interrupted" and history[-1]["wall_seconds"] > 0
    done = json.loads(state.read_text())["epochs_done"]
    rows = (out / "runs" / "control-lstm-1" / "metrics.csv").read_text().splitlines()
    assert 0 < done < 400 and len(rows) == done + 1  # every epoch it finished is committed
    status = grid("status", str(config), "--out", str(out))  # what a resume starts from (resuming: the kill test)
    assert "control-lstm-1" in status.stdout and f"{done}/400" in status.stdout


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _cmdline(proc: Path) -> str:
    try:
        return (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""
