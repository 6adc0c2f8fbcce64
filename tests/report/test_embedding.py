"""The embedding figure: principal components checked on known points, and a real projector export drawn."""

from __future__ import annotations

import numpy as np
import pytest

from rnncells.cli import main
from rnncells.config.model import ModelConfig
from rnncells.data.vocab import Vocabulary
from rnncells.models.factory import build_model
from rnncells.report.embedding import principal_components
from rnncells.training.run_folder import RunError, RunFolder
from rnncells.training.tensorboard import export_projector


def test_points_on_a_line_need_one_component():
    direction = np.array([3.0, 4.0, 0.0]) / 5
    vectors = np.outer(np.arange(10.0), direction) + 7.0
    points, explained = principal_components(vectors)
    assert explained[0] == pytest.approx(1.0) and explained[1] == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_allclose(np.abs(np.diff(points[:, 0])), 1.0)


def test_plot_embedding_of_an_exported_run(tmp_path, capsys):
    vocabulary = Vocabulary([60, 62, 64, 65, 67], "control")
    model = build_model(ModelConfig(units=8, embedding_dim=6), len(vocabulary))
    folder = RunFolder(tmp_path / "run")
    export_projector(model, vocabulary, folder.projector)
    vectors, labels = folder.read_projector()
    assert vectors.shape == (5, 6) and labels == vocabulary.labels()
    assert main(["plot", "embedding", str(folder.path), "--out", str(tmp_path / "embedding")]) == 0
    assert (tmp_path / "embedding.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "embedding.pdf").read_bytes()[:4] == b"%PDF"


def test_a_run_without_projector_files_is_one_line(tmp_path):
    with pytest.raises(RunError, match="finish training the run first"):
        RunFolder(tmp_path).read_projector()
