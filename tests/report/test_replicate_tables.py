"""LaTeX of the run-level tables: every family member's numbers, the tests and the variance sources."""

from __future__ import annotations

from rnncells.evaluation.replicates import replicate_tables
from rnncells.report.replicate_tables import configurations_latex, run_tests_latex, variance_latex
from tests.study.test_verdict import songs


def test_run_level_tables_render_their_numbers():
    means = {"control-gru-2": [4.0, 4.1, 4.2], "control-lstm-1": [4.3, 4.4, 4.5], "control-gru-1": [9.0, 9.0, 9.0]}
    tables = replicate_tables(songs(means), leave_out=["control-gru-1"], n_boot=100)
    general = tables["configurations"].query("metric == 'general'").set_index("configuration")
    text = configurations_latex(tables["configurations"])
    row = general.loc["control-gru-2"]
    assert f"control-gru-2 & 3 & 4.100 & 0.100 & [{row['ci_low']:.3f}, {row['ci_high']:.3f}]" in text
    assert "dataset & 1 & 6.200 & {--} &" in text and "control-gru-1" not in text  # passed over by selection
    assert text.index("control-gru-2") < text.index("control-lstm-1") < text.index("dataset")
    tests = run_tests_latex(tables["run_tests"])
    pair = (
        tables["run_tests"].set_index(["configuration_a", "configuration_b"]).loc[("control-gru-2", "control-lstm-1")]
    )
    interval = f"[{pair['ci_low']:.3f}, {pair['ci_high']:.3f}]"
    # the mixed model's interval, p and Holm p, then the permutation check: 2 of C(6, 3) splits, its floor
    assert (
        f"& control-lstm-1 & -0.300 & mixed & {interval} & {pair['p_value']:.3f} & {pair['p_holm']:.3f} & 0.100 & 0.100"
        in tests
    )
    assert "control-lstm-1 & dataset & -1.800 & mixed &" in tests and "& 0.250 & 0.250" in tests
    variance = variance_latex(tables["variance"])
    assert "representation" in variance and "seed & 6 &" in variance
