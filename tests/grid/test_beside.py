"""The sets a grid scores beside its selected models: n-gram baselines and the selected runs' final weights."""

from __future__ import annotations

import json

import pytest

from rnncells.config.generate import GenerateConfig
from rnncells.config.model import ModelConfig
from rnncells.config.records import ConfigError
from rnncells.config.train import TrainConfig
from rnncells.generation.song_arrays import load_song_set
from rnncells.generation.song_set import SongSetFolder
from rnncells.grid.beside import generate_baselines, generate_final_songs
from rnncells.grid.config import GridConfig
from rnncells.grid.grid_file import load_grid
from rnncells.grid.runner import grid_toml
from rnncells.study.grid_folder import GridPaths


def test_baselines_beside_the_models(small_dataset, tmp_path):
    grid = GridConfig(name="fake")
    grid.dataset.variants = ["control", "interval"]
    grid.baseline.ngram_variants = ["control", "transposed"]  # transposed is not in this grid's dataset: skipped
    grid.baseline.max_order = 3
    grid.generate.n_songs, grid.generate.length = 4, 6
    paths = GridPaths(tmp_path / "out")
    paths.root.mkdir()
    paths.dataset.symlink_to(small_dataset)
    folders = generate_baselines(grid, paths)
    assert len(folders) == 1 and folders[0].parent == paths.songs
    song_set = load_song_set(folders[0])
    assert song_set.model_name == folders[0].name and song_set.cell == "ngram" and len(song_set.pitches) == 4
    written = SongSetFolder(folders[0]).generation_path.stat().st_mtime_ns
    assert generate_baselines(grid, paths) == folders  # the same settings: the set is kept
    assert SongSetFolder(folders[0]).generation_path.stat().st_mtime_ns == written
    config = tmp_path / "grid.toml"
    config.write_text(grid_toml(grid).replace('out = ""\n', ""))
    assert load_grid(config).baseline == grid.baseline  # the resolved grid keeps its [baseline] table
    assert load_grid(config, overrides=["baseline.max_order=5"]).baseline.max_order == 5
    with pytest.raises(ConfigError, match="baseline.ngram_variants 'piano'"):
        load_grid(config, overrides=['baseline.ngram_variants=["piano"]'])


def test_final_weights_are_scored_beside_the_best(small_dataset, tmp_path):
    from rnncells.training.trainer import train

    grid = GridConfig(name="fake", generate=GenerateConfig(n_songs=3, length=5))
    paths = GridPaths(tmp_path / "out")
    recipe = TrainConfig(epochs=2, batch_size=8, seq_length=16)
    train(small_dataset, paths.runs / "control-lstm-1", ModelConfig(units=4), recipe, progress=False)
    said: list[str] = []
    folders = generate_final_songs(grid, paths, ["control-lstm-1"], said.append)
    assert [f.name for f in folders] == ["control-lstm-1-final"]
    record = json.loads(SongSetFolder(folders[0]).generation_path.read_text())
    assert record["checkpoint"] == "last.keras" and record["model_name"] == "control-lstm-1-final"
    assert len(SongSetFolder(folders[0]).read_songs()) == 3 and not said
    archived = paths.runs / "control-lstm-1" / "checkpoints"
    for path in archived.iterdir():
        path.unlink()
    archived.rmdir()
    assert generate_final_songs(grid, paths, ["control-lstm-1"], said.append) == folders  # kept: same settings
    grid.generate.length = 6
    assert generate_final_songs(grid, paths, ["control-lstm-1"], said.append) == []  # no weights to sample
    assert said and "no final weights here" in said[0]
