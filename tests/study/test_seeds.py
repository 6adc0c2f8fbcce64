"""The answer seed by seed (rnncells.study.seeds): each seed's own selection and leader, the grid's answer over all
seeds and over the seeds every configuration has, on hand-made selections; a partly finished replicate never
crashes and one seed gives no table."""

from __future__ import annotations

import pandas as pd
import pytest

from rnncells.study.seeds import (
    ALL_SEEDS,
    grid_seeds,
    replicated_scope,
    seed_counts,
    seed_section,
    seed_sentence,
    seed_table,
)


def selection_of(scores: dict[str, dict[str, dict[int, float]]]) -> dict:
    """selection.json as the grid writes it: per group the run scores and the configuration with the lowest mean."""
    selection = {}
    for group, configurations in scores.items():
        means = {name: sum(runs.values()) / len(runs) for name, runs in configurations.items()}
        chosen = min(means, key=means.get)
        run_scores = {name: {f"{name}-seed{s}": v for s, v in runs.items()} for name, runs in configurations.items()}
        selection[group] = {"selected": chosen, "runs": list(run_scores[chosen]), "run_scores": run_scores}
    return selection


def runs_of(tonality: dict[str, dict[int, float]]) -> pd.DataFrame:
    """runs.csv: each run's mean general tonality."""
    rows = [
        {"model_name": f"{name}-seed{seed}", "configuration": name, "seed": seed, "general": value}
        for name, seeds in tonality.items()
        for seed, value in seeds.items()
    ]
    rows.append({"model_name": "dataset", "configuration": "dataset", "seed": None, "general": 1.0})
    table = pd.DataFrame(rows)
    table["seed"] = table["seed"].astype("Int64")
    return table


SCORES = {  # best validation loss per seed: seed 1 prefers gru-1, the mean prefers gru-2
    "control-gru": {"control-gru-1": {0: 2.0, 1: 1.5}, "control-gru-2": {0: 1.6, 1: 1.7}},
    "control-lstm": {"control-lstm-1": {0: 1.0, 1: 1.0}, "control-lstm-2": {0: 2.0, 1: 2.0}},
}
TONALITY = {
    "control-gru-1": {0: 4.0, 1: 3.9},
    "control-gru-2": {0: 4.1, 1: 4.3},
    "control-lstm-1": {0: 4.2, 1: 4.0},
    "control-lstm-2": {0: 3.0, 1: 3.0},  # most tonal, but never selected
}


def test_each_seed_selects_and_ranks_on_its_own():
    selection = selection_of(SCORES)
    table = seed_table(selection, runs_of(TONALITY)).set_index("seeds")
    assert list(table.index) == ["seed 0", "seed 1", ALL_SEEDS] and grid_seeds(selection) == [0, 1]
    # seed 0: gru-2 (1.6 < 2.0) and lstm-1; leader by seed-0 tonality 4.1 < 4.2
    assert table.loc["seed 0", ["control-gru", "control-lstm", "leader"]].tolist() == ["2", "1", "control-gru-2"]
    assert table.loc["seed 0", "general"] == pytest.approx(4.1)
    # seed 1: gru-1 (1.5 < 1.7) and lstm-1; leader gru-1 by seed-1 tonality 3.9 < 4.0
    assert table.loc["seed 1", ["control-gru", "leader", "general"]].tolist() == ["1", "control-gru-1", 3.9]
    # over both seeds: selection's gru-2 (mean 1.65 < 1.75) and lstm-1; tonality 4.2 against 4.1
    assert table.loc[ALL_SEEDS, ["control-gru", "leader"]].tolist() == ["2", "control-lstm-1"]
    assert table.loc[ALL_SEEDS, "general"] == pytest.approx(4.1)
    text = seed_sentence(table.reset_index(), ["control-gru-2"], leads=False)
    assert text == (
        "Seed by seed, seed 0 and seed 1 name different leaders (seed 0 control-gru-2; seed 1 control-gru-1); "
        "their mean names control-lstm-1, tied with control-gru-2; selection's choice differs between seeds for "
        "control-gru (table: the answer seed by seed)."
    )


def test_the_same_answer_in_every_seed_is_said_so():
    scores = {"control-gru": {"control-gru-1": {0: 1.0, 1: 1.0, 2: 1.0}, "control-gru-2": {0: 2.0, 1: 2.0, 2: 2.0}}}
    scores["control-lstm"] = {"control-lstm-1": {0: 1.0, 1: 1.0, 2: 1.0}}
    tonality = {"control-gru-1": {0: 4.0, 1: 4.0, 2: 4.1}, "control-lstm-1": {0: 4.5, 1: 4.6, 2: 4.4}}
    table = seed_table(selection_of(scores), runs_of(tonality))
    assert len(table) == 4 and set(table["leader"]) == {"control-gru-1"}
    assert seed_sentence(table, [], leads=True) == (
        "Seed by seed, seed 0, seed 1 and seed 2 all name control-gru-1 the most tonal selected configuration; their "
        "mean names control-gru-1, which leads; selection picks the same configuration in every seed (table: the "
        "answer seed by seed)."
    )


def test_a_partly_finished_replicate_compares_like_with_like(tmp_path):
    """control-gru-2 has only seed 0 and seed 1 of control-lstm-1 is unscored: seed 1 chooses among what has it, a
    missing tonality leaves a group out of the leader, and the common-seed row uses seed 0 alone."""
    scores = {
        "control-gru": {"control-gru-1": {0: 2.0, 1: 2.0}, "control-gru-2": {0: 1.0}},
        "control-lstm": {"control-lstm-1": {0: 1.0, 1: 1.0}},
    }
    selection = selection_of(scores)
    assert selection["control-gru"]["selected"] == "control-gru-2"  # its one seed's 1.0 beats the other's mean 2.0
    tonality = {"control-gru-1": {0: 4.0, 1: 4.4}, "control-gru-2": {0: 4.5}, "control-lstm-1": {0: 4.2}}
    table = seed_table(selection, runs_of(tonality)).set_index("seeds")
    assert table.loc["seed 1", "control-gru"] == "1"  # control-gru-2 has no seed 1: not a candidate
    assert table.loc["seed 1", "leader"] == "control-gru-1"  # lstm-1's seed-1 run was not scored
    common = "mean, seeds 0 (common)"
    assert table.loc[common, ["control-gru", "leader"]].tolist() == ["2", "control-lstm-1"]
    assert table.loc[ALL_SEEDS, "leader"] == "control-lstm-1"
    assert seed_counts(selection) == {"control-gru-1": 2, "control-gru-2": 1, "control-lstm-1": 2}
    section, written = seed_section("g", selection, runs_of(tonality), tmp_path)
    assert "Not every configuration has all 2 seeds: control-gru-2 1 (the others 2)." in section.lines
    saved = pd.read_csv(tmp_path / "g-seeds.csv", dtype=str)
    assert saved["seeds"].tolist() == ["seed 0", "seed 1", ALL_SEEDS, common]
    assert saved["leader"].tolist() == written["leader"].tolist()
    assert "1 run(s) a seed chose on its own were not scored (control-lstm-1 seed 1;" in " ".join(section.lines)
    caption, shown = section.tables[0]  # the report's table: a column per seed, a row per group
    assert list(shown.columns) == ["per seed", "seed 0", "seed 1", ALL_SEEDS, common]
    assert shown.set_index("per seed").loc["control-gru"].tolist() == ["2", "1", "2", "2"]
    assert shown.set_index("per seed").loc["general"].tolist() == ["4.200", "4.400", "4.200", "4.200"]


def test_one_seed_or_an_old_selection_gives_no_table():
    one = selection_of({"control-gru": {"control-gru-1": {0: 1.0}, "control-gru-2": {0: 2.0}}})
    assert seed_table(one, runs_of({"control-gru-1": {0: 4.0}})) is None
    old = {"control-gru": {"selected": "control-gru-1", "candidates": {"control-gru-1": 1.0}}}
    assert seed_table(old, runs_of({})) is None and grid_seeds(old) == []


def test_runs_named_with_another_axis_count_as_scored_and_a_partial_replicate_says_so():
    """A grid sweeping units names its runs control-gru-1-seed1-units256: the seed sits inside the name, so a
    seed's choice is looked up by configuration and seed, not by spelling the name; and when only the first seed's
    selection got more seeds, the later seeds' agreement is said to be by construction."""
    from rnncells.study.seeds import unscored_choices

    scores = {"control-gru": {"control-gru-1-units256": {0: 1.0, 1: 1.1}, "control-gru-1-units128": {0: 1.5}}}
    selection = selection_of(scores)
    rows = [
        ("control-gru-1-seed0-units256", "control-gru-1-units256", 0, 4.0),
        ("control-gru-1-seed1-units256", "control-gru-1-units256", 1, 4.2),
        ("control-gru-1-seed0-units128", "control-gru-1-units128", 0, 4.5),
    ]
    runs = pd.DataFrame(rows, columns=["model_name", "configuration", "seed", "general"])
    table = seed_table(selection, runs)
    assert unscored_choices(table, runs) == []
    assert unscored_choices(table, runs[runs["seed"] == 0]) == ["control-gru-1-units256 seed 1"]
    text = seed_sentence(table, [], leads=True, partial=True)
    assert "the later seeds were run for the first seed's selected configurations only" in text
    assert "selection picks the same configuration in every seed" not in text


def test_later_seeds_run_for_several_depths_had_a_choice_and_the_sentence_says_among_how_many():
    """Seeds 1-2 run for depths 1-2 of each group (depth 3 on seed 0 only): every seed still chooses between two
    depths, so agreement is a finding, not a construction, and the sentence counts the configurations."""
    scores = {
        "control-gru": {
            "control-gru-1": {0: 1.0, 1: 1.1, 2: 1.0},
            "control-gru-2": {0: 1.5, 1: 1.4, 2: 1.6},
            "control-gru-3": {0: 2.0},
        },
        "control-lstm": {"control-lstm-1": {0: 1.2, 1: 1.2, 2: 1.3}, "control-lstm-2": {0: 1.9, 1: 1.8, 2: 1.7}},
    }
    selection = selection_of(scores)
    assert replicated_scope(selection) == (4, 5, True)
    tonality = {
        name: {seed: 4.0 + seed / 10 + len(name) / 100 for seed in runs}
        for c in scores.values()
        for name, runs in c.items()
    }
    table = seed_table(selection, runs_of(tonality))
    text = seed_sentence(table, [], leads=True, partial=True, scope=replicated_scope(selection))
    assert "the later seeds were run for 4 of the 5 configurations, and among those selection picks the same" in text
    assert "repeat its choice" not in text
    only_selected = selection_of(
        {g: {n: r for n, r in c.items() if n.endswith("-1") or len(r) == 1} for g, c in scores.items()}
    )
    assert replicated_scope(only_selected)[2] is False  # one replicated configuration a group: no choice
