"""The index page you can listen to: every ``<audio>`` source it names exists, songs render once, and without
FluidSynth the page says so and names no audio."""

from __future__ import annotations

import shutil
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from rnncells.config.settings import GenerateConfig
from rnncells.evaluation.evaluate import evaluate_song_sets
from rnncells.generation.generate import generate
from rnncells.grid.index import write_index
from rnncells.grid.listen import render_listening
from rnncells.grid.plan import plan_runs
from rnncells.grid.selection import select_runs
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


@needs_fluidsynth
def test_index_plays_best_representative_and_every_song(results):
    grid, paths = results
    listening = render_listening(paths, list(MODELS), progress=False)
    index = write_page(grid, paths, listening)
    audio = assert_audio_sources_exist(index)
    wavs = [source for source in audio if source.endswith(".wav")]
    oggs = [source for source in audio if source.endswith(".ogg")]
    assert len(oggs) == N_SONGS * len(MODELS)  # every song of every model, in a collapsible list
    assert {f"audio/{m}/song_{i:03d}.ogg" for m in MODELS for i in range(N_SONGS)} == set(oggs)
    assert 2 <= len(wavs) <= 2 * len(MODELS) and len(set(wavs)) >= len(MODELS)  # best and representative
    page = index.read_text()
    assert page.count("<details>") == len(MODELS) and f"All {N_SONGS} songs of control-lstm-1" in page
    sources = page_sources(index)
    for image in sources.images:
        assert (paths.root / image).is_file(), image
    assert {f"figures/representative_song_{m}.png" for m in MODELS} <= set(sources.images)
    assert all((paths.root / link).is_file() for link in sources.links if link.endswith(".mid"))
    assert 'preload="none"' in page  # the page loads no audio until asked

    stamps = {path: path.stat().st_mtime_ns for path in (paths.root / "audio").rglob("*.*")}
    render_listening(paths, list(MODELS), progress=False)  # rendered once: nothing again
    assert {path: path.stat().st_mtime_ns for path in (paths.root / "audio").rglob("*.*")} == stamps


def test_without_fluidsynth_the_page_names_no_audio(results, monkeypatch, capsys):
    grid, paths = results
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent))  # python, no fluidsynth
    listening = render_listening(paths, list(MODELS), progress=False)
    index = write_page(grid, paths, listening)
    assert page_sources(index).audio == []
    assert "No audio: fluidsynth not found on PATH" in index.read_text()
    assert "no audio in the index page: fluidsynth not found" in capsys.readouterr().err
    assert not (paths.root / "audio").exists() or not any((paths.root / "audio").rglob("*.*"))
