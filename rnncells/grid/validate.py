"""A grid file checked whole before anything trains (README "Reproduce the study on your corpus").

:func:`check_grid_tables` runs on the parsed TOML before the grid is built: an empty file, a value of the wrong
type anywhere (``name = 5``, ``dataset = 5``, ``axes = [1, 2]``, ``units = "128"`` in ``[model]`` or in an axis,
``epochs`` 2.5) or out of range (a learning rate of NaN, ``layers = 0``) is one line naming the file, the table,
the key, the value and what is expected. :func:`check_grid_data` runs once the dataset exists, still before the
first run trains: every run's batch shape against its variant's training data, and the ``[generate]`` primer
(text, MIDI file, key or the study's) against each variant's vocabulary.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from rnncells.config.baseline import BaselineConfig
from rnncells.config.dataset import VARIANTS, DatasetConfig
from rnncells.config.evaluate import EvaluateConfig
from rnncells.config.fieldtypes import FieldTypeError, checked, checked_fields, shown
from rnncells.config.generate import GenerateConfig
from rnncells.config.model import ModelConfig
from rnncells.config.records import ConfigError, from_dict
from rnncells.config.train import TrainConfig
from rnncells.grid.config import GridConfig

TABLES = ("dataset", "axes", "epochs", "model", "train", "generate", "evaluate", "baseline")
SCALARS = (
    "name",
    "out",
    "select_by",
    "generate_all",
    "score_final_weights",
    "backend",
    "reuse",
    "seeds",
    "replicate_configurations",
)
EXAMPLE = "see configs/quick.toml"


def _field_types(cls: type) -> dict[str, Any]:
    import typing

    return typing.get_type_hints(cls)


def _check_value(cls: type, table: str, key: str, value: Any, where: str) -> None:
    """One ``[model]``/``[train]`` value or one axis value: its type and range, alone (ranges that depend on other
    fields are checked when the runs are planned)."""
    values = {key: value}
    if cls is ModelConfig and key == "layers" and isinstance(value, int) and not isinstance(value, bool):
        values["max_layers"] = max(value, ModelConfig().max_layers)  # a grid asking for deep runs allows them
    from_dict(cls, values, f"{where} [{table}]")


def _check_run_table(table: str, values: dict, where: str) -> None:
    model_keys = {f.name for f in dataclasses.fields(ModelConfig)}
    train_keys = {f.name for f in dataclasses.fields(TrainConfig)}
    for key, value in values.items():
        if table == "axes" and (key == "variant" or key not in model_keys | train_keys):
            raise ConfigError(
                f"{where} [axes] {key}: grid axis {key!r} is not a model or training field (variants come from "
                "[dataset])"
            )
        if key == "variant":
            raise ConfigError(f"{where} [{table}] variant: the grid's variants come from [dataset] variants")
        if key not in model_keys | train_keys:
            raise ConfigError(
                f"{where} [{table}]: unknown key {key}; known: {', '.join(sorted(model_keys | train_keys))}"
            )
        cls = ModelConfig if key in model_keys else TrainConfig
        if table == "axes":
            if not isinstance(value, list) or not value:
                raise ConfigError(f"{where} [axes] {key} = {shown(value)}: expected a non-empty list of values")
            for item in value:
                _check_value(cls, "axes", key, item, where)
        else:
            _check_value(cls, table, key, value, where)


def check_grid_tables(tables: dict[str, Any], where: str) -> None:
    """Every value of a parsed grid file (module docstring); raises :class:`ConfigError` at the first wrong one."""
    if not tables:
        raise ConfigError(f"{where}: empty grid file; a grid needs at least [dataset] and [axes] ({EXAMPLE})")
    hints = _field_types(GridConfig)
    for key in SCALARS:
        if key in tables:
            try:
                checked(hints[key], tables[key], key, where)
            except FieldTypeError as error:
                raise ConfigError(str(error)) from None
    name = tables.get("name")
    if name is not None and (not name.strip() or "/" in name or name in (".", "..")):
        raise ConfigError(f"{where}: name = {shown(name)}: expected a folder name (it names out/NAME)")
    for key in TABLES:
        if key in tables and not isinstance(tables[key], dict):
            raise ConfigError(
                f"{where}: {key} = {shown(tables[key])}: expected a table ([{key}] with key = value lines)"
            )
    for key, cls in (
        ("dataset", DatasetConfig),
        ("generate", GenerateConfig),
        ("evaluate", EvaluateConfig),
        ("baseline", BaselineConfig),
    ):
        try:
            checked_fields(cls, dict(tables.get(key, {})), f"{where} [{key}]")
        except FieldTypeError as error:
            raise ConfigError(str(error)) from None
    for variant, epochs in tables.get("epochs", {}).items():
        if variant not in VARIANTS:
            raise ConfigError(f"{where} [epochs] {variant} = {shown(epochs)}: use one of {', '.join(VARIANTS)}")
        low, high = TrainConfig.__dataclass_fields__["epochs"].metadata["range"]
        if not isinstance(epochs, int) or isinstance(epochs, bool) or not low <= epochs <= high:
            raise ConfigError(
                f"{where} [epochs] {variant} = {shown(epochs)}: expected a whole number >= {low} (at most {high})"
            )
    for table in ("model", "train", "axes"):
        _check_run_table(table, tables.get(table, {}), where)


def check_grid_plan(grid: GridConfig, where: str) -> None:
    """Plan every run (each combination of the axes), so that a value wrong only together with others (a depth
    above ``max_layers`` given in ``[model]``) is refused before anything runs."""
    from rnncells.grid.plan import plan_runs

    try:
        plan_runs(grid)
    except ConfigError as error:
        raise ConfigError(f"{where}: {error}" if not str(error).startswith(where) else str(error)) from None


def check_grid_data(grid: GridConfig, runs: list, dataset_dir: Path, where: str = "grid") -> None:
    """Each run's batch shape against its variant's training data and the ``[generate]`` primer against each
    variant's vocabulary, on the built dataset; one line naming the run or variant and what would fit."""
    from rnncells.data.vocab import UnknownTokenError, Vocabulary
    from rnncells.data.windows import WindowError, load_variant, training_windows
    from rnncells.generation.primers import primer_for
    from rnncells.music.melody import scale_pitch_classes

    loaded: dict[str, tuple[dict, list[dict]]] = {}
    shapes: set[tuple] = set()
    for run in runs:
        variant = run.train.variant
        if variant not in loaded:
            loaded[variant] = load_variant(dataset_dir, variant)
        manifest, rows = loaded[variant]
        shape = (variant, run.train.mode, run.train.batch_size, run.train.seq_length)
        if shape in shapes:
            continue
        shapes.add(shape)
        try:
            training_windows(rows, Vocabulary(manifest["vocabulary"], variant), run.train)
        except WindowError as error:
            raise ConfigError(
                f"{where}: run {run.name} (batch_size {run.train.batch_size}, seq_length {run.train.seq_length}, "
                f"variant {variant}): {error}"
            ) from None
    config = grid.generate
    pitch_classes = scale_pitch_classes(config.key or "C", config.scale_used)
    for variant, (manifest, _) in loaded.items():
        vocabulary = Vocabulary(manifest["vocabulary"], variant)
        try:
            primer, _ = primer_for(
                config, vocabulary, variant, manifest["representation"], grid.dataset.track, pitch_classes
            )
            vocabulary.encode(primer.tokens)
        except (ConfigError, UnknownTokenError) as error:
            given = f"primer = {shown(config.primer)}" if config.primer else "primer"
            raise ConfigError(
                f"{where} [generate] {given}: {error} (variant {variant}); use tokens the {variant} models know"
            ) from None
