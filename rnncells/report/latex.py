"""LaTeX helpers shared by the report's tables: escaping, number formats, and ``Styler.to_latex`` with booktabs."""

from __future__ import annotations

import math
import re

import pandas as pd

PM = r"$\pm$"
MISSING = "--"

_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}

METRIC_LABELS = {"cmm": "m1 (CMM)", "lm": "m2 (LM)", "centr": "m3 (CENTR)"}  # the tables' metric names
SHORT_LABELS = {"cmm": "m1", "lm": "m2", "centr": "m3"}


def escape_latex(text: object) -> str:
    """``text`` with LaTeX's special characters escaped, for labels, captions and song names."""
    return "".join(_LATEX_SPECIALS.get(char, char) for char in str(text))


def number(value: float, decimals: int = 3) -> str:
    """``value`` with ``decimals`` decimals; ``--`` for a missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    return f"{value:.{decimals}f}"


def mean_std(mean: float, std: float, decimals: int = 3) -> str:
    """``mean $\\pm$ std``."""
    return f"{number(mean, decimals)} {PM} {number(std, decimals)}"


def latex_index(keys: list[tuple[str, ...]], names: list[str]) -> pd.Index:
    """A (Multi)Index of escaped row keys with the given level names."""
    escaped = [tuple(escape_latex(part) for part in key) for key in keys]
    if len(names) == 1:
        return pd.Index([key[0] for key in escaped], name=names[0])
    return pd.MultiIndex.from_tuples(escaped, names=names)


def to_latex(frame: pd.DataFrame, caption: str, label: str) -> str:
    """Styler.to_latex with booktabs rules, \\midrule between multirow blocks, index names in the corner."""
    n_index = frame.index.nlevels
    styler = frame.style.hide(axis="index", names=True)
    numeric = re.compile(rf"(-?\d+(\.\d+)?|{MISSING})( {re.escape(PM)} (-?\d+(\.\d+)?|{MISSING}))?")
    aligns = ["r" if all(numeric.fullmatch(str(v)) for v in frame[c]) else "l" for c in frame.columns]
    blocks = n_index > 1 and bool(pd.Series(frame.index.get_level_values(0)).duplicated().any())
    latex = styler.to_latex(
        hrules=True,
        column_format="l" * n_index + "".join(aligns),
        multirow_align="c",
        multicol_align="c",
        clines="skip-last;data" if blocks else None,
        caption=caption,
        label=label,
        position="htbp",
        position_float="centering",
        environment="table",
    )
    lines = latex.splitlines()
    # booktabs does not space \cline well: separate multirow blocks with \midrule, none before \bottomrule.
    cleaned = []
    for number, line in enumerate(lines):
        if re.fullmatch(r"\\cline\{\d+-\d+\}", line.strip()):
            if lines[number + 1].strip() != r"\bottomrule":
                cleaned.append(r"\midrule")
            continue
        cleaned.append(line)
    lines = cleaned
    header_end = lines.index(r"\midrule")
    names = [str(name) if name else "" for name in frame.index.names]
    lines[header_end - 1] = " & ".join(names + [lines[header_end - 1].split(" & ", n_index)[-1]])
    if isinstance(frame.columns, pd.MultiIndex):
        top = lines.index(r"\toprule")
        rules, start = [], n_index + 1
        groups = frame.columns.get_level_values(0)
        for group in dict.fromkeys(groups):
            width = int((groups == group).sum())
            rules.append(rf"\cmidrule(lr){{{start}-{start + width - 1}}}")
            start += width
        lines.insert(top + 2, " ".join(rules))
    text = "\n".join(lines) + "\n"
    # Shrink (never enlarge) a table too wide or too tall for the page: a full grid of 75 models still fits.
    fit = "\\begin{adjustbox}{max totalsize={\\linewidth}{0.85\\textheight}}\n"
    text = text.replace(r"\begin{tabular}", fit + r"\begin{tabular}")
    return text.replace(r"\end{tabular}", "\\end{tabular}\n\\end{adjustbox}")
