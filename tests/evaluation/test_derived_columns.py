"""Columns a songs table can leave out: found only where they follow exactly, restored character for character."""

import pandas as pd

from rnncells.evaluation.derived_columns import find_derivations, restore


def _songs(rows: int = 40) -> pd.DataFrame:
    models = [f"control-lstm-{1 + i % 2}-seed0" for i in range(rows)]
    return pd.DataFrame(
        {
            "model_name": models,
            "variant": ["control"] * rows,
            "layers": [m.split("-")[2] for m in models],
            "index": [str(i) for i in range(rows)],
            "song_id": [f"song_{i % 4:03d}" for i in range(rows)],
            "cmm": [f"{i / 7:.6g}" for i in range(rows)],
            "mean_abs_interval": [f"{i / 7:.6g}" for i in range(rows)],
            "file": [f"song_{i % 4:03d}.mid" for i in range(rows)],
            "pitch_range": [str(i % 13) for i in range(rows)],  # varies within a model and a song id: stays
        }
    )


def test_derivations_are_the_columns_that_follow_exactly():
    songs = _songs()
    found = find_derivations(songs, keep=("index", "cmm"))
    assert found["mean_abs_interval"] == {"same_as": "cmm"}
    assert found["variant"] == {"from": "model_name", "values": dict.fromkeys(set(songs["model_name"]), "control")}
    assert found["layers"]["values"] == {"control-lstm-1-seed0": "1", "control-lstm-2-seed0": "2"}
    assert found["file"]["from"] == "song_id" and len(found["file"]["values"]) == 4
    assert "pitch_range" not in found and "cmm" not in found and "index" not in found


def test_a_function_with_many_values_is_kept():
    songs = _songs(rows=30)
    songs["file"] = [f"tune_{i}.mid" for i in range(30)]  # one file a song: 30 pairs for 30 rows saves nothing
    assert "file" not in find_derivations(songs, keep=("index", "cmm"))


def test_restore_gives_back_the_table_as_written():
    songs = _songs()
    found = find_derivations(songs, keep=("index", "cmm"))
    light = songs.drop(columns=list(found))
    assert list(light.columns) == ["model_name", "index", "song_id", "cmm", "pitch_range"]
    pd.testing.assert_frame_equal(restore(light, found, list(songs.columns)), songs)
    # a derivation whose source went is skipped, not guessed
    assert "file" not in restore(light.drop(columns=["song_id"]), found, list(songs.columns)).columns
