"""Config dataclasses as the one source of the command line's flags, their help and defaults (parse only)."""

from __future__ import annotations

import argparse
import dataclasses
import re

import pytest

from rnncells.cli import build_parser, generate_config, train_configs
from rnncells.config.options import add_options, comma_list, flag_names, given_options
from rnncells.config.settings import ConfigError, DatasetConfig, GenerateConfig, ModelConfig, TrainConfig, from_dict

# One value per field, different from its default and valid, given on the command line as text.
MODEL_VALUES = {"cell": "gru", "layers": 3, "units": 64, "embedding_dim": 12, "dropout": 0.25, "max_layers": 6}
TRAIN_VALUES = {
    "variant": "interval",
    "epochs": 7,
    "batch_size": 8,
    "seq_length": 16,
    "learning_rate": 0.01,
    "lr_decay": 0.5,
    "clip_norm": 1.5,
    "mode": "per_song",
    "seed": 3,
    "checkpoint_every_steps": 100,
    "keep_checkpoints": 2,
    "save_every_seconds": 30.0,
}
GENERATE_VALUES = {
    "n_songs": 4,
    "length": 12,
    "primer": "60 62 64",
    "primer_midi": "primer.mid",
    "keep_bars": 2,
    "accent": 20,
    "rests": 0.25,
    "sampling": "topk",
    "temperature": 0.5,
    "top_k": 3,
    "beam_size": 2,
    "branch_factor": 3,
    "steps_per_iteration": 2,
    "seed": 9,
    "bpm": 128.0,
    "program": 81,
    "bars": 4,
    "key": "F#",
    "scale": "dorian",
    "scale_rule": "mask",
    "leap_weight": 0.75,
    "octave": -1,
    "overwrite": True,
}
VARIATIONS = {"variations_of": "riff.mid"}  # excludes the primers above, so set on its own
REQUIRED = {"train": ["--dataset", "d", "--out", "o"], "generate": ["--run", "r", "--out", "o"]}


def field_names(cls: type) -> set[str]:
    return {spec.name for spec in dataclasses.fields(cls)}


def flags(values: dict) -> list[str]:
    def flag(name: str, value) -> tuple[str, ...]:
        option = "--" + name.replace("_", "-")
        return (option if value else "--no-" + option[2:],) if isinstance(value, bool) else (option, str(value))

    return [text for name, value in values.items() for text in flag(name, value)]


def parse(command: str, *args: str) -> argparse.Namespace:
    return build_parser().parse_args([command, *REQUIRED[command], *args])


def option_help(command: str, capsys, monkeypatch) -> dict[str, str]:
    """``{first flag: its usage and help on one line}`` from ``rnncells COMMAND --help``."""
    monkeypatch.setenv("COLUMNS", "1000")  # no wrapping inside a help text
    with pytest.raises(SystemExit):
        build_parser().parse_args([command, "--help"])
    blocks: list[str] = []
    for line in capsys.readouterr().out.splitlines():
        if line.startswith("  -"):
            blocks.append(line.strip())
        elif blocks and line.startswith("    "):
            blocks[-1] += " " + line.strip()
    return {block.split()[0].rstrip(","): block for block in blocks}


def test_the_value_tables_cover_every_field():
    assert set(MODEL_VALUES) == field_names(ModelConfig)
    assert set(TRAIN_VALUES) == field_names(TrainConfig)
    assert {*GENERATE_VALUES, *VARIATIONS} == field_names(GenerateConfig)
    for cls, values in ((ModelConfig, MODEL_VALUES), (TrainConfig, TRAIN_VALUES), (GenerateConfig, GENERATE_VALUES)):
        assert all(getattr(cls(), name) != value for name, value in values.items())


@pytest.mark.parametrize(
    ("command", "classes"), [("train", (ModelConfig, TrainConfig)), ("generate", (GenerateConfig,))]
)
def test_every_field_has_a_flag_whose_help_shows_its_default(command, classes, capsys, monkeypatch):
    helps = option_help(command, capsys, monkeypatch)
    for cls in classes:
        for spec in dataclasses.fields(cls):
            line = helps.get("--" + spec.name.replace("_", "-"))
            assert line is not None, f"{command} has no flag for {spec.name}"
            assert spec.metadata["help"] in line
            default = getattr(cls(), spec.name)
            shown = spec.metadata.get("default_help", default)
            assert f"(default: {shown})" in line, line


def test_every_field_set_by_its_flag_reaches_the_configs():
    model, train = train_configs(parse("train", *flags(MODEL_VALUES), *flags(TRAIN_VALUES)))
    assert dataclasses.asdict(model) == MODEL_VALUES
    assert dataclasses.asdict(train) == TRAIN_VALUES
    generate = dataclasses.asdict(generate_config(parse("generate", *flags(GENERATE_VALUES))))
    assert generate == {**GENERATE_VALUES, "variations_of": None}
    assert generate_config(parse("generate", *flags(VARIATIONS))).variations_of == "riff.mid"


def test_without_flags_the_configs_are_the_dataclass_defaults():
    args = parse("train")
    assert train_configs(args) == (ModelConfig(), TrainConfig())
    assert given_options(args, ModelConfig) == {} and given_options(args, TrainConfig) == {}
    assert generate_config(parse("generate")) == GenerateConfig()


def test_old_flag_spellings_and_allow_deep_still_work():
    _, train = train_configs(parse("train", "--checkpoint-every", "50"))
    assert train.checkpoint_every_steps == 50
    model, _ = train_configs(parse("train", "--layers", "7", "--allow-deep"))
    assert (model.layers, model.max_layers) == (7, 7)
    with pytest.raises(ConfigError, match="--allow-deep"):
        train_configs(parse("train", "--layers", "7"))


def test_config_file_values_are_used_and_flags_override_them(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(
        '[dataset]\nsource = "elsewhere"\n[model]\ncell = "nas"\nembedding_dim = 12\nunits = 64\n'
        "[train]\nclip_norm = 1.5\nepochs = 4\nseed = 2\n"
    )
    model, train = train_configs(parse("train", "--config", str(path), "--units", "32", "--epochs", "6"))
    assert (model.cell, model.embedding_dim, model.units) == ("nas", 12, 32)
    assert (train.clip_norm, train.epochs, train.seed, train.batch_size) == (1.5, 6, 2, 50)


def test_a_bad_config_file_names_the_table_and_key(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[model]\nunit = 64\n")
    with pytest.raises(ConfigError, match=r"\[model\]: unknown key\(s\) unit"):
        train_configs(parse("train", "--config", str(path)))


def test_generate_reads_the_generate_table_of_a_file(tmp_path):
    path = tmp_path / "grid.toml"
    path.write_text('name = "g"\n[generate]\nn_songs = 7\nsampling = "max"\nseed = 4\n')
    config = generate_config(parse("generate", "--config", str(path), "--seed", "5"))
    assert (config.n_songs, config.sampling, config.seed, config.length) == (7, "max", 5, 30)
    (tmp_path / "empty.toml").write_text('name = "g"\n')
    with pytest.raises(ConfigError, match=r"no \[generate\] table"):
        generate_config(parse("generate", "--config", str(tmp_path / "empty.toml")))


def test_dataset_build_flags_come_from_dataset_config():
    args = build_parser().parse_args(
        ["dataset", "build", "--source", "s", "--out", "o", "--variants", "control, interval", "--strict"]
    )
    assert given_options(args, DatasetConfig) == {"source": "s", "variants": ["control", "interval"], "strict": True}
    args = build_parser().parse_args(["dataset", "build", "--source", "s", "--out", "o", "--no-strict"])
    assert given_options(args, DatasetConfig)["strict"] is False


def test_add_options_types_and_refusals():
    @dataclasses.dataclass
    class Example:
        rate: float | None = dataclasses.field(default=None, metadata={"help": "a rate", "default_help": "auto"})
        names: list[str] = dataclasses.field(default_factory=list, metadata={"help": "names", "aliases": ("-n",)})
        flag: bool = dataclasses.field(default=True, metadata={"help": "a switch"})

    parser = argparse.ArgumentParser()
    add_options(parser, Example)
    args = parser.parse_args(["--rate", "0.5", "-n", "a,b", "--no-flag"])
    assert given_options(args, Example) == {"rate": 0.5, "names": ["a", "b"], "flag": False}
    assert re.search(r"a rate \(default: auto\)", parser.format_help())
    assert flag_names(dataclasses.fields(Example)[1]) == ["--names", "-n"]
    assert comma_list(" a, ,b ") == ["a", "b"]

    @dataclasses.dataclass
    class Undocumented:
        size: int = 3

    with pytest.raises(TypeError, match="no help text"):
        add_options(argparse.ArgumentParser(), Undocumented)


@pytest.mark.parametrize(
    ("cls", "values", "message"),
    [
        (TrainConfig, {"learning_rate": float("nan")}, "learning_rate = nan: expected a finite number"),
        (TrainConfig, {"learning_rate": float("inf")}, "learning_rate = inf: expected a finite number"),
        (TrainConfig, {"epochs": 2.5}, "epochs = 2.5: expected a whole number"),
        (TrainConfig, {"epochs": True}, "epochs = true: expected a whole number"),
        (ModelConfig, {"units": "128"}, 'units = "128": expected a whole number'),
        (ModelConfig, {"embedding_dim": 0}, "embedding_dim 0 must be at least 1"),
        (TrainConfig, {"lr_decay": -0.5}, "lr_decay -0.5 must be a positive finite number"),
        (TrainConfig, {"checkpoint_every_steps": -1}, "checkpoint_every_steps -1 must be >= 0"),
        (TrainConfig, {"keep_checkpoints": 0}, "keep_checkpoints 0 must be at least 1"),
        (GenerateConfig, {"temperature": float("nan")}, "temperature = nan: expected a finite number"),
        (GenerateConfig, {"bars": 0}, "bars 0 must be at least 1"),
        (GenerateConfig, {"bpm": 0}, "bpm 0.0 must be a positive finite number"),
        (GenerateConfig, {"top_k": 0}, "top_k 0 must be at least 1"),
        (GenerateConfig, {"primer": 60}, "primer = 60: expected text in quotes"),
        (DatasetConfig, {"variants": []}, "variants []: name each variant once"),
        (DatasetConfig, {"variants": "control"}, 'variants = "control": expected a list of text in quotes'),
        (DatasetConfig, {"min_duration": 0}, "min_duration 0, max_duration 16: need 1 <= min <= max"),
    ],
)
def test_wrong_types_nan_and_out_of_range_values_are_one_line_naming_the_key(cls, values, message):
    with pytest.raises(ConfigError) as refused:
        from_dict(cls, values, "file.toml [table]")
    assert str(refused.value).startswith("file.toml [table]: ") and message in str(refused.value)
    assert "\n" not in str(refused.value)


def test_numbers_are_stored_as_their_fields_type_and_direct_configs_refuse_nan_too():
    assert isinstance(from_dict(TrainConfig, {"learning_rate": 1}).learning_rate, float)
    assert from_dict(GenerateConfig, {"bpm": None}).bpm is None
    with pytest.raises(ConfigError, match="temperature nan"):
        GenerateConfig(temperature=float("nan")).validate()
    with pytest.raises(ConfigError, match="learning_rate nan"):
        TrainConfig(learning_rate=float("nan")).validate()


def test_a_key_implies_its_scale_unless_chromatic_is_asked_for():
    assert GenerateConfig(key="F minor").scale_used == "natural_minor"
    assert GenerateConfig(key="Bb").scale_used == "major"
    assert GenerateConfig(key="Fm", scale="chromatic").scale_used == "chromatic"
    assert GenerateConfig(key="F", scale="minor").scale_used == "natural_minor"
    assert GenerateConfig().scale_used == "chromatic"
    GenerateConfig(key="C#m", scale="minor").validate()
    with pytest.raises(ConfigError, match="scale minor needs a key"):
        GenerateConfig(scale="minor").validate()
    with pytest.raises(ConfigError, match="unknown key 'Fx'"):
        GenerateConfig(key="Fx").validate()


def test_the_generate_flags_take_producer_keys_and_scale_minor():
    args = build_parser().parse_args(["generate", "--run", "r", "--out", "o", "--key", "F minor", "--scale", "minor"])
    config = generate_config(args)
    assert (config.key, config.scale, config.scale_used) == ("F minor", "minor", "natural_minor")
    assert generate_config(build_parser().parse_args(["generate", "--run", "r", "--out", "o"])).scale is None
