"""TensorBoard: one logdir per run (scalars against the step, an HParams session, the projector), and runs side by
side for the HParams tab, read back with tensorboard's own readers."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import pytest

from rnncells.config.model import ModelConfig
from rnncells.config.train import TrainConfig
from rnncells.training.trainer import train

pytest.importorskip("tensorboard")
from google.protobuf import text_format  # noqa: E402
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402
from tensorboard.plugins.hparams import api_pb2, metadata  # noqa: E402
from tensorboard.plugins.projector.projector_config_pb2 import ProjectorConfig  # noqa: E402

SMALL = {"batch_size": 8, "seq_length": 16, "learning_rate": 0.01}


def metrics(run: Path) -> list[dict]:
    with open(run / "metrics.csv") as handle:
        return list(csv.DictReader(handle))


def scalars(folder: Path) -> EventAccumulator:
    return EventAccumulator(str(folder)).Reload()


def hparams_of(run: Path) -> tuple[dict, list[int]]:
    """The HParams session of a run folder as TensorBoard reads it: hparams by name, session end statuses."""
    events = scalars(run)
    content = events.PluginTagToContent(metadata.PLUGIN_NAME)
    start = metadata.parse_session_start_info_plugin_data(content[metadata.SESSION_START_INFO_TAG])
    values = {}
    for name, value in start.hparams.items():
        kind = value.WhichOneof("kind")
        values[name] = getattr(value, kind)
    ends = [
        metadata.parse_session_end_info_plugin_data(data).status
        for tag, data in content.items()
        if tag == metadata.SESSION_END_INFO_TAG
    ]
    return values, ends


@pytest.fixture(scope="module")
def runs(small_dataset, tmp_path_factory) -> Path:
    """A grid-like runs folder: an LSTM trained 2 epochs then resumed to 3, and an interval GRU."""
    folder = tmp_path_factory.mktemp("runs")
    lstm = ModelConfig(cell="lstm", units=16)
    train(small_dataset, folder / "control-lstm-1", lstm, TrainConfig(epochs=2, **SMALL), progress=False)
    train(small_dataset, folder / "control-lstm-1", lstm, TrainConfig(epochs=3, **SMALL), progress=False)
    gru = ModelConfig(cell="gru", layers=2, units=16)
    recipe = TrainConfig(variant="interval", epochs=2, batch_size=4, seq_length=16, learning_rate=0.02)
    train(small_dataset, folder / "interval-gru-2", gru, recipe, progress=False)
    return folder


def test_scalars_are_logged_against_the_step_with_the_epoch(runs):
    run = runs / "control-lstm-1"
    rows = metrics(run)
    steps = [int(row["step"]) for row in rows]
    assert steps == sorted(steps) and steps[0] > 1  # steps, not epochs
    trained = scalars(run / "tensorboard" / "train")
    assert {"loss", "accuracy", "perplexity", "learning_rate", "epoch"} <= set(trained.Tags()["scalars"])
    assert [e.step for e in trained.Scalars("loss")] == steps  # the resumed run logged each step once
    assert [e.value for e in trained.Scalars("epoch")] == [1.0, 2.0, 3.0]
    assert [e.step for e in trained.Scalars("epoch")] == steps
    np.testing.assert_allclose([e.value for e in trained.Scalars("loss")], [float(r["loss"]) for r in rows], 1e-5)
    validated = scalars(run / "tensorboard" / "validation")
    assert [e.step for e in validated.Scalars("loss")] == steps
    np.testing.assert_allclose([e.value for e in validated.Scalars("loss")], [float(r["val_loss"]) for r in rows], 1e-5)
    # the resumed start tells TensorBoard to drop what a killed run logged after its last save
    files = sorted((run / "tensorboard" / "train").glob("events.out.tfevents.*"))
    assert len(files) == 2
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

    starts = [e.step for e in EventFileLoader(str(files[1])).Load() if e.HasField("session_log")]
    assert starts == [steps[1] + 1]


def test_each_run_is_an_hparams_session(runs):
    values, ends = hparams_of(runs / "control-lstm-1")
    assert values["cell"] == "lstm" and values["variant"] == "control" and values["representation"] == "pitch"
    assert (values["layers"], values["units"], values["epochs"], values["batch_size"]) == (1, 16, 3, 8)
    assert values["learning_rate"] == pytest.approx(0.01) and values["mode"] == "stateful"
    assert "save_every_seconds" not in values and "keep_checkpoints" not in values
    assert ends == [api_pb2.STATUS_SUCCESS]
    values, ends = hparams_of(runs / "interval-gru-2")
    assert (values["cell"], values["variant"], values["layers"], values["batch_size"]) == ("gru", "interval", 2, 4)
    assert ends == [api_pb2.STATUS_SUCCESS]
    # TensorBoard on the runs folder: one session per run, its metrics in the event folders below it
    for run in ("control-lstm-1", "interval-gru-2"):
        with_events = [Path(d) for d, _, names in os.walk(runs / run) if any("tfevents" in n for n in names)]
        tree = sorted(str(folder.relative_to(runs)) for folder in with_events)
        assert tree == [run, f"{run}/tensorboard/train", f"{run}/tensorboard/validation"]


def test_the_projector_is_found_from_the_run_folder(runs):
    """TensorBoard's Projector reads projector_config.pbtxt in the logdir and in every folder holding event files:
    the run folder is both (``--logdir RUN``; ``--logdir RUNS``, where its HParams file makes it a run)."""
    run = runs / "control-lstm-1"
    config_path = run / "projector_config.pbtxt"  # the Projector looks in each folder holding event files
    config = text_format.Parse(config_path.read_text(), ProjectorConfig())
    [embedding] = config.embeddings
    vectors = (run / embedding.tensor_path).resolve()
    assert os.path.commonpath([run.resolve(), vectors]) == str(run.resolve())  # the plugin's own rule
    assert vectors == (run / "projector" / "vectors.tsv").resolve()
    labels = (run / embedding.metadata_path).read_text().splitlines()
    assert np.loadtxt(vectors, delimiter="\t").shape == (len(labels), 16)
    inner = text_format.Parse((run / "projector" / "projector_config.pbtxt").read_text(), ProjectorConfig())
    assert inner.embeddings[0].tensor_path == "vectors.tsv"  # `tensorboard --logdir RUN/projector` still works
    assert any("tfevents" in p.name for p in run.iterdir())
