"""Make a finished results folder light enough to commit, by the audio policy of :mod:`rnncells.grid.listen`.

Kept: every run's songs (songs.jsonl, generation.json), its metrics.csv and records, every evaluation table
with every song's row, tables, figures; the MIDI files of the first seed of each selected configuration (the run
the tables, audio and pages show) and of the n-gram baselines (the other runs', later seeds' and the final weights'
are left out: rnncells.generation.song_set writes them back byte for byte); per
selected model the audio of its best and most representative song
(``audio/<model>/song_NNN.ogg``); the TensorBoard projector files of the runs whose embeddings the study report
shows only (rnncells.study.sections.embedding_runs: the selected LSTMs). Removed by :func:`make_light`: every other
audio file (WAV included), the projector files of the other runs, every run's TensorBoard event files (the scalar
file and HParams session, which repeat metrics.csv and summary.csv), and the piano roll ``figures/best_song_<run>``
of every run but the first seed of a selected configuration (the one the tables, audio and report show). Nothing
removed is a result: ``rnncells grid finish --audio all`` or ``rnncells render`` renders the audio again from the
MIDI files, ``rnncells tensorboard RESULTS`` rebuilds the event files, ``grid finish`` draws the piano rolls
again from the songs, and a run's projector is written again when it is trained again.

:func:`compact_song_sets` rewrites older song sets without the tokens, durations and onsets that their pitches,
``note_steps`` and durations give again (as sets are written now: rnncells.generation.song_set, "Rows").
:func:`compact_run_metrics` rewrites older metrics.csv files without the perplexity columns, which the reader derives
from the losses (as runs are written now: rnncells.training.run_folder).
:func:`compact_evaluations` rewrites the evaluation folders' tables (each through
:class:`rnncells.evaluation.folder.EvaluationFolder`, which records the new checksums): floats with 7 significant
digits, as evaluations write them now; tests.csv cut to the pairs within the test family (the selected
configurations' runs and the sets that are no run of the grid: baselines, final weights), which are the pairs the
tables and the report read, the Holm correction of the kept rows staying that of every pair tested (none of the
cost-function validation's, whose checkpoints are read as means, and none of its box plots, nor the figures drawn
beside an ``evaluation-<mode>/`` folder); the cost-function validation's songs.csv keeps only the columns its
checkpoint means read, without its run-level tests and corpus comparison (its songs are not committed: paper_scripts/08
draws and scores them again); and the songs.csv
of an ``evaluation-<mode>/`` folder without the feature and memorisation columns that ``evaluation/songs.csv`` holds
with the same values for every song (only the tonality scores depend on the mode; evaluation.json names where the
columns are); and every songs.csv without the columns that follow from one it keeps (a model's variant, cell and
layers; a song's file; paper mode's ``mean_abs_interval``, which is its CMM: rnncells.evaluation.derived_columns),
which every reader puts back. PNG figures are
stored with a 256-colour palette (:func:`compress_png`: a third of the bytes, no visible change; each PDF keeps the
exact figure), and one wider or taller than MAX_PNG_SIDE pixels scaled down to it where that saves bytes.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

from PIL import Image

from rnncells.evaluation.columns import SONG_COLUMNS
from rnncells.evaluation.folder import COMPARISON_FILE, RUN_TESTS_FILE, TESTS_FILE, EvaluationFolder
from rnncells.files import write_bytes_atomic
from rnncells.generation.song_set import FINAL_WEIGHTS_SUFFIX, SongSetFolder, is_final_weights
from rnncells.grid.listen import AUDIO_DIR, AUDIO_SUFFIX, ROLES, audio_path, pick_rows
from rnncells.report.cost_validation import SONG_COLUMNS_READ
from rnncells.study.grid_folder import GridFolderError, GridPaths, selected_runs
from rnncells.study.sections import embedding_runs
from rnncells.training.run_folder import RunFolder
from rnncells.training.tensorboard import HPARAMS_FILE, PROJECTOR_CONFIG, SCALARS_FILE

RUN_FIGURES = ("best_song_",)  # figures/<prefix><run>.png|.pdf, drawn per generated run by rnncells.grid.runner
FIGURE_SUFFIXES = (".png", ".pdf")
# what songs.csv of an evaluation-<mode>/ folder keeps of the columns evaluation/songs.csv repeats: the file and split,
# and "copied", which the report's table of that mode reads
SONGS_KEPT_BESIDE = (*SONG_COLUMNS, "copied")
MAX_PNG_SIDE = 4000  # pixels: 20 inches at 200 dpi, the widest figure a screen shows without scrolling far
COST_VALIDATION_EVALUATION = Path("cost_validation") / "evaluation"  # paper_scripts/08_cost_function_validation.sh
# its checkpoints are sets of one run, compared with nothing: no run-level tests, no corpus comparison per checkpoint
COST_VALIDATION_TABLES_UNREAD = (RUN_TESTS_FILE, COMPARISON_FILE)
COST_VALIDATION_WHY = (
    "read as checkpoint means (rnncells.report.cost_validation); its songs are not committed, "
    "paper_scripts/08 draws and scores them again"
)


def chosen_runs(paths: GridPaths) -> list[str]:
    """The runs ``selection.json`` chose, every seed's (none when the folder has no selection)."""
    return sorted(paths.selected_runs())


def kept_audio(paths: GridPaths, selected: list[str]) -> set[Path]:
    """The audio files the policy keeps: each selected model's best and most representative song."""
    picks = pick_rows(paths)
    return {
        audio_path(paths, model, int(picks[model][role]["index"]), AUDIO_SUFFIX)
        for model in selected
        for role in ROLES
        if role in picks.get(model, {})
    }


def compress_png(path: Path) -> bool:
    """Store a figure with a palette of 256 colours when that makes it smaller (matplotlib's plots use few colours;
    the mean change is below one level in 255), scaled down to MAX_PNG_SIDE pixels on its longer side where it is
    larger and that makes it smaller (a memorisation figure of 150 sets is 8,000 pixels wide at 200 dpi; its PDF
    keeps every detail); returns whether the file was rewritten."""
    with Image.open(path) as image:
        scale = MAX_PNG_SIDE / max(image.size)
        if image.mode == "P" and scale >= 1:
            return False  # already a palette, and small enough
        if scale < 1:
            size = (round(image.width * scale), round(image.height * scale))
            image = image.convert("RGBA" if image.has_transparency_data else "RGB").resize(
                size, Image.Resampling.LANCZOS
            )
        opaque = image.mode != "RGBA" or image.getchannel("A").getextrema()[0] == 255
        if opaque:
            palette = image.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        else:
            palette = image.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    data = io.BytesIO()
    palette.save(data, "PNG", optimize=True)
    if data.tell() >= path.stat().st_size:  # scaling by a little blurs every edge: more bytes, not fewer
        return False
    write_bytes_atomic(path, data.getvalue())
    return True


def compress_figures(folder: Path) -> int:
    """:func:`compress_png` on every PNG below ``folder``; returns how many were rewritten."""
    return sum(compress_png(path) for path in sorted(folder.rglob("*.png")))


def shown_runs(paths: GridPaths) -> list[str]:
    """The first seed of each selected configuration: the run whose songs the tables, audio and report show."""
    try:
        selection = paths.read_selection() if paths.selection_path.is_file() else {}
    except GridFolderError:  # a damaged selection.json keeps every figure
        return []
    return sorted(selected_runs(entry)[0] for entry in selection.values() if entry.get("selected"))


def _run_folders(paths: GridPaths) -> list[Path]:
    return sorted(p for p in paths.runs.iterdir() if p.is_dir()) if paths.runs.is_dir() else []


def _remove(path: Path) -> bool:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.is_file():
        path.unlink()
    else:
        return False
    return True


def unshown_run_figures(paths: GridPaths, shown: list[str]) -> list[Path]:
    """The per-run figures (RUN_FIGURES) of the song sets that are not in ``shown``."""
    if not paths.figures.is_dir() or not paths.songs.is_dir():
        return []
    sets = {p.name for p in paths.songs.iterdir() if p.is_dir()} - set(shown)
    names = {f"{prefix}{name}{suffix}" for prefix in RUN_FIGURES for name in sets for suffix in FIGURE_SUFFIXES}
    return sorted(p for p in paths.figures.iterdir() if p.name in names)


def make_light(paths: GridPaths) -> list[Path]:
    """Remove what the module docstring says from ``paths.root``; returns the removed files and folders."""
    selected = chosen_runs(paths)
    keep = kept_audio(paths, selected)
    audio = paths.root / AUDIO_DIR
    removed = [p for p in sorted(audio.rglob("*")) if p.is_file() and p not in keep] if audio.is_dir() else []
    for path in removed:
        path.unlink()
    shown = set(embedding_runs(paths.read_selection())) if selected else set()
    for run in _run_folders(paths):
        parts = [run / HPARAMS_FILE, run / SCALARS_FILE]
        parts += [run / "projector", run / PROJECTOR_CONFIG] if selected and run.name not in shown else []
        removed += [part for part in parts if _remove(part)]
    # box plots of every checkpoint's set, which no page shows (the validation's own figure is cost_validation.png),
    # and the figures `rnncells evaluate` drew beside another mode's evaluation: no page shows them either, and
    # their memorisation and distance figures are the grid's own (they do not depend on the mode)
    unshown = [paths.root / COST_VALIDATION_EVALUATION / "figures", *paths.root.glob("evaluation-*/figures")]
    removed += [p for p in unshown if _remove(p)]
    if selected:
        figures = unshown_run_figures(paths, shown_runs(paths))
        removed += [path for path in figures if _remove(path)]
        removed += unselected_midi(paths, shown_runs(paths))  # later seeds' MIDI: songs.jsonl has them
    return removed


def unselected_midi(paths: GridPaths, selected: list[str]) -> list[Path]:
    """Leave out the MIDI files of the song sets of runs not in ``selected`` (make_light passes the first seed of
    each selected configuration, the run the pages play) and of the selected runs' final weights, which no page
    plays (their songs.jsonl keeps every note; `rnncells render SET` or `grid finish` writes them back byte for
    byte); returns the files removed."""
    runs = {p.name for p in _run_folders(paths)}
    sets = sorted(p for p in paths.songs.iterdir() if p.is_dir()) if paths.songs.is_dir() else []
    removed = []
    for path in sets:
        final = is_final_weights(path.name) and path.name.removesuffix(FINAL_WEIGHTS_SUFFIX) in runs
        if (path.name in runs and path.name not in selected) or final:
            midi = sorted(path.glob("song_*.mid"))
            if SongSetFolder(path).leave_out_midi():
                removed += midi
    return removed


def evaluation_folders(paths: GridPaths) -> list[EvaluationFolder]:
    """The complete evaluation folders of a grid: ``evaluation/``, each ``evaluation-<mode>/`` and the cost-function
    validation's (paper_scripts/08; its sets are checkpoints, read as checkpoint means, so no pairwise test stays)."""
    folders = [paths.evaluation, *sorted(paths.root.glob("evaluation-*")), paths.root / COST_VALIDATION_EVALUATION]
    return [EvaluationFolder(folder) for folder in folders if EvaluationFolder(folder).is_complete()]


def family_models(paths: GridPaths, models: list[str]) -> set[str]:
    """Of the scored ``models``, those in the test family: the runs of the selected configurations (every seed)
    and every set that is no run of the grid (baselines, n-gram sets, final weights)."""
    runs = {p.name for p in _run_folders(paths)}
    selected = paths.selected_runs()
    return {model for model in models if model not in runs or model in selected}


def compact_song_sets(paths: GridPaths) -> list[Path]:
    """Each song set of the grid and of its cost-function validation without what a reader derives again, as sets
    are written now (:meth:`SongSetFolder.compact`, which records the new checksums); returns the sets rewritten."""
    folders = [paths.songs, paths.root / COST_VALIDATION_EVALUATION.parent / "songs"]
    sets = [p for folder in folders if folder.is_dir() for p in sorted(folder.iterdir()) if p.is_dir()]
    return [path for path in sets if SongSetFolder(path).generation_path.is_file() and SongSetFolder(path).compact()]


def compact_run_metrics(paths: GridPaths) -> list[Path]:
    """Each metrics.csv of the grid's runs and of its cost-function validation's (``run-seedN``) without the
    perplexity columns, as runs are written now (:meth:`RunFolder.compact_metrics`, which records the new checksum
    in state.json); returns the files rewritten."""
    validation = paths.root / COST_VALIDATION_EVALUATION.parent
    runs = _run_folders(paths) + (sorted(validation.glob("run*")) if validation.is_dir() else [])
    folders = [RunFolder(path) for path in runs if RunFolder(path).is_run()]
    return [folder.metrics_path for folder in folders if folder.compact_metrics()]


def compact_evaluations(paths: GridPaths) -> list[Path]:
    """Rewrite each evaluation folder's tables as the module docstring says; returns the tables rewritten."""
    rewritten, main = [], EvaluationFolder(paths.evaluation)
    for folder in evaluation_folders(paths):
        if folder.path == paths.root / COST_VALIDATION_EVALUATION:  # read as checkpoint means, never pairwise
            if folder.keep_tests(set()):
                rewritten.append(folder.path / TESTS_FILE)
            if folder.keep_only(SONG_COLUMNS_READ, COST_VALIDATION_TABLES_UNREAD, COST_VALIDATION_WHY):
                rewritten.append(folder.songs_path)
        elif paths.selected_runs():
            models = folder.read_summary()["model_name"].astype(str).unique().tolist()
            if folder.keep_tests(family_models(paths, models)):
                rewritten.append(folder.path / TESTS_FILE)
        rewritten += [path for path in folder.compact() if path not in rewritten]
        beside = folder.path.name.startswith(f"{paths.evaluation.name}-")  # compact by now: equal values, equal text
        if beside and folder.drop_song_columns(main, SONGS_KEPT_BESIDE) and folder.songs_path not in rewritten:
            rewritten.append(folder.songs_path)
        if folder.derive_song_columns(keep=()) and folder.songs_path not in rewritten:
            rewritten.append(folder.songs_path)
    return rewritten
