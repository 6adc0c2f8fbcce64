"""The study report's two renderings of the same sections: Markdown (``README.md``) and LaTeX (``report.tex``).

rnncells.study.report builds the sections from the result folders; this module only lays them out.
"""

from __future__ import annotations

import pandas as pd

from rnncells.report.latex import escape_latex, to_latex
from rnncells.study.sections import Section


def _markdown_table(frame: pd.DataFrame) -> str:
    def cell(value: object) -> str:
        return f"{value:.3f}" if isinstance(value, float) else str(value)

    head = "| " + " | ".join(map(str, frame.columns)) + " |\n|" + "---|" * len(frame.columns) + "\n"
    return head + "".join("| " + " | ".join(cell(v) for v in row) + " |\n" for row in frame.itertuples(index=False))


def render_markdown(sections: list[Section], command: str) -> str:
    """The report as Markdown (README.md): a heading per section, its paragraphs, tables and figures."""
    lines = ["# Which recurrent cell writes the most tonal melodies?", "", f"Made by `{command}`.", ""]
    for section in sections:
        lines += [f"## {section.title}", ""]
        for paragraph in section.lines:
            lines += [paragraph, ""]
        for caption, frame in section.tables:
            lines += [f"*{caption}*", "", _markdown_table(frame), ""]
        for figure in section.figures:
            lines += [f"![{figure.caption}]({figure.stem}.png)", ""]
    return "\n".join(lines)


def _latex_text(text: str) -> str:
    return escape_latex(text.replace("**", "").replace("`", "")).replace("±", r"$\pm$").replace("×", r"$\times$")


def render_latex(sections: list[Section], command: str) -> str:
    """The report as a LaTeX document (report.tex): the same sections, tables through Styler.to_latex."""
    body = [r"\section*{Which recurrent cell writes the most tonal melodies?}", _latex_text(f"Made by {command}.")]
    for number, section in enumerate(sections):
        body.append(r"\subsection*{" + _latex_text(section.title) + "}")
        body += [_latex_text(paragraph) for paragraph in section.lines]
        for count, (caption, frame) in enumerate(section.tables):
            shown = frame.map(lambda v: f"{v:.3f}" if isinstance(v, float) else _latex_text(str(v)))
            shown.columns = [_latex_text(str(c)) for c in shown.columns]
            table = to_latex(shown.set_index(shown.columns[0]), _latex_text(caption), f"tab:{number}-{count}")
            body.append(
                table.replace(r"\begin{tabular}", r"\begin{adjustbox}{max width=\textwidth}\begin{tabular}").replace(
                    r"\end{tabular}", r"\end{tabular}\end{adjustbox}"
                )
            )
        for figure in section.figures:
            body.append(
                r"\begin{figure}[htbp]\centering\includegraphics[width=\textwidth,height=0.4\textheight,"
                r"keepaspectratio]{" + figure.stem + r".pdf}\caption{" + _latex_text(figure.caption) + "}\\end{figure}"
            )
        body.append(r"\clearpage" if section.figures else "")
    return (
        "\\documentclass{article}\n\\usepackage[margin=2cm]{geometry}\n"
        "\\usepackage{booktabs,multirow,adjustbox,caption,graphicx}\n"
        "\\usepackage[T1]{fontenc}\n\\usepackage[utf8]{inputenc}\n\\begin{document}\n"
        + "\n\n".join(body)
        + "\n\\end{document}\n"
    )
