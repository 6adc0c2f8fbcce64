"""A results folder made light: the selected models' best and representative audio and projectors stay, the rest
goes; every run's TensorBoard event files go (rebuilt from metrics.csv), per-run piano rolls stay only for the shown
run of each selected configuration, every run's songs and evaluation rows stay, and the evaluation tables keep
7 significant digits and the song-level tests within the test family."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from PIL import Image

from rnncells.evaluation.columns import ID_COLUMNS, METRICS
from rnncells.evaluation.evaluate import evaluate_song_sets
from rnncells.evaluation.folder import EvaluationFolder
from rnncells.files import compact_number
from rnncells.grid.light import (
    MAX_PNG_SIDE,
    compact_evaluations,
    compact_run_metrics,
    compact_song_sets,
    compress_png,
    make_light,
)
from rnncells.report.figure_base import new_figure, save_figure
from rnncells.training.tensorboard import HPARAMS_FILE, PROJECTOR_CONFIG, SCALARS_FILE
from tests.grid.test_grid_listen import (  # noqa: F401 (fixtures)
    MODELS,
    N_SONGS,
    evaluated,
    pick_files,
    results,
    write_page,
)

SELECTION = {"control-lstm": {"selected": MODELS[0]}}


def test_only_the_picks_audio_and_the_selected_projectors_stay(results):  # noqa: F811
    grid, paths = results
    (paths.root / "selection.json").write_text(json.dumps(SELECTION))
    for model in MODELS:
        for index in range(4):
            for suffix in (".ogg", ".wav"):
                path = paths.root / "audio" / model / f"song_{index:03d}{suffix}"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(b"audio")
    for name in ("control-lstm-1", "control-lstm-2"):
        (paths.runs / name / "projector").mkdir(parents=True)
        (paths.runs / name / "projector" / "vectors.tsv").write_text("0.1\t0.2\n")
        (paths.runs / name / PROJECTOR_CONFIG).write_text("embeddings {}\n")
    removed = make_light(paths)
    midi = [p for p in removed if p.suffix == ".mid"]  # the unselected run's MIDI files (songs.jsonl keeps them)
    assert len(midi) == N_SONGS and {p.parent.name for p in midi} == {MODELS[1]}
    kept = {p.relative_to(paths.root).as_posix() for p in (paths.root / "audio").rglob("*") if p.is_file()}
    assert kept == {name for name in pick_files(paths) if name.startswith(f"audio/{MODELS[0]}/")}
    assert 1 <= len(kept) <= 2 and len(removed) == 16 - len(kept) + 2 + N_SONGS
    assert len(list((paths.songs / MODELS[0]).glob("*.mid"))) == N_SONGS
    assert (paths.runs / "control-lstm-1" / "projector" / "vectors.tsv").is_file()
    assert not (paths.runs / "control-lstm-2" / "projector").exists()
    assert not (paths.runs / "control-lstm-2" / PROJECTOR_CONFIG).exists()
    assert make_light(paths) == []


def test_event_files_and_the_unshown_runs_piano_rolls_go_songs_and_the_rest_stay(results):  # noqa: F811
    grid, paths = results
    (paths.root / "selection.json").write_text(json.dumps(SELECTION))
    for name in MODELS:
        for part in (HPARAMS_FILE, SCALARS_FILE):
            (paths.runs / name / part).write_bytes(b"events")
    paths.figures.mkdir()
    drawn = [f"{kind}_song_{model}" for kind in ("best", "representative") for model in MODELS]
    drawn = [name + suffix for name in drawn for suffix in (".png", ".pdf")] + ["box_general.png", "span_x.png"]
    for name in drawn:
        (paths.figures / name).write_bytes(b"figure")
    boxes = paths.root / "cost_validation" / "evaluation" / "figures"  # every checkpoint's box plots
    boxes.mkdir(parents=True)
    (boxes / "box_general.png").write_bytes(b"figure")
    beside = paths.root / "evaluation-corrected" / "figures"  # drawn by `rnncells evaluate --mode corrected`
    beside.mkdir(parents=True)
    (beside / "memorisation.png").write_bytes(b"figure")
    songs = {p.relative_to(paths.root) for p in paths.songs.rglob("*") if p.is_file()}
    midi = {p for p in songs if p.parent.name == MODELS[1] and p.suffix == ".mid"}  # the unselected run's
    removed = {p.relative_to(paths.root).as_posix() for p in make_light(paths)}
    events = {f"runs/{model}/{part}" for model in MODELS for part in (HPARAMS_FILE, SCALARS_FILE)}
    figures = {f"figures/best_song_{MODELS[1]}.png", f"figures/best_song_{MODELS[1]}.pdf"}
    expected = events | figures | {p.as_posix() for p in midi}
    expected |= {"cost_validation/evaluation/figures", "evaluation-corrected/figures"}
    assert removed == expected and len(midi) == N_SONGS
    assert sorted(p.name for p in paths.figures.iterdir()) == sorted(
        ["box_general.png", "span_x.png", f"best_song_{MODELS[0]}.png", f"best_song_{MODELS[0]}.pdf"]
        + [f"representative_song_{model}{suffix}" for model in MODELS for suffix in (".png", ".pdf")]
    )
    assert {p.relative_to(paths.root) for p in paths.songs.rglob("*") if p.is_file()} == songs - midi
    assert all((paths.runs / model / "metrics.csv").is_file() for model in MODELS)


@pytest.fixture
def with_baseline(results, tmp_path):  # noqa: F811
    """The results folder evaluated again with a third set that is no run of the grid (plain MIDI files)."""
    grid, paths = results
    midi = tmp_path / "midi"
    midi.mkdir()
    for song in sorted((paths.songs / MODELS[1]).glob("*.mid")):
        shutil.copy(song, midi / f"tune_{song.name}")  # plain MIDI files, no song set
    shutil.rmtree(paths.evaluation)
    sets = [*(paths.songs / m for m in MODELS), midi]
    evaluate_song_sets(sets, None, paths.evaluation, names=["other"])
    evaluate_song_sets(sets, None, paths.root / "evaluation-corrected", names=["other"], mode="corrected")
    (paths.root / "selection.json").write_text(json.dumps(SELECTION))
    return paths


def test_the_evaluation_keeps_every_song_and_the_family_tests(with_baseline):
    paths = with_baseline
    folder = EvaluationFolder(paths.evaluation)
    songs, tests = folder.read_songs(), folder.read_tests()
    assert len(tests) == 4 * 3  # every pair of the three sets, per metric
    corrected = EvaluationFolder(paths.root / "evaluation-corrected")
    corrected_songs = corrected.read_songs()
    checkpoints = EvaluationFolder(shutil.copytree(folder.path, paths.root / "cost_validation" / "evaluation"))
    checkpoint_songs = checkpoints.read_songs()
    rewritten = compact_evaluations(paths)
    tests_files = [f.path / "tests.csv" for f in (folder, corrected, checkpoints)]
    expected = [*tests_files, folder.songs_path, corrected.songs_path, checkpoints.songs_path]
    assert sorted(rewritten) == sorted(expected)  # the rest was written compact
    pd.testing.assert_frame_equal(folder.read_songs(), songs)  # the derived columns put back, value for value
    derived = folder.read_record()["songs_columns_derived"]["columns"]
    assert derived["n_pitch_classes_used"] == {"same_as": "pitch_class_count"}  # one feature, two names
    assert not set(derived) & set(folder.songs_path.read_text().splitlines()[0].split(","))
    reduced = checkpoints.read_songs()  # what the cost-function validation reads, and nothing else
    assert list(reduced.columns) == [c for c in checkpoint_songs.columns if c in {*ID_COLUMNS, *METRICS, "copied"}]
    pd.testing.assert_frame_equal(reduced, checkpoint_songs[reduced.columns], check_exact=False, rtol=1e-6)
    assert "run_tests.csv" not in checkpoints.read_record()["files"]
    assert folder.damage() == [] and corrected.damage() == [] and checkpoints.damage() == []
    assert checkpoints.read_tests().empty and checkpoints.read_record()["tests_kept"]["rows"] == 0  # means, not pairs
    assert checkpoints.read_record().get("songs_columns_in") is None
    header = corrected.songs_path.read_text().splitlines()[0].split(",")
    assert "pitch_range" not in header and {"cmm", "general"} <= set(header)  # features: in evaluation/
    pd.testing.assert_frame_equal(corrected.read_songs(), corrected_songs)  # joined back
    assert not corrected_songs["general"].equals(songs["general"])  # the scores are the mode's own
    kept = folder.read_tests()
    assert set(zip(kept["model_a"], kept["model_b"])) == {(MODELS[0], "other")}  # MODELS[1] was not selected
    before = tests[(tests["model_a"] == MODELS[0]) & (tests["model_b"] == "other")]
    assert kept["p_holm"].tolist() == pytest.approx(before["p_holm"].tolist(), rel=1e-6)  # Holm over all pairs
    light = folder.read_songs()
    assert len(light) == 3 * N_SONGS and set(light["model_name"]) == {*MODELS, "other"}
    pd.testing.assert_frame_equal(light, songs, check_exact=False, rtol=1e-6)
    cells = [cell for name in ("songs.csv", "tests.csv") for cell in (folder.path / name).read_text().split(",")]
    assert all(compact_number(cell.strip()) == cell.strip() for cell in cells)  # 7 significant digits at most
    assert compact_evaluations(paths) == []


def test_older_song_sets_lose_only_what_their_rows_give_again(results):  # noqa: F811
    from rnncells.generation.song_arrays import load_song_set
    from rnncells.generation.song_set import SongSetFolder

    grid, paths = results
    older = SongSetFolder(paths.songs / MODELS[0])
    rows = older.read_songs()
    assert all(set(row) == {"index", "pitches"} for row in older._read_rows())  # pitch-only: notes of note_steps
    older.songs_path.write_text("".join(json.dumps({**row, "tokens": row["pitches"]}) + "\n" for row in rows))
    record = older.read_generation()
    record.pop("files")
    older.write_generation(record)  # as a set written before tokens, durations and onsets were left out
    before = load_song_set(older.path, rhythm=True)
    assert compact_song_sets(paths) == [older.path] and compact_song_sets(paths) == []
    assert older.read_songs() == rows and older.damage() == []
    after = load_song_set(older.path, rhythm=True)
    assert (after.pitches, after.durations) == (before.pitches, before.durations)


def test_older_metrics_lose_only_their_perplexity_columns(results):  # noqa: F811
    from rnncells.training.damage import run_damage
    from tests.training.test_run_folder import older_metrics, saved_run

    grid, paths = results
    runs = [saved_run(paths.runs / "control-lstm-3"), saved_run(paths.root / "cost_validation" / "run-seed0")]
    for run in runs:
        older_metrics(run)  # as runs wrote metrics.csv before
    rows = [run.read_metrics() for run in runs]
    assert compact_run_metrics(paths) == [run.metrics_path for run in runs] and compact_run_metrics(paths) == []
    assert [run.read_metrics() for run in runs] == rows and all(run_damage(run) == [] for run in runs)
    assert not any("perplexity" in run.metrics_path.read_text() for run in runs)


def test_the_left_out_midi_comes_back_byte_for_byte_by_render_and_the_index_says_how(results, capsys):  # noqa: F811
    from rnncells.cli import main

    grid, paths = results
    (paths.root / "selection.json").write_text(json.dumps(SELECTION))
    unselected = paths.songs / MODELS[1]
    drawn = {p.name: p.read_bytes() for p in unselected.glob("*.mid")}
    make_light(paths)
    assert not list(unselected.glob("*.mid"))
    page = write_page(grid, paths, None).read_text()
    assert f"MIDI files left out: <code>rnncells render songs/{MODELS[1]}</code>" in page
    capsys.readouterr()
    assert main(["render", str(unselected)]) == 0
    assert capsys.readouterr().out.strip() == f"{N_SONGS} mid -> {unselected}"
    assert {p.name: p.read_bytes() for p in unselected.glob("*.mid")} == drawn


def test_a_selected_runs_final_weights_set_leaves_out_its_midi_too(results):  # noqa: F811
    grid, paths = results
    (paths.root / "selection.json").write_text(json.dumps(SELECTION))
    final = paths.songs / f"{MODELS[0]}-final"
    shutil.copytree(paths.songs / MODELS[0], final)  # as `score_final_weights` draws it, beside the run's own set
    removed = make_light(paths)
    assert {p.parent.name for p in removed if p.suffix == ".mid"} == {MODELS[1], final.name}
    assert len(list((paths.songs / MODELS[0]).glob("*.mid"))) == N_SONGS  # the selected run keeps its MIDI


def test_later_seeds_of_a_selected_configuration_leave_out_their_midi(replicated_grid, tmp_path):
    from rnncells.generation.song_set import SongSetFolder
    from rnncells.study.grid_folder import GridPaths

    root = shutil.copytree(replicated_grid, tmp_path / "grid")
    selected = json.loads((root / "selection.json").read_text())["control-gru"]["selected"]
    first, later = (SongSetFolder(root / "songs" / f"{selected}-seed{seed}") for seed in (0, 1))
    drawn = later.read_midi(0)
    make_light(GridPaths(root))
    assert not first.midi_left_out and len(list(first.path.glob("song_*.mid"))) == len(first.read_songs())
    assert later.midi_left_out and not list(later.path.glob("song_*.mid")) and later.damage() == []
    assert later.write_midi_again() == len(later.read_songs()) and later.read_midi(0) == drawn  # byte for byte


def test_a_figure_is_stored_with_a_palette_and_a_very_wide_one_scaled_down(tmp_path):
    paths = {}
    for name, width in (("small", 6.0), ("wide", 40.0)):  # 1,200 and 8,000 pixels wide at 200 dpi
        figure, axes = new_figure(width, 3.0)
        axes.plot(range(50), [i % 7 for i in range(50)], label="a line")
        axes.set_title(f"{name} figure")
        paths[name] = save_figure(figure, tmp_path / name)[0]
    sizes = {name: Image.open(path).size for name, path in paths.items()}
    assert sizes["wide"][0] > 2 * MAX_PNG_SIDE
    assert compress_png(paths["small"]) and compress_png(paths["wide"])
    with Image.open(paths["small"]) as small, Image.open(paths["wide"]) as wide:
        assert small.mode == wide.mode == "P" and small.size == sizes["small"]  # a palette; the small one keeps size
        assert max(wide.size) == MAX_PNG_SIDE
        assert abs(wide.width / wide.height - sizes["wide"][0] / sizes["wide"][1]) < 0.01  # same proportions
    assert not compress_png(paths["small"]) and not compress_png(paths["wide"])  # done once
