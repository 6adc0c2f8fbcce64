"""Config dataclasses as the one source of the command line's flags, their help and defaults (parse only)."""

from __future__ import annotations

import argparse
import dataclasses
import re

import pytest

from rnncells.cli import build_parser
from rnncells.config.dataset import DatasetConfig
from rnncells.config.evaluate import EvaluateConfig
from rnncells.config.generate import GenerateConfig
from rnncells.config.model import ModelConfig
from rnncells.config.options import add_options, comma_list, flag_names, given_options
from rnncells.config.records import ConfigError, from_dict
from rnncells.config.train import TrainConfig
from rnncells.generation.command import generate_config
from rnncells.training.command import train_configs

# One value per field, different from its default and valid, given on the command line as text.
MODEL_VALUES = {"cell": "gru", "layers": 3, "units": 64, "embedding_dim": 12, "dropout": 0.25, "max_layers": 6}
TRAIN_VALUES = {
    "variant": "interval",
    "epochs": 7,
    "batch_size": 8,
    "seq_length": 16,
    "learning_rate": 0.01,
    "lr_decay": 0.5,
    "lr_decay_steps": 505,
    "early_stopping_patience": 20,
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
    "duration_temperature": 1.3,
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
    ("command", "classes"),
    [("train", (ModelConfig, TrainConfig)), ("generate", (GenerateConfig,)), ("evaluate", (EvaluateConfig,))],
)
def test_every_field_has_a_flag_whose_help_shows_its_default(command, classes, capsys, monkeypatch):
    helps = option_help(command, capsys, monkeypatch)
    for cls in classes:
        for spec in dataclasses.fields(cls):
            line = helps.get("--" + spec.name.replace("_", "-"))
            assert line is not None, f"{command} has no flag for {spec.name}"
            assert spec.metadata["help"] in line
            default = getattr(cls(), spec.name)
            described = ("off" if default is False else "on") if isinstance(default, bool) else default
            shown = spec.metadata.get("default_help", described)
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


@pytest.mark.parametrize(
    "argv, flag, value, allowed",
    [
        (["generate", "--bars", "100000000"], "--bars", "100000000", "1 to 4096"),
        (["generate", "--length", str(10**12)], "--length", str(10**12), "0 to 100000"),
        (["generate", "--n-songs", str(10**9)], "--n-songs", str(10**9), "1 to 100000"),
        (["generate", "--beam-size", "100000"], "--beam-size", "100000", "1 to 1024"),
        (["generate", "--branch-factor", "5000"], "--branch-factor", "5000", "1 to 1024"),
        (["generate", "--bpm", "1e-300"], "--bpm", "1e-300", "20 to 999"),
        (["generate", "--bpm", "1e308"], "--bpm", "1e+308", "20 to 999"),
        (["generate", "--temperature", "1e9"], "--temperature", "1e+09", "0.001 to 1000"),
        (["generate", "--seed", "-5"], "--seed", "-5", "0 to 4294967295"),
        (["generate", "--seed", str(2**32)], "--seed", str(2**32), "0 to 4294967295"),
        (["train", "--units", str(10**9)], "--units", str(10**9), "1 to 4096"),
        (["train", "--embedding-dim", str(10**9)], "--embedding-dim", str(10**9), "1 to 4096"),
        (["train", "--batch-size", str(10**7)], "--batch-size", str(10**7), "1 to 100000"),
        (["train", "--seq-length", str(10**7)], "--seq-length", str(10**7), "1 to 100000"),
        (["train", "--seed", "-1"], "--seed", "-1", "0 to 4294967295"),
        (["train", "--layers", "1000", "--allow-deep"], "--layers", "1000", "1 to 64"),
    ],
)
def test_every_numeric_flag_has_a_range_refused_in_one_line(argv, flag, value, allowed, capsys):
    from rnncells.cli import main

    required = ["--run", "r", "--out", "o"] if argv[0] == "generate" else ["--dataset", "d", "--out", "o"]
    assert main([argv[0], *required, *argv[1:]]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1, error
    assert f"(flag {flag})" in error and f"= {value} " in error and f"allowed {allowed}" in error, error


def test_beam_search_as_a_whole_is_bounded_and_ranges_show_in_the_help(capsys, monkeypatch):
    with pytest.raises(ConfigError, match=r"n_songs 1000 x beam_size 1000 x branch_factor 1000 .* lower one"):
        from_dict(GenerateConfig, {"sampling": "beam", "n_songs": 1000, "beam_size": 1000, "branch_factor": 1000})
    from_dict(GenerateConfig, {"sampling": "roulette", "n_songs": 1000, "beam_size": 1000, "branch_factor": 1000})
    assert "0 to 4294967295 (default: 0)" in option_help("train", capsys, monkeypatch)["--seed"]


def test_a_config_file_out_of_range_names_the_file_and_table(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[generate]\nseed = -5\n")
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(path))} \[generate\]: seed = -5 .*allowed 0 to"):
        generate_config(parse("generate", "--config", str(path)))


def test_deep_and_huge_number_toml_files_are_one_line_naming_the_file(tmp_path):
    from rnncells.config.records import read_toml

    deep = tmp_path / "deep.toml"
    deep.write_text("a = " + "[" * 10_000 + "]" * 10_000 + "\n")
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(deep))}: invalid TOML \(.*nested too deep"):
        read_toml(deep)
    huge = tmp_path / "huge.toml"
    huge.write_text("[model]\nunits = " + "9" * 5000 + "\n")
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(huge))}: line 2 \(units = \.\.\.\): a number too long"):
        read_toml(huge)
    with pytest.raises(ConfigError, match=r"^units = a number of about 41 digits .*allowed 1 to 4096"):
        from_dict(ModelConfig, {"units": 10**40})


def test_studio_port_has_a_range(capsys):
    from rnncells.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["studio", "--port", "70000"])
    assert stop.value.code == 2
    assert "--port: 70000: expected a whole number >= 1 and <= 65535" in capsys.readouterr().err


def test_songs_times_tokens_is_bounded_as_a_whole():
    with pytest.raises(ConfigError, match=r"n_songs 100000 x 100,000 tokens .* more than 50,000,000 in one generate"):
        from_dict(GenerateConfig, {"n_songs": 100_000, "length": 100_000})
    with pytest.raises(ConfigError, match=r"n_songs 20000 x 65,536 tokens \(length 30, bars 4096\)"):
        from_dict(GenerateConfig, {"n_songs": 20_000, "bars": 4096})
    assert from_dict(GenerateConfig, {"n_songs": 100, "bars": 4096}).bars == 4096


def test_note_steps_is_bounded_like_a_note(capsys):
    from rnncells.cli import main

    with pytest.raises(SystemExit):
        main(["generate", "--run", "r", "--out", "o", "--note-steps", "1000000000"])
    assert "--note-steps: 1000000000: expected a whole number >= 1 and <= 64" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, words",
    [
        (["dataset", "build", "--source", "s", "--out", "o", "--jobs", "1000000"], "--jobs: 1000000"),
        (["train", "--dataset", "d", "--out", "o", "--threads", "1000000"], "--threads: 1000000"),
    ],
)
def test_counts_given_as_plain_flags_are_bounded_too(argv, words, capsys):
    from rnncells.cli import main

    with pytest.raises(SystemExit):
        main(argv)
    error = capsys.readouterr().err
    assert words in error and "expected a whole number >= " in error and " and <= " in error


def test_a_grid_evaluate_span_is_bounded():
    from rnncells.config.evaluate import EvaluateConfig

    with pytest.raises(
        ConfigError, match=r"g.toml \[evaluate\]: evaluate.span = 100000 \(flag --span\) is out of range: allowed 2 to"
    ):
        from_dict(EvaluateConfig, {"span": 100_000}, "g.toml [evaluate]")


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
