"""Config records: :class:`ConfigError`, building a config dataclass from a mapping, and their TOML.

One plain dataclass per concept (:mod:`rnncells.config.dataset`, :mod:`~rnncells.config.model`,
:mod:`~rnncells.config.train`, :mod:`~rnncells.config.generate`, :mod:`~rnncells.config.evaluate`,
:mod:`~rnncells.config.baseline`), loaded from and written to TOML. A run directory stores the resolved configs as
``config.toml`` (one table per concept), so a run can be repeated from that file alone. Every field carries its help
text in ``metadata["help"]``: the command line's flags, their help and defaults are made from the fields
(:mod:`rnncells.config.options`), so names and defaults live in those modules only.
"""

from __future__ import annotations

import dataclasses
import json
import re
import tomllib
from pathlib import Path
from typing import Any, TypeVar

from rnncells.config.bounds import range_problem
from rnncells.config.fieldtypes import FieldTypeError, checked_fields
from rnncells.errors import RnncellsError


class ConfigError(RnncellsError, ValueError):
    """A configuration value that cannot be used; the message names the field and the fix."""


T = TypeVar("T")


def from_dict(cls: type[T], values: dict[str, Any], where: str = "") -> T:
    """Build ``cls`` from a mapping, refusing keys it does not have (typos fail loudly) and values of another type
    than the field's annotation (:mod:`rnncells.config.fieldtypes`: ``"128"`` for a number, NaN, ``2.5`` for an int),
    then
    ``validate()`` it; every error is one line naming ``where``."""
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise ConfigError(
            f"{where or cls.__name__}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(names))}"
        )
    try:
        obj = cls(**checked_fields(cls, dict(values), where))
    except FieldTypeError as error:
        raise ConfigError(str(error)) from None
    validate = getattr(obj, "validate", None)
    if validate:
        try:
            validate()
        except ConfigError as error:
            raise ConfigError(
                f"{where}: {error}" if where and not str(error).startswith(where) else str(error)
            ) from None
    return obj


def check_ranges(config: Any, where: str = "") -> None:
    """A :class:`ConfigError` for the first field of ``config`` outside its range (:mod:`rnncells.config.bounds`)."""
    problem = range_problem(config)
    if problem:
        raise ConfigError(f"{where}: {problem}" if where else problem)


def read_toml(path: str | Path) -> dict[str, Any]:
    """Parse a TOML file, turning syntax errors into a one-line :class:`ConfigError`."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML ({error})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: invalid TOML (not UTF-8 text)") from None
    except RecursionError:
        raise ConfigError(f"{path}: invalid TOML (arrays or tables nested too deep); keep it a few levels") from None
    except ValueError:  # an integer of more digits than Python converts (sys.get_int_max_str_digits)
        raise ConfigError(f"{path}: {_long_number_line(path)}a number too long to read; use one in range") from None


def _long_number_line(path: Path) -> str:
    """``line N (key = ...): `` of the first line of ``path`` holding a number of thousands of digits, or ''."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if re.search(r"\d{1000}", line):
            return f"line {number} ({line.split('=')[0].strip()[:40]} = ...): "
    return ""


def parse_toml_value(text: str, where: str) -> Any:
    """One TOML value (``[128, 256]``, ``5``, ``"x"``); text that is not TOML is kept as a bare string. A value
    nested too deep or a number too long to read is one line naming ``where``."""
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        return text
    except RecursionError:
        raise ConfigError(f"{where}: value nested too deep; keep it a few levels") from None
    except ValueError:
        raise ConfigError(f"{where}: a number of {len(text)} characters is too long; use one in range") from None


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def to_toml(tables: dict[str, Any]) -> str:
    """Write ``{table name: dataclass or dict}`` as TOML; ``None`` values are left out (TOML has no null)."""
    lines: list[str] = []
    for name, table in tables.items():
        values = dataclasses.asdict(table) if dataclasses.is_dataclass(table) else dict(table)
        lines.append(f"[{name}]")
        lines += [f"{key} = {_toml_value(val)}" for key, val in values.items() if val is not None]
        lines.append("")
    return "\n".join(lines)
