"""The LaTeX tables of ``OUT/tables/`` as plain rows for the index page (the ``.tex`` files stay the source).

Only what :mod:`rnncells.report.tables` writes is read: a ``\\caption``, one ``tabular`` with ``&``-separated cells,
``\\\\`` row ends, booktabs rules, ``\\multicolumn`` headers and ``\\multirow`` labels. Anything else of LaTeX is
shown as plain text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

_RULE = re.compile(r"\\(toprule|midrule|bottomrule|hline|cline\{[^}]*\}|cmidrule(\([a-z]*\))?\{[^}]*\})")
_MULTIROW = re.compile(r"\\multirow(\[[a-z]*\])?\{[^}]*\}\{[^}]*\}\{([^{}]*)\}")
_MULTICOLUMN = re.compile(r"^\\multicolumn\{(\d+)\}\{[^}]*\}\{(.*)\}$")
_REPLACEMENTS = (("$\\pm$", "±"), ("\\_", "_"), ("\\%", "%"), ("\\&", "&"), ("$", ""), ("~", " "))


@dataclass
class HtmlTable:
    """One table: its file (relative to the results folder), caption and rows of ``(text, colspan)`` cells."""

    tex: str
    caption: str
    rows: list[list[tuple[str, int]]] = field(default_factory=list)


def plain(text: str) -> str:
    """LaTeX cell text as plain text (``$\\pm$`` as ±, escapes undone, ``\\textbf{x}`` as x)."""
    text = _MULTIROW.sub(r"\2", text)  # the label in the first row of its block; the rows below leave it empty
    for old, new in _REPLACEMENTS:
        text = text.replace(old, new)
    text = re.sub(r"\\[a-zA-Z]+\{([^{}]*)\}", r"\1", text)
    return text.replace("{", "").replace("}", "").strip()


def _cell(text: str) -> tuple[str, int]:
    match = _MULTICOLUMN.match(text.strip())
    return (plain(match.group(2)), int(match.group(1))) if match else (plain(text), 1)


def _caption(tex: str) -> str:
    start = tex.find("\\caption{")
    if start < 0:
        return ""
    depth, begin = 0, start + len("\\caption{")
    for position in range(begin, len(tex)):
        depth += {"{": 1, "}": -1}.get(tex[position], 0)
        if depth < 0:
            return plain(tex[begin:position])
    return ""


def read_tex_table(path: Path, root: Path) -> HtmlTable | None:
    """The table of ``path`` (None when the file holds no ``tabular``); ``root`` is the results folder."""
    tex = path.read_text(encoding="utf-8")
    body = re.search(r"\\begin\{tabular\}\{[^}]*\}(.*?)\\end\{tabular\}", tex, re.S)
    if body is None:
        return None
    table = HtmlTable(path.relative_to(root).as_posix(), _caption(tex))
    for line in _RULE.sub("", body.group(1)).split("\\\\"):
        if line.strip():
            table.rows.append([_cell(cell) for cell in line.split("&")])
    return table


def read_tex_tables(paths: list[Path], root: Path) -> list[HtmlTable]:
    """:func:`read_tex_table` of each ``.tex`` file but the document that includes them (``tables.tex``)."""
    found = [read_tex_table(p, root) for p in paths if p.suffix == ".tex" and p.name != "tables.tex"]
    return [table for table in found if table is not None]
