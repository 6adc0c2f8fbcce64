"""The whole chain through the command line: train -> generate -> evaluate -> tables -> render -> plot."""

from __future__ import annotations

import csv
import json
import shutil

import pytest

from tests.test_cli import rnncells


def test_train_generate_evaluate_tables_render(small_dataset, tmp_path):
    run = tmp_path / "run"
    trained = rnncells(
        "train",
        "--dataset",
        str(small_dataset),
        "--variant",
        "transposed",
        "--cell",
        "gru",
        "--layers",
        "2",
        "--units",
        "32",
        "--batch-size",
        "16",
        "--seq-length",
        "16",
        "--epochs",
        "2",
        "--out",
        str(run),
        "--quiet",
    )
    assert trained.returncode == 0, trained.stderr
    assert "epoch 2:" in trained.stdout and (run / "checkpoints" / "best.keras").is_file()

    songs = tmp_path / "songs"
    generated = rnncells(
        "generate",
        "--run",
        str(run),
        "--out",
        str(songs),
        "--n-songs",
        "20",
        "--length",
        "30",
        "--primer",
        "72 74 76 74",
        "--seed",
        "1",
    )
    assert generated.returncode == 0, generated.stderr
    assert len(list(songs.glob("song_*.mid"))) == 20
    assert json.loads((songs / "generation.json").read_text())["model_name"] == "transposed-gru-2-u32"

    evaluation = tmp_path / "evaluation"
    evaluated = rnncells("evaluate", str(songs), "--dataset", str(small_dataset), "--out", str(evaluation))
    assert evaluated.returncode == 0, evaluated.stderr
    with open(evaluation / "summary.csv") as handle:
        models = {row["model_name"] for row in csv.DictReader(handle)}
    assert models == {"transposed-gru-2-u32", "dataset"}
    assert (evaluation / "figures" / "box_general.png").is_file()

    tables = tmp_path / "tables"
    tabled = rnncells("tables", str(evaluation), "--out", str(tables))
    assert tabled.returncode == 0, tabled.stderr
    assert (tables / "table_mean_std.tex").is_file()
    if shutil.which("pdflatex"):
        assert (tables / "tables.pdf").stat().st_size > 10_000

    rendered = rnncells("render", str(songs / "song_000.mid"), "--png")
    assert rendered.returncode == 0 and (songs / "song_000.png").is_file()
    plotted = rnncells("plot", "curves", str(run), "--out", str(tmp_path / "curves"))
    assert plotted.returncode == 0 and (tmp_path / "curves.pdf").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--dataset", "{dataset}", "--cell", "transformer", "--out", "{tmp}/r"], "unknown cell"),
        (["train", "--dataset", "{dataset}", "--layers", "6", "--out", "{tmp}/r"], "--allow-deep"),
        (["train", "--dataset", "{tmp}", "--out", "{tmp}/r"], "not a dataset folder"),
        (["generate", "--run", "{tmp}", "--out", "{tmp}/g"], "not a run folder"),
        (["generate", "--run", "{tmp}", "--out", "{tmp}/g", "--key", "H"], "unknown key 'H'"),
        (["evaluate", "{tmp}", "--out", "{tmp}/e"], "songs.jsonl"),
        (["tables", "{tmp}", "--out", "{tmp}/t"], "{tmp}"),
        (["render", "{tmp}/missing.mid", "--png"], "missing.mid"),
    ],
)
def test_bad_input_is_one_line_with_exit_2(small_dataset, tmp_path, args, message):
    filled = [a.format(dataset=small_dataset, tmp=tmp_path) for a in args]
    result = rnncells(*filled)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and lines[0].startswith("rnncells: error:") and "Traceback" not in result.stderr
    assert message.format(tmp=tmp_path) in lines[0]
