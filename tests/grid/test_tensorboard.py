"""``rnncells tensorboard RESULTS``: each run's scalar file and HParams session rebuilt from metrics.csv and the
evaluation, read back with tensorboard's own EventAccumulator."""

from __future__ import annotations

import shutil

import pytest

from rnncells.cli import main
from rnncells.config.model import ModelConfig
from rnncells.config.train import TrainConfig
from rnncells.training.run_folder import RunFolder
from rnncells.training.tensorboard import HPARAMS_FILE, SCALARS_FILE
from rnncells.training.trainer import train

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402
from tensorboard.plugins.hparams import metadata  # noqa: E402

SUMMARY = """model_name,variant,cell,layers,metric,n,mean,variance,std,min,max,scope
control-lstm-1,control,lstm,1,cmm,2,3.0,0.5,0.7,2.5,3.5,"generated, 2 songs"
control-lstm-1,control,lstm,1,lm,2,1.25,0.1,0.3,1.0,1.5,"generated, 2 songs"
control-lstm-1,control,lstm,1,centr,2,0.25,0.01,0.1,0.2,0.3,"generated, 2 songs"
control-lstm-1,control,lstm,1,general,2,4.5,0.5,0.7,4.0,5.0,"generated, 2 songs"
"""


@pytest.fixture(scope="module")
def results(small_dataset, tmp_path_factory):
    """A results folder as committed: two trained runs without tensorboard/ logs, one of them scored."""
    root = tmp_path_factory.mktemp("results")
    recipe = TrainConfig(epochs=2, batch_size=8, seq_length=16, learning_rate=0.01)
    for name, layers in (("control-lstm-1", 1), ("control-lstm-2", 2)):
        train(
            small_dataset,
            root / "runs" / name,
            ModelConfig(cell="lstm", layers=layers, units=8),
            recipe,
            progress=False,
        )
        shutil.rmtree(RunFolder(root / "runs" / name).tensorboard)
        (root / "runs" / name / HPARAMS_FILE).unlink()
    (root / "evaluation").mkdir()
    (root / "evaluation" / "summary.csv").write_text(SUMMARY)
    return root


def test_every_run_gets_curves_and_a_session_with_its_results(results, capsys):
    assert main(["tensorboard", str(results)]) == 0
    assert "2 runs" in capsys.readouterr().out
    for name in ("control-lstm-1", "control-lstm-2"):
        folder = RunFolder(results / "runs" / name)
        rows = folder.read_metrics()
        events = EventAccumulator(str(folder.path)).Reload()
        val_loss = events.Scalars("val_loss")
        assert [e.step for e in val_loss] == [row["step"] for row in rows]
        assert [e.value for e in val_loss] == pytest.approx([row["val_loss"] for row in rows])
        assert events.Scalars("best_val_loss")[0].value == pytest.approx(folder.best_score())
        content = events.PluginTagToContent(metadata.PLUGIN_NAME)
        start = metadata.parse_session_start_info_plugin_data(content[metadata.SESSION_START_INFO_TAG])
        assert start.hparams["layers"].number_value == int(name[-1])
        assert metadata.SESSION_END_INFO_TAG in content
    scored = EventAccumulator(str(results / "runs" / "control-lstm-1")).Reload()
    assert scored.Scalars("tonality_general")[0].value == pytest.approx(4.5)
    assert scored.Scalars("tonality_cmm")[0].value == pytest.approx(3.0)
    assert (
        "tonality_general" not in EventAccumulator(str(results / "runs" / "control-lstm-2")).Reload().Tags()["scalars"]
    )


def test_a_rebuild_writes_the_same_bytes(results):
    main(["tensorboard", str(results)])
    files = [results / "runs" / "control-lstm-1" / name for name in (SCALARS_FILE, HPARAMS_FILE)]
    before = [path.read_bytes() for path in files]
    main(["tensorboard", str(results)])
    assert [path.read_bytes() for path in files] == before


def test_a_folder_without_runs_is_one_line(tmp_path, capsys):
    assert main(["tensorboard", str(tmp_path)]) == 2
    assert "no runs/ folder" in capsys.readouterr().err
