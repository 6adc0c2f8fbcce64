"""The report's run-level verdict on synthetic run means: a lead only when the tests say so, else the tie, and what
one seed or too few seeds cannot show."""

from __future__ import annotations

import pandas as pd
import pytest

from rnncells.evaluation.replicates import replicate_tables
from rnncells.study.verdict import decide, verdict_lines


def songs(means: dict[str, list[float]], per_run: int = 5) -> pd.DataFrame:
    """Songs of runs ``NAME-seedS`` (one list entry per seed) around the given run means, plus a dataset set."""
    rows = []
    for configuration, seeds in means.items():
        variant, cell, layers = configuration.split("-")
        for seed, mean in enumerate(seeds):
            name = f"{configuration}-seed{seed}" if len(seeds) > 1 else configuration
            for index, offset in enumerate((-0.2, -0.1, 0.0, 0.1, 0.2)[:per_run]):
                rows.append(
                    {"model_name": name, "variant": variant, "cell": cell, "layers": int(layers), "index": index}
                    | dict.fromkeys(("cmm", "lm", "centr", "general"), mean + offset)
                )
    for index in range(5):
        rows.append({"model_name": "dataset", "variant": "dataset", "cell": "", "layers": None, "index": index})
        rows[-1] |= dict.fromkeys(("cmm", "lm", "centr", "general"), 6.0 + 0.1 * index)
    return pd.DataFrame(rows)


MODELS = {"control-gru-2", "control-lstm-1", "interval-gru-1"}


def lines_for(means: dict[str, list[float]], corrected: dict | None = None) -> tuple[list[str], object]:
    tables = replicate_tables(songs(means), leave_out=["control-gru-1"], n_boot=200)
    verdict = decide(tables, MODELS)
    other = decide(replicate_tables(songs(corrected), n_boot=200), MODELS) if corrected else None
    return verdict_lines("g", verdict, MODELS, {"dataset": "train split, 5 songs"}, other), verdict


def test_three_seeds_cannot_show_a_lead_and_the_verdict_names_the_tie():
    lines, verdict = lines_for(
        {
            "control-gru-2": [4.0, 4.1, 4.2],
            "control-lstm-1": [4.3, 4.4, 4.5],
            "interval-gru-1": [5.0, 5.1, 5.2],
            "control-gru-1": [1.0, 1.0, 1.0],  # lower than all, but selection passed it over: not in the family
        }
    )
    assert verdict.leader == "control-gru-2" and not verdict.leads
    assert verdict.ties == ["control-lstm-1", "interval-gru-1"]
    text = " ".join(lines)
    assert text.startswith("No configuration leads on `g`: **control-gru-2** has the lowest mean (3 seed(s) per")
    assert "mean general tonality 4.100" in text and "between-seed SD 0.100" in text
    assert "The next selected configuration, control-lstm-1, is 0.300 higher." in text
    assert "do not tell it from: control-lstm-1 (Holm p" in text
    assert "With 3 seeds a permutation test on run means cannot give p below 0.1" in text
    assert (
        "Against the baselines: dataset (train split, 5 songs) 6.200" in text
        and "the leader is 2.100 more tonal" in text
    )


def test_enough_well_separated_seeds_make_a_leader():
    lines, verdict = lines_for(
        {
            "control-gru-2": [4.0, 4.02, 4.04, 4.06, 4.08, 4.1],
            "control-lstm-1": [4.5, 4.52, 4.54, 4.56, 4.58, 4.6],
            "interval-gru-1": [5.0, 5.02, 5.04, 5.06, 5.08, 5.1],
        }
    )
    assert verdict.leads and not verdict.ties
    assert lines[0].startswith("**control-gru-2** leads on `g` (6 seed(s) per configuration)")
    assert any("separate it from every other one" in line for line in lines)
    assert verdict.versus.set_index("other").loc["control-lstm-1", "p_holm"] == pytest.approx(
        6 * 2 / 924
    )  # Holm: 6 pairs


def test_one_seed_degrades_to_a_provisional_ranking():
    lines, verdict = lines_for({"control-gru-2": [4.0], "control-lstm-1": [4.5], "interval-gru-1": [5.0]})
    assert verdict.leader == "control-gru-2" and not verdict.leads
    text = " ".join(lines)
    assert "(1 seed(s) per configuration)" in text and "between-seed SD" not in text
    assert "One seed per configuration" in text and "read the ranking as provisional" in text


def test_the_verdict_says_whether_it_holds_in_corrected_mode():
    paper = {"control-gru-2": [4.0, 4.1, 4.2], "control-lstm-1": [4.3, 4.4, 4.5], "interval-gru-1": [5.0, 5.1, 5.2]}
    corrected = {"control-gru-2": [4.6, 4.7, 4.8], "control-lstm-1": [4.3, 4.4, 4.5], "interval-gru-1": [5.0, 5.1, 5.2]}
    lines, _ = lines_for(paper, corrected)
    assert lines[-1].startswith(
        "In corrected mode (evaluation-corrected/) control-lstm-1 has the lowest mean, not told apart from "
        "control-gru-2, interval-gru-1 (4.400, 95% interval ["
    )
    assert lines[-1].endswith("; control-gru-2 is 0.300 higher there.")
    lines, _ = lines_for(paper, paper)
    assert lines[-1].startswith("In corrected mode (evaluation-corrected/) the same configuration has the lowest")
