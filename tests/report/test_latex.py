"""The publication rules of the LaTeX tables: digits matched to the uncertainty, whole numbers whole, the best in
bold with its ties, siunitx columns and one rule between multirow blocks."""

from __future__ import annotations

import math

import pandas as pd

from rnncells.report.latex import (
    BOLD,
    MARK,
    bold,
    decimals_for,
    latex_index,
    mark,
    mean_std,
    number,
    numbers,
    text_mean_std,
    tied_best,
    to_latex,
)


def test_digits_follow_the_uncertainty_and_whole_numbers_stay_whole():
    assert decimals_for(0.61) == 2 and decimals_for(1.7) == 1 and decimals_for(12.0) == 0
    assert decimals_for(0.09, significant=1) == 2 and decimals_for(0.0) == 3 and decimals_for(math.nan) == 3
    assert mean_std(4.2561, 0.6104) == r"4.26 \pm 0.61"
    assert mean_std(14.31, 1.72) == r"14.3 \pm 1.7"
    assert mean_std(5.0, 0.0) == r"5 \pm 0"  # a whole mean with no spread
    assert mean_std(math.nan, math.nan) == "--"
    assert text_mean_std(4.2561, 0.6104) == r"4.26 $\pm$ 0.61"
    assert number(175.0) == "175" and number(0.0) == "0" and number(175.6, 1) == "175.6" and number(math.nan) == "--"
    assert numbers([5.0, 0.0, 3.0]) == ["5", "0", "3"]
    assert numbers([1.0, 1.2345], 2) == ["1.00", "1.23"]  # one column, one number of decimals


def test_the_lowest_value_and_its_ties_are_best():
    values = {"a": 2.0, "b": 2.0004, "c": 3.0, "d": math.nan}
    assert tied_best(values) == {"a", "b"}  # equal at three decimals
    assert tied_best(values, {frozenset(("a", "c"))}) == {"a", "c"}  # the test cannot tell c from a
    assert tied_best(values, set()) == {"a"}  # every difference significant
    assert bold("--") == "--" and mark("--") == "--"
    assert bold("1.5") == BOLD + "1.5" and mark("1.5") == "1.5" + MARK


def test_numbers_sit_in_siunitx_columns_with_one_rule_between_blocks():
    frame = pd.DataFrame(
        {
            "mean": [bold(mean_std(4.26, 0.61)), mark(mean_std(14.3, 1.7)), "--", "1.0 \\pm 0.1"],
            "note": ["a", "b", "c", "d"],
        }
    )
    frame.index = latex_index([("CMM", "x"), ("CMM", "y"), ("LM", "x"), ("LM", "y")], ["metric", "variant"])
    tex = to_latex(frame, "caption", "tab:x")
    assert r"\begin{tabular}{llS[table-format=2.2(2)]l}" in tex
    assert "\\sisetup{" in tex and "metric & variant & {mean} & note \\\\" in tex
    assert r"\bfseries 4.26 \pm 0.61" in tex and "14.3 \\pm 1.7" + MARK in tex and "& {--} &" in tex
    assert "\\cline" not in tex and tex.count("\\midrule") == 2  # below the header, once between the blocks
    text = to_latex(pd.DataFrame({"x": ["a \\pm b"]}), "c", "tab:y")
    assert "{x}" not in text  # a text column keeps its plain header
