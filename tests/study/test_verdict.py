"""The report's run-level verdict on synthetic run means: a lead only when the tests say so, else the tie, and what
one seed or too few seeds cannot show."""

from __future__ import annotations

import pandas as pd
import pytest

from rnncells.evaluation.replicates import replicate_tables
from rnncells.study.verdict import decide, likeness_lines, verdict_lines


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


def test_three_seeds_with_close_means_name_the_tie():
    lines, verdict = lines_for(
        {
            "control-gru-2": [4.0, 4.2, 4.4],
            "control-lstm-1": [4.1, 4.3, 4.5],
            "interval-gru-1": [5.0, 5.1, 5.2],
            "control-gru-1": [1.0, 1.0, 1.0],  # lower than all, but selection passed it over: not in the family
        }
    )
    assert verdict.leader == "control-gru-2" and not verdict.leads
    assert verdict.ties == ["control-lstm-1"]  # interval-gru-1, 0.9 higher, is told apart
    text = " ".join(lines)
    assert text.startswith("No configuration leads on `g`: **control-gru-2** has the lowest mean (3 seeds per")
    assert "mean general tonality 4.200" in text and "between-seed SD 0.200" in text
    lstm = verdict.versus.set_index("other").loc["control-lstm-1"]
    assert lstm["test"] == "mixed" and lstm["ci_low"] < 0.1 < lstm["ci_high"]
    assert (
        "The next selected configuration, control-lstm-1, is 0.100 higher (95% interval of the difference "
        f"[{lstm['ci_low']:.3f}, {lstm['ci_high']:.3f}], Holm p {lstm['p_holm']:.2g})." in text
    )
    assert "(a mixed model with the seed as a random effect, Holm over the selected configurations and the " in text
    assert "do not tell it from: control-lstm-1 (Holm p" in text
    assert "the exact permutation test on run means gives p 0.7 against control-lstm-1" in text
    assert "cannot go below 0.1" in text
    assert (
        "Against the baselines (each a single song set, with no between-seed variance): dataset (train split, 5 "
        in text
    )
    assert "the leader is 2.000 more tonal" in text


def test_three_well_separated_seeds_make_a_leader_where_permutations_could_not():
    lines, verdict = lines_for(
        {
            "control-gru-2": [4.0, 4.1, 4.2],
            "control-lstm-1": [4.6, 4.7, 4.8],
            "interval-gru-1": [5.0, 5.1, 5.2],
        }
    )
    assert verdict.leads and not verdict.ties
    assert lines[0].startswith("**control-gru-2** leads on `g` (3 seeds per configuration)")
    assert any("separate it from every other selected configuration" in line for line in lines)
    versus = verdict.versus.set_index("other")
    assert (versus["test"] == "mixed").all() and (versus["p_holm"] < 0.05).all()
    assert versus.loc["control-lstm-1", "p_permutation"] == pytest.approx(0.1)  # the floor of 3 against 3
    # Holm over the 6 pairs of the family: the smallest p times 6, the next times 5, ...
    assert versus.loc["interval-gru-1", "p_holm"] == pytest.approx(6 * versus.loc["interval-gru-1", "p_value"])


def test_a_partly_finished_replicate_compares_what_each_configuration_has():
    lines, verdict = lines_for(
        {"control-gru-2": [4.0, 4.1, 4.2, 4.0], "control-lstm-1": [4.6, 4.7], "interval-gru-1": [5.0]}
    )
    text = " ".join(lines)
    assert "(1 to 4 seeds per configuration)" in text
    assert "Not every configuration has all 4 seeds yet (control-lstm-1 2, interval-gru-1 1)" in text
    versus = verdict.versus.set_index("other")
    assert versus.loc["interval-gru-1", "test"] == "mixed"  # one seed borrows the seed variance of the other side
    assert versus.loc["control-lstm-1", "test"] in {"mixed", "welch-runs"}
    if versus.loc["control-lstm-1", "test"] == "welch-runs":
        assert "Against control-lstm-1 the mixed model put the seed variance at zero" in text


def test_one_seed_degrades_to_a_provisional_ranking():
    lines, verdict = lines_for({"control-gru-2": [4.0], "control-lstm-1": [4.5], "interval-gru-1": [5.0]})
    assert verdict.leader == "control-gru-2" and not verdict.leads
    text = " ".join(lines)
    assert "(1 seed per configuration)" in text and "between-seed SD" not in text
    assert "One seed per configuration" in text and "read the ranking as provisional" in text
    assert (
        "Against the baselines (each a single song set, with no between-seed variance; with one seed of the leader no "
        "run-level test is possible): dataset (train split, 5 songs) 6.200" in text
    )
    assert "the leader is 2.200 more tonal)." in text and "Holm" not in text and "nan" not in text


def test_the_verdict_says_whether_it_holds_in_corrected_mode():
    paper = {"control-gru-2": [4.0, 4.2, 4.4], "control-lstm-1": [4.1, 4.3, 4.5], "interval-gru-1": [5.0, 5.4, 5.8]}
    corrected = {"control-gru-2": [4.4, 4.6, 4.8], "control-lstm-1": [4.1, 4.3, 4.5], "interval-gru-1": [5.0, 5.4, 5.8]}
    lines, _ = lines_for(paper, corrected)
    assert lines[-1].startswith(
        "In corrected mode (evaluation-corrected/) control-lstm-1 has the lowest mean, not told apart from "
        "control-gru-2, interval-gru-1 (4.300, 95% interval ["
    )
    assert lines[-1].endswith("; control-gru-2 is 0.300 higher there.")
    lines, _ = lines_for(paper, paper)
    assert lines[-1].startswith("In corrected mode (evaluation-corrected/) the same configuration has the lowest")


def test_the_second_ranking_averages_each_configurations_runs_and_places_the_leader():
    _, verdict = lines_for(
        {"control-gru-2": [4.0, 4.1, 4.2], "control-lstm-1": [4.1, 4.2, 4.3], "interval-gru-1": [4.3]}
    )
    likeness = {"control-gru-2": [0.70, 0.80, 0.75], "control-lstm-1": [0.90, 0.80, 0.85], "interval-gru-1": [0.60]}
    rows = [
        {"model_name": f"{name}-seed{seed}" if len(values) > 1 else name, "corpus_likeness": value}
        for name, values in likeness.items()
        for seed, value in enumerate(values)
    ]
    rows += [
        {"model_name": "dataset-test-cut", "corpus_likeness": 0.95},
        {"model_name": "dataset", "corpus_likeness": 1},
    ]
    rankings = pd.DataFrame(rows).assign(cut_length=34, features="pitch_range;pitch_entropy")
    [line] = likeness_lines(verdict, rankings, MODELS)
    assert verdict.leader == "control-gru-2"
    assert "2 per-song feature distributions" in line and "cut to 34 notes" in line
    assert "most corpus-like selected configuration is **control-lstm-1** (0.850)" in line
    assert "the tonality leader ranks 2 of 3 (0.750); the test songs, cut alike, reach 0.950." in line
    top = rankings.assign(
        corpus_likeness=rankings["corpus_likeness"].where(rankings["model_name"] != "control-lstm-1-seed0", 0.0)
    )
    assert "the tonality leader is also the most corpus-like (0.750)" in likeness_lines(verdict, top, MODELS)[0]
    assert likeness_lines(verdict, None, MODELS) == []
