"""The index page you can listen to: it opens with the results table, every ``<audio>`` source it names exists,
by default only each model's best and most representative song is rendered (``--audio all``: every song), songs
render once, no machine path is written, and without FluidSynth the page says so and names no audio."""

from __future__ import annotations

import re
import shutil
import sys
import threading
from html.parser import HTMLParser
from pathlib import Path

import pytest

from rnncells.config.generate import GenerateConfig
from rnncells.errors import InputError
from rnncells.evaluation.evaluate import evaluate_song_sets
from rnncells.generation.generate import generate
from rnncells.grid.index import rewrite_index, write_index
from rnncells.grid.listen import RENDER_HINT, pick_rows, render_listening, start_listening
from rnncells.grid.plan import plan_runs
from rnncells.grid.selection import select_runs
from rnncells.study.grid_folder import GridPaths
from tests.grid.test_grid_parts import fake_grid
from tests.report.test_audio import needs_fluidsynth

REPO = Path(__file__).resolve().parents[2]
SHIPPED_RUN = REPO / "results" / "models" / "edm-control-lstm-2"
MODELS = ("control-lstm-1", "control-lstm-2")
N_SONGS = 4


class Sources(HTMLParser):
    """The ``src`` of every ``<audio>`` and ``<img>`` and the ``href`` of every link of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.audio: list[str] = []
        self.images: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "audio":
            self.audio.append(values["src"])
        elif tag == "img":
            self.images.append(values["src"])
        elif tag == "a":
            self.links.append(values["href"])


def page_sources(index: Path) -> Sources:
    parser = Sources()
    parser.feed(index.read_text(encoding="utf-8"))
    return parser


def assert_audio_sources_exist(index: Path) -> list[str]:
    """Every ``<audio>`` source of a generated index page is a file beside it; returns the sources."""
    sources = page_sources(index)
    for source in sources.audio:
        path = index.parent / source
        assert path.is_file() and path.stat().st_size > 1000, source
        assert path.read_bytes()[:4] in (b"RIFF", b"OggS"), source
    return sources.audio


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory) -> Path:
    """Songs of two 'selected models' (the shipped model's, no training) and their evaluation."""
    root = tmp_path_factory.mktemp("evaluated")
    for seed, model in enumerate(MODELS):
        generate(SHIPPED_RUN, root / "songs" / model, GenerateConfig(n_songs=N_SONGS, length=12, seed=seed), name=model)
    evaluate_song_sets([root / "songs" / m for m in MODELS], None, root / "evaluation")
    return root


@pytest.fixture
def results(evaluated, tmp_path):
    """A results folder holding those songs and their evaluation."""
    grid, paths = fake_grid(tmp_path, "val_loss")
    shutil.copytree(evaluated / "songs", paths.songs)
    shutil.copytree(evaluated / "evaluation", paths.evaluation)
    return grid, paths


def write_page(grid, paths, listening) -> Path:
    return write_index(grid, paths, select_runs(grid, plan_runs(grid), paths), [], [], None, listening)


def pick_files(paths) -> set[str]:
    """The best and most representative songs' audio files of every model, relative to the results folder."""
    return {
        f"audio/{m}/song_{int(row['index']):03d}.ogg" for m, rows in pick_rows(paths).items() for row in rows.values()
    }


ABSOLUTE = re.compile(r"(?<![\w.~-])/(tmp|work|home|root|usr|opt|var)/")


def test_the_page_opens_with_results_and_plays_only_files_that_exist(results):
    grid, paths = results
    kept = sorted(pick_files(paths))[:1]  # one file rendered earlier: only it gets a player
    for name in kept:
        (paths.root / name).parent.mkdir(parents=True, exist_ok=True)
        (paths.root / name).write_bytes(b"OggS" + bytes(2000))
    index = write_page(grid, paths, render_listening(paths, list(MODELS), progress=False, render=False))
    page = index.read_text()
    assert set(assert_audio_sources_exist(index)) == set(kept)  # as a pick and in the list of all songs
    assert RENDER_HINT in page and "--audio all" in RENDER_HINT
    table = page.index('<table class="results">')
    assert table < min(page.find(tag) for tag in ("<img", "<audio", "<figure") if tag in page)  # answer first
    assert page.index("Most tonal selected model: control-lstm-") < table
    assert len(re.findall(r"<tr><td>control-lstm-[12]</td><td>\d+\.\d\d ± \d+\.\d\d</td>", page)) == 1
    assert not ABSOLUTE.search(page) and str(paths.root) not in page
    assert all(not src.startswith("/") for src in re.findall(r'(?:src|href)="([^"]+)"', page))


@needs_fluidsynth
def test_index_plays_the_picks_and_with_audio_all_every_song(results):
    grid, paths = results
    index = write_page(grid, paths, render_listening(paths, list(MODELS), progress=False))
    assert set(assert_audio_sources_exist(index)) == pick_files(paths)  # the best and representative songs only
    listening = render_listening(paths, list(MODELS), progress=False, audio="all")
    index = write_page(grid, paths, listening)
    audio = assert_audio_sources_exist(index)
    oggs = [source for source in audio if source.endswith(".ogg")]
    assert {f"audio/{m}/song_{i:03d}.ogg" for m in MODELS for i in range(N_SONGS)} == set(oggs)
    assert not [source for source in audio if source.endswith(".wav")]
    page = index.read_text()
    assert page.count("<details>") == len(MODELS) and f"All {N_SONGS} songs of control-lstm-1" in page
    sources = page_sources(index)
    for image in sources.images:
        assert (paths.root / image).is_file(), image
    assert {f"figures/representative_song_{m}.png" for m in MODELS} <= set(sources.images)
    assert all((paths.root / link).is_file() for link in sources.links if link.endswith(".mid"))
    assert 'preload="none"' in page  # the page loads no audio until asked

    stamps = {path: path.stat().st_mtime_ns for path in (paths.root / "audio").rglob("*.*")}
    render_listening(paths, list(MODELS), progress=False, audio="all")  # rendered once: nothing again
    assert {path: path.stat().st_mtime_ns for path in (paths.root / "audio").rglob("*.*")} == stamps


def test_without_fluidsynth_the_page_names_no_audio(results, monkeypatch, capsys):
    grid, paths = results
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent))  # python, no fluidsynth
    listening = render_listening(paths, list(MODELS), progress=False)
    index = write_page(grid, paths, listening)
    assert page_sources(index).audio == []
    assert "No audio: " in index.read_text()  # fluidsynth, or else its soundfont, is not found
    assert "no audio in the index page: " in capsys.readouterr().err
    assert not (paths.root / "audio").exists() or not any((paths.root / "audio").rglob("*.*"))


def test_the_page_is_written_again_from_the_finished_folder(results):
    grid, paths = results
    first = write_page(grid, paths, render_listening(paths, list(MODELS), progress=False, render=False)).read_text()
    (paths.root / "index.html").unlink()
    again = rewrite_index(grid, paths).read_text()  # from selection.json, the evaluation and the files there
    assert '<table class="results">' in again and again.count("<tr><td>control-lstm-") == first.count(
        "<tr><td>control-lstm-"
    )
    with pytest.raises(InputError, match="selection.json: missing"):
        rewrite_index(grid, GridPaths(paths.root / "nothing"))
    assert not (paths.root / "nothing").exists()


def test_the_audio_renders_beside_the_caller_and_the_page_waits_for_it(results, monkeypatch):
    grid, paths = results
    release, done = threading.Event(), threading.Event()

    def render_many(jobs, **options):  # stands in for FluidSynth: held until the caller has gone on
        assert release.wait(timeout=60)
        for _, out in jobs:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(b"OggS")
        done.set()
        return [out for _, out in jobs]

    monkeypatch.setattr("rnncells.report.audio.render_many", render_many)
    finish = start_listening(paths, list(MODELS), progress=False)
    assert not done.is_set()  # returned while the audio is still to render
    assert all((paths.figures / f"representative_song_{m}.png").is_file() for m in MODELS)  # drawn before it returns
    release.set()
    page = finish()
    assert done.is_set()
    audio = {pick.audio for listening in page.models for pick in listening.picks}
    assert audio == pick_files(paths)  # each rendered file, present once the page is made
