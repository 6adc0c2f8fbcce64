"""evaluate_song_sets on synthetic song sets written in the shared format (generation.json + songs.jsonl)."""

from __future__ import annotations

import json
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from music_geometry_eval import music_geometry_eval as mge
from scipy import stats

from rnncells.evaluation.columns import FEATURE_COLUMNS
from rnncells.evaluation.evaluate import (
    EvaluationError,
    evaluate_song_sets,
    holm,
    pairwise_tests,
    rank_biserial,
)
from rnncells.evaluation.folder import EvaluationFolder
from rnncells.locks import LOCK_FILE
from rnncells.music import metrics, yang_lerch

METRICS = ["cmm", "lm", "centr", "general"]
# model name -> largest step of its random walk: step 1 is smooth, step 7 jumps around.
MODELS = {"control-lstm-1": 1, "interval-gru-2": 7, "transposed-rnn-1": 3}


def random_walk(rng: np.random.Generator, length: int, step: int) -> list[int]:
    return [int(p) for p in np.clip(60 + np.cumsum(rng.integers(-step, step + 1, length)), 30, 100)]


def write_song_set(root: Path, name: str, step: int, songs: int = 20, seed: int = 0) -> Path:
    variant, cell, layers = name.split("-")
    folder = root / name
    folder.mkdir(parents=True)
    generation = {
        "model_name": name,
        "variant": variant,
        "cell": cell,
        "layers": int(layers),
        "units": 32,
        "representation": "pitch",
        "run": f"runs/{name}",
        "dataset": "data",
        "config": {"n": 30},
    }
    (folder / "generation.json").write_text(json.dumps(generation))
    rng = np.random.default_rng(seed + step)
    rows = []
    for index in range(songs):
        pitches = random_walk(rng, 34, step)
        rows.append(
            {"index": index, "pitches": pitches, "durations": rng.integers(1, 5, 34).tolist(), "tokens": pitches}
        )
    (folder / "songs.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    return folder


def write_dataset(root: Path, train: int = 24, other: int = 6) -> Path:
    rng = np.random.default_rng(99)
    rows = []
    for song in range(train + other):
        pitches = random_walk(rng, 40, 2)
        split = "train" if song < train else ("test" if song % 2 else "validation")
        rows.append(
            {
                "id": f"{song:05d}_{song}",
                "song": song,
                "source": f"song_{song}.mid",
                "artist": None,
                "title": None,
                "split": split,
                "transposition": 0,
                "base_note": None,
                "tokens": pitches,
                "pitches": pitches,
                "durations": rng.integers(1, 5, 40).tolist(),
                "bpm": None,
            }
        )
    (root / "dataset" / "control").mkdir(parents=True)
    (root / "dataset" / "control" / "songs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return root / "dataset"


@pytest.fixture(scope="module")
def evaluation(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("evaluate")
    dirs = [write_song_set(root, name, step) for name, step in MODELS.items()]
    dataset = write_dataset(root)
    out = evaluate_song_sets(dirs, dataset, root / "eval")
    songs_by_model = {
        name: [json.loads(line) for line in (folder / "songs.jsonl").read_text().splitlines()]
        for name, folder in zip(MODELS, dirs, strict=True)
    }
    train = [json.loads(line) for line in (dataset / "control" / "songs.jsonl").read_text().splitlines()]
    songs_by_model["dataset"] = [row for row in train if row["split"] == "train"]
    return {
        "out": out,
        "raw": songs_by_model,
        **{
            name: pd.read_csv(out / f"{name}.csv")
            for name in ("songs", "summary", "best_songs", "representative_songs", "tests", "comparison")
        },
    }


def test_writes_every_file_listed_in_evaluation_json(evaluation):
    out = evaluation["out"]
    described = json.loads((out / "evaluation.json").read_text())
    assert sorted(described["files"]) == sorted(p.name for p in out.iterdir() if p.name != LOCK_FILE)
    assert described["settings"] == {"mode": "paper", "span": 12, "rhythm": False}
    assert [i["model_name"] for i in described["inputs"]] == list(MODELS)
    assert described["dataset"]["songs"] == 24 and described["dataset"]["split"] == "train"
    assert "rank-biserial" in described["statistics"]["effect_size"]
    assert not list(out.glob(".*.tmp"))


def test_songs_csv_scores_every_song_like_the_reference_library(evaluation):
    songs = evaluation["songs"]
    ids = ["model_name", "variant", "cell", "layers", "index", "song_id"]
    assert list(songs.columns[:10]) == ids + METRICS
    assert set(metrics.FEATURE_NAMES) <= set(songs.columns)
    counts = songs.groupby("model_name", sort=False).size().to_dict()
    assert counts == {**{name: 20 for name in MODELS}, "dataset": 24}
    for name, rows in evaluation["raw"].items():
        scored = songs[songs["model_name"] == name]
        for row, (_, got) in list(zip(rows, scored.iterrows(), strict=True))[:5]:
            pitches = row["pitches"]
            cmm = mge.calculate_conjunct_melodic_motion(pitches)
            lm = mge.calculate_limited_macroharmony(pitches, 12)
            centr = mge.calculate_centricity(pitches, 12)
            assert got[METRICS].tolist() == pytest.approx([cmm, lm, centr, cmm + lm + centr])
            features = metrics.distribution_features(pitches)
            assert got[list(features)].tolist() == pytest.approx(list(features.values()))
    control = songs[songs["model_name"] == "control-lstm-1"].iloc[0]
    assert control[ids[1:4] + ["song_id"]].tolist() == ["control", "lstm", 1, "song_000"]
    baseline = songs[songs["model_name"] == "dataset"]
    assert set(baseline["variant"]) == {"dataset"} and baseline["layers"].isna().all()
    assert baseline["song_id"].tolist() == [row["id"] for row in evaluation["raw"]["dataset"]]


def test_summary_equals_scipy_describe_and_tstd(evaluation):
    songs, summary = evaluation["songs"], evaluation["summary"]
    measures = len(METRICS) + len(FEATURE_COLUMNS) + 4  # and shared_run, ngram4/8_in_train, copied
    assert len(summary) == 4 * measures
    assert summary["metric"].tolist()[: 4 * len(METRICS)] == METRICS * 4  # the tonality metrics first, as before
    for (name, metric), row in summary.set_index(["model_name", "metric"]).iterrows():
        values = songs.loc[songs["model_name"] == name, metric].dropna().to_numpy()
        described = stats.describe(values)
        assert row["n"] == described.nobs
        # the tables keep 7 significant digits (rnncells.files.compact_csv); a feature is summarised from its full
        # value, so the spread of its stored values differs a little more
        assert row["mean"] == pytest.approx(described.mean, rel=1e-6)
        assert row["variance"] == pytest.approx(described.variance, rel=1e-5)
        assert row["std"] == pytest.approx(stats.tstd(values), rel=1e-5)
        assert (row["min"], row["max"]) == pytest.approx(described.minmax)


def test_representative_song_is_nearest_to_the_mean_point(evaluation):
    songs, representative = evaluation["songs"], evaluation["representative_songs"]
    assert representative["model_name"].tolist() == [*MODELS, "dataset"]
    for _, chosen in representative.iterrows():
        group = songs[songs["model_name"] == chosen["model_name"]]
        points = group[["cmm", "lm", "centr"]].to_numpy()
        distances = np.sqrt(((points - points.mean(axis=0)) ** 2).sum(axis=1))
        nearest = group.iloc[int(np.argmin(distances))]
        assert chosen["index"] == nearest["index"]
        assert chosen["distance"] == pytest.approx(distances.min())
        assert (distances >= chosen["distance"] * (1 - 1e-6)).all()  # stored with 7 significant digits
        centre = [chosen["mean_cmm"], chosen["mean_lm"], chosen["mean_centr"]]
        assert centre == pytest.approx(points.mean(axis=0))


def test_best_song_has_the_lowest_general_tonality(evaluation):
    songs, best = evaluation["songs"], evaluation["best_songs"]
    for _, chosen in best.iterrows():
        group = songs[songs["model_name"] == chosen["model_name"]]
        assert chosen["general"] == group["general"].min()
        assert chosen["index"] == group.loc[group["general"].idxmin(), "index"]


def test_holm_by_hand():
    # sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> kept monotone at 0.06
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.2]) == pytest.approx([0.5, 0.4])
    assert holm([0.9, 0.8, 0.7]) == pytest.approx([1.0, 1.0, 1.0])  # capped at 1
    adjusted = holm([0.02, float("nan"), 0.01])
    assert np.isnan(adjusted[1]) and adjusted[[0, 2]] == pytest.approx([0.02, 0.02])


def test_rank_biserial_by_hand():
    u = stats.mannwhitneyu([1, 2, 3], [4, 5, 6], alternative="two-sided").statistic
    assert rank_biserial(u, 3, 3) == -1.0
    u = stats.mannwhitneyu([4, 5, 6], [1, 2, 3], alternative="two-sided").statistic
    assert rank_biserial(u, 3, 3) == 1.0
    # a = [1, 3], b = [2]: pairs (1<2), (3>2) -> P(a>b) - P(a<b) = 0
    assert rank_biserial(stats.mannwhitneyu([1, 3], [2]).statistic, 2, 1) == 0.0


def test_pairwise_tests_mann_whitney_effect_size_and_holm(evaluation):
    songs, tests = evaluation["songs"], evaluation["tests"]
    names = [*MODELS, "dataset"]
    assert len(tests) == len(METRICS) * len(list(combinations(names, 2)))
    for metric, group in tests.groupby("metric"):
        assert group["p_holm"].to_numpy() == pytest.approx(holm(group["p_value"].to_numpy()))
        assert (group["p_holm"] >= group["p_value"] - 1e-15).all()
        for _, row in group.iterrows():
            a = songs.loc[songs["model_name"] == row["model_a"], metric]
            b = songs.loc[songs["model_name"] == row["model_b"], metric]
            expected = stats.mannwhitneyu(a, b, alternative="two-sided")
            assert row["u_statistic"] == expected.statistic
            assert row["p_value"] == pytest.approx(expected.pvalue)
            assert row["rank_biserial"] == pytest.approx(2 * expected.statistic / (len(a) * len(b)) - 1)
            assert row["significant"] == (row["p_holm"] < 0.05)
    # Steps of 1 against steps of 7: clearly different CMM, a tiny p and the smooth model scoring lower.
    smooth_vs_jumpy = tests[
        (tests["metric"] == "cmm") & (tests["model_a"] == "control-lstm-1") & (tests["model_b"] == "interval-gru-2")
    ].iloc[0]
    assert smooth_vs_jumpy["p_holm"] < 1e-5 and smooth_vs_jumpy["significant"]
    assert smooth_vs_jumpy["rank_biserial"] == -1.0


def test_pairwise_tests_small_and_tied_samples_match_scipy_pair_by_pair():
    rng = np.random.default_rng(3)
    sizes = {"a": 5, "b": 5, "c": 12, "d": 12, "e": 7}
    songs = pd.DataFrame(
        [
            {
                "model_name": name,
                "cmm": float(rng.integers(0, 4)),
                "lm": rng.normal(),
                "centr": rng.normal(),
                "general": rng.normal(),
            }
            for name, size in sizes.items()
            for _ in range(size)
        ]
    )
    tests = pairwise_tests(songs)
    assert len(tests) == len(METRICS) * 10
    for _, row in tests.iterrows():
        a = songs.loc[songs["model_name"] == row["model_a"], row["metric"]]
        b = songs.loc[songs["model_name"] == row["model_b"], row["metric"]]
        expected = stats.mannwhitneyu(a, b, alternative="two-sided")
        assert (row["u_statistic"], row["p_value"]) == (expected.statistic, pytest.approx(expected.pvalue))


def test_comparison_against_training_features(evaluation):
    comparison = evaluation["comparison"]
    assert comparison["model_name"].unique().tolist() == list(MODELS)
    assert set(comparison["feature"]) == set(FEATURE_COLUMNS) > set(metrics.FEATURE_NAMES)
    raw = evaluation["raw"]
    expected = yang_lerch.compare_feature_sets(
        [metrics.distribution_features(r["pitches"]) for r in raw["interval-gru-2"]],
        [metrics.distribution_features(r["pitches"]) for r in raw["dataset"]],
    )
    got = comparison[comparison["model_name"] == "interval-gru-2"].set_index("feature")
    for feature, values in expected.items():
        assert got.loc[feature, "overlapped_area"] == pytest.approx(values["overlapped_area"])
        assert got.loc[feature, "kl_divergence"] == pytest.approx(values["kl_divergence"])


def test_without_dataset_and_other_modes(tmp_path):
    folder = write_song_set(tmp_path, "control-lstm-3", 2, songs=6)
    rows = [json.loads(line) for line in (folder / "songs.jsonl").read_text().splitlines()]
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "comparison.csv").write_text("from an earlier run\n")
    out = evaluate_song_sets([folder], None, tmp_path / "plain")
    assert not (out / "comparison.csv").exists()
    assert set(pd.read_csv(out / "songs.csv")["model_name"]) == {"control-lstm-3"}
    assert pd.read_csv(out / "tests.csv").empty
    assert json.loads((out / "evaluation.json").read_text())["dataset"] is None

    out = evaluate_song_sets([folder], None, tmp_path / "c", mode="corrected", span=8)
    corrected = pd.read_csv(out / "songs.csv")
    expected = metrics.score_songs([r["pitches"] for r in rows], mode="corrected", span=8)
    assert corrected[METRICS].to_numpy() == pytest.approx(expected)

    rhythm = pd.read_csv(evaluate_song_sets([folder], None, tmp_path / "r", rhythm=True) / "songs.csv")
    for row, (_, got) in zip(rows, rhythm.iterrows(), strict=True):
        expected = metrics.tonality_rhythm(row["pitches"], row["durations"])
        assert got[METRICS].tolist() == pytest.approx([expected[m] for m in METRICS])


def _one_line_error(call) -> str:
    with pytest.raises(EvaluationError) as caught:
        call()
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_bad_inputs_raise_one_line_errors_naming_the_folder(tmp_path):
    empty_folder = tmp_path / "no-songs"
    empty_folder.mkdir()
    message = _one_line_error(lambda: evaluate_song_sets([empty_folder], None, tmp_path / "out"))
    assert str(empty_folder) in message and "songs.jsonl" in message and "generation.json" in message

    empty_set = write_song_set(tmp_path, "control-lstm-1", 1, songs=0)
    message = _one_line_error(lambda: evaluate_song_sets([empty_set], None, tmp_path / "out"))
    assert str(empty_set / "songs.jsonl") in message and "no songs" in message

    assert "nothing to evaluate" in _one_line_error(lambda: evaluate_song_sets([], None, tmp_path / "out"))

    good = write_song_set(tmp_path, "interval-gru-1", 1, songs=3)
    message = _one_line_error(lambda: evaluate_song_sets([good, good], None, tmp_path / "out"))
    assert "interval-gru-1" in message and "own model_name" in message

    message = _one_line_error(lambda: evaluate_song_sets([good], tmp_path / "nowhere", tmp_path / "out"))
    assert "control/songs.jsonl" in message and str(tmp_path / "nowhere") in message

    short = write_song_set(tmp_path, "control-nas-1", 1, songs=2)
    (short / "songs.jsonl").write_text(json.dumps({"index": 0, "pitches": [60], "durations": [1]}) + "\n")
    message = _one_line_error(lambda: evaluate_song_sets([short], None, tmp_path / "out"))
    assert str(short / "songs.jsonl") in message and "at least 2 notes" in message
    assert not (tmp_path / "out").exists()


def test_dataset_alone_gives_the_baseline(tmp_path):
    dataset = write_dataset(tmp_path)
    out = evaluate_song_sets([], dataset, tmp_path / "baseline")
    summary = pd.read_csv(out / "summary.csv")
    assert set(summary["model_name"]) == {"dataset"} and set(summary["n"]) == {24}
    assert pd.read_csv(out / "comparison.csv").empty  # no model to compare with the training set


def test_run_level_tables_agree_with_the_songs(evaluation):
    """Without seeds every set is a configuration of one run: its mean is its song mean, its seed SD undefined."""
    tables = EvaluationFolder(evaluation["out"]).read_replicates()
    songs = evaluation["songs"]
    runs = tables["runs"].set_index("model_name")
    assert list(runs.index) == [*MODELS, "dataset"]
    means = songs.groupby("model_name")["general"].mean()
    assert runs["general"].to_dict() == pytest.approx(means.to_dict())
    general = tables["configurations"].query("metric == 'general'").set_index("configuration")
    assert general["mean"].to_dict() == pytest.approx(means.to_dict()) and general["seed_sd"].isna().all()
    assert (general["ci_low"] <= general["mean"]).all() and (general["mean"] <= general["ci_high"]).all()
    assert len(tables["run_tests"]) == len(runs) * (len(runs) - 1) // 2  # every set is in the family
