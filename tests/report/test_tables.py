"""LaTeX tables from an evaluation folder, compiled with the real pdflatex."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rnncells.evaluation.evaluate import evaluate_song_sets
from rnncells.report import tables
from rnncells.report.latex import BOLD, MARK, number
from rnncells.report.tables import TablesError, compile_pdf, escape_latex, write_tables

TABLES = [
    "table_mean",
    "table_variance",
    "table_std",
    "table_mean_std",
    "table_best_songs",
    "table_representative_songs",
    "table_baseline",
    "table_sets",
    "table_memorisation",
    "table_features",
    "table_yang_lerch",
    "table_published",
]


def write_song_set(root: Path, name: str, step: int, songs: int = 20) -> Path:
    """A generated song set (generation.json + songs.jsonl) of random walks with steps up to ``step``."""
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
        "config": {},
    }
    (folder / "generation.json").write_text(json.dumps(generation))
    rng = np.random.default_rng(step * 10 + int(layers))
    lines = []
    for index in range(songs):
        pitches = [int(p) for p in 60 + np.cumsum(rng.integers(-step, step + 1, 34))]
        song = {"index": index, "pitches": pitches, "durations": [2] * 34, "tokens": pitches}
        lines.append(json.dumps(song))
    (folder / "songs.jsonl").write_text("\n".join(lines) + "\n")
    return folder


def write_dataset(root: Path) -> Path:
    rng = np.random.default_rng(5)
    lines = []
    for song in range(16):
        pitches = [int(p) for p in 62 + np.cumsum(rng.integers(-2, 3, 40))]
        lines.append(
            json.dumps(
                {
                    "id": f"{song:05d}_0",
                    "song": song,
                    "source": "x.mid",
                    "artist": None,
                    "title": None,
                    "split": "train" if song < 12 else "test",
                    "transposition": 0,
                    "base_note": None,
                    "tokens": pitches,
                    "pitches": pitches,
                    "durations": [1] * 40,
                    "bpm": None,
                }
            )
        )
    (root / "dataset" / "control").mkdir(parents=True)
    (root / "dataset" / "control" / "songs.jsonl").write_text("\n".join(lines) + "\n")
    return root / "dataset"


def evaluate(root: Path, models: dict[str, int], dataset: bool = True) -> Path:
    dirs = [write_song_set(root / "songs", name, step) for name, step in models.items()]
    return evaluate_song_sets(dirs, write_dataset(root) if dataset else None, root / "eval")


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("tables")
    eval_dir = evaluate(root, {"control-lstm-1": 2, "interval-gru-2": 5, "transposed-rnn-1": 3})
    paths = write_tables(eval_dir, root / "tex")
    return {
        "root": root,
        "eval": eval_dir,
        "paths": paths,
        "summary": pd.read_csv(eval_dir / "summary.csv"),
        "tex": {p.stem: p.read_text() for p in paths},
    }


def mean_of(summary: pd.DataFrame, model: str, metric: str, stat: str = "mean") -> float:
    return float(summary.loc[(summary["model_name"] == model) & (summary["metric"] == metric), stat].iloc[0])


def value(cell: str) -> float:
    """The number of a table cell, without bold or mark."""
    return float(cell.replace(BOLD, "").replace(MARK, "").split(" \\pm ")[0])


def row_cells(tex: str, first: str) -> list[str]:
    """The cells of the table row whose first cell is ``first``."""
    line = next(line for line in tex.splitlines() if line.startswith(f"{first} & "))
    return [cell.strip() for cell in line.removesuffix("\\\\").split("&")]


def test_writes_one_file_per_table_and_a_document_inputting_them(study):
    assert [p.name for p in study["paths"]] == [f"{name}.tex" for name in TABLES] + ["tables.tex"]
    document = study["tex"]["tables"]
    assert document.startswith("\\documentclass{article}")
    for package in ("booktabs", "multirow", "adjustbox", "siunitx", "lmodern"):
        assert f"\\usepackage{{{package}}}" in document
    assert [m for m in re.findall(r"\\input\{(\w+)\}", document)] == TABLES
    labels = set()
    for name in TABLES:
        tex = study["tex"][name]
        assert tex.count("\\caption{") == 1 and tex.count("\\label{tab:") == 1
        assert "\\toprule" in tex and "\\midrule" in tex and "\\bottomrule" in tex and "\\cline" not in tex
        labels.add(re.search(r"\\label\{(.+?)\}", tex).group(1))
    assert len(labels) == len(TABLES)


def test_stat_tables_have_variants_as_rows_and_cells_as_column_groups(study):
    summary = study["summary"]
    for stat in ("mean", "variance", "std"):
        tex = study["tex"][f"table_{stat}"]
        assert "\\multicolumn{3}{c}{LSTM-1} & \\multicolumn{3}{c}{GRU-2} & \\multicolumn{3}{c}{RNN-1}" in tex
        assert "\\cmidrule(lr){2-4} \\cmidrule(lr){5-7} \\cmidrule(lr){8-10}" in tex
        assert row_cells(tex, "variant") == ["variant"] + ["{CMM}", "{LM}", "{CENTR}"] * 3
        cells = row_cells(tex, "interval")
        assert cells[:4] == ["interval", "{--}", "{--}", "{--}"] and cells[7:] == ["{--}"] * 3
        expected = [mean_of(summary, "interval-gru-2", m, stat) for m in ("cmm", "lm", "centr")]
        decimals = [len(cell.split(".")[1]) if "." in cell else 0 for cell in cells[4:7]]
        assert [value(cell) for cell in cells[4:7]] == [round(e, d) for e, d in zip(expected, decimals)]


def test_mean_std_table_has_a_multirow_block_per_metric(study):
    tex, summary = study["tex"]["table_mean_std"], study["summary"]
    for label in ("CMM", "LM", "CENTR"):
        assert f"\\multirow[c]{{3}}{{*}}{{{label}}}" in tex
    mean, std = mean_of(summary, "control-lstm-1", "lm"), mean_of(summary, "control-lstm-1", "lm", "std")
    row = next(line for line in tex.splitlines() if line.startswith("\\multirow[c]{3}{*}{LM} & control & "))
    decimals = 2 - 1 - int(np.floor(np.log10(std)))  # the std's two significant digits
    assert f"{mean:.{decimals}f} \\pm {std:.{decimals}f}" in row and row.endswith("& {--} & {--} \\\\")
    assert tex.count("\\midrule") == 3  # below the header, then between the three blocks


def test_song_tables_and_baseline(study):
    best = pd.read_csv(study["eval"] / "best_songs.csv")
    chosen = best[best["model_name"] == "transposed-rnn-1"].iloc[0]
    cells = row_cells(study["tex"]["table_best_songs"], "transposed")
    assert cells[:3] == ["transposed", "RNN-1", escape_latex(chosen["song_id"])]
    assert cells[3:] == [number(chosen[m]) for m in ("cmm", "lm", "centr", "general")]
    assert "dataset & train split, 12 songs & 00" in study["tex"]["table_best_songs"]
    representative = pd.read_csv(study["eval"] / "representative_songs.csv")
    chosen = representative[representative["model_name"] == "control-lstm-1"].iloc[0]
    assert row_cells(study["tex"]["table_representative_songs"], "control")[-1] == number(chosen["distance"])
    baseline = row_cells(study["tex"]["table_baseline"], "CENTR")
    summary = study["summary"]
    assert baseline[:2] == ["CENTR", "12"]
    for cell, stat in zip(baseline[2:], ("mean", "variance", "std", "min", "max"), strict=True):
        assert value(cell) == pytest.approx(mean_of(summary, "dataset", "centr", stat), abs=0.006)


def test_published_anchors_are_labelled_as_another_corpus(study):
    tex = study["tex"]["table_published"]
    assert "\\caption{Published, another corpus (MuseScore)" in tex
    first_row = "\\multirow[c]{3}{*}{CMM} & control & 2.14 \\pm 0.60 & 1.90 \\pm 0.49 & 2.11 \\pm 0.50"
    assert first_row in tex
    assert "DB12 & 0.16 \\pm 0.08 & 0.25 \\pm 0.26 & 0.23 \\pm 0.09" in tex
    assert "2.42 $\\pm$ 0.98" in tex  # its dataset baseline, in the caption


def test_depths_several_per_cell_become_rows_and_varying_depths_a_column(tmp_path):
    stacked = evaluate(tmp_path / "a", {"control-lstm-1": 2, "control-lstm-2": 3, "control-gru-1": 4}, dataset=False)
    tex = write_tables(stacked, tmp_path / "a" / "tex", published=False)
    names = [p.name for p in tex]
    assert "table_published.tex" not in names and "table_baseline.tex" not in names
    mean = (tmp_path / "a" / "tex" / "table_mean.tex").read_text()
    assert "\\multicolumn{3}{c}{LSTM} & \\multicolumn{3}{c}{GRU}" in mean
    assert "\\multirow[c]{2}{*}{control} & 1 &" in mean and "\n & 2 & " in mean
    assert row_cells(mean, "variant")[:2] == ["variant", "layers"]

    varying = evaluate(tmp_path / "b", {"control-lstm-3": 2, "interval-lstm-4": 3}, dataset=False)
    write_tables(varying, tmp_path / "b" / "tex")
    mean = (tmp_path / "b" / "tex" / "table_mean.tex").read_text()
    assert "\\multicolumn{4}{c}{LSTM}" in mean
    assert row_cells(mean, "variant") == ["variant", "{L}", "{CMM}", "{LM}", "{CENTR}"]
    assert row_cells(mean, "interval")[1] == "4"
    mean_std = (tmp_path / "b" / "tex" / "table_mean_std.tex").read_text()
    assert "{L} & {mean $\\pm$ std}" in mean_std


def test_escape_latex():
    assert escape_latex("song_007 & 50% #1 {x} $y ~^\\") == (
        "song\\_007 \\& 50\\% \\#1 \\{x\\} \\$y \\textasciitilde{}\\textasciicircum{}\\textbackslash{}"
    )


def test_bad_eval_dir_and_missing_pdflatex(tmp_path, monkeypatch):
    with pytest.raises(TablesError, match="no summary.csv; expected a folder written by"):
        write_tables(tmp_path, tmp_path / "tex")
    (tmp_path / "doc.tex").write_text("\\documentclass{article}\\begin{document}x\\end{document}\n")
    monkeypatch.setattr(tables.shutil, "which", lambda name: None)
    with pytest.raises(TablesError) as caught:
        compile_pdf(tmp_path / "doc.tex")
    assert str(caught.value).endswith(tables.INSTALL_HINT) and "texlive-science" in tables.INSTALL_HINT
    assert "\n" not in str(caught.value)


NO_PDFLATEX = "pdflatex not installed: apt-get install texlive-latex-recommended texlive-latex-extra"


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason=NO_PDFLATEX)
def test_broken_latex_gives_a_one_line_error(tmp_path):
    broken = tmp_path / "broken.tex"
    broken.write_text("\\documentclass{article}\\begin{document}\\undefinedmacro\\end{document}\n")
    with pytest.raises(TablesError) as caught:
        compile_pdf(broken)
    message = str(caught.value)
    assert "\n" not in message and "! Undefined control sequence." in message and str(broken) in message


@pytest.mark.skipif(
    shutil.which("pdflatex") is None or shutil.which("pdftotext") is None,
    reason="pdflatex/pdftotext not installed: apt-get install texlive-latex-recommended "
    "texlive-latex-extra poppler-utils",
)
def test_real_pdflatex_builds_a_pdf_with_every_table(study):
    pdf = compile_pdf(study["root"] / "tex" / "tables.tex")
    assert pdf == study["root"] / "tex" / "tables.pdf" and pdf.stat().st_size > 10_000
    text = " ".join(
        subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    # The first words of each caption follow "Table N:" on its first line, so no hyphenation splits them.
    caption_starts = [
        "Mean of the tonality metrics",
        "Variance (sample) of the",
        "Standard deviation (sample) of",
        "Mean ± standard deviation",
        "Best song of each model",
        "Most representative song of",
        "Dataset baseline: the",
        "Every song set side by",
        "Memorisation against the 12",
        "Yang and Lerch’s absolute measures",
        "Yang and Lerch’s relative measures",
        "Published, another corpus (MuseScore)",
    ]
    for index, start in enumerate(caption_starts, start=1):
        assert f"Table {index}: {start}" in text
    summary = study["summary"]
    for cell in row_cells(study["tex"]["table_mean"], "interval")[4:7]:  # as printed, bold or not
        assert cell.replace(BOLD, "") in text
    lm_mean, lm_std = (mean_of(summary, "interval-gru-2", "lm", stat) for stat in ("mean", "std"))
    decimals = 2 - 1 - int(np.floor(np.log10(lm_std)))
    assert f"{lm_mean:.{decimals}f} ± {lm_std:.{decimals}f}" in text
    assert "2.99 ± 1.08" in text
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "Type 3" not in fonts and "LMRoman" in fonts  # outline Latin Modern, no bitmap fonts


def test_best_in_bold_with_its_ties_selected_depth_marked_and_zero_columns_folded(tmp_path):
    models = {"control-lstm-1": 1, "control-lstm-2": 6, "control-lstm-3": 1}
    eval_dir = evaluate(tmp_path, models)
    write_tables(eval_dir, tmp_path / "tex", published=False, selected=["control-lstm-2"])
    mean = (tmp_path / "tex" / "table_mean.tex").read_text()
    summary, tests = pd.read_csv(eval_dir / "summary.csv"), pd.read_csv(eval_dir / "tests.csv")
    cmm = {name: mean_of(summary, name, "cmm") for name in models}
    best = min(cmm, key=cmm.get)
    cmm_tests = tests[(tests["metric"] == "cmm") & ~tests["significant"]]
    untold = {frozenset((row.model_a, row.model_b)) for row in cmm_tests.itertuples()}
    for name in models:
        line = next(line for line in mean.splitlines() if line.split(" & ")[1:2] == [name[-1]])
        cell = line.split(" & ")[2]
        assert cell.startswith(BOLD) == (name == best or frozenset((name, best)) in untold), (name, cell)
        assert cell.endswith(MARK) == (name == "control-lstm-2")  # the selected depth, and only it
    assert "Bold: the lowest mean of each column" in mean and "$^\\dagger$: the depth that validation loss" in mean
    assert not re.search(r"\d\.000\b", mean)
    memorisation = (tmp_path / "tex" / "table_memorisation.tex").read_text()
    assert "copied &" not in memorisation and "not copied}" not in memorisation
    assert "No generated song is copied, so the copied and not-copied columns are left out" in memorisation
    for name in ("table_mean", "table_mean_std", "table_sets", "table_baseline"):
        tex = (tmp_path / "tex" / f"{name}.tex").read_text()
        assert "m1" not in tex and "m2" not in tex and "(CMM)" not in tex and "\\cline" not in tex
