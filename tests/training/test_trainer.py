"""Training: every cell learns, the run folder is complete, runs resume and are reproducible."""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import keras
import numpy as np
import pytest

from rnncells.config.model import CELLS, ModelConfig
from rnncells.config.train import TrainConfig
from rnncells.locks import LOCK_FILE
from rnncells.training.damage import run_damage
from rnncells.training.run import load_run
from rnncells.training.run_folder import RunError, RunFolder
from rnncells.training.trainer import train

SMALL = {"batch_size": 8, "seq_length": 16, "learning_rate": 0.01}


def read_metrics(run: Path) -> list[dict]:
    with open(run / "metrics.csv") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("cell", CELLS)
def test_every_cell_learns(small_dataset, tmp_path, cell):
    run = train(
        small_dataset,
        tmp_path / cell,
        ModelConfig(cell=cell, layers=2, units=32),
        TrainConfig(epochs=4, **SMALL),
        progress=False,
    )
    rows = read_metrics(run)
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3, 4]
    assert float(rows[-1]["val_loss"]) < float(rows[0]["val_loss"])
    assert float(rows[-1]["loss"]) < float(rows[0]["loss"])
    assert "perplexity" not in rows[0] and "val_perplexity" not in rows[0]  # the reader derives them
    for row in RunFolder(run).read_metrics():
        assert row["perplexity"] == pytest.approx(np.exp(row["loss"]), rel=1e-5)
        assert row["val_perplexity"] == pytest.approx(np.exp(row["val_loss"]), rel=1e-5)
        assert 0 <= row["val_accuracy"] <= 1


def test_run_folder_holds_everything(small_dataset, tmp_path):
    run = train(
        small_dataset,
        tmp_path / "run",
        ModelConfig(cell="gru", layers=1, units=16),
        TrainConfig(variant="interval", epochs=2, checkpoint_every_steps=3, keep_checkpoints=2, **SMALL),
        progress=False,
    )
    loaded = load_run(run)
    assert loaded.model_name == "interval-gru-1-u16" and loaded.train_config.variant == "interval"
    info = json.loads((run / "run.json").read_text())
    assert {"python", "keras", "backend", "numpy", "rnncells"} <= set(info["versions"]) and info["seed"] == 0
    manifest = json.loads((small_dataset / "interval" / "manifest.json").read_text())
    assert info["dataset_hash"] == manifest["content_hash"]
    assert [list(v) if isinstance(v, tuple) else v for v in loaded.vocabulary.values] == manifest["vocabulary"]
    rows = read_metrics(run)
    assert float(rows[1]["learning_rate"]) == pytest.approx(0.01 * 0.97)
    checkpoints = sorted(p.name for p in (run / "checkpoints").iterdir())
    assert "best.keras" in checkpoints and "last.keras" in checkpoints
    steps = [name for name in checkpoints if name.startswith("step-")]
    assert len(steps) == 2 and all("-loss-" in name for name in steps)
    assert list((run / "tensorboard" / "train").glob("events.out.tfevents.*"))
    assert list((run / "tensorboard" / "validation").glob("events.out.tfevents.*"))


def test_projector_files_load_in_tensorboards_projector(small_dataset, tmp_path):
    from google.protobuf import text_format
    from tensorboard.plugins.projector.projector_config_pb2 import ProjectorConfig

    run = train(
        small_dataset,
        tmp_path / "run",
        ModelConfig(cell="lstm", units=16),
        TrainConfig(epochs=1, **SMALL),
        progress=False,
    )
    folder = run / "projector"
    config = text_format.Parse((folder / "projector_config.pbtxt").read_text(), ProjectorConfig())
    embedding = config.embeddings[0]
    vectors = np.loadtxt(folder / embedding.tensor_path, delimiter="\t")
    labels = (folder / embedding.metadata_path).read_text().splitlines()
    vocabulary = load_run(run).vocabulary
    assert vectors.shape == (len(vocabulary), 16) and labels == vocabulary.labels()
    assert labels[0] == "C#4" or labels[0][0] in "ABCDEFG"
    weights = keras.saving.load_model(run / "checkpoints" / "last.keras").get_layer("embedding").get_weights()[0]
    np.testing.assert_allclose(vectors, weights, rtol=1e-4, atol=1e-5)
    neighbours = (folder / "neighbours.txt").read_text().splitlines()
    assert len(neighbours) == 2 + len(labels) and "cosine" in neighbours[1]


def test_same_seed_same_weights_and_resume_equals_unbroken(small_dataset, tmp_path):
    model = ModelConfig(cell="lstm", layers=2, units=16)
    unbroken = train(small_dataset, tmp_path / "a", model, TrainConfig(epochs=3, seed=7, **SMALL), progress=False)
    again = train(small_dataset, tmp_path / "b", model, TrainConfig(epochs=3, seed=7, **SMALL), progress=False)
    first = train(small_dataset, tmp_path / "c", model, TrainConfig(epochs=1, seed=7, **SMALL), progress=False)
    resumed = train(small_dataset, first, model, TrainConfig(epochs=3, seed=7, **SMALL), progress=False)
    other = train(small_dataset, tmp_path / "d", model, TrainConfig(epochs=1, seed=8, **SMALL), progress=False)

    def weights(run: Path, name: str = "last.keras") -> list[np.ndarray]:
        return keras.saving.load_model(run / "checkpoints" / name).get_weights()

    for a, b, c in zip(weights(unbroken), weights(again), weights(resumed), strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
    assert [r["loss"] for r in read_metrics(resumed)] == [r["loss"] for r in read_metrics(unbroken)]
    assert not all(np.array_equal(a, b) for a, b in zip(weights(first), weights(other)))


def test_another_run_in_the_same_folder_is_refused(small_dataset, tmp_path):
    run = train(
        small_dataset,
        tmp_path / "run",
        ModelConfig(cell="rnn", units=8),
        TrainConfig(epochs=1, **SMALL),
        progress=False,
    )
    with pytest.raises(RunError, match=r"model.cell differ"):
        train(small_dataset, run, ModelConfig(cell="gru", units=8), TrainConfig(epochs=2, **SMALL), progress=False)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    with pytest.raises(RunError, match="not empty"):
        train(small_dataset, tmp_path / "busy", ModelConfig(units=8), TrainConfig(epochs=1, **SMALL), progress=False)


def test_per_song_mode_trains(small_dataset, tmp_path):
    run = train(
        small_dataset,
        tmp_path / "run",
        ModelConfig(cell="gru", units=16),
        TrainConfig(variant="transposed", epochs=2, mode="per_song", **SMALL),
        progress=False,
    )
    rows = read_metrics(run)
    assert float(rows[1]["val_loss"]) < float(rows[0]["val_loss"])


def _train_command(dataset: Path, out: Path, epochs: int, save_every: str) -> list[str]:
    return [sys.executable, "-m", "rnncells.cli", "train", "--dataset", str(dataset), "--out", str(out)] + [
        "--units", "16", "--batch-size", "8", "--seq-length", "16", "--epochs", str(epochs),
        "--save-every-seconds", save_every, "--quiet",
    ]  # fmt: skip


def test_killed_training_resumes_from_its_last_save(small_dataset, tmp_path):
    out = tmp_path / "run"
    process = subprocess.Popen(_train_command(small_dataset, out, 40, "0"), stdout=subprocess.DEVNULL)
    deadline = time.time() + 240
    while time.time() < deadline and process.poll() is None:
        state = out / "state.json"
        if state.is_file() and json.loads(state.read_text())["epochs_done"] >= 2:
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    done = json.loads((out / "state.json").read_text())["epochs_done"]
    assert 2 <= done < 40
    finished = subprocess.run(_train_command(small_dataset, out, done + 2, "0"), capture_output=True, text=True)
    assert finished.returncode == 0, finished.stderr
    assert [int(r["epoch"]) for r in read_metrics(out)] == list(range(1, done + 3))
    assert not [p for p in out.rglob(".*") if p.is_file() and p.name != LOCK_FILE]  # no half-written temp files left


def test_sigterm_saves_the_finished_epochs_and_stops(small_dataset, tmp_path):
    """With saving every hour, SIGTERM still saves: the current epoch is finished, committed, and the run stops."""
    out = tmp_path / "run"
    process = subprocess.Popen(_train_command(small_dataset, out, 500, "3600"), stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 240
    while time.time() < deadline and not (out / "tensorboard" / "train").is_dir():
        time.sleep(0.05)
    time.sleep(3)
    process.send_signal(signal.SIGTERM)
    _, error = process.communicate(timeout=120)
    assert process.returncode == 130, error
    assert error.strip().splitlines()[-1].startswith("rnncells: interrupted")
    done = json.loads((out / "state.json").read_text())["epochs_done"]
    assert 1 <= done < 500
    assert [int(r["epoch"]) for r in read_metrics(out)] == list(range(1, done + 1))
    assert (out / "checkpoints" / "best.keras").is_file() and (out / "checkpoints" / "last.keras").is_file()


class SimulatedKill(BaseException):
    """Raised by the write hook: the trainer stops right after one atomic write, as if killed there."""


def kill_points(writes: list[Path], folder: Path) -> list[int]:
    """Which writes to stop after (1-based): the last write of each kind of file before the run's own last write
    (the projector's files count as one kind), and the first resume point (a kill after it resumes and trains on).
    Every kind of write boundary is crossed once: set-up files, each file of a commit, the projector."""
    last: dict[str, int] = {}
    for n, path in enumerate(writes[:-1], start=1):
        name = path.relative_to(folder).as_posix()
        last["projector" if "projector" in name else name] = n
    first_resume = next(n for n, path in enumerate(writes, start=1) if path.name == "resume.npz")
    return sorted({*last.values(), first_resume})


def test_resume_is_exact_after_a_kill_at_each_kind_of_write(small_dataset, tmp_path, monkeypatch):
    """Stop the trainer after its n-th atomic write, for one n of each kind of write (:func:`kill_points`), then
    resume: the final resume point (weights, optimizer, RNG state, best weights) and metrics equal an unbroken
    run's bit for bit (same backend)."""
    from rnncells import files
    from rnncells.training.resume_point import read_resume_point
    from rnncells.training.run_folder import RunFolder

    model = ModelConfig(units=12, layers=2, dropout=0.1)
    recipe = TrainConfig(epochs=2, save_every_seconds=0, checkpoint_every_steps=40, keep_checkpoints=1, **SMALL)
    writes: list[Path] = []
    monkeypatch.setattr(files, "after_write", writes.append)
    reference = train(small_dataset, tmp_path / "reference", model, recipe, progress=False)
    expected = read_resume_point(RunFolder(reference))

    def without_seconds(rows: list[dict]) -> list[dict]:
        return [{k: v for k, v in row.items() if k != "seconds"} for row in rows]

    assert len(writes) >= 15
    points = kill_points(writes, reference)
    kinds = {"config.toml", "run.json", "checkpoints/resume.npz", "checkpoints/best.keras", "state.json"}
    assert {writes[n - 1].relative_to(reference).as_posix() for n in points} >= kinds
    for n in points:
        count = iter(range(1, n + 1))

        def stop_after_n(path: Path, count=count, n=n) -> None:
            if next(count, n + 1) == n:
                raise SimulatedKill(path)

        out = tmp_path / f"killed-{n}"
        monkeypatch.setattr(files, "after_write", stop_after_n)
        with pytest.raises(SimulatedKill):
            train(small_dataset, out, model, recipe, progress=False)
        monkeypatch.setattr(files, "after_write", None)
        train(small_dataset, out, model, recipe, progress=False)
        resumed = read_resume_point(RunFolder(out))
        assert set(resumed.arrays) == set(expected.arrays), n
        assert all(np.array_equal(resumed.arrays[k], expected.arrays[k]) for k in expected.arrays), n
        assert without_seconds(resumed.metrics) == without_seconds(expected.metrics), n
        assert without_seconds(RunFolder(out).read_metrics()) == without_seconds(RunFolder(reference).read_metrics())
        assert RunFolder(out).read_state() == expected.state, n


def test_damaged_views_are_made_again_from_the_resume_point_without_training(small_dataset, tmp_path):
    from rnncells.training.resume_point import read_resume_point
    from rnncells.training.run_folder import RunFolder

    model, recipe = ModelConfig(units=8), TrainConfig(epochs=1, **SMALL)
    folder = RunFolder(train(small_dataset, tmp_path / "run", model, recipe, progress=False))
    metrics, state, before = folder.metrics_path.read_bytes(), folder.read_state(), read_resume_point(folder)
    (folder.path / "state.json").write_text("garbage")
    folder.metrics_path.write_bytes(metrics[:-20])
    folder.named_checkpoint("best").unlink()
    (folder.path / "vocabulary.json").write_text("{")
    assert len(run_damage(folder)) == 4
    train(small_dataset, folder.path, model, recipe, progress=False)
    assert run_damage(folder) == [] and folder.read_state() == state and folder.metrics_path.read_bytes() == metrics
    after = read_resume_point(folder)
    assert all(np.array_equal(before.arrays[k], after.arrays[k]) for k in before.arrays)
    assert keras.saving.load_model(folder.named_checkpoint("best")).get_weights()


def test_a_second_trainer_on_the_same_folder_is_refused_naming_the_first(small_dataset, tmp_path):
    from rnncells.locks import FolderLocked
    from tests.test_locks import holder

    process = holder(tmp_path / "run")
    try:
        with pytest.raises(FolderLocked, match=f"in use by PID {process.pid} on .* \\(rnncells train\\)"):
            train(small_dataset, tmp_path / "run", ModelConfig(units=8), TrainConfig(epochs=1, **SMALL), progress=False)
    finally:
        process.kill()
        process.wait()
    assert not (tmp_path / "run" / "run.json").exists()


def test_a_stop_repeated_at_once_is_the_same_request_and_a_later_one_stops_at_once(monkeypatch):
    """Ctrl-C reaches a grid's trainers and the grid, which passes its stop on: that second signal must not stop the
    trainer before it commits; a signal the user sends again later still does."""
    from rnncells.training.stop import StopRequested

    stop = StopRequested()
    stop._handle(signal.SIGINT, None)
    stop._handle(signal.SIGTERM, None)  # the grid's forwarded stop, a moment later
    assert stop.requested
    monkeypatch.setattr(StopRequested, "SAME_STOP_SECONDS", 0.0)
    with pytest.raises(KeyboardInterrupt):
        stop._handle(signal.SIGTERM, None)


def test_a_run_continues_on_an_older_metrics_csv_and_writes_it_compact(small_dataset, tmp_path):
    """A run trained before metrics.csv left out the perplexity columns continues; its views are written compact."""
    from tests.training.test_run_folder import older_metrics

    model, recipe = ModelConfig(units=8), TrainConfig(epochs=1, **SMALL)
    folder = RunFolder(train(small_dataset, tmp_path / "run", model, recipe, progress=False))
    first = folder.read_metrics()
    assert "perplexity" in older_metrics(folder) and run_damage(folder) == []
    train(small_dataset, folder.path, model, TrainConfig(epochs=2, **SMALL), progress=False)
    rows = folder.read_metrics()
    assert [row["epoch"] for row in rows] == [1, 2] and rows[0] == first[0]
    assert "perplexity" not in folder.metrics_path.read_text() and run_damage(folder) == []


def test_a_continued_run_keeps_its_generate_table(small_dataset, tmp_path):
    """config.toml is written again when epochs grow; the sampling settings a model was tuned with stay in it."""
    model, recipe = ModelConfig(units=8), TrainConfig(epochs=1, **SMALL)
    run = train(small_dataset, tmp_path / "run", model, recipe, progress=False)
    config = run / "config.toml"
    config.write_text(config.read_text() + '\n[generate]\nscale_rule = "mask"\n')
    train(small_dataset, run, model, TrainConfig(epochs=2, **SMALL), progress=False)
    assert len(read_metrics(run)) == 2 and "epochs = 2" in config.read_text()
    assert RunFolder(run).generation_defaults() == {"scale_rule": "mask"}


def test_validation_beside_the_next_epoch_records_what_validation_in_line_records(small_dataset, tmp_path, monkeypatch):
    """Each epoch's validation runs in a thread while the next epoch trains; the rows (every column but the wall
    time), the best weights and the step checkpoints are those of validating each epoch before the next starts."""
    import rnncells.training.trainer as trainer_module

    model = ModelConfig(cell="gru", layers=1, units=16)
    settings = TrainConfig(epochs=6, seed=3, checkpoint_every_steps=4, keep_checkpoints=100, **SMALL)
    beside = train(small_dataset, tmp_path / "beside", model, settings, progress=False)

    class InLine:  # the executor's interface, running each validation at once in the caller
        def __init__(self, **_):
            pass

        def submit(self, function, *args):
            future = trainer_module.Future()
            future.set_result(function(*args))
            return future

        def shutdown(self, wait: bool = True) -> None:
            pass

    monkeypatch.setattr(trainer_module, "ThreadPoolExecutor", InLine)
    in_line = train(small_dataset, tmp_path / "in_line", model, settings, progress=False)

    def without_seconds(run: Path) -> list[dict]:
        return [{k: v for k, v in row.items() if k != "seconds"} for row in read_metrics(run)]

    assert [int(r["epoch"]) for r in read_metrics(beside)] == [1, 2, 3, 4, 5, 6]
    assert without_seconds(beside) == without_seconds(in_line)
    val = [float(r["val_loss"]) for r in read_metrics(beside)]
    assert json.loads((beside / "state.json").read_text())["best_val_loss"] == pytest.approx(min(val), abs=1e-6)
    best_epoch = int(np.argmin(val)) + 1
    upto = train(small_dataset, tmp_path / "upto", model, replace(settings, epochs=best_epoch), progress=False)
    pairs = [(beside / "checkpoints" / "best.keras", upto / "checkpoints" / "last.keras")]  # the best epoch's weights
    pairs += [(p, in_line / "checkpoints" / p.name) for p in sorted((beside / "checkpoints").glob("step-*.keras"))]
    assert len(pairs) > 3
    for ours, theirs in pairs:
        for a, b in zip(
            keras.saving.load_model(ours).get_weights(), keras.saving.load_model(theirs).get_weights(), strict=True
        ):
            np.testing.assert_array_equal(a, b)
