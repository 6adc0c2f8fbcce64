"""What the grid's index page plays: each model's best and most representative songs, and all its songs.

Audio policy (a results folder stays light enough to commit): by default (``--audio picks``) only the best and the
most representative song of each selected model (evaluation/best_songs.csv and representative_songs.csv) are
rendered, as ``OUT/audio/<model>/song_NNN.ogg`` (Ogg Vorbis at 22.05 kHz, tens of kB a song, FluidSynth,
peak-normalised to -1 dBFS; :mod:`rnncells.report.audio`). ``--audio all`` renders every song of the selected models
as well (about 18 s for a model's 100 songs on 2 cores), ``--audio none`` nothing. Files already newer than their
MIDI file are not rendered again. The page shows a player only for a file that exists, and says how to render the
others (:data:`RENDER_HINT`). ``figures/representative_song_<model>`` is the representative song's piano roll (the
best song's is drawn by :func:`rnncells.grid.runner.make_figures`). Without FluidSynth the page says so and shows no
players.
"""

from __future__ import annotations

import math
import os
import re
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from rnncells.errors import InputError
from rnncells.evaluation.folder import EvaluationFolder
from rnncells.generation.song_set import SongSetFolder
from rnncells.study.grid_folder import GridPaths

AUDIO_DIR = "audio"
SAMPLE_RATE = 22050
ROLES = ("best", "representative")
AUDIO_CHOICES = ("picks", "all", "none")  # what `grid run/finish --audio` renders (module docstring)
AUDIO_SUFFIX = ".ogg"
RENDER_HINT = (
    "render the other songs with `rnncells grid finish CONFIG --out OUT --audio all`, "
    "or one folder with `rnncells render songs/MODEL --wav`"
)
# FluidSynth processes at once: each waits part of its time, so more than the cores (100 songs: about 18 s on 2)
WORKERS = min(32, 4 * (os.cpu_count() or 1))


@dataclass
class Pick:
    """The best or the most representative song of a model, as the page shows it."""

    role: str
    index: int
    general: float
    audio: str | None  # paths relative to the results folder
    piano_roll: str | None
    midi: str


@dataclass
class Listening:
    """One model's songs to listen to."""

    model: str
    picks: list[Pick] = field(default_factory=list)
    songs: list[dict] = field(default_factory=list)  # index, general (or None), ogg, midi


@dataclass
class ListeningPage:
    """Everything the page's Listen section needs; ``problem`` says why there is no audio."""

    models: list[Listening] = field(default_factory=list)
    problem: str | None = None
    hint: str = RENDER_HINT


def audio_path(paths: GridPaths, model: str, index: int, suffix: str) -> Path:
    """``OUT/audio/<model>/song_NNN<suffix>``, named as the song's MIDI file."""
    midi = SongSetFolder(paths.songs / model).midi_path(index)
    return paths.root / AUDIO_DIR / model / midi.with_suffix(suffix).name


def _picks(evaluation: EvaluationFolder) -> dict[str, dict[str, dict]]:
    """``{model: {"best": row, "representative": row}}`` from the evaluation's tables."""
    picks: dict[str, dict[str, dict]] = {}
    tables = {"best": evaluation.read_best_songs(), "representative": evaluation.read_representative_songs()}
    for role, table in tables.items():
        for row in table.to_dict("records"):
            picks.setdefault(row["model_name"], {})[role] = row
    return picks


def pick_rows(paths: GridPaths) -> dict[str, dict[str, dict]]:
    """``{model: {"best": row, "representative": row}}`` of the results folder's evaluation."""
    return _picks(EvaluationFolder(paths.evaluation))


def _song_scores(evaluation: EvaluationFolder) -> dict[tuple[str, int], float]:
    try:
        table = evaluation.read_songs()
    except (OSError, ValueError):
        return {}
    return {(row["model_name"], int(row["index"])): float(row["general"]) for row in table.to_dict("records")}


def _model_listening(
    paths: GridPaths, model: str, picks: dict[str, dict], scores: dict[tuple[str, int], float], audio: str
) -> tuple[Listening, list[tuple[Path, Path]], list[tuple[Path, dict, str]]]:
    """One model's page entry, its render jobs (``audio``: module docstring) and its piano roll to draw (the
    representative song's: path, song, title)."""
    song_set, listening, jobs, rolls = SongSetFolder(paths.songs / model), Listening(model), [], []
    for song in song_set.read_songs():
        index = int(song["index"])
        ogg = audio_path(paths, model, index, AUDIO_SUFFIX)
        jobs += [(song_set.midi_path(index), ogg)] if audio == "all" else []
        midi = _relative(paths, song_set.midi_path(index))
        listening.songs.append(
            {"index": index, "general": scores.get((model, index)), "ogg": _relative(paths, ogg), "midi": midi}
        )
    for role in ROLES:
        row = picks.get(role)
        if row is None:
            continue
        index, general = int(row["index"]), float(row["general"])
        sound = audio_path(paths, model, index, AUDIO_SUFFIX)
        jobs += [(song_set.midi_path(index), sound)] if audio != "none" else []
        roll = paths.figures / f"{role}_song_{model}.png"
        if role == "representative":
            title = f"{model}: most representative song (general tonality {general:.2f})"
            rolls.append((roll, song_set.read_song(index), title))
        midi = _relative(paths, song_set.midi_path(index))
        listening.picks.append(Pick(role, index, general, _relative(paths, sound), _relative(paths, roll), midi))
    return listening, list(dict.fromkeys(jobs)), rolls


def _relative(paths: GridPaths, path: Path) -> str:
    return path.relative_to(paths.root).as_posix()


def render_listening(
    paths: GridPaths, models: list[str], progress: bool = True, audio: str = "picks", render: bool = True
) -> ListeningPage:
    """Render the audio (``audio``: module docstring) and piano rolls of ``models`` and describe them for the page;
    ``render=False`` only describes the files already there. A file that could not be made, or was not asked for,
    is left out of the page (no player pointing at nothing)."""
    return start_listening(paths, models, progress, audio, render)()


def start_listening(
    paths: GridPaths, models: list[str], progress: bool = True, audio: str = "picks", render: bool = True
) -> Callable[[], ListeningPage]:
    """:func:`render_listening` with the audio rendered in the background: draws the piano rolls, starts
    FluidSynth on a thread of its own and returns at once; the function returned waits for the audio and returns
    the page. The grid draws its other figures meanwhile, so FluidSynth's processes use the core that matplotlib,
    which runs on one, leaves idle."""
    from rnncells.report.audio import AudioRenderError, render_many
    from rnncells.report.figures import piano_roll

    if audio not in AUDIO_CHOICES:
        raise InputError(f"--audio {audio!r}: choose one of {', '.join(AUDIO_CHOICES)}")
    evaluation = EvaluationFolder(paths.evaluation)
    picks, scores = _picks(evaluation), _song_scores(evaluation)
    page, jobs, rolls = ListeningPage(), [], []
    for model in models:
        listening, model_jobs, model_rolls = _model_listening(paths, model, picks.get(model, {}), scores, audio)
        page.models.append(listening)
        jobs += model_jobs
        rolls += model_rolls
    pool = ThreadPoolExecutor(max_workers=1)
    rendering = None
    if render and jobs:
        options = {"sample_rate": SAMPLE_RATE, "workers": WORKERS, "skip_existing": True, "progress": progress}
        rendering = pool.submit(render_many, jobs, **options)
    pool.shutdown(wait=False)
    try:
        for roll, song, title in rolls if render else []:
            piano_roll(song["pitches"], song["durations"], roll, title=title)
    except BaseException:  # nothing keeps writing once this has failed
        if rendering is not None:
            wait([rendering])
        raise

    def finish() -> ListeningPage:
        try:
            if rendering is not None:
                rendering.result()
        except AudioRenderError as error:  # the page still shows the piano rolls and links the MIDI files
            # the page may be committed: the reason without the paths searched (they are this machine's)
            page.problem = re.sub(r"\s*\([^)]*/[^)]*\)", "", str(error).splitlines()[0])
            print(f"no audio in the index page: {page.problem}", file=sys.stderr)

        def present(relative: str | None) -> str | None:
            return relative if relative and (paths.root / relative).is_file() else None

        for listening in page.models:
            for pick in listening.picks:
                pick.audio, pick.piano_roll = present(pick.audio), present(pick.piano_roll)
            for song in listening.songs:
                song["ogg"] = present(song["ogg"])
        return page

    return finish


def general_label(value: float | None) -> str:
    """A song's general tonality for the page ("" when unknown)."""
    return "" if value is None or math.isnan(value) else f"{value:.2f}"
