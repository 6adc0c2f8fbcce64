"""Score song sets with the tonality metrics, features and memorisation, and compare them (docs/method.md §4).

Input: song sets — folders written by ``rnncells generate`` and plain MIDI folders, files or lists
(:mod:`rnncells.evaluation.midi_sets`) — and, optionally, the dataset folder (:mod:`rnncells.data.folder`) whose
songs are the baseline and whose training songs are the reference. Output: an evaluation folder
(:mod:`rnncells.evaluation.folder`, which names its files and columns):

- ``songs.csv``: one row per song: who made it, CMM / LM / CENTR / general tonality, the file it came from, the
  distribution features and MusPy's metrics, and (with a dataset) its memorisation of the training songs;
- ``summary.csv``: per model and measure n, mean, variance, std (sample, ddof=1), min, max, and the set's scope;
- ``best_songs.csv`` (lowest general tonality) and ``representative_songs.csv`` (nearest to the mean point);
- ``tests.csv``: pairwise Mann-Whitney U tests per metric, rank-biserial effect size, Holm-corrected p;
- ``comparison.csv``: each set's features against the training set (Yang & Lerch, in full);
- ``memorisation.csv``: per model, the copied songs and the tonality of the others;
- ``corpus_likeness.csv`` and ``rankings.csv`` (with a dataset and generated sets): each set's overlap with the
  training songs' feature distributions, all cut to one length, and its rank by tonality beside its rank by that
  overlap; ``cut_baselines`` adds the dataset's songs of each split cut to that length (rnncells.evaluation.corpus);
- ``evaluation.json``: inputs, settings and the file list; written last, so its presence means "complete".
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from rnncells.data.folder import DatasetFolder, DatasetFolderError
from rnncells.errors import RnncellsError
from rnncells.evaluation.columns import (
    BASELINE_MODEL,
    BASELINE_SPLITS,
    BEST_COLUMNS,
    FEATURE_COLUMNS,
    ID_COLUMNS,
    MEMORISATION_COLUMNS,
    METRICS,
    MODEL_COLUMNS,
    POINT_METRICS,
    SCOPE_COLUMN,
    as_stored,
    baseline_scope,
)
from rnncells.evaluation.corpus import corpus_likeness, cut_baselines, cut_length, rankings
from rnncells.evaluation.folder import (
    BEST_FILE,
    COMPARISON_FILE,
    CONFIGURATIONS_FILE,
    CORPUS_FILE,
    MEMORISATION_FILE,
    RANKINGS_FILE,
    REPRESENTATIVE_FILE,
    RUN_TESTS_FILE,
    RUNS_FILE,
    SONGS_TABLE_FILE,
    SUMMARY_FILE,
    TESTS_FILE,
    VARIANCE_FILE,
    EvaluationFolder,
)
from rnncells.evaluation.memorisation import MemorisationError, TrainingIndex, check_threshold, measure
from rnncells.evaluation.midi_sets import load_inputs
from rnncells.evaluation.replicates import replicate_tables, split_replicate
from rnncells.evaluation.set_measures import compare_with_training, memorisation_summary, set_scope
from rnncells.evaluation.statistics import EFFECT_SIZE, describe, holm, pairwise_tests, rank_biserial
from rnncells.files import portable_path
from rnncells.generation.song_arrays import SongSet, song_notes
from rnncells.generation.song_set import SongSetError
from rnncells.locks import locks_folder
from rnncells.music import metrics
from rnncells.music.features import MUSPY_FEATURES, muspy_features

__all__ = [
    "EvaluationError",
    "best_songs",
    "describe",
    "evaluate_song_sets",
    "holm",
    "load_dataset_baseline",
    "pairwise_tests",
    "rank_biserial",
    "representative_songs",
    "score_song_set",
    "summarize",
]

BASELINE_VARIANT = "control"  # the baseline and the reference are songs of this variant: absolute pitches
BASELINE_SPLIT = "train"
MEMORISATION_MEASURES = ("shared_run", "ngram4_in_train", "ngram8_in_train", "copied")  # the numeric ones


class EvaluationError(RnncellsError, ValueError):
    """An input that cannot be evaluated; the message names the file or folder and what is expected."""


def load_dataset_songs(dataset_dir: str | Path, split: str = BASELINE_SPLIT, *, rhythm: bool = False) -> SongSet:
    """The dataset's control-variant songs of one split, or of every split with ``split="all"``."""
    folder = DatasetFolder(dataset_dir)
    songs_path = folder.songs_path(BASELINE_VARIANT)
    try:
        rows = [row for row in folder.read_songs(BASELINE_VARIANT) if split == "all" or row.get("split") == split]
    except DatasetFolderError as error:
        raise EvaluationError(str(error)) from None
    if not rows:
        raise EvaluationError(f"{songs_path}: no songs with split == {split!r}; {folder.fix}")
    pitches, durations = [], []
    for row in rows:
        try:
            notes, steps = song_notes(row, f"{songs_path} song {row.get('id')!r}", rhythm)
        except SongSetError as error:
            raise EvaluationError(str(error)) from None
        pitches.append(notes)
        durations.append(steps)
    return SongSet(
        model_name=BASELINE_MODEL,
        variant=BASELINE_MODEL,
        cell="",
        layers=None,
        source=folder.path,
        pitches=pitches,
        durations=durations,
        indices=list(range(len(rows))),
        song_ids=[str(row.get("id", i)) for i, row in enumerate(rows)],
        songs_path=songs_path,
        files=[str(row.get("source") or "") for row in rows],
        splits=[str(row.get("split") or "") for row in rows],
    )


def load_dataset_baseline(dataset_dir: str | Path, *, rhythm: bool = False) -> SongSet:
    """The training songs of the dataset's control variant: absolute pitches, the study's baseline."""
    return load_dataset_songs(dataset_dir, BASELINE_SPLIT, rhythm=rhythm)


def _features(pitches: list[int], durations: list[int]) -> dict[str, float]:
    """The distribution features, then MusPy's metrics not among them (FEATURE_COLUMNS)."""
    features = metrics.distribution_features(pitches)
    extra = muspy_features(pitches, durations if len(durations) == len(pitches) else None)
    return features | {name: extra[name] for name in MUSPY_FEATURES if name not in features}


def score_song_set(
    song_set: SongSet, *, mode: str = "paper", span: int = 12, rhythm: bool = False
) -> tuple[pd.DataFrame, list[dict]]:
    """One row per song (ids, tonality metrics, file, split, features) and the feature dicts."""
    where = song_set.songs_path or song_set.source
    try:
        if rhythm:
            tonality = metrics.score_songs_rhythm(song_set.pitches, song_set.durations, span=span, mode=mode)
        else:
            tonality = metrics.score_songs(song_set.pitches, mode=mode, span=span)
        features = [_features(p, d) for p, d in zip(song_set.pitches, song_set.durations, strict=True)]
    except metrics.MetricInputError as error:
        # The metrics count songs from 0 in the order read; say which file they came from.
        raise EvaluationError(f"{where}: {error}") from None
    n = len(song_set.pitches)
    tonality = np.asarray(tonality, dtype=float)
    frame = pd.DataFrame(
        {
            "model_name": song_set.model_name,
            "variant": song_set.variant,
            "cell": song_set.cell,
            "layers": pd.array([song_set.layers] * n, dtype="Int64"),
            "index": song_set.indices,
            "song_id": song_set.song_ids,
        }
    )
    for column, name in enumerate(METRICS):
        frame[name] = tonality[:, column]
    frame["file"] = song_set.files or [""] * n
    frame["split"] = song_set.splits or [""] * n
    for name in FEATURE_COLUMNS:
        frame[name] = [float(song[name]) for song in features]
    return frame, features


def _models(songs: pd.DataFrame) -> list[pd.DataFrame]:
    """The per-model groups, in the order the models first appear."""
    return [songs[songs["model_name"] == name] for name in songs["model_name"].unique()]


def summarize(songs: pd.DataFrame, scopes: dict[str, str] | None = None) -> pd.DataFrame:
    """Long table: one row per (model, measure) with n, mean, variance, std, min, max and the set's scope.

    The tonality metrics come first, model by model; then every feature and memorisation measure songs.csv has.
    """
    extra = [c for c in (*FEATURE_COLUMNS, *MEMORISATION_MEASURES) if c in songs.columns]
    rows = []
    for measures in (METRICS, extra):
        for group in _models(songs):
            first = group.iloc[0]
            model = {column: first[column] for column in MODEL_COLUMNS}
            scope = (scopes or {}).get(str(first["model_name"]), "")
            for measure_name in measures:
                rows.append({**model, "metric": measure_name, **describe(group[measure_name]), SCOPE_COLUMN: scope})
    return _with_int_layers(pd.DataFrame(rows))


def best_songs(songs: pd.DataFrame) -> pd.DataFrame:
    """Per model, the song with the lowest general tonality (the first one on a tie)."""
    rows = [group.loc[group["general"].idxmin(), list(BEST_COLUMNS)] for group in _models(songs)]
    return _with_int_layers(pd.DataFrame(rows).reset_index(drop=True))


def representative_songs(songs: pd.DataFrame) -> pd.DataFrame:
    """Per model, the song nearest (Euclidean) to the model's mean (CMM, LM, CENTR) point."""
    rows = []
    for group in _models(songs):
        points = group[list(POINT_METRICS)].to_numpy(dtype=float)
        centre = points.mean(axis=0)
        distances = np.linalg.norm(points - centre, axis=1)
        nearest = int(np.argmin(distances))
        row = group.iloc[nearest][list(BEST_COLUMNS)].to_dict()
        row["distance"] = float(distances[nearest])
        row.update({f"mean_{metric}": float(mean) for metric, mean in zip(POINT_METRICS, centre, strict=True)})
        rows.append(row)
    return _with_int_layers(pd.DataFrame(rows))


def _with_int_layers(frame: pd.DataFrame) -> pd.DataFrame:
    if "layers" in frame:
        frame["layers"] = pd.array(frame["layers"].tolist(), dtype="Int64")
    return frame


def _memorisation(songs: pd.DataFrame, sets: list[SongSet], training: SongSet, threshold: int) -> pd.DataFrame:
    """songs.csv's memorisation columns: every song against the training songs; a dataset song leaves itself out."""
    index = TrainingIndex(training.pitches, training.song_ids, training.files)
    position = {song_id: number for number, song_id in enumerate(training.song_ids)}
    columns = []
    for song_set in sets:
        dataset_songs = song_set.model_name == BASELINE_MODEL or "cut" in song_set.info  # its own songs: left out
        leave_out = [position.get(i) if dataset_songs else None for i in song_set.song_ids]
        measured = measure(index, song_set.pitches, leave_out=leave_out, threshold=threshold)
        columns += [[getattr(m, name) for name in MEMORISATION_COLUMNS] for m in measured]
    memorised = pd.DataFrame(columns, columns=list(MEMORISATION_COLUMNS), index=songs.index)
    return pd.concat([songs, memorised], axis=1)


def _load_inputs(
    song_dirs: list[Path], dataset_dir: Path | None, rhythm: bool, names: list[str] | None, track: str | None
) -> list[SongSet]:
    """The song sets (each with its own model_name), in the order given."""
    if not song_dirs and dataset_dir is None:
        raise EvaluationError(
            "nothing to evaluate: pass a dataset (baseline only) or song sets (generated folders or MIDI files)"
        )
    try:
        sets = load_inputs(song_dirs, names=names, track=track, rhythm=rhythm)
    except SongSetError as error:
        raise EvaluationError(str(error)) from None
    seen: dict[str, Path] = {}
    for song_set in sets:
        if song_set.model_name == BASELINE_MODEL or song_set.model_name in seen:
            other = seen.get(song_set.model_name, "the dataset baseline")
            raise EvaluationError(
                f"{song_set.source}: model_name {song_set.model_name!r} is also used by {other}; each song set "
                "needs its own model_name (generation.json's, or --name for MIDI files)"
            )
        seen[song_set.model_name] = song_set.source
    return sets


def _check_left_out(leave_out: Iterable[str], sets: list[SongSet]) -> None:
    """Refuse a configuration to leave out of the test family that no song set has (a typo would leave it in)."""
    configurations = sorted({split_replicate(s.model_name)[0] for s in sets})
    unknown = sorted(set(leave_out) - set(configurations))
    if unknown:
        more = f", … ({len(configurations)} in all)" if len(configurations) > 5 else ""
        shown = ", ".join(configurations[:5]) + more
        raise EvaluationError(
            f"--leave-out {', '.join(unknown)}: no song set has that configuration (a set's name without -seedN); "
            f"name one of: {shown or 'none, there are no song sets'}"
        )


def _here(path: Path, out_dir: Path) -> str:
    """``path`` relative to the evaluation folder (no machine path in evaluation.json)."""
    return portable_path(Path(path).resolve(), Path(out_dir).resolve())


def _input_record(song_set: SongSet, out_dir: Path) -> dict:
    record = {
        "path": _here(song_set.source, out_dir),
        "kind": song_set.info.get("kind", "generated"),
        "model_name": song_set.model_name,
        "variant": song_set.variant,
        "cell": song_set.cell,
        "layers": song_set.layers,
        "units": song_set.info.get("units"),
        "songs": len(song_set.pitches),
        "generation": song_set.info.get("config", {}),
    }
    if record["kind"] == "midi":
        record |= {key: song_set.info[key] for key in ("track", "files_read", "skipped")}
    return record


def _record(
    sets: list[SongSet], baseline: SongSet | None, dataset: dict, songs: pd.DataFrame, settings: dict, out_dir: Path
) -> dict:
    """What evaluation.json says besides its file list: inputs, the baseline, settings, statistics used."""
    return {
        "inputs": [_input_record(s, out_dir) for s in sets],
        "dataset": None
        if baseline is None
        else {
            "path": _here(baseline.source, out_dir),
            "songs_file": baseline.songs_path.relative_to(baseline.source).as_posix(),
            "model_name": BASELINE_MODEL,
            "scope": baseline_scope(baseline.splits),
            **dataset,
        },
        "settings": settings,
        "metrics": list(METRICS),
        "feature_columns": [c for c in songs.columns if c not in ID_COLUMNS and c not in METRICS],
        "statistics": {
            "variance_std": "sample (ddof=1), as scipy.stats.describe and scipy.stats.tstd",
            "test": "scipy.stats.mannwhitneyu, two-sided, every pair of models (dataset included) per metric",
            "effect_size": EFFECT_SIZE,
            "correction": "Holm-Bonferroni over all comparisons of one metric; significant = p_holm < 0.05",
            "representative": "song nearest (Euclidean) to the model's mean (cmm, lm, centr) point",
            "best": "song with the lowest general tonality (cmm + lm + centr)",
        },
    }


def _check_options(baseline: str, copy_threshold: int) -> int:
    if baseline not in BASELINE_SPLITS:
        raise EvaluationError(f"baseline {baseline!r}: use one of {', '.join(BASELINE_SPLITS)} (default train)")
    try:
        return check_threshold(copy_threshold)
    except MemorisationError as error:
        raise EvaluationError(str(error)) from None


@locks_folder("out_dir", "rnncells evaluate")  # one writer per evaluation folder (rnncells.locks)
def evaluate_song_sets(
    song_dirs: list[Path],
    dataset_dir: Path | None,
    out_dir: Path,
    *,
    mode: str = "paper",
    span: int = 12,
    rhythm: bool = False,
    names: list[str] | None = None,
    track: str | None = None,
    baseline: str = BASELINE_SPLIT,
    copy_threshold: int = 16,
    cut_baselines_too: bool = False,
    leave_out: Iterable[str] = (),
) -> Path:
    """Score, summarize and compare song sets (and the dataset baseline); return ``out_dir``.

    ``song_dirs`` are generated folders and MIDI folders, files or lists (:mod:`rnncells.evaluation.midi_sets`;
    ``names`` renames the MIDI sets in order, ``track`` picks their melody track). ``baseline`` is ``"train"`` (the
    training split) or ``"all"`` (every song of the dataset); memorisation and the Yang & Lerch comparison are
    always against the training split. ``cut_baselines_too`` scores the dataset's splits cut to the generated length
    as sets of their own (rnncells.evaluation.corpus). The run-level tables (:mod:`rnncells.evaluation.replicates`)
    test every scored set's configuration against the others except those named in ``leave_out`` (a grid's
    configurations that selection did not pick). Every table is computed before anything is written; each file is
    written atomically and ``evaluation.json`` last (:meth:`rnncells.evaluation.folder.EvaluationFolder.write`).
    """
    threshold = _check_options(baseline, copy_threshold)
    sets = _load_inputs([Path(d) for d in song_dirs], dataset_dir, rhythm, names, track)
    _check_left_out(leave_out, sets)
    reference = dataset = None
    if dataset_dir is not None:
        reference = load_dataset_songs(dataset_dir, BASELINE_SPLIT, rhythm=rhythm)
        dataset = reference if baseline == BASELINE_SPLIT else load_dataset_songs(dataset_dir, "all", rhythm=rhythm)
    length = cut_length(sets) if reference is not None else None
    if cut_baselines_too and length is not None:
        sets = sets + cut_baselines(load_dataset_songs(dataset_dir, "all", rhythm=rhythm), length)
    every = sets + ([dataset] if dataset else [])
    songs = pd.concat([score_song_set(s, mode=mode, span=span, rhythm=rhythm)[0] for s in every], ignore_index=True)
    if reference is not None:
        songs = _memorisation(songs, every, reference, threshold)
    # the tonality scores as songs.csv holds them, so the tests rank (and tie) the values a reader finds there
    songs = as_stored(songs, METRICS)

    scopes = {s.model_name: set_scope(s) for s in every}
    tables = {
        SONGS_TABLE_FILE: songs,
        SUMMARY_FILE: summarize(songs, scopes),
        BEST_FILE: best_songs(songs),
        REPRESENTATIVE_FILE: representative_songs(songs),
        TESTS_FILE: pairwise_tests(songs),
    }
    replicates = replicate_tables(songs, leave_out)
    tables |= {
        RUNS_FILE: replicates["runs"],
        CONFIGURATIONS_FILE: replicates["configurations"],
        RUN_TESTS_FILE: replicates["run_tests"],
        VARIANCE_FILE: replicates["variance"],
    }
    if reference is not None:
        tables[COMPARISON_FILE] = _with_int_layers(compare_with_training(songs))
        tables[MEMORISATION_FILE] = _with_int_layers(memorisation_summary(songs))
    if reference is not None and length is not None:
        corpus, used = corpus_likeness(sets, reference, length, _features)
        tables[CORPUS_FILE] = _with_int_layers(corpus)
        tables[RANKINGS_FILE] = _with_int_layers(rankings(songs, corpus, scopes, used))
    described = {"split": baseline, "songs": len(dataset.pitches) if dataset else 0}
    if reference is not None:
        described |= {"training_songs": len(reference.pitches), "copy_threshold": threshold}
    settings = {"mode": mode, "span": span, "rhythm": rhythm}
    folder = EvaluationFolder(out_dir)
    folder.write(tables, _record(sets, dataset, described, songs, settings, out_dir))
    return folder.path
