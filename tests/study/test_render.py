"""The study report's rendering: numbers by the publication rules, commands as typed, Latin Modern outline fonts."""

from __future__ import annotations

import shutil
import subprocess

import pandas as pd
import pytest

from rnncells.report.tables import compile_pdf
from rnncells.study.render import render_latex, render_markdown
from rnncells.study.sections import Section

COMMAND = "rnncells report results/edm-paper --out <this folder>"


def sections() -> list[Section]:
    headline = pd.DataFrame(
        {
            "model": ["control-gru-2", "interval-rnn-1", "control-lstm-1"],
            "layers": ["2", "1", "1"],
            "general": ["4.256 ± 0.611", "4.818 ± 1.705", "4.2561 ± 0.9"],
            "CMM": ["2.707 ± 0.646", "2.813 ± 0.683", "3.123 ± 0.913"],
            "copied": ["0%", "0%", "0%"],
            "general, not copied": ["4.256", "4.818", "4.256"],
        }
    )
    cost = pd.DataFrame({"run": ["a", "b"], "epochs": [300.0, 50.0], "seconds": [175.6, 1269.4], "mean": [5.0, 3.0]})
    text = "Run `rnncells grid finish --out x` then **read** it: 4.256 ± 0.611, 2 × 3."
    return [Section("The answer", [text], [("selected models", headline), ("training cost", cost)])]


def test_latex_prints_numbers_by_the_rules_and_commands_as_typed():
    tex = render_latex(sections(), COMMAND)
    assert r"\usepackage[T1]{fontenc}" in tex and r"\usepackage{lmodern}" in tex and "siunitx" in tex
    assert r"\texttt{rnncells report results/edm-{}paper -{}-{}out <this folder>}" in tex
    assert r"\texttt{rnncells grid finish -{}-{}out x}" in tex and r"\textbf{read}" in tex
    assert r"\bfseries 4.26 \pm 0.61" in tex and r"\bfseries 4.26 \pm 0.90" in tex  # tied at the printed digits
    assert "4.8 \\pm 1.7" in tex and "\\bfseries 2.71 \\pm 0.65" in tex
    assert "& 0\\% " not in tex and "not copied}" not in tex
    assert "0\\% copied): that column and the tonality of the songs not copied" in tex
    assert "& 300 & 176 & 5 \\\\" in tex and ".000" not in tex  # whole numbers whole, four digits otherwise
    assert r"\clearpage" not in tex and r"\begin{figure}" not in tex


def test_markdown_shows_the_same_numbers():
    readme = render_markdown(sections(), COMMAND)
    assert "| control-gru-2 | 2 | 4.26 ± 0.61 | 2.71 ± 0.65 |" in readme and "| a | 300 | 176 | 5 |" in readme
    assert "copied |" not in readme


@pytest.mark.skipif(
    shutil.which("pdflatex") is None or shutil.which("pdffonts") is None,
    reason="pdflatex/pdffonts not installed: apt-get install texlive-latex-extra texlive-science lmodern poppler-utils",
)
def test_the_pdf_has_outline_fonts_only(tmp_path):
    (tmp_path / "report.tex").write_text(render_latex(sections(), COMMAND))
    pdf = compile_pdf(tmp_path / "report.tex")
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "Type 3" not in fonts and "LMRoman" in fonts and "LMMono" in fonts
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "--out" in text and "–" not in text.split("Made by")[0]  # an ASCII double hyphen, not an en dash
