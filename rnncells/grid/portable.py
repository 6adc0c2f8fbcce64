"""Rewrite results folders' records so that they hold no absolute path of the machine that wrote them.

New records are written portable (:func:`rnncells.files.portable_path`); this rewrites the older ones in place,
without training or scoring anything, keeping each file's formatting (only the quoted path strings change). Under
a folder holding several results folders (``results/``), every quoted absolute path of a record (``*.json``,
``*.jsonl``, ``*.toml``) becomes relative, by the rules the writers follow now:

- a path into a results folder that now lies in this tree (``/old/place/edm-paper/runs/x`` ->
  ``results/edm-paper/runs/x``) is first mapped there;
- ``source`` and ``reuse`` values of a config, and a command's arguments in ``history.jsonl``, are relative to the
  working directory of the command (the ``cwd`` of the history's entries);
- a history entry's ``cwd`` (a checkout of rnncells) becomes the checkout holding the results folders now, relative
  to its results folder;
- any other path (a run's ``dataset``, a song set's ``run``, an evaluation's inputs, ``reused.json``) is relative to
  the folder of the record holding it; one outside both trees keeps only its name.

``index.html`` pages are written again by ``rnncells grid index`` instead.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from rnncells.files import write_text_atomic
from rnncells.training.run_folder import RECORD_FILE, RunFolder

RECORD_SUFFIXES = (".json", ".jsonl", ".toml")
CWD_KEYS = ("source", "reuse")
# a quoted absolute POSIX path, with the key before it when there is one (`"key": "/..."` or `key = "/..."`)
_QUOTED = re.compile(r'(?P<key>"?(?P<name>[A-Za-z_]+)"?\s*[:=]\s*)?"(?P<path>/[^"\\]*)"')


def _old_roots(results: Path, texts: dict[Path, str]) -> dict[str, str]:
    """Where each results folder lay when its records were written: ``{name: old absolute folder}``."""
    names = {p.name for p in results.iterdir() if p.is_dir()}
    roots: dict[str, str] = {}
    for path, text in texts.items():
        name = path.relative_to(results).parts[0]
        for match in _QUOTED.finditer(text):
            parts = Path(match["path"]).parts
            if name in names and name in parts and name not in roots:
                roots[name] = str(Path(*parts[: len(parts) - parts[::-1].index(name)]))
    return roots


class Rewriter:
    """The path rules of the module docstring for one tree of results folders."""

    def __init__(self, results: Path, texts: dict[Path, str]) -> None:
        self.results = results.resolve()
        self.roots = _old_roots(results, texts)
        cwds = re.findall(r'"cwd": "(/[^"\\]*)"', "".join(texts.values()))
        self.cwd = cwds[0] if cwds else str(self.results.parent)

    def mapped(self, path: str) -> str | None:
        """``path`` moved to where its results folder lies now (None when it is in none of them)."""
        for name, old in self.roots.items():
            if path == old or path.startswith(old + "/"):
                return str(self.results / name) + path[len(old) :]
        return None

    def relative(self, path: str, start: str, record_folder: Path | None = None) -> str:
        """``path`` relative to ``start`` (after :meth:`mapped`); a path outside both trees keeps its name."""
        moved = self.mapped(path)
        if moved is not None:
            base = str(record_folder) if record_folder is not None else self._now(start)
            return Path(os.path.relpath(moved, base)).as_posix()
        relative = os.path.relpath(path, start)
        return Path(path).name if relative.startswith("../../") else Path(relative).as_posix()

    def _now(self, old: str) -> str:
        """An old working directory as the tree lies now (the checkout holding ``results/``)."""
        moved = self.mapped(old)
        return moved if moved is not None else str(self.results.parent)

    def rewrite(self, record: Path, text: str) -> str:
        """``text`` of ``record`` with every quoted absolute path made relative."""
        folder = record.resolve().parent
        results_folder = self.results / record.resolve().relative_to(self.results).parts[0]
        line_cwd = [self.cwd]  # the working directory of the history entry on the line being rewritten

        def replace(match: re.Match) -> str:
            key, path = match["name"], match["path"]
            if key == "cwd":  # the command ran from a checkout: the one holding the results folders now
                new = Path(os.path.relpath(self._now(path), results_folder)).as_posix()
            elif key in CWD_KEYS or (key is None and record.suffix in (".toml", ".jsonl")):
                new = self.relative(path, line_cwd[0] if record.suffix == ".jsonl" else self.cwd)
            else:
                new = self.relative(path, self.cwd, folder)
            return f"{match['key'] or ''}{json.dumps(new, ensure_ascii=False)}"

        lines = []
        for line in text.splitlines(keepends=True):
            found = re.search(r'"cwd": "(/[^"\\]*)"', line)
            line_cwd[0] = found.group(1) if found else self.cwd
            lines.append(_QUOTED.sub(replace, line))
        return "".join(lines)


def make_records_portable(results: str | Path) -> list[Path]:
    """Rewrite every record below ``results`` (module docstring); returns the files that changed."""
    results = Path(results)
    files = sorted(p for p in results.rglob("*") if p.is_file() and p.suffix in RECORD_SUFFIXES)
    texts = {path: path.read_text(encoding="utf-8") for path in files}
    texts = {path: text for path, text in texts.items() if _QUOTED.search(text)}
    rewriter = Rewriter(results, texts)
    changed = []
    for path, text in texts.items():
        new = rewriter.rewrite(path, text)
        if new != text:
            if path.name == RECORD_FILE and RunFolder(path.parent).is_run():
                RunFolder(path.parent).rewrite_record(new)  # state.json records run.json's size and sha256
            else:
                write_text_atomic(path, new)
            changed.append(path)
    return changed
