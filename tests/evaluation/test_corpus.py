"""Length-matched baselines and the corpus-likeness ranking (rnncells.evaluation.corpus)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rnncells.config.generate import GenerateConfig
from rnncells.evaluation.corpus import (
    CUT_VARIANT,
    corpus_likeness,
    cut_baselines,
    cut_length,
    informative_features,
    rankings,
)
from rnncells.evaluation.evaluate import _features, evaluate_song_sets
from rnncells.evaluation.folder import EvaluationFolder
from rnncells.generation.song_arrays import SongSet


def song_set(name: str, pitches: list[list[int]], splits: list[str] | None = None, variant: str = "control") -> SongSet:
    return SongSet(
        model_name=name,
        variant=variant,
        cell="lstm",
        layers=1,
        source=Path(name),
        pitches=pitches,
        durations=[[2] * len(p) for p in pitches],
        indices=list(range(len(pitches))),
        song_ids=[f"{name}-{i}" for i in range(len(pitches))],
        splits=splits or [],
    )


def walks(rng: np.random.Generator, count: int, length: int, step: int) -> list[list[int]]:
    return [[int(p) for p in 60 + np.cumsum(rng.integers(-step, step + 1, length))] for _ in range(count)]


def test_cut_length_and_cut_baselines():
    generated = song_set("control-lstm-1", [[60] * 10, [60] * 12, [60] * 30])
    dataset = song_set("dataset", [[60, 62] * 20, [60, 62, 64], [61] * 50], ["train", "validation", "train"])
    assert cut_length([generated, dataset]) == 12  # the median generated length; the dataset plays no part
    assert cut_length([dataset]) is None
    cut = cut_baselines(dataset, 12)
    assert [s.model_name for s in cut] == ["dataset-train-cut", "dataset-validation-cut"]  # no test songs: no set
    assert all(s.variant == CUT_VARIANT for s in cut)
    assert [len(p) for p in cut[0].pitches] == [12, 12] and cut[0].song_ids == ["dataset-0", "dataset-2"]
    assert cut[1].pitches == [[60, 62, 64]]  # shorter than the cut: whole
    assert cut[1].info["cut"] == {"split": "validation", "length": 12}


def test_informative_features_drop_constant_and_duplicate_ones():
    rng = np.random.default_rng(1)
    generated = song_set("control-lstm-1", walks(rng, 20, 16, 3))
    table = pd.DataFrame([_features(p, d) for p, d in zip(generated.pitches, generated.durations)])
    used = informative_features({"control-lstm-1": table}, ["control-lstm-1"])
    assert "n_pitch_classes_used" not in used and "pitch_class_count" in used  # one count, under one name
    for rhythm in ("empty_beat_rate", "empty_measure_rate", "groove_consistency"):
        assert rhythm not in used  # every note of a pitch-only song lasts alike
    assert {"pitch_range", "mean_abs_interval", "pitch_entropy"} <= set(used)


def test_a_set_like_the_corpus_ranks_above_one_unlike_it():
    rng = np.random.default_rng(2)
    reference = song_set("dataset", walks(rng, 60, 40, 2), ["train"] * 60)
    like = song_set("control-lstm-1", walks(rng, 40, 40, 2))
    unlike = song_set("control-lstm-2", walks(rng, 40, 40, 9))
    corpus, used = corpus_likeness([like, unlike, reference], reference, 20, _features)
    assert set(corpus["model_name"]) == {"control-lstm-1", "control-lstm-2"}  # the dataset itself is no entry
    assert (corpus["cut_length"] == 20).all() and set(corpus["feature"]) == set(used)
    means = corpus.groupby("model_name")["overlapped_area"].mean()
    assert means["control-lstm-1"] > 0.8 > means["control-lstm-2"]
    songs = pd.DataFrame({"model_name": ["control-lstm-1"] * 2 + ["control-lstm-2"] * 2, "general": [5, 6, 3, 4]})
    songs[["variant", "cell", "layers"]] = ["control", "lstm", 1]
    table = rankings(songs, corpus, {"control-lstm-1": "generated, 40 songs"}, used).set_index("model_name")
    # the smoother walks are more corpus-like but less tonal by mean general (5.5 against 3.5): two rankings
    assert table.loc["control-lstm-1", ["tonality_rank", "corpus_rank"]].tolist() == [2, 1]
    assert table.loc["control-lstm-2", ["tonality_rank", "corpus_rank"]].tolist() == [1, 2]
    assert table.loc["control-lstm-1", "general_mean"] == pytest.approx(5.5)
    assert table.loc["control-lstm-1", "scope"] == "generated, 40 songs"


def test_evaluation_writes_both_rankings_with_the_baselines(small_dataset, tmp_path):
    from rnncells.generation.baseline import generate_ngram

    ngram = generate_ngram(small_dataset, "control", tmp_path / "ngram", GenerateConfig(n_songs=10, length=16))
    out = evaluate_song_sets([ngram], small_dataset, tmp_path / "eval", cut_baselines_too=True)
    folder = EvaluationFolder(out)
    ranks = folder.read_rankings().set_index("model_name")
    name = next(n for n in ranks.index if n.startswith("control-ngram-"))
    assert set(ranks.index) == {name, "dataset-train-cut", "dataset-validation-cut"}  # no test split here
    assert (ranks["cut_length"] == 20).all()  # 4 primer notes + 16
    assert ranks.loc["dataset-validation-cut", "scope"].startswith("validation split cut to 20 notes")
    assert ranks.loc[name, "scope"].startswith("n-gram baseline")
    assert ranks.loc["dataset-train-cut", "corpus_likeness"] > 0.95  # the reference itself (intra vs inter: not 1)
    memorised = folder.read_memorisation().set_index("model_name")
    assert memorised.loc["dataset-train-cut", "copied_share"] < 0.5  # a training song is not its own copy
    summary = folder.read_summary()
    assert "dataset" in set(summary["model_name"])  # the whole-song baseline stays beside the cut ones
