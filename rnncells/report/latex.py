"""LaTeX helpers shared by the report's tables: escaping, number formats, and ``Styler.to_latex`` with booktabs."""

from __future__ import annotations

import math
import re

import pandas as pd

PM = r"$\pm$"  # in text and captions
SI_PM = r"\pm"  # between a mean and its std inside a siunitx S column (``$\pm$`` in any other column)
MISSING = "--"
BOLD = "\\bfseries "  # before a number in an S column: siunitx keeps the weight (SISETUP)
MARK = "{\\rlap{$^\\dagger$}}"  # after a number: text siunitx leaves out of the alignment
# Per table, so a paper that \input's one needs only \usepackage{siunitx}: uncertainties as "4.26 ± 0.61",
# the text weight (bold) carried into the numbers.
SISETUP = (
    "\\sisetup{separate-uncertainty, reset-text-series=false, text-series-to-math, mode=match, "
    "propagate-math-font, table-align-text-after=false}"
)
LATEX_PACKAGES = ("booktabs", "multirow", "adjustbox", "siunitx")  # what a paper needs to \input a table

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

# The metrics' names, the same in every table, caption, figure and report.
METRIC_LABELS = {"cmm": "CMM", "lm": "LM", "centr": "CENTR"}
SHORT_LABELS = METRIC_LABELS
METRIC_KEY = (
    "CMM = conjunct melodic motion (mean absolute interval, semitones), LM = limited macroharmony (1 at best), "
    "CENTR = centricity; lower is more tonal for each, and general = CMM + LM + CENTR"
)


def escape_latex(text: object) -> str:
    """``text`` with LaTeX's special characters escaped, for labels, captions and song names."""
    return "".join(_LATEX_SPECIALS.get(char, char) for char in str(text))


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def number(value: float, decimals: int = 3) -> str:
    """``value`` with ``decimals`` decimals, a whole number without any; ``--`` for a missing value."""
    if _missing(value):
        return MISSING
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.{decimals}f}"


def numbers(values: list[float], decimals: int = 3) -> list[str]:
    """A column of ``values``: whole numbers as whole numbers when all are, else every one with ``decimals``."""
    present = [float(v) for v in values if not _missing(v)]
    if all(v.is_integer() for v in present):
        return [number(v) for v in values]
    return [MISSING if _missing(v) else f"{v:.{decimals}f}" for v in values]


def decimals_for(uncertainty: float, significant: int = 2, fallback: int = 3) -> int:
    """The decimals that show ``uncertainty`` with ``significant`` significant digits (0.61 -> 2, 1.7 -> 1,
    12 -> 0); ``fallback`` for a zero or missing uncertainty."""
    if _missing(uncertainty) or not math.isfinite(uncertainty) or uncertainty <= 0:
        return fallback
    return max(0, significant - 1 - math.floor(math.log10(uncertainty)))


def mean_std(mean: float, std: float, decimals: int | None = None) -> str:
    """``mean \\pm std`` for an S column, both with the decimals of std's two significant digits (``4.26 \\pm
    0.61``), or ``decimals``; a mean and std that are whole numbers stay whole (``5 \\pm 0``)."""
    if _missing(mean):
        return MISSING
    if decimals is None:
        whole = float(mean).is_integer() and (_missing(std) or float(std).is_integer())
        decimals = 0 if whole else decimals_for(std)
    return f"{mean:.{decimals}f} {SI_PM} {MISSING if _missing(std) else f'{std:.{decimals}f}'}"


def text_mean_std(mean: float, std: float, decimals: int | None = None) -> str:
    """:func:`mean_std` for running text and captions (``$\\pm$``)."""
    return mean_std(mean, std, decimals).replace(f" {SI_PM} ", f" {PM} ")


def bold(cell: str) -> str:
    """A number cell set in bold (the best of its column)."""
    return cell if cell == MISSING else BOLD + cell


def mark(cell: str) -> str:
    """A number cell marked with a dagger (the selected depth)."""
    return cell if cell == MISSING else cell + MARK


def tied_best(values: dict[str, float], same: set[frozenset[str]] | None = None, decimals: int = 3) -> set[str]:
    """The keys to set in bold: the lowest value, and each value tied with it, i.e. a pair in ``same`` (a test
    that cannot tell the two apart) or, without tests, equal to it at ``decimals``."""
    present = {key: value for key, value in values.items() if not _missing(value)}
    if not present:
        return set()
    best = min(present, key=present.get)
    if same is None:
        return {key for key, value in present.items() if round(value, decimals) == round(present[best], decimals)}
    return {best} | {key for key in present if frozenset((best, key)) in same}


def latex_index(keys: list[tuple[str, ...]], names: list[str]) -> pd.Index:
    """A (Multi)Index of escaped row keys with the given level names."""
    escaped = [tuple(escape_latex(part) for part in key) for key in keys]
    if len(names) == 1:
        return pd.Index([key[0] for key in escaped], name=names[0])
    return pd.MultiIndex.from_tuples(escaped, names=names)


_NUM = r"-?\d+(?:\.\d+)?"
_CELL = re.compile(
    rf"(?P<bold>{re.escape(BOLD)})?(?P<mean>{_NUM})"
    rf"(?: {re.escape(SI_PM)} (?P<std>{_NUM}|{MISSING}))?(?P<mark>{re.escape(MARK)})?"
)


def _numeric(values: list[str]) -> list[re.Match] | None:
    """The cells parsed as (bold) numbers with an optional ± std and mark; None if one is text."""
    matches = [_CELL.fullmatch(value) for value in values if value != MISSING]
    return matches if matches and all(matches) else None


def _table_format(matches: list[re.Match]) -> str:
    """siunitx's table-format for a column: the widest integer part, decimals and uncertainty digits."""
    means = [m["mean"] for m in matches]
    integer = max(len(v.lstrip("-").split(".")[0]) for v in means)
    decimals = max(len(v.split(".")[1]) if "." in v else 0 for v in means)
    text = ("-" if any(v.startswith("-") for v in means) else "") + f"{integer}.{decimals}"
    stds = [m["std"] for m in matches if m["std"] and m["std"] != MISSING]
    if stds:
        text += f"({max(len(str(int(v.replace('.', '')))) for v in stds)})"
    return text


def _column_specs(frame: pd.DataFrame) -> tuple[list[str], pd.DataFrame]:
    """An S column (siunitx, decimal-aligned) for every numeric column, else ``l``; missing cells in braces and
    a ± std outside an S column in math."""
    specs, shown = [], frame.copy()
    for position in range(len(frame.columns)):
        values = [str(v) for v in frame.iloc[:, position]]
        matches = _numeric(values)
        if matches:
            specs.append(f"S[table-format={_table_format(matches)}]")
            shown.iloc[:, position] = ["{" + MISSING + "}" if v == MISSING else v for v in values]
        else:
            specs.append("l")
            shown.iloc[:, position] = [v.replace(f" {SI_PM} ", f" {PM} ") for v in values]
    return specs, shown


def _one_rule_between_blocks(lines: list[str]) -> list[str]:
    # booktabs does not space \cline well, and Styler writes one per index level ("\cline{1-6} \cline{2-6}"):
    # separate multirow blocks with a single \midrule, none before \bottomrule.
    cleaned: list[str] = []
    for number, line in enumerate(lines):
        if re.fullmatch(r"(\\cline\{\d+-\d+\}\s*)+", line.strip()):
            if lines[number + 1].strip() != r"\bottomrule" and cleaned[-1] != r"\midrule":
                cleaned.append(r"\midrule")
            continue
        cleaned.append(line)
    return cleaned


def to_latex(frame: pd.DataFrame, caption: str, label: str) -> str:
    """Styler.to_latex with booktabs rules, siunitx S columns for numbers (bold and marks kept), one
    \\midrule between multirow blocks, index names in the corner."""
    n_index = frame.index.nlevels
    specs, frame = _column_specs(frame)
    styler = frame.style.hide(axis="index", names=True)
    blocks = n_index > 1 and bool(pd.Series(frame.index.get_level_values(0)).duplicated().any())
    latex = styler.to_latex(
        hrules=True,
        column_format="l" * n_index + "".join(specs),
        multirow_align="c",
        multicol_align="c",
        clines="skip-last;data" if blocks else None,
        caption=caption,
        label=label,
        position="htbp",
        position_float="centering",
        environment="table",
    )
    lines = _one_rule_between_blocks(latex.splitlines())
    if any(spec.startswith("S") for spec in specs):
        lines.insert(lines.index(r"\centering") + 1, SISETUP)
    header_end = lines.index(r"\midrule")
    names = [str(name) if name else "" for name in frame.index.names]
    heads = lines[header_end - 1].rstrip().removesuffix(r"\\").rstrip().split(" & ")[n_index:]
    heads = [f"{{{head}}}" if spec.startswith("S") else head for head, spec in zip(heads, specs, strict=True)]
    lines[header_end - 1] = " & ".join(names + heads) + r" \\"
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
