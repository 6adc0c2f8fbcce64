"""Command-line options made from the config dataclasses: one flag per field, named, typed and explained there.

A field ``batch_size: int = field(default=50, metadata={"help": ...})`` becomes ``--batch-size N`` with the help
text and ``(default: 50)``. Field metadata may add ``aliases`` (older flag spellings that keep working),
``choices``, ``metavar``, and ``default_help`` (how to describe a default of None, e.g. "the dataset's median").
The argparse default is always None, so :func:`given_options` can tell the flags the user gave from the rest;
the dataclass (or a config file) supplies everything else.
"""

from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from typing import Any

METAVARS = {int: "N", float: "X", str: "TEXT"}


def whole_number(minimum: int, maximum: int | None = None):
    """An argparse ``type`` taking whole numbers of at least ``minimum`` and at most ``maximum`` (``--jobs 0``,
    ``--port 70000`` are refused in one line)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a whole number") from None
        if value < minimum or (maximum is not None and value > maximum):
            allowed = f">= {minimum}" + (f" and <= {maximum}" if maximum is not None else "")
            raise argparse.ArgumentTypeError(f"{text[:40]}: expected a whole number {allowed}")
        return value

    parse.__name__ = f"whole number >= {minimum}" + (f" and <= {maximum}" if maximum is not None else "")
    return parse


def comma_list(text: str) -> list[str]:
    """``"control, interval"`` -> ``["control", "interval"]``: how list fields are written on the command line."""
    return [part.strip() for part in text.split(",") if part.strip()]


def value_type(annotation: Any) -> tuple[Any, bool]:
    """The argparse type of a field annotation (``int``, ``float``, ``str``, ``bool`` or :func:`comma_list`), and
    whether the field also takes None (``X | None``)."""
    optional = False
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        optional = len(members) < len(typing.get_args(annotation))
        if len(members) != 1:
            raise TypeError(f"no command-line type for {annotation!r}")
        annotation = members[0]
    if annotation in (int, float, str, bool):
        return annotation, optional
    if typing.get_origin(annotation) is list and typing.get_args(annotation) == (str,):
        return comma_list, optional
    raise TypeError(f"no command-line type for {annotation!r}")


def flag_names(spec: dataclasses.Field) -> list[str]:
    """``--field-name`` and the older spellings listed in the field's ``aliases`` metadata."""
    return ["--" + spec.name.replace("_", "-"), *spec.metadata.get("aliases", ())]


def field_default(spec: dataclasses.Field) -> Any:
    """The dataclass default of a field (a fresh value for ``default_factory`` fields)."""
    if spec.default is not dataclasses.MISSING:
        return spec.default
    if spec.default_factory is not dataclasses.MISSING:
        return spec.default_factory()
    raise TypeError(f"field {spec.name} has no default")


def describe_default(spec: dataclasses.Field) -> str:
    """The default as the help text shows it: ``50``, ``control,interval``, ``off``, or ``default_help``."""
    if "default_help" in spec.metadata:
        return str(spec.metadata["default_help"])
    value = field_default(spec)
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if value is None or value == "":
        return "none"
    return str(value)


def help_text(spec: dataclasses.Field, required: bool = False, default: str | None = None) -> str:
    """The field's ``help`` metadata followed by its default (``default`` when a command has its own; argparse needs
    ``%`` doubled)."""
    text = spec.metadata.get("help")
    if not text:
        raise TypeError(f"field {spec.name} has no help text: add metadata={{'help': ...}}")
    bounds = spec.metadata.get("range")
    text += f", {bounds[0]} to {bounds[1]}" if bounds else ""
    full = text if required else f"{text} (default: {default or describe_default(spec)})"
    return full.replace("%", "%%")


def add_options(
    parser: argparse.ArgumentParser,
    cls: type,
    exclude: tuple[str, ...] = (),
    required: tuple[str, ...] = (),
    only: tuple[str, ...] | None = None,
    defaults: dict[str, str] | None = None,
) -> None:
    """Add one option per field of the dataclass ``cls`` to ``parser`` (module docstring); the fields named in
    ``exclude`` (or not in ``only``) get none, those in ``required`` must be given; ``defaults`` describes the
    defaults of a command that sets its own (``{"bars": "8"}``)."""
    hints = typing.get_type_hints(cls)
    for spec in dataclasses.fields(cls):
        if spec.name in exclude or (only is not None and spec.name not in only):
            continue
        kind, _ = value_type(hints[spec.name])
        options: dict[str, Any] = {
            "dest": spec.name,
            "default": None,
            "help": help_text(spec, spec.name in required, (defaults or {}).get(spec.name)),
        }
        if kind is bool:
            options["action"] = argparse.BooleanOptionalAction
        else:
            options["type"] = kind
            options["choices"] = spec.metadata.get("choices")
            if not options["choices"]:
                options["metavar"] = spec.metadata.get("metavar", METAVARS.get(kind, "A,B"))
        if spec.name in required:
            options["required"] = True
        parser.add_argument(*flag_names(spec), **options)


def given_options(args: argparse.Namespace, cls: type) -> dict[str, Any]:
    """The fields of ``cls`` that the parsed ``args`` set (options added by :func:`add_options`)."""
    names = (spec.name for spec in dataclasses.fields(cls))
    return {name: getattr(args, name) for name in names if getattr(args, name, None) is not None}
