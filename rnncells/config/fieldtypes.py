"""Values checked against a dataclass field's annotation before a config is built (``config.from_dict``).

A TOML file or a command line may hand any value to any field: ``units = "128"``, ``epochs = 2.5``, ``learning_rate
= nan``. :func:`checked` accepts exactly what the annotation says (a whole number for ``int``, never ``true``; any
finite number for ``float``, given back as a float; text for ``str``; a list of text for ``list[str]``; ``None``
too for ``X | None``) and otherwise raises one line naming the key, the value and what is expected. NaN and
infinity are never a valid number here.
"""

from __future__ import annotations

import json
import math
import types
import typing
from typing import Any

from rnncells.errors import RnncellsError


class FieldTypeError(RnncellsError, ValueError):
    """A value of the wrong type for its field; the message names the key, the value and what is expected."""


def shown(value: Any) -> str:
    """``value`` as a config file would spell it: ``"128"``, ``2.5``, ``nan``, ``[1, 2]``, ``true``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


def expected(annotation: Any) -> str:
    """What a value of ``annotation`` looks like, in words."""
    origin, members = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        named = [expected(m) for m in members if m is not type(None)]
        return " or ".join(named) + (" (or left out)" if type(None) in members else "")
    if origin is list:
        return f"a list of {expected(members[0]).removeprefix('a ')}" if members else "a list"
    if origin is dict:
        return "a table"
    words = {bool: "true or false", int: "a whole number", float: "a finite number", str: "text in quotes"}
    return words.get(annotation, "a table" if isinstance(annotation, type) else str(annotation))


def _fits(annotation: Any, value: Any) -> tuple[bool, Any]:
    """Whether ``value`` fits ``annotation``, and the value to store (ints become floats for float fields)."""
    origin, members = typing.get_origin(annotation), typing.get_args(annotation)
    if annotation is Any:
        return True, value
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return type(None) in members, value
        for member in members:
            ok, converted = _fits(member, value)
            if ok:
                return True, converted
        return False, value
    if origin is list:
        if not isinstance(value, list):
            return False, value
        converted = [_fits(members[0], item) if members else (True, item) for item in value]
        return all(ok for ok, _ in converted), [item for _, item in converted]
    if origin is dict:
        return isinstance(value, dict), value
    if annotation is bool:
        return isinstance(value, bool), value
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool), value
    if annotation is float:
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        return number and math.isfinite(value), float(value) if number else value
    if annotation is str:
        return isinstance(value, str), value
    if isinstance(annotation, type):  # a nested config table
        return isinstance(value, (dict, annotation)), value
    return True, value


def checked(annotation: Any, value: Any, key: str, where: str = "") -> Any:
    """``value`` if it fits ``annotation`` (module docstring), else a :class:`FieldTypeError` naming ``key``."""
    ok, converted = _fits(annotation, value)
    if not ok:
        place = f"{where}: " if where else ""
        raise FieldTypeError(f"{place}{key} = {shown(value)}: expected {expected(annotation)}")
    return converted


def checked_fields(cls: type, values: dict[str, Any], where: str = "") -> dict[str, Any]:
    """Every value of ``values`` checked against the annotation of ``cls``'s field of the same name."""
    hints = typing.get_type_hints(cls)
    return {key: checked(hints[key], value, key, where) if key in hints else value for key, value in values.items()}
