"""Tables with one row per song set — rnncells's models, MIDI sets and the baseline alike (docs/method.md §4).

- ``table_sets``: mean ± std of the tonality metrics of every set, the baseline with its scope;
- ``table_memorisation``: copied songs and the tonality of the songs not copied (docs/method.md, "Memorisation");
- ``table_features``: Yang & Lerch's absolute measures, each feature's mean ± std per set;
- ``table_yang_lerch``: their relative measures, overlapped area and KL divergence against the training songs.

The last three need an evaluation with a dataset. Read by :func:`rnncells.report.tables.write_tables`.
"""

from __future__ import annotations

import math

import pandas as pd

from rnncells.evaluation.columns import BASELINE_MODEL, MIDI_VARIANT, SCOPE_COLUMN
from rnncells.report.latex import (
    METRIC_KEY,
    METRIC_LABELS,
    PM,
    bold,
    escape_latex,
    latex_index,
    mean_std,
    number,
    text_mean_std,
    tied_best,
    to_latex,
)

TONALITY_LABELS = {**METRIC_LABELS, "general": "general"}
# MusPy's names, shortened for the columns (pitch_class_count is n_pitch_classes_used under another name).
FEATURE_LABELS = {
    "pitch_range": "PR",
    "n_pitches_used": "NPU",
    "n_pitch_classes_used": "NPCU",
    "pitch_entropy": "PE",
    "pitch_class_entropy": "PCE",
    "scale_consistency": "SC",
    "mean_abs_interval": "MAI",
    "empty_beat_rate": "EBR",
    "empty_measure_rate": "EMR",
    "groove_consistency": "GC",
}
FEATURE_KEY = ", ".join(f"{short} = {escape_latex(name)}" for name, short in FEATURE_LABELS.items())


def _sets(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per set in the evaluation's order (the baseline last): model_name, variant, scope."""
    columns = ["model_name", "variant"] + [SCOPE_COLUMN] * (SCOPE_COLUMN in summary)
    sets = summary.drop_duplicates("model_name")[columns].copy()
    if SCOPE_COLUMN not in sets:
        sets[SCOPE_COLUMN] = ""
    sets[SCOPE_COLUMN] = sets[SCOPE_COLUMN].fillna("").astype(str)
    baseline = sets["model_name"] == BASELINE_MODEL
    return pd.concat([sets[~baseline], sets[baseline]]).reset_index(drop=True)


def set_label(model_name: str, variant: str, scope: str) -> str:
    """``control-lstm-2``, ``magenta (MIDI)`` or ``dataset (train split, 170 songs)``."""
    if model_name == BASELINE_MODEL:
        return f"{BASELINE_MODEL} ({scope})" if scope else BASELINE_MODEL
    return f"{model_name} (MIDI)" if variant == MIDI_VARIANT else str(model_name)


def _labels(sets: pd.DataFrame) -> list[tuple[str]]:
    return [(set_label(row.model_name, row.variant, getattr(row, SCOPE_COLUMN)),) for row in sets.itertuples()]


def _stat(summary: pd.DataFrame, model_name: str, measure: str, stat: str) -> float:
    rows = summary.loc[(summary["model_name"] == model_name) & (summary["metric"] == measure), stat]
    return float(rows.iloc[0]) if len(rows) else math.nan


def _baseline_scope(sets: pd.DataFrame) -> str:
    scope = sets.loc[sets["model_name"] == BASELINE_MODEL, SCOPE_COLUMN]
    return str(scope.iloc[0]) if len(scope) and scope.iloc[0] else "training songs"


def _sets_table(summary: pd.DataFrame, same: dict[str, set[frozenset[str]]]) -> str:
    """Every set's mean ± std; per column the lowest mean among the generated and MIDI sets in bold, with the
    means the test cannot tell from it (``same``; without tests, the means equal to it at three decimals)."""
    sets = _sets(summary)
    names = list(sets["model_name"])
    columns = {"songs": [str(int(_stat(summary, name, "general", "n"))) for name in names]}
    for metric, label in TONALITY_LABELS.items():
        cells = [mean_std(*(_stat(summary, name, metric, s) for s in ("mean", "std"))) for name in names]
        means = {name: _stat(summary, name, metric, "mean") for name in names if name != BASELINE_MODEL}
        best = tied_best(means, same.get(metric, set()) if same else None)
        columns[label] = [bold(cell) if name in best else cell for name, cell in zip(names, cells, strict=True)]
    frame = pd.DataFrame(columns)
    frame.index = latex_index(_labels(sets), ["set"])
    tie = "the Mann--Whitney test (Holm) cannot tell from it" if same else "equal to it at three decimals"
    caption = (
        f"Every song set side by side: mean {PM} std (sample) of each tonality metric, for rnncells's models, sets "
        f"of MIDI files scored the same way (MIDI) and the dataset baseline ({escape_latex(_baseline_scope(sets))}). "
        f"{METRIC_KEY}. Bold: the lowest mean of each column among the generated sets and every mean {tie}."
    )
    return to_latex(frame, caption, "tab:sets")


def _memorisation_table(memorisation: pd.DataFrame, summary: pd.DataFrame, record: dict) -> str:
    sets = _sets(summary)
    rows = memorisation.set_index("model_name").loc[
        [n for n in sets["model_name"] if n in set(memorisation["model_name"])]
    ]
    sets = sets[sets["model_name"].isin(rows.index)]
    frame = pd.DataFrame(
        {
            "songs": [str(int(v)) for v in rows["songs"]],
            "copied": [
                f"{int(c)} ({100 * s:.0f}\\%)" for c, s in zip(rows["copied_songs"], rows["copied_share"], strict=True)
            ],
            "run (median)": [number(v, 1) for v in rows["median_shared_run"]],
            "run (max)": [str(int(v)) for v in rows["max_shared_run"]],
            "4-grams": [number(v, 2) for v in rows["mean_ngram4_in_train"]],
            "8-grams": [number(v, 2) for v in rows["mean_ngram8_in_train"]],
            "general": [mean_std(m, s) for m, s in zip(rows["general_mean"], rows["general_std"], strict=True)],
            "general, not copied": [
                mean_std(m, s)
                for m, s in zip(rows["general_mean_not_copied"], rows["general_std_not_copied"], strict=True)
            ],
        }
    )
    frame.index = latex_index(_labels(sets), ["set"])
    dataset = record.get("dataset") or {}
    threshold = dataset.get("copy_threshold", 16)
    training = dataset.get("training_songs")
    caption = (
        f"Memorisation against the {training or 'training'} training songs, on intervals (so in any key): the "
        "longest run of consecutive intervals shared with one training song (median and maximum over a set's "
        "songs), the mean share of a song's interval 4-grams and 8-grams found in the training songs, and the "
        f"songs copied (a shared run of at least {threshold} intervals); general tonality over all songs and over "
        "the songs not copied. The dataset's own training songs are measured against the other training songs."
    )
    generated = rows.index != BASELINE_MODEL
    if generated.any() and (rows.loc[generated, "copied_songs"] == 0).all():
        # a column of zeros carries no information, and without copies "not copied" repeats "general": fold both
        frame = frame.drop(columns=["copied", "general, not copied"])
        caption += " No generated song is copied, so the copied and not-copied columns are left out"
        if not generated.all():
            own = rows.loc[BASELINE_MODEL]
            caption += (
                f"; {int(own['copied_songs'])} of the dataset's {int(own['songs'])} training songs share such a run "
                f"with another training song (general tonality of the others: "
                f"{text_mean_std(own['general_mean_not_copied'], own['general_std_not_copied'])})"
            )
        caption += "."
    return to_latex(frame, caption, "tab:memorisation")


def _features_table(summary: pd.DataFrame) -> str:
    sets = _sets(summary)
    features = [name for name in FEATURE_LABELS if name in set(summary["metric"])]
    frame = pd.DataFrame(
        {
            FEATURE_LABELS[feature]: [
                mean_std(*(_stat(summary, name, feature, s) for s in ("mean", "std"))) for name in sets["model_name"]
            ]
            for feature in features
        }
    )
    frame.index = latex_index(_labels(sets), ["set"])
    caption = (
        f"Yang and Lerch's absolute measures: each feature's mean {PM} std (sample) over the songs of a set. "
        f"{FEATURE_KEY} (MusPy's names; rates and consistencies are in [0, 1], entropies in bits)."
    )
    return to_latex(frame, caption, "tab:features")


def _yang_lerch_table(comparison: pd.DataFrame, summary: pd.DataFrame, record: dict) -> str:
    sets = _sets(summary)
    sets = sets[sets["model_name"].isin(set(comparison["model_name"]))]
    measures = comparison.set_index(["model_name", "feature"])
    features = [name for name in FEATURE_LABELS if name in set(comparison["feature"])]
    frame = pd.DataFrame(
        {
            FEATURE_LABELS[feature]: [
                f"{number(measures.loc[(name, feature), 'overlapped_area'], 2)} / "
                f"{number(measures.loc[(name, feature), 'kl_divergence'], 2)}"
                for name in sets["model_name"]
            ]
            for feature in features
        }
    )
    frame.index = latex_index(_labels(sets), ["set"])
    training = (record.get("dataset") or {}).get("training_songs") or "the"
    caption = (
        "Yang and Lerch's relative measures, OA / KL: the overlapped area (1 = alike) and the KL divergence in nats "
        "(0 = alike) between the distances among the "
        f"{training} training songs (intra-set) and the distances from a set's songs to them (inter-set), per "
        f"feature. {FEATURE_KEY}."
    )
    return to_latex(frame, caption, "tab:yang-lerch")


def set_tables(
    summary: pd.DataFrame,
    comparison: pd.DataFrame | None,
    memorisation: pd.DataFrame | None,
    record: dict,
    same: dict[str, set[frozenset[str]]] | None = None,
) -> dict[str, str]:
    """The tables of this module (file stem -> LaTeX) that the evaluation has the data for; ``same``: per metric,
    the pairs of sets the Mann-Whitney test cannot tell apart (for the bold ties; None without tests)."""
    tables = {"table_sets": _sets_table(summary, same or {})}
    if memorisation is not None and not memorisation.empty:
        tables["table_memorisation"] = _memorisation_table(memorisation, summary, record)
    if comparison is not None and not comparison.empty:
        tables["table_features"] = _features_table(summary)
        tables["table_yang_lerch"] = _yang_lerch_table(comparison, summary, record)
    return tables
