"""The run folder module without Keras: state.json records what each save wrote, damage is found and named, and
what the trainer can make again from the resume point is told apart from what it cannot."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from rnncells.config.model import ModelConfig
from rnncells.config.records import ConfigError
from rnncells.config.train import TrainConfig
from rnncells.data.vocab import Vocabulary
from rnncells.files import record_files
from rnncells.locks import LOCK_FILE
from rnncells.training.damage import run_damage
from rnncells.training.resume_point import read_resume_point, write_resume_point, write_views
from rnncells.training.run_folder import (
    METRIC_COLUMNS,
    METRICS_FILE,
    STORED_METRIC_COLUMNS,
    RunError,
    RunFolder,
)
from rnncells.training.run_types import ResumePoint, RunConfig, RunState

ROW = {
    "epoch": 1,
    "step": 10,
    "loss": 2.0,
    "accuracy": 0.5,
    "perplexity": math.exp(2.0),
    "val_loss": 2.2,
    "val_accuracy": 0.4,
    "val_perplexity": math.exp(2.2),
    "learning_rate": 0.002,
    "seconds": 1.0,
}


def saved_run(path: Path, epochs: int = 2) -> RunFolder:
    """A run folder as a trainer leaves it after ``epochs`` epochs (checkpoints are stand-in bytes)."""
    folder = RunFolder(path)
    folder.write_config(RunConfig({}, ModelConfig(units=8), TrainConfig(epochs=epochs)))
    folder.write_vocabulary(Vocabulary([60, 62, 64]), "control")
    folder.write_record({"model_name": "control-lstm-1-u8", "dataset_hash": "sha256:x"})
    rows = [{**ROW, "epoch": e + 1, "step": 10 * (e + 1)} for e in range(epochs)]
    point = ResumePoint(RunState(epochs, 10 * epochs, 2.2), rows, {"weight_0": np.arange(6.0)})
    write_resume_point(folder, point)
    for which in ("last", "best"):
        folder.named_checkpoint(which).write_bytes(f"{which} weights".encode() * 10)
    write_views(folder, point)
    return folder


def names(folder: RunFolder, deep: bool = True) -> list[str]:
    return [str(d.path.relative_to(folder.path)) for d in run_damage(folder, deep=deep)]


def test_state_json_records_each_file_of_the_save_and_a_sound_run_has_no_damage(tmp_path):
    folder = saved_run(tmp_path / "run")
    saved = json.loads((folder.path / "state.json").read_text())
    assert saved["epochs_done"] == 2 and set(saved["files"]) == {
        "checkpoints/last.keras",
        "checkpoints/best.keras",
        "metrics.csv",
        "run.json",
        "vocabulary.json",
    }
    assert saved["files"]["metrics.csv"]["size"] == folder.metrics_path.stat().st_size
    assert run_damage(folder) == [] and folder.read_state() == RunState(2, 20, 2.2)
    assert run_damage(RunFolder(tmp_path / "fresh")) == []


@pytest.mark.parametrize(
    ("harm", "damaged"),
    [
        (lambda f: (f.path / "state.json").write_text("garbage"), ["state.json"]),
        (lambda f: f.metrics_path.write_text(f.metrics_path.read_text()[:-30]), ["metrics.csv"]),
        (lambda f: f.named_checkpoint("best").unlink(), ["checkpoints/best.keras"]),
        (lambda f: (f.path / "vocabulary.json").write_text("{"), ["vocabulary.json"]),
        (lambda f: f.metrics_path.write_bytes(b"\x00\xff" * 300), ["metrics.csv"]),
    ],
)
def test_damaged_views_are_named_and_can_be_made_again_from_the_resume_point(tmp_path, harm, damaged):
    folder = saved_run(tmp_path / "run")
    harm(folder)
    damage = run_damage(folder)
    assert names(folder) == damaged and folder.can_redo(damage)
    assert all(str(d.path) in str(d) and "\n" not in str(d) for d in damage)


def test_a_flipped_byte_is_found_only_by_reading_in_full(tmp_path):
    folder = saved_run(tmp_path / "run")
    last = folder.named_checkpoint("last")
    data = bytearray(last.read_bytes())
    data[3] ^= 0xFF
    last.write_bytes(bytes(data))
    assert names(folder, deep=False) == [] and names(folder) == ["checkpoints/last.keras"]


@pytest.mark.parametrize(
    ("harm", "damaged"),
    [
        (lambda f: f.resume_path.write_bytes(b"PK\x03\x04 not a zip"), "checkpoints/resume.npz"),
        (lambda f: f.resume_path.unlink(), "checkpoints/resume.npz"),
        (lambda f: (f.path / "run.json").write_text("[1,"), "run.json"),
        (lambda f: (f.path / "config.toml").write_text("[model\n"), "config.toml"),
    ],
)
def test_damage_outside_the_views_cannot_be_made_again(tmp_path, harm, damaged):
    folder = saved_run(tmp_path / "run")
    harm(folder)
    damage = run_damage(folder)
    assert damaged in names(folder) and damaged in names(folder, deep=False) and not folder.can_redo(damage)


def test_a_save_cut_short_leaves_state_json_behind_the_resume_point(tmp_path):
    folder = saved_run(tmp_path / "run", epochs=1)
    rows = [{**ROW, "epoch": e + 1} for e in range(2)]
    write_resume_point(folder, ResumePoint(RunState(2, 20, 2.2), rows, {"weight_0": np.zeros(6)}))
    damage = run_damage(folder)
    assert names(folder) == ["state.json"] and "behind the run's resume point" in str(damage[0])
    assert folder.can_redo(damage)


def test_readers_name_the_file_and_the_lock_file_is_none_of_the_runs(tmp_path):
    folder = saved_run(tmp_path / "run")
    folder.metrics_path.write_bytes(b"epoch,step\x00\n\xff\xfe")
    with pytest.raises(RunError, match="metrics.csv: "):
        folder.read_metrics()
    (folder.path / "vocabulary.json").write_text('{"values": [1]}')
    with pytest.raises(RunError, match="vocabulary.json: damaged"):
        folder.read_vocabulary()
    fresh = RunFolder(tmp_path / "fresh")
    fresh.path.mkdir()
    (fresh.path / LOCK_FILE).write_text("1 host rnncells train\n")
    assert fresh.is_fresh()


def test_a_run_kept_without_its_checkpoints_is_archived_not_damaged(tmp_path):
    """Committed results keep run records and songs, not weights: such a run is finished, and only what it kept
    is checked."""
    import shutil

    folder = saved_run(tmp_path / "run")
    shutil.rmtree(folder.checkpoints)
    assert folder.is_archived() and run_damage(folder) == [] and folder.epochs_done == 2
    folder.metrics_path.write_text(folder.metrics_path.read_text()[:-30])
    assert names(folder) == ["metrics.csv"]
    assert not saved_run(tmp_path / "whole").is_archived()


def test_checkpoints_are_verified_against_the_run_record(tmp_path):
    folder = saved_run(tmp_path / "run")
    best, last = folder.named_checkpoint("best"), folder.named_checkpoint("last")
    assert folder.checkpoint("best") == best and folder.checkpoint("last") == last
    other = saved_run(tmp_path / "other")
    other.named_checkpoint("best").write_bytes(b"another run's weights".ljust(len(best.read_bytes())))
    best.write_bytes(other.named_checkpoint("best").read_bytes())  # same size, another run's bytes
    with pytest.raises(RunError, match=r"best.keras: differs from the run record \(state.json: sha256 .*--checkpoint"):
        folder.checkpoint("best")
    assert folder.checkpoint("last") == last  # the fix the message gives works
    best.unlink()
    best.mkdir()
    with pytest.raises(RunError, match=r"best.keras: a directory, not a checkpoint file; remove it and run `rnncells"):
        folder.checkpoint("best")
    best.rmdir()
    best.symlink_to("/dev/zero")
    with pytest.raises(RunError, match=r"best.keras: a device or special file, not a checkpoint file"):
        folder.checkpoint("best")
    best.unlink()
    with pytest.raises(RunError, match=r"best.keras: no such checkpoint file"):  # recorded, so never last instead
        folder.checkpoint("best")
    with pytest.raises(RunError, match=r"nothing.keras: no such checkpoint file"):
        folder.checkpoint(str(tmp_path / "nothing.keras"))


def test_best_is_last_only_in_a_run_that_never_wrote_a_best_checkpoint(tmp_path):
    folder = saved_run(tmp_path / "run")
    folder.named_checkpoint("best").unlink()
    point = ResumePoint(RunState(2, 20, 2.2), [], {"weight_0": np.arange(6.0)})
    write_views(folder, point)  # a record without best.keras
    assert folder.checkpoint("best") == folder.named_checkpoint("last")


def test_a_generate_table_is_kept_checked_and_read_as_the_runs_sampling_defaults(tmp_path):
    folder = saved_run(tmp_path / "run")
    assert folder.generation_defaults() == {}  # most runs have none
    tuned = RunConfig({}, ModelConfig(units=8), TrainConfig(epochs=2), {"scale_rule": "mask", "temperature": 0.9})
    folder.write_config(tuned)
    assert "[generate]" in folder.config_path.read_text()
    assert folder.read_config() == tuned
    assert folder.generation_defaults() == {"scale_rule": "mask", "temperature": 0.9}
    folder.config_path.write_text(folder.config_path.read_text().replace("scale_rule", "scale_rul"))
    with pytest.raises(ConfigError, match=r"config.toml \[generate\]: unknown key\(s\) scale_rul"):
        folder.generation_defaults()
    folder.config_path.write_text(folder.config_path.read_text().replace('scale_rul = "mask"', 'scale_rule = "bend"'))
    with pytest.raises(ConfigError, match=r"\[generate\]: scale_rule 'bend'"):
        folder.read_config()
    assert RunFolder(tmp_path / "none").generation_defaults() == {}


def older_metrics(folder: RunFolder) -> str:
    """metrics.csv as runs wrote it before: with the perplexity columns (exp of the unrounded losses, to 6 decimals),
    recorded in state.json; returns the text."""
    lines = folder.metrics_path.read_text().splitlines()
    old = [",".join(METRIC_COLUMNS)]
    for line in lines[1:]:
        cells = dict(zip(STORED_METRIC_COLUMNS, line.split(","), strict=True))
        cells["perplexity"] = str(round(math.exp(float(cells["loss"]) + 4e-7), 6))
        cells["val_perplexity"] = str(round(math.exp(float(cells["val_loss"]) - 4e-7), 6))
        old.append(",".join(cells[name] for name in METRIC_COLUMNS))
    text = "\n".join(old) + "\n"
    folder.metrics_path.write_text(text)
    folder.write_state(folder.read_state(), {**folder.recorded_files(), **record_files(folder.path, [METRICS_FILE])})
    return text


def test_metrics_csv_leaves_out_the_perplexities_and_the_reader_puts_them_back(tmp_path):
    folder = saved_run(tmp_path / "run")
    header = folder.metrics_path.read_text().splitlines()[0]
    assert header == "epoch,step,loss,accuracy,val_loss,val_accuracy,learning_rate,seconds"
    rows = folder.read_metrics()
    assert [list(row) for row in rows] == [list(METRIC_COLUMNS)] * 2
    assert all(row["perplexity"] == pytest.approx(math.exp(row["loss"]), rel=1e-6) for row in rows)  # to 6 decimals
    assert all(
        row["val_perplexity"] == pytest.approx(math.exp(row["val_loss"]), rel=1e-6) for row in rows
    )  # to 6 decimals
    folder.write_metrics([{**ROW, "val_loss": math.nan, "val_accuracy": math.nan}])  # an epoch without validation
    [row] = folder.read_metrics()
    assert math.isnan(row["val_perplexity"]) and row["perplexity"] == pytest.approx(math.exp(2.0))


def test_an_older_metrics_csv_reads_compacts_and_resumes(tmp_path):
    folder = saved_run(tmp_path / "run")
    rows, text = folder.read_metrics(), older_metrics(folder)
    assert run_damage(folder) == [] and folder.read_metrics() == rows  # perplexities derived in an older file too
    assert folder.compact_metrics() is True and folder.compact_metrics() is False
    stored = [METRIC_COLUMNS.index(name) for name in STORED_METRIC_COLUMNS]
    kept = [",".join(line.split(",")[i] for i in stored) + "\n" for line in text.splitlines()]
    assert folder.metrics_path.read_text() == "".join(kept)  # every other cell's text as it was
    assert run_damage(folder) == [] and folder.read_metrics() == rows
    # a run resumed on an older file writes its views compact, with every epoch
    resumed = saved_run(tmp_path / "resumed")
    older_metrics(resumed)
    point = read_resume_point(resumed)
    more = [*point.metrics, {**ROW, "epoch": 3, "step": 30, "loss": 1.5}]
    point = ResumePoint(RunState(3, 30, 2.2), more, point.arrays)
    write_resume_point(resumed, point)
    write_views(resumed, point)
    assert [row["epoch"] for row in resumed.read_metrics()] == [1, 2, 3] and run_damage(resumed) == []
    assert resumed.read_metrics()[2]["perplexity"] == pytest.approx(math.exp(1.5))
    # an older file that differs from state.json's record is left for the damage check to name
    damaged = saved_run(tmp_path / "damaged")
    text = older_metrics(damaged).replace("0.002", "0.003")
    damaged.metrics_path.write_text(text)
    assert damaged.compact_metrics() is False and damaged.metrics_path.read_text() == text
    assert names(damaged) == ["metrics.csv"]
