"""The study report's two renderings of the same sections: Markdown (``README.md``) and LaTeX (``report.tex``).

rnncells.study.report builds the sections from the result folders; this module only lays them out, by the tables'
publication rules (rnncells.report.latex): a "mean ± std" cell with the std's two significant digits, a column of
whole numbers without decimals, other numbers to four significant digits (at most three decimals), the lowest
mean of a tonality column in bold, a column that is 0% for every row folded into the caption with the "not
copied" column it would repeat. The PDF is set in Latin Modern (T1, outline fonts), commands in typewriter as
typed (``--out``, not an en dash), floats allowed to fill pages.
"""

from __future__ import annotations

import math
import re

import pandas as pd

from rnncells.report.latex import SI_PM, bold, escape_latex, mean_std, tied_best, to_latex
from rnncells.study.sections import Section

_MEAN_STD = re.compile(r"(-?\d+(?:\.\d+)?) ± (-?\d+(?:\.\d+)?)")
TONALITY_COLUMNS = ("general", "CMM", "LM", "CENTR")  # lower is more tonal: their lowest mean is set in bold
# LaTeX floats: let figures and tables fill most of a page, so no page holds a lone table and a gap
FLOAT_SETTINGS = (
    "\\renewcommand{\\topfraction}{0.9}\\renewcommand{\\bottomfraction}{0.8}\\renewcommand{\\textfraction}{0.07}\n"
    "\\renewcommand{\\floatpagefraction}{0.75}\\setcounter{topnumber}{3}\\setcounter{totalnumber}{5}\n"
)


def _column_decimals(values: list[float]) -> int:
    """Four significant digits of the column's typical size, at most three decimals."""
    sizes = [abs(v) for v in values if not math.isnan(v) and v != 0]
    if not sizes:
        return 0
    return min(3, max(0, 3 - math.floor(math.log10(sorted(sizes)[len(sizes) // 2]))))


def _fold(frame: pd.DataFrame, caption: str) -> tuple[pd.DataFrame, str]:
    """Drop a "copied" column that is 0% in every row (and the "not copied" column it makes a repeat)."""
    copied = [c for c in frame.columns if str(c) == "copied"]
    if copied and all(str(v).strip() in ("0%", "0", "0.0%") for v in frame[copied[0]]):
        repeats = [c for c in frame.columns if "not copied" in str(c)]
        frame = frame.drop(columns=copied + repeats)
        caption = caption.rstrip(".") + ". No song of these models copies a training song (0% copied): that column "
        caption += "and the tonality of the songs not copied, which would repeat general, are left out."
    return frame, caption


def _cells(frame: pd.DataFrame, latex: bool) -> tuple[pd.DataFrame, bool]:
    """The frame as printed: numbers by the module's rules; True when a lowest mean was set in bold."""
    shown, emphasised = pd.DataFrame(index=frame.index), False
    for column in frame.columns:
        values = list(frame[column])
        floats = [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if floats and len(floats) == len(values):
            decimals = 0 if all(v.is_integer() for v in floats) else _column_decimals(floats)
            cells = [f"{v:.{decimals}f}" for v in floats]
        else:
            cells = [_mean_std_cell(str(v), latex) for v in values]
        means = {i: float(m[1]) for i, v in enumerate(values) if (m := _MEAN_STD.fullmatch(str(v)))}
        if latex and str(column) in TONALITY_COLUMNS and len(means) == len(values) > 1:
            best = tied_best(means)
            cells = [bold(cell) if i in best else cell for i, cell in enumerate(cells)]
            emphasised = True
        shown[_latex_text(str(column)) if latex else str(column)] = cells
    return shown, emphasised


def _mean_std_cell(text: str, latex: bool) -> str:
    match = _MEAN_STD.fullmatch(text)
    if match:
        cell = mean_std(float(match[1]), float(match[2]))
        return cell if latex else cell.replace(f" {SI_PM} ", " ± ")
    return _latex_text(text) if latex else text


def _markdown_table(frame: pd.DataFrame) -> str:
    shown, _ = _cells(frame, latex=False)
    head = "| " + " | ".join(map(str, shown.columns)) + " |\n|" + "---|" * len(shown.columns) + "\n"
    return head + "".join("| " + " | ".join(map(str, row)) + " |\n" for row in shown.itertuples(index=False))


def render_markdown(sections: list[Section], command: str) -> str:
    """The report as Markdown (README.md): a heading per section, its paragraphs, tables and figures."""
    lines = ["# Which recurrent cell writes the most tonal melodies?", "", f"Made by `{command}`.", ""]
    for section in sections:
        lines += [f"## {section.title}", ""]
        for paragraph in section.lines:
            lines += [paragraph, ""]
        for caption, frame in section.tables:
            frame, caption = _fold(frame, caption)
            lines += [f"*{caption}*", "", _markdown_table(frame), ""]
        for figure in section.figures:
            lines += [f"![{figure.caption}]({figure.stem}.png)", ""]
    return "\n".join(lines)


def _code(text: str) -> str:
    """A command or name in typewriter, as typed: no -- ligature, breakable after a space."""
    return r"\texttt{" + escape_latex(text).replace("-", "-{}") + "}"


def _latex_text(text: str) -> str:
    """Markdown inline (``code``, **bold**) as LaTeX; ± and × as math."""
    parts = re.split(r"(`[^`]*`)", text)
    out = []
    for part in parts:
        if part.startswith("`") and part.endswith("`") and len(part) > 1:
            out.append(_code(part[1:-1]))
            continue
        plain = escape_latex(part).replace("±", r"$\pm$").replace("×", r"$\times$")
        out.append(re.sub(r"\*\*(.+?)\*\*", r"\\textbf{\1}", plain))
    return "".join(out)


def _latex_table(caption: str, frame: pd.DataFrame, label: str) -> str:
    frame, caption = _fold(frame, caption)
    shown, emphasised = _cells(frame, latex=True)
    caption = _latex_text(caption.rstrip(".") + ".") + (
        " Bold: the lowest mean of each tonality column." if emphasised else ""
    )
    return to_latex(shown.set_index(shown.columns[0]), caption, label)


def render_latex(sections: list[Section], command: str) -> str:
    """The report as a LaTeX document (report.tex): the same sections, tables through Styler.to_latex."""
    # no float above the title; later floats may drift to fill pages (FLOAT_SETTINGS)
    title = r"\section*{Which recurrent cell writes the most tonal melodies?}\suppressfloats[t]"
    body = [title, f"Made by {_code(command)}."]
    for number, section in enumerate(sections):
        body.append(r"\subsection*{" + _latex_text(section.title) + "}")
        body += [_latex_text(paragraph) for paragraph in section.lines]
        for count, (caption, frame) in enumerate(section.tables):
            body.append(_latex_table(caption, frame, f"tab:{number}-{count}"))
        for figure in section.figures:
            body.append(
                r"\begin{figure}[htbp]\centering\includegraphics[width=\textwidth,height=0.3\textheight,"
                r"keepaspectratio]{" + figure.stem + r".pdf}\caption{" + _latex_text(figure.caption) + "}\\end{figure}"
            )
    return (
        "\\documentclass{article}\n\\usepackage[margin=2cm]{geometry}\n"
        "\\usepackage[T1]{fontenc}\n\\usepackage[utf8]{inputenc}\n\\usepackage{lmodern}\n\\usepackage{microtype}\n"
        "\\usepackage{booktabs,multirow,adjustbox,caption,graphicx,siunitx}\n"
        + FLOAT_SETTINGS
        + "\\begin{document}\n"
        + "\n\n".join(body)
        + "\n\\end{document}\n"
    )
