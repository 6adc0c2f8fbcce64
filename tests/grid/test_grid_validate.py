"""A grid file is checked whole before anything trains: every wrong value is one line naming the file, the table,
the key, the value and what is expected; the batch shape and the primer are checked against the built dataset."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from rnncells.config.records import ConfigError
from rnncells.grid.grid_file import load_grid
from rnncells.grid.plan import plan_runs
from rnncells.grid.validate import check_grid_data

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", ": empty grid file; a grid needs at least [dataset] and [axes]"),
        ("\n# only a comment\n", ": empty grid file"),
        ("name = 5\n[dataset]\nsource = 'x'\n", ": name = 5: expected text in quotes"),
        ('name = "a/b"\n[axes]\nlayers = [1]\n', ': name = "a/b": expected a folder name'),
        ("dataset = 5\n", ": dataset = 5: expected a table ([dataset]"),
        ("axes = [1, 2]\n", ": axes = [1, 2]: expected a table ([axes]"),
        ('generate_all = "yes"\n', ': generate_all = "yes": expected true or false'),
        ('[model]\nunits = "128"\n', ' [model]: units = "128": expected a whole number'),
        ("[model]\nunits = 0\n", " [model]: units 0 must be at least 1"),
        ('[axes]\nunits = [128, "x"]\n', ' [axes]: units = "x": expected a whole number'),
        ("[axes]\nlayers = [1.5]\n", " [axes]: layers = 1.5: expected a whole number"),
        ("[axes]\nunits = []\n", " [axes] units = []: expected a non-empty list of values"),
        ("[axes]\nunits = 128\n", " [axes] units = 128: expected a non-empty list of values"),
        ("[epochs]\ncontrol = 2.5\n", " [epochs] control = 2.5: expected a whole number >= 1"),
        ("[train]\nlearning_rate = nan\n", " [train]: learning_rate = nan: expected a finite number"),
        ("[train]\nbatch_size = -1\n", " [train]: batch_size -1 must be at least 1"),
        ("[train]\nvariant = 'interval'\n", " [train] variant: the grid's variants come from [dataset] variants"),
        ("[generate]\ntemperature = nan\n", " [generate]: temperature = nan: expected a finite number"),
        ('[generate]\nbars = "4"\n', ' [generate]: bars = "4": expected a whole number (or left out)'),
        ("[dataset]\nvariants = []\n", " [dataset]: variants []: name each variant once"),
        ("[evaluate]\nspan = 1\n", " [evaluate]: evaluate.span = 1 (flag --span) is out of range: allowed 2 to 4096"),
    ],
)
def test_every_wrong_value_of_a_grid_file_is_one_line_naming_table_key_value_and_expectation(tmp_path, text, message):
    path = tmp_path / "grid.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as refused:
        load_grid(path)
    assert str(refused.value).startswith(str(path) + message.split(":")[0]), refused.value
    assert message in str(refused.value) and "\n" not in str(refused.value)


def test_shipped_grids_pass_the_checks():
    for name in ("quick", "paper", "paper-rhythm", "paper-nas-ugrnn"):
        assert plan_runs(load_grid(REPO / "configs" / f"{name}.toml"))


def test_batch_shape_and_primer_are_checked_against_the_built_dataset(small_dataset, tmp_path):
    path = tmp_path / "grid.toml"
    path.write_text('[dataset]\nvariants = ["control", "interval"]\n[axes]\nseq_length = [16, 100000]\n')
    grid = load_grid(path)
    with pytest.raises(ConfigError, match=r"run control-lstm-1-seqlength100000 \(batch_size 50, seq_length 100000"):
        check_grid_data(grid, plan_runs(grid), small_dataset, str(path))
    path.write_text('[dataset]\nvariants = ["control", "interval"]\n[train]\nbatch_size = 4\nseq_length = 8\n')
    grid = load_grid(path)
    check_grid_data(grid, plan_runs(grid), small_dataset, str(path))  # the study's primer fits every variant
    unknown = dataclasses.replace(grid, generate=dataclasses.replace(grid.generate, primer="C-1 D-1"))
    with pytest.raises(ConfigError) as refused:
        check_grid_data(unknown, plan_runs(unknown), small_dataset, str(path))
    message = str(refused.value)
    assert message.startswith(f'{path} [generate] primer = "C-1 D-1": ') and "variant control" in message


def test_set_overrides_any_value_of_a_grid_file_before_it_is_checked():
    path = REPO / "configs" / "paper-rhythm.toml"
    grid = load_grid(path, overrides=["axes.units=[128, 256]", "train.batch_size=32", "name=rhythm-small"])
    assert grid.axes == {"cell": ["lstm", "gru"], "units": [128, 256]}
    assert grid.train["batch_size"] == 32 and grid.train["seq_length"] == 100  # the rest of the table stays
    assert grid.name == "rhythm-small"  # a bare word is text
    assert len(plan_runs(grid)) == 3 * 2 * 2
    assert load_grid(path).axes["units"] == [128, 256, 512, 1024, 2048]  # the file is not changed


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("axes.units", "--set 'axes.units': use KEY=VALUE"),
        (".units=[1]", "--set '.units=[1]': use KEY=VALUE"),
        ("name.x=1", "has 'name' as a value, not a table"),
        ("axes.units=[0]", "[axes]: units 0 must be at least 1"),
        ("colour=1", "unknown key(s) colour"),
        ("model.units=" + "7" * 5000, "--set model.units: a number of 5000 characters is too long"),
        ("model.units=" + "[" * 5000 + "]" * 5000, "--set model.units: value nested too deep"),
        ("train.seed=-1", "[train]: seed = -1 (flag --seed) is out of range: allowed 0 to 4294967295"),
        ("generate.seed=-5", "[generate]: seed = -5 (flag --seed) is out of range: allowed 0 to 4294967295"),
        ("generate.bpm=1e308", "[generate]: bpm = 1e+308 (flag --bpm) is out of range: allowed 20 to 999"),
    ],
)
def test_a_wrong_set_is_one_line_naming_it(override, message):
    with pytest.raises(ConfigError) as refused:
        load_grid(REPO / "configs" / "paper-rhythm.toml", overrides=[override])
    assert message in str(refused.value) and "\n" not in str(refused.value)


def test_a_grid_of_too_many_runs_is_refused_before_it_is_expanded():
    import time

    axes = [f"axes.{name}=[{','.join(str(i) for i in range(1, 101))}]" for name in ("units", "epochs", "batch_size")]
    started = time.monotonic()
    with pytest.raises(ConfigError) as refused:
        load_grid(REPO / "configs" / "quick.toml", overrides=[*axes, "axes.seq_length=[1,2,3,4,5,6,7,8,9,10]"])
    assert time.monotonic() - started < 1.0
    message = str(refused.value)
    assert "asks for 120,000,000 runs" in message and "more than the 100,000 allowed" in message, message
    assert message.startswith(str(REPO / "configs" / "quick.toml"))
