"""The evaluation folder module: its write order and file list, its readers, the names declared once."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from rnncells.evaluation import columns
from rnncells.evaluation import folder as evaluation
from rnncells.evaluation.folder import EvaluationFolder, EvaluationFolderError, read_songs_table
from rnncells.music.metrics import SCORE_COLUMNS


def songs_frame() -> pd.DataFrame:
    rows = [
        {"model_name": "control-lstm-1", "variant": "control", "cell": "lstm", "layers": 1, "index": 0},
        {"model_name": "dataset", "variant": "dataset", "cell": "", "layers": None, "index": 0},
    ]
    frame = pd.DataFrame(rows)
    frame["layers"] = pd.array(frame["layers"].tolist(), dtype="Int64")
    frame["song_id"] = ["song_000", "00003"]
    for number, metric in enumerate(columns.METRICS):
        frame[metric] = [1.0 + number, 2.0 + number]
    frame["pitch_range"] = [12.0, 7.0]
    return frame


def summary_frame(songs: pd.DataFrame) -> pd.DataFrame:
    rows = [
        {**row[list(columns.MODEL_COLUMNS)].to_dict(), "metric": m, "n": 1, "mean": row[m], "variance": 0.5}
        | {"std": 0.7, "min": row[m], "max": row[m]}
        for _, row in songs.iterrows()
        for m in columns.METRICS
    ]
    return pd.DataFrame(rows)


def test_names_are_declared_once_and_fit_together():
    assert columns.METRICS is SCORE_COLUMNS and columns.BASELINE_MODEL == "dataset"
    assert columns.BEST_COLUMNS[-4:] == columns.METRICS
    assert columns.REPRESENTATIVE_COLUMNS[-3:] == ("mean_cmm", "mean_lm", "mean_centr")
    assert set(evaluation.TABLE_COLUMNS) == {
        "songs.csv",
        "summary.csv",
        "best_songs.csv",
        "representative_songs.csv",
        "tests.csv",
        "comparison.csv",
        "memorisation.csv",
        "corpus_likeness.csv",
        "rankings.csv",
        "runs.csv",
        "configurations.csv",
        "run_tests.csv",
        "variance.csv",
    }


def test_write_puts_the_record_last_and_drops_stale_tables(tmp_path):
    folder = EvaluationFolder(tmp_path / "eval")
    (tmp_path / "eval").mkdir()
    (tmp_path / "eval" / "comparison.csv").write_text("from an earlier run\n")
    songs = songs_frame()
    tables = {"songs.csv": songs, "summary.csv": summary_frame(songs)}
    folder.write(tables, {"settings": {"mode": "paper"}})
    record = folder.read_record()
    assert record["files"] == ["songs.csv", "summary.csv", "evaluation.json"] and record["format_version"] == 1
    assert record["settings"] == {"mode": "paper"} and folder.is_complete()
    assert not (tmp_path / "eval" / "comparison.csv").exists()
    assert folder.table_paths() == [folder.path / "songs.csv", folder.path / "summary.csv"]
    assert (tmp_path / "eval" / "songs.csv").read_text() == songs.to_csv(index=False)  # short floats as they are

    summary = folder.read_summary()
    baseline = summary[summary["model_name"] == columns.BASELINE_MODEL]
    assert set(baseline["cell"]) == {""} and baseline["layers"].isna().all()
    assert list(folder.read_songs().columns) == list(songs.columns)

    with pytest.raises(ValueError, match="do not start with"):
        folder.write({"tests.csv": pd.DataFrame({"metric": []})}, {})
    assert folder.is_complete(), "a refused write leaves the folder as it was"


def test_readers_name_the_missing_or_damaged_file(tmp_path):
    with pytest.raises(EvaluationFolderError, match="no such folder"):
        EvaluationFolder(tmp_path / "nowhere").read_summary()
    with pytest.raises(EvaluationFolderError, match="no best_songs.csv; expected a folder written by"):
        EvaluationFolder(tmp_path).read_best_songs()
    with pytest.raises(EvaluationFolderError, match="run `rnncells evaluate` first"):
        read_songs_table(tmp_path / "songs.csv")
    pd.DataFrame({"model_name": ["dataset"], "variant": ["control"], "cmm": [1.0]}).to_csv(
        tmp_path / "songs.csv", index=False
    )
    with pytest.raises(EvaluationFolderError, match=r"missing column\(s\) cell, layers, index, lm, centr, general"):
        EvaluationFolder(tmp_path).read_songs()
    (tmp_path / "evaluation.json").write_text("{")
    with pytest.raises(EvaluationFolderError) as caught:
        EvaluationFolder(tmp_path).read_record()
    assert str(tmp_path / "evaluation.json") in str(caught.value) and "JSONDecodeError" in str(caught.value)
    (tmp_path / "evaluation.json").write_text(json.dumps({"files": []}))
    assert EvaluationFolder(tmp_path).read_record() == {"files": []}


def test_the_record_holds_each_tables_checksum_and_damage_is_named(tmp_path):
    folder = EvaluationFolder(tmp_path / "eval")
    songs = songs_frame()
    folder.write({"songs.csv": songs, "summary.csv": summary_frame(songs)}, {})
    checksums = folder.read_record()["checksums"]
    assert set(checksums) == {"songs.csv", "summary.csv"} and folder.damage() == []
    (folder.path / "summary.csv").write_text((folder.path / "summary.csv").read_text()[:40])
    assert [d.path.name for d in folder.damage()] == ["summary.csv"]
    (folder.path / "summary.csv").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(EvaluationFolderError, match="summary.csv: damaged"):
        folder.read_summary()
    (folder.path / "songs.csv").write_text("")
    with pytest.raises(EvaluationFolderError, match="songs.csv: damaged"):
        folder.read_songs()


def pairwise_frame() -> pd.DataFrame:
    names = ("control-lstm-1", "control-lstm-2", "dataset")
    rows = [
        {"metric": "general", "model_a": a, "model_b": b, "n_a": 100, "n_b": 100, "median_a": 4.0, "median_b": 5.0}
        | {"u_statistic": 3749.0, "p_value": 0.0022437564481514244 * (i + 1), "p_holm": 0.006731269344454273 * (i + 1)}
        | {"rank_biserial": -0.2502, "significant": i == 0}
        for i, (a, b) in enumerate((a, b) for n, a in enumerate(names) for b in names[n + 1 :])
    ]
    return pd.DataFrame(rows)[list(columns.TESTS_COLUMNS)]


def test_floats_are_written_with_seven_significant_digits_and_compact_rewrites_older_tables(tmp_path):
    folder = EvaluationFolder(tmp_path / "eval")
    songs = songs_frame()
    songs["general"] = [4.606060606060606, 1 / 3]
    folder.write({"songs.csv": songs, "summary.csv": summary_frame(songs)}, {})
    written = folder.path / "songs.csv"
    assert "4.606061," in written.read_text() and "0.3333333," in written.read_text()
    assert folder.read_songs()["general"].tolist() == pytest.approx([4.606060606060606, 1 / 3], rel=1e-7)
    assert folder.compact() == [] and folder.damage() == []  # already compact
    written.write_text(songs.to_csv(index=False))  # as an older evaluation wrote it: repr floats
    assert "4.606060606060606" in written.read_text() and [d.path for d in folder.damage()] == [written]
    assert folder.compact() == [written] and folder.damage() == []
    assert "4.606061," in written.read_text() and folder.read_record()["files"][-1] == "evaluation.json"


def test_keep_tests_keeps_the_pairs_within_the_family_and_records_them(tmp_path):
    folder = EvaluationFolder(tmp_path / "eval")
    songs = songs_frame()
    folder.write({"songs.csv": songs, "summary.csv": summary_frame(songs), "tests.csv": pairwise_frame()}, {})
    assert folder.keep_tests({"control-lstm-1", "dataset"}) == 2
    kept = folder.read_tests()
    assert list(zip(kept["model_a"], kept["model_b"])) == [("control-lstm-1", "dataset")]
    assert kept["p_holm"].tolist() == pytest.approx([0.006731269344454273 * 2], rel=1e-7)  # not corrected again
    assert folder.read_record()["tests_kept"] == {"models": ["control-lstm-1", "dataset"], "rows": 1, "tested": 3}
    assert folder.damage() == [] and folder.keep_tests({"control-lstm-1", "dataset"}) == 0
    assert folder.keep_tests({"dataset"}) == 1 and folder.read_record()["tests_kept"]["tested"] == 3


def test_columns_another_folder_holds_alike_are_dropped_and_joined_back(tmp_path):
    main, beside = EvaluationFolder(tmp_path / "evaluation"), EvaluationFolder(tmp_path / "evaluation-corrected")
    songs = songs_frame()
    songs["copied"] = [0, 1]
    main.write({"songs.csv": songs, "summary.csv": summary_frame(songs)}, {})
    other = songs.assign(general=[9.5, 8.5])  # the mode changes the scores only
    other.loc[1, "copied"] = 0  # a column that differs stays
    beside.write({"songs.csv": other, "summary.csv": summary_frame(other)}, {"settings": {"mode": "corrected"}})
    assert beside.drop_song_columns(main, keep=("file",)) == ["pitch_range"]
    assert "pitch_range" not in beside.songs_path.read_text() and beside.damage() == []
    assert beside.read_record()["songs_columns_in"]["folder"] == "../evaluation"
    pd.testing.assert_frame_equal(
        beside.read_songs(), read_songs_table(main.songs_path).assign(general=[9.5, 8.5], copied=[0, 0])
    )
    assert beside.drop_song_columns(main, keep=()) == []  # nothing left to drop


def test_a_folder_read_for_a_few_columns_keeps_them_and_records_what_went(tmp_path):
    folder = EvaluationFolder(tmp_path / "evaluation")
    songs = songs_frame()
    songs["copied"] = [0, 1]
    folder.write({"songs.csv": songs, "summary.csv": summary_frame(songs), "tests.csv": pairwise_frame()}, {})
    removed = folder.keep_only(["copied"], ["tests.csv", "songs.csv", "runs.csv"], why="read as means")
    assert removed == ["pitch_range", "tests.csv"]  # songs.csv itself always stays
    kept = folder.read_songs()
    assert list(kept.columns) == [*songs.columns[:10], "copied"] and kept["copied"].tolist() == [0, 1]
    assert kept["general"].tolist() == pytest.approx(songs["general"].tolist(), rel=1e-6)
    record = folder.read_record()
    assert record["reduced"]["tables_removed"] == ["tests.csv"] and "tests.csv" not in record["files"]
    assert record["reduced"]["why"] == "read as means" and not (folder.path / "tests.csv").exists()
    assert folder.damage() == [] and folder.keep_only(["copied"], ["tests.csv"], why="again") == []


def many_songs() -> pd.DataFrame:
    """Two models of 20 songs: variant, cell and layers follow from the model; the file follows from the song id
    too, but 20 pairs for 40 rows would save too little to leave it out."""
    frame = pd.concat([songs_frame().iloc[[0]]] * 20 + [songs_frame().iloc[[1]]] * 20, ignore_index=True)
    frame["model_name"] = ["control-lstm-1"] * 20 + ["control-gru-2"] * 20
    frame["cell"], frame["layers"] = ["lstm"] * 20 + ["gru"] * 20, pd.array([1] * 20 + [2] * 20, dtype="Int64")
    frame["variant"], frame["index"] = "control", list(range(20)) * 2
    frame["song_id"] = [f"song_{i:03d}" for i in range(20)] * 2
    frame["cmm"] = [1.0 + i / 3 for i in range(40)]
    frame["file"] = frame["song_id"] + ".mid"
    frame["mean_abs_interval"] = frame["cmm"]
    frame["pitch_range"] = [float(i % 9) for i in range(40)]
    return frame


def test_derived_columns_are_left_out_and_every_reader_puts_them_back(tmp_path):
    main, beside = EvaluationFolder(tmp_path / "evaluation"), EvaluationFolder(tmp_path / "evaluation-corrected")
    songs = many_songs()
    main.write({"songs.csv": songs, "summary.csv": summary_frame(songs)}, {})
    beside.write({"songs.csv": songs.assign(general=9.0), "summary.csv": summary_frame(songs)}, {})
    before = main.read_songs()
    assert main.derive_song_columns(keep=()) == ["variant", "cell", "layers", "mean_abs_interval"]
    header = main.songs_path.read_text().splitlines()[0].split(",")
    assert header == ["model_name", "index", "song_id", "cmm", "lm", "centr", "general", "pitch_range", "file"]
    assert main.damage() == [] and main.derive_song_columns(keep=()) == []  # recorded, checksummed, done once
    pd.testing.assert_frame_equal(main.read_songs(), before)
    pd.testing.assert_frame_equal(read_songs_table(main.songs_path), before)  # the path alone is enough
    # a folder beside it still finds what it holds alike, from the restored columns
    assert beside.drop_song_columns(main, keep=()) == ["pitch_range", "file", "mean_abs_interval"]
    assert beside.derive_song_columns(keep=()) == ["variant", "cell", "layers"]
    pd.testing.assert_frame_equal(beside.read_songs(), before.assign(general=9.0))
    # without the record that says how, the reader names it and the fix instead of guessing
    (main.path / "evaluation.json").write_text("{ damaged")
    with pytest.raises(EvaluationFolderError, match="evaluation.json beside it.*damaged; run `rnncells evaluate`"):
        main.read_songs()
