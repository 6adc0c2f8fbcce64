"""A trained run as its users read it back (generation, the studio, checkpoint losses): its record, configs and
vocabulary, through :class:`rnncells.training.run_folder.RunFolder`, the one module that reads the folder's files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rnncells.config.model import ModelConfig
from rnncells.config.train import TrainConfig
from rnncells.data.vocab import Vocabulary
from rnncells.files import resolve_recorded
from rnncells.training.run_folder import RunFolder


@dataclass
class Run:
    """A trained run read back from its folder."""

    folder: RunFolder
    info: dict
    model_config: ModelConfig
    train_config: TrainConfig
    vocabulary: Vocabulary

    @property
    def path(self) -> Path:
        return self.folder.path

    @property
    def model_name(self) -> str:
        return self.info["model_name"]

    def checkpoint(self, which: str = "best") -> Path:
        return self.folder.checkpoint(which)

    @property
    def dataset_dir(self) -> Path:
        """The dataset the run trained on: run.json records it relative to the run folder (or, in older records,
        as an absolute path)."""
        return resolve_recorded(self.info["dataset"], self.path)


def load_run(path: str | Path) -> Run:
    """Read a run folder written by ``rnncells train``."""
    folder = RunFolder(path)
    info = folder.read_record()
    config = folder.read_config()
    return Run(folder, info, config.model, config.train, folder.read_vocabulary())
