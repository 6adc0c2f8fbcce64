"""The published numbers our results are read beside (docs/method.md §11): another corpus, for orientation only.

The pitch-only study trained on 4,874 MuseScore songs; its tables give mean ± std over 100 songs per model
(music_geometry_eval 2.0, span 12). Nothing here is computed: these are the anchors as published.
"""

from __future__ import annotations

import pandas as pd

from rnncells.report.latex import METRIC_LABELS, PM, latex_index, mean_std, text_mean_std, to_latex

# docs/method.md §11, pitch-only study: (mean, std) per metric, variant and cell; 4874 MuseScore training songs.
PUBLISHED_PITCH_STUDY = {
    "cmm": {
        "control": {"LSTM": (2.14, 0.60), "NAS": (1.90, 0.49), "UGRNN": (2.11, 0.50)},
        "interval": {"LSTM": (2.99, 1.08), "NAS": (2.44, 1.00), "UGRNN": (2.42, 0.74)},
        "DB12": {"LSTM": (2.49, 0.59), "NAS": (4.28, 2.71), "UGRNN": (1.66, 0.40)},
    },
    "lm": {
        "control": {"LSTM": (1.47, 0.46), "NAS": (1.77, 0.65), "UGRNN": (1.51, 0.46)},
        "interval": {"LSTM": (2.37, 1.56), "NAS": (1.59, 0.75), "UGRNN": (1.66, 0.84)},
        "DB12": {"LSTM": (1.57, 0.64), "NAS": (2.56, 1.11), "UGRNN": (2.40, 0.65)},
    },
    "centr": {
        "control": {"LSTM": (0.20, 0.08), "NAS": (0.22, 0.09), "UGRNN": (0.21, 0.09)},
        "interval": {"LSTM": (0.16, 0.08), "NAS": (0.16, 0.09), "UGRNN": (0.17, 0.12)},
        "DB12": {"LSTM": (0.16, 0.08), "NAS": (0.25, 0.26), "UGRNN": (0.23, 0.09)},
    },
}
PUBLISHED_BASELINE = {"cmm": (2.42, 0.98), "lm": (1.67, 0.86), "centr": (0.20, 0.12)}

# the published study picked its depths by eye from the learning curves (another corpus; docs/method.md §2)
PUBLISHED_SELECTION = {
    "control": "LSTM 3, NAS 3, UGRNN 3",
    "interval": "LSTM 4, NAS 2, UGRNN 4",
    "transposed (DB12)": "LSTM 4, NAS 5, UGRNN 2",
}
PUBLISHED_STEPS_PER_EPOCH = 505  # 151.5k steps in 300 epochs of batch 50 x 50 (its TensorBoard)

# docs/method.md §11, rhythm study ((pitch, duration) tokens, rhythm-aware LM and CENTR), same 4874 songs
PUBLISHED_RHYTHM_STUDY = {
    "cmm": {
        "control": {"LSTM": (2.06, 0.66), "GRU": (2.01, 0.53)},
        "interval": {"LSTM": (1.65, 0.61), "GRU": (2.21, 0.73)},
        "DB12": {"LSTM": (2.30, 0.89), "GRU": (1.66, 0.65)},
    },
    "lm": {
        "control": {"LSTM": (1.97, 0.60), "GRU": (1.84, 0.55)},
        "interval": {"LSTM": (1.67, 0.70), "GRU": (1.99, 0.70)},
        "DB12": {"LSTM": (2.25, 1.02), "GRU": (2.20, 0.87)},
    },
    "centr": {
        "control": {"LSTM": (0.30, 0.10), "GRU": (0.28, 0.10)},
        "interval": {"LSTM": (0.24, 0.11), "GRU": (0.27, 0.11)},
        "DB12": {"LSTM": (0.30, 0.14), "GRU": (0.34, 0.17)},
    },
}
PUBLISHED_RHYTHM_BASELINE = {"cmm": (2.23, 0.98), "lm": (2.05, 1.18), "centr": (0.27, 0.14)}
PUBLISHED_RHYTHM_SELECTION = "control GRU 1024 units, control LSTM 2048 units (by eye from the learning curves)"


def published_frame(rhythm: bool = False) -> pd.DataFrame:
    """The pitch-only (or, with ``rhythm``, the rhythm) study's published means ± std as text, one row per metric
    and variant, and its dataset baseline."""
    study, baseline = (
        (PUBLISHED_RHYTHM_STUDY, PUBLISHED_RHYTHM_BASELINE) if rhythm else (PUBLISHED_PITCH_STUDY, PUBLISHED_BASELINE)
    )
    rows = []
    for metric, variants in study.items():
        for variant, cells in variants.items():
            rows.append(
                {"metric": metric, "variant": variant, **{cell: f"{m:.2f} ± {s:.2f}" for cell, (m, s) in cells.items()}}
            )
    for metric, (mean, std) in baseline.items():
        rows.append({"metric": metric, "variant": "dataset", "LSTM": f"{mean:.2f} ± {std:.2f}"})
    return pd.DataFrame(rows).fillna("")


def published_latex(rhythm: bool = False) -> str:
    """The pitch-only (or, with ``rhythm``, the rhythm) study's published means ± std as a LaTeX table, captioned
    as another corpus."""
    study, cells, baseline = (
        (PUBLISHED_RHYTHM_STUDY, ("LSTM", "GRU"), PUBLISHED_RHYTHM_BASELINE)
        if rhythm
        else (PUBLISHED_PITCH_STUDY, ("LSTM", "NAS", "UGRNN"), PUBLISHED_BASELINE)
    )
    keys, rows = [], []
    for metric, variants in study.items():
        for variant, by_cell in variants.items():
            keys.append((METRIC_LABELS[metric], variant))
            rows.append({cell: mean_std(*by_cell[cell], decimals=2) for cell in cells})
    frame = pd.DataFrame(rows)
    frame.index = latex_index(keys, ["metric", "variant"])
    anchors = ", ".join(f"{METRIC_LABELS[m]} {text_mean_std(*baseline[m], decimals=2)}" for m in baseline)
    caption = (
        f"Published, another corpus (MuseScore), not the songs of the tables above: the "
        f"{'rhythm study (rhythm-aware LM and CENTR)' if rhythm else 'pitch-only study'}'s mean {PM} std "
        "over 100 songs per model, trained on 4874 MuseScore songs (DB12 = transposed to 12 keys), "
        f"music\\_geometry\\_eval 2.0, span 12. Its dataset baseline: {anchors}."
    )
    return to_latex(frame, caption, "tab:published")
