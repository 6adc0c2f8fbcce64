"""Every model and training field of a grid file reaches the trained runs: in their config.toml and in what they do.

The grid hands each run its resolved config as ``RUN/config.toml`` and trains it with ``rnncells train --config``
(never by re-spelling the config as flags), so a field the flags forgot cannot silently fall back to its default.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import keras
import pytest

from rnncells.config.model import ModelConfig
from rnncells.config.train import TrainConfig
from rnncells.data.windows import load_variant, per_song_windows, study_windows
from rnncells.grid.grid_file import load_grid
from rnncells.grid.paths import grid_paths
from rnncells.grid.plan import plan_runs
from rnncells.grid.registry import read_entry
from rnncells.grid.runner import prepare_dataset, train_runs
from rnncells.training.run_folder import RunFolder, read_run_config

# Not one of these is a default (checked below); tiny sizes so that both runs train in seconds.
MODEL = {"layers": 2, "units": 8, "embedding_dim": 6, "dropout": 0.25, "max_layers": 7}
TRAIN = {
    "epochs": 2,
    "batch_size": 4,
    "seq_length": 8,
    "learning_rate": 0.005,
    "lr_decay": 0.5,
    "lr_decay_steps": 100_000,  # longer than the run: the rate stays put, where per-epoch decay would halve it
    "early_stopping_patience": 50,  # longer than the run: never stops it early
    "clip_norm": 0.5,
    "mode": "per_song",
    "seed": 3,
    "checkpoint_every_steps": 1,
    "keep_checkpoints": 2,
    "save_every_seconds": 0.5,
}
CELLS = ("gru", "lstm")  # the one axis; `cell` is the model field left to it
VARIANT = "interval"  # `variant` comes from [dataset] variants


def toml_table(values: dict) -> str:
    return "".join(f"{key} = {json.dumps(value)}\n" for key, value in values.items())


@pytest.fixture(scope="module")
def trained(edm_dir, tmp_path_factory) -> tuple[object, object, list]:
    """A two-run grid (GRU and LSTM) over 10 EDM melodies, trained through the grid's own runner."""
    folder = tmp_path_factory.mktemp("grid-config")
    source = folder / "melodies"
    source.mkdir()
    for path in sorted(edm_dir.glob("*.mid"))[:10]:
        shutil.copy(path, source / path.name)
    config = folder / "every-field.toml"
    config.write_text(
        f'name = "every-field"\n[dataset]\nsource = "{source}"\nvariants = ["{VARIANT}"]\n'
        "train_ratio = 0.7\nvalidation_ratio = 0.3\ntest_ratio = 0.0\n"
        f"[axes]\ncell = {json.dumps(list(CELLS))}\n[model]\n{toml_table(MODEL)}[train]\n{toml_table(TRAIN)}"
    )
    grid = load_grid(config)
    paths = grid_paths(grid, folder / "out")
    prepare_dataset(grid, paths, progress=False)
    runs = plan_runs(grid)
    results = train_runs(runs, paths, jobs=2, retries=0, progress=False)
    assert {name: entry["status"] for name, entry in results.items()} == {run.name: "done" for run in runs}, results
    return grid, paths, runs


def test_the_grid_file_sets_every_field_away_from_its_default():
    for cls, given in ((ModelConfig, {**MODEL, "cell": CELLS[0]}), (TrainConfig, {**TRAIN, "variant": VARIANT})):
        default = cls()
        assert set(given) == {f.name for f in dataclasses.fields(cls)}, cls
        assert all(getattr(default, name) != value for name, value in given.items()), cls


def test_each_run_config_toml_holds_every_field(trained):
    grid, paths, runs = trained
    assert [run.name for run in runs] == ["interval-gru-2", "interval-lstm-2"]
    for run, cell in zip(runs, CELLS):
        saved = read_run_config(paths.runs / run.name / "config.toml")
        assert saved.model == ModelConfig(cell=cell, **MODEL)
        assert saved.train == TrainConfig(variant=VARIANT, **TRAIN)
        assert Path(saved.dataset["source"]).resolve() == Path(grid.dataset.source).resolve()  # recorded relative
        assert saved.dataset["variants"] == [VARIANT]


def test_runs_are_launched_with_their_config_file_not_flags(trained):
    _, paths, runs = trained
    for run in runs:
        command = next(line for line in paths.log(run.name).read_text().splitlines() if line.startswith("$ ")).split()
        assert command[command.index("--config") + 1] == str((paths.runs / run.name / "config.toml").resolve())
        assert not {"--units", "--cell", "--layers", "--epochs", "--variant"} & set(command)
        assert read_entry(paths, run.name)["attempts"] == 1


def test_each_run_trained_as_configured(trained):
    _, paths, runs = trained
    for run, cell in zip(runs, CELLS):
        folder = RunFolder(paths.runs / run.name)
        record = folder.read_record()
        assert (record["variant"], record["cell"], record["layers"], record["units"], record["seed"]) == (
            VARIANT,
            cell,
            2,
            8,
            3,
        )
        model = keras.saving.load_model(folder.checkpoint("best"), compile=False)
        assert model.get_layer("embedding").get_weights()[0].shape[1] == MODEL["embedding_dim"]
        assert model.get_layer("dropout").rate == MODEL["dropout"]
        recurrent = [layer for layer in model.layers if isinstance(layer, keras.layers.RNN)]
        assert [layer.name for layer in recurrent] == [f"{cell}_1", f"{cell}_2"]
        assert all(layer.units == MODEL["units"] for layer in recurrent)

        rows = folder.read_metrics()
        assert [row["epoch"] for row in rows] == [1, 2] and folder.epochs_done == 2
        for row in rows:
            expected = TRAIN["learning_rate"]  # lr_decay_steps is longer than the run: no decay step yet
            assert row["learning_rate"] == pytest.approx(expected)

        # batch_size, seq_length and mode fix the steps of an epoch; the study's stream would give another count
        _, songs = load_variant(paths.dataset, VARIANT)
        tokens = [song["tokens"] for song in songs if song["split"] == "train"]
        vocabulary = folder.read_vocabulary()
        steps = per_song_windows(tokens, vocabulary, TRAIN["batch_size"], TRAIN["seq_length"]).n_windows
        assert steps != study_windows(tokens, vocabulary, TRAIN["batch_size"], TRAIN["seq_length"]).n_windows
        assert [row["step"] for row in rows] == [steps, 2 * steps]

        # a checkpoint every step, the newest keep_checkpoints kept
        kept = [path.name for path in folder.step_checkpoints()]
        assert [name.split("-")[1] for name in kept] == [f"{2 * steps - 1:07d}", f"{2 * steps:07d}"]


def test_the_optimizer_clips_at_clip_norm(trained):
    from rnncells.training.trainer import compile_model

    _, paths, runs = trained
    for run in runs:
        config = RunFolder(paths.runs / run.name).read_config()
        model = keras.saving.load_model(RunFolder(paths.runs / run.name).checkpoint("last"), compile=False)
        compile_model(model, config.train)
        assert model.optimizer.global_clipnorm == pytest.approx(TRAIN["clip_norm"])
        assert float(model.optimizer.learning_rate) == pytest.approx(TRAIN["learning_rate"])


def test_a_folder_holding_another_run_is_refused_not_overwritten(trained, tmp_path):
    from rnncells.grid.runner import write_run_config

    _, paths, runs = trained
    changed = dataclasses.replace(runs[0], model=dataclasses.replace(runs[0].model, units=9))
    before = (paths.runs / runs[0].name / "config.toml").read_text()
    with pytest.raises(ValueError, match=r"holds another run \(model.units differ"):
        write_run_config(changed, paths)
    assert (paths.runs / runs[0].name / "config.toml").read_text() == before
    longer = dataclasses.replace(runs[0], train=dataclasses.replace(runs[0].train, epochs=3))
    assert read_run_config(write_run_config(longer, paths)).train.epochs == 3  # more epochs: the same run
    write_run_config(runs[0], paths)
