"""Atomic file writes: a temp file in the same folder, then an atomic rename, so no reader ever sees half a file."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rnncells.errors import InputError

_UMASK = os.umask(0)
os.umask(_UMASK)

# Tests set this to a function called with each path right after its atomic rename, to stop a writer at every
# write boundary and check that what it leaves behind can be resumed.
after_write: Callable[[Path], None] | None = None


def write_atomic(path: str | Path, write: Callable[[Path], None], suffix: str = ".tmp") -> Path:
    """Call ``write(tmp_path)`` and rename the result onto ``path``; the temp file is removed on failure, and an
    OS error that names no file (a full disk) or only the temp file is raised again naming ``path``.

    ``suffix`` ends the temp file's name, for writers that insist on one (Keras wants ``.keras``).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600 files; give the usual permissions
        os.replace(tmp, path)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        if error.filename is None or Path(error.filename) == tmp:  # a full disk names no file, or only the temp
            raise OSError(error.errno, f"{error.strerror} (writing {path})", str(path)) from error
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if after_write is not None:
        after_write(path)
    return path


def remove_stale_temp_files(folder: str | Path) -> list[Path]:
    """Delete the hidden temp files a killed writer left below ``folder`` (``.NAME.<random><suffix>``)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    stale = [p for p in folder.rglob(".*") if p.is_file() and p.name.count(".") >= 3]
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def portable_path(path: str | Path, start: str | Path | None = None) -> str:
    """``path`` as a record may hold it: never absolute, ``/``-separated. A relative path is kept as given (it is
    what the user typed); an absolute one becomes relative to ``start`` (default: the working directory), so a
    committed record names no folder of the machine that wrote it."""
    text = os.fspath(path)
    if not os.path.isabs(text):
        return Path(text).as_posix()
    base = os.path.abspath(start if start is not None else os.curdir)
    try:
        return Path(os.path.relpath(text, base)).as_posix()
    except ValueError:  # another drive (Windows): no relative path exists; the name is all that is left
        return Path(text).name


def resolve_recorded(recorded: str | Path, folder: str | Path) -> Path:
    """A path a record in ``folder`` holds (see :func:`portable_path`), as a path usable from here."""
    return Path(folder) / recorded if not os.path.isabs(recorded) else Path(recorded)


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    return write_atomic(path, lambda tmp: tmp.write_bytes(data))


def write_json_atomic(path: str | Path, obj: Any, indent: int | None = 2) -> Path:
    """Write ``obj`` as key-sorted JSON (stable bytes for identical content), indented unless ``indent`` is None
    (then without spaces: a file for programs, not for reading)."""
    separators = None if indent is not None else (",", ":")
    return write_text_atomic(
        path, json.dumps(obj, indent=indent, sort_keys=True, ensure_ascii=False, separators=separators) + "\n"
    )


def write_jsonl_atomic(path: str | Path, rows: Iterable[Any]) -> Path:
    """Write one compact JSON document per line."""
    text = "".join(json.dumps(row, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n" for row in rows)
    return write_text_atomic(path, text)


SIGNIFICANT_DIGITS = 7  # what a committed table keeps of a float (repr writes up to 17 digits)
_FLOAT = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+(?=[eE]))([eE][+-]?\d+)?")


def compact_number(cell: str, digits: int = SIGNIFICANT_DIGITS) -> str:
    """A float cell written with ``digits`` significant digits when that is shorter (``4.606060606060606`` ->
    ``4.606061``); integers, text and shorter floats stay as they are, and a float keeps its point (``1234567.8``
    -> ``1234568.0``), so a column read again keeps its type."""
    if not _FLOAT.fullmatch(cell):
        return cell
    short = format(float(cell), f".{digits}g")
    if not any(mark in short for mark in ".en"):  # "nan"/"inf" cannot come from the pattern; "e" keeps it a float
        short += ".0"
    return short if len(short) < len(cell) else cell


def compact_csv(text: str, digits: int = SIGNIFICANT_DIGITS) -> str:
    """CSV text (as pandas writes it: comma, minimal quoting, ``\\n`` lines) with every float cell written by
    :func:`compact_number`; the header and the other cells are unchanged."""
    rows = csv.reader(io.StringIO(text, newline=""))
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    header = next(rows, None)
    if header is None:
        return text
    writer.writerow(header)
    writer.writerows([compact_number(cell, digits) for cell in row] for row in rows)
    return out.getvalue()


def read_jsonl(path: str | Path) -> list[Any]:
    """Read a JSON-lines file written by :func:`write_jsonl_atomic`; a damaged line is a one-line error naming it."""
    rows = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                rows.extend([json.loads(line)] if line.strip() else [])
            except json.JSONDecodeError as error:
                raise InputError(f"{path}: damaged line {number} ({error.msg})") from None
    return rows


@dataclass(frozen=True)
class Damage:
    """A damaged or missing file of a folder, and the one line that says so (naming the file)."""

    path: Path
    message: str

    def __str__(self) -> str:
        return self.message


def file_digest(path: str | Path) -> dict[str, Any]:
    """``{"size": bytes, "sha256": hex}`` of a file, as a folder's record lists what it wrote."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return {"size": Path(path).stat().st_size, "sha256": digest.hexdigest()}


def record_files(folder: str | Path, names: Iterable[str]) -> dict[str, dict[str, Any]]:
    """:func:`file_digest` of each named file of ``folder`` (paths relative to it, ``/``-separated)."""
    return {name: file_digest(Path(folder) / name) for name in sorted(names)}


def damaged_files(folder: str | Path, recorded: Any, deep: bool = True) -> list[Damage]:
    """What differs from a record of :func:`record_files`: ``PATH: missing``, ``PATH: N bytes, recorded M`` or
    (``deep``, reading every file) ``PATH: content differs from its recorded sha256``; an unreadable record is
    itself reported."""
    folder = Path(folder)
    if not isinstance(recorded, dict) or not all(isinstance(v, dict) for v in recorded.values()):
        return [Damage(folder, f"{folder}: its record's list of files is damaged")]
    problems = []
    for name, expected in sorted(recorded.items()):
        path = folder / name
        if not path.is_file():
            problems.append(Damage(path, f"{path}: missing"))
            continue
        size = path.stat().st_size
        if size != expected.get("size"):
            problems.append(Damage(path, f"{path}: {size} bytes, recorded {expected.get('size')} (truncated)"))
        elif deep and file_digest(path)["sha256"] != expected.get("sha256"):
            problems.append(Damage(path, f"{path}: content differs from its recorded sha256 (damaged)"))
    return problems
