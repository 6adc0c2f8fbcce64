"""The LaTeX tables as HTML rows for the index page: caption, cells, multicolumn spans, ± and escapes."""

from __future__ import annotations

from pathlib import Path

from rnncells.grid.tex_tables import plain, read_tex_tables

REPO = Path(__file__).resolve().parents[2]


def test_a_written_table_reads_back_as_rows(tmp_path):
    tables = tmp_path / "tables"
    tables.mkdir()
    (tables / "table_mean.tex").write_text(
        "\\begin{table}\n\\caption{Mean of m1 = CMM (rows: variant).}\n\\begin{tabular}{lrr}\n\\toprule\n"
        " & \\multicolumn{2}{c}{LSTM-1} \\\\\n\\cmidrule(lr){2-3}\nvariant & m1 & pitch\\_range \\\\\n\\midrule\n"
        "control & 2.781 $\\pm$ 0.5 & 0.225 \\\\\n\\bottomrule\n\\end{tabular}\n\\end{table}\n"
    )
    (tables / "tables.tex").write_text("\\documentclass{article}\\begin{tabular}{l}x\\end{tabular}")
    [table] = read_tex_tables(sorted(tables.iterdir()), tmp_path)
    assert table.tex == "tables/table_mean.tex" and table.caption == "Mean of m1 = CMM (rows: variant)."
    assert table.rows == [
        [("", 1), ("LSTM-1", 2)],
        [("variant", 1), ("m1", 1), ("pitch_range", 1)],
        [("control", 1), ("2.781 ± 0.5", 1), ("0.225", 1)],
    ]
    assert plain("\\textbf{4.2}") == "4.2"
    assert plain("\\multirow[c]{15}{*}{m1 (CMM)}") == "m1 (CMM)"


def test_every_committed_table_reads(tmp_path):
    for folder in sorted((REPO / "results").glob("*/tables")):
        paths = sorted(folder.glob("*.tex"))
        tables = read_tex_tables(paths, folder.parent)
        assert len(tables) == len(paths) - 1  # all but the document that includes them
        assert all(table.rows and len(table.rows[-1]) > 1 for table in tables), folder
