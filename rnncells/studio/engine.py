"""What the studio's Generate button does: melodies from a run, each with its piano roll, audio and MIDI bytes.

Generation is :mod:`rnncells.generation.generate`'s (the same plan, primer, key, scale, sampling and MIDI writing as
``rnncells generate``, so page and command line write the same files), with one difference: the model is loaded
once and kept (:class:`Models`: one per run folder, checkpoint file and modification time, and batch size), and
its step is a compiled ``predict_on_batch`` instead of an eager call (twenty times faster a step on the CPU, and
bit for bit the same logits). Each request works in its own temporary folder; the page keeps only the bytes it
shows. The piano rolls (:mod:`rnncells.studio.piano_roll`, Pillow) are drawn while FluidSynth renders the audio
(peak-normalised WAV) in other processes.
"""

from __future__ import annotations

import base64
import html
import io
import tempfile
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rnncells.config.generate import GenerateConfig
from rnncells.music.melody import key_label, uses_flats
from rnncells.studio.piano_roll import piano_roll_png
from rnncells.training.run_folder import RunFolder

KEYS = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")  # as producers write them
CLIP_USES = ("primer", "variations", "keep")  # start from the clip, new pitches on its rhythm, keep its first bars
NOTE_STEPS = 2  # 16ths per note of pitch-only runs, as `rnncells generate` by default
CACHED_MODELS = 8  # generation models kept (a model per run, checkpoint and batch size)


def one_line(error: BaseException) -> str:
    """The first line of an exception's message (its type when it has none)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


@dataclass
class Request:
    """What the producer asked for (``octave`` None: the octave nearest the middle that the model knows; ``scale``
    None: the key's, minor for ``Fm`` or ``F minor``, major for ``F``). An uploaded clip starts every melody
    (``clip_use`` "primer"), gets new pitches on its rhythm ("variations") or keeps its first ``keep_bars`` bars
    ("keep")."""

    run: Path
    key: str
    octave: int | None
    bpm: float
    bars: int
    temperature: float
    program: int
    n_melodies: int
    seed: int
    scale: str | None = "chromatic"
    sampling: str = "roulette"
    beam_size: int = 4
    branch_factor: int = 4
    primer_midi: bytes | None = None  # an uploaded MIDI file's bytes
    primer_midi_name: str = "primer.mid"
    clip_use: str = "primer"
    keep_bars: int = 2

    def generate_config(self, primer_midi: Path | None = None) -> GenerateConfig:
        """The settings of ``rnncells generate --key --scale --octave --bars --bpm --program --temperature --seed
        --sampling --beam-size --branch-factor`` and, with the clip ``primer_midi``, ``--primer-midi CLIP``,
        ``--variations-of CLIP`` or ``--primer-midi CLIP --keep-bars N`` as ``clip_use`` says; what the form does not
        set (the scale rule, the leap weight) comes from the model's ``[generate]`` table, as in ``rnncells
        melody``."""
        clip = str(primer_midi) if primer_midi else None
        variations = self.clip_use == "variations"
        form = dict(
            n_songs=self.n_melodies,
            temperature=self.temperature,
            seed=self.seed,
            bpm=float(self.bpm),
            program=self.program,
            bars=self.bars,
            key=self.key,
            scale=self.scale,
            octave=self.octave,
            sampling=self.sampling,
            beam_size=self.beam_size,
            branch_factor=self.branch_factor,
            primer_midi=None if variations else clip,
            variations_of=clip if variations else None,
            keep_bars=self.keep_bars if self.clip_use == "keep" and clip else None,
        )
        return GenerateConfig(**{**RunFolder(self.run).generation_defaults(), **form})


@dataclass
class Melody:
    """One generated melody with everything the page shows of it."""

    index: int
    pitches: list[int]
    durations: list[int]
    midi: bytes
    piano_roll_png: bytes
    wav: bytes | None = None


@dataclass
class Batch:
    """The melodies of one request, where they lie, and why there is no audio when FluidSynth failed."""

    request: Request
    model_name: str
    octave: int  # the key's octave used (the nearest known one when the request left it open)
    register: tuple[int, int]  # lowest and highest pitch the melodies keep to
    melodies: list[Melody] = field(default_factory=list)
    audio_problem: str | None = None
    audio_rendered: bool = False  # False: the page shows rolls and MIDI first, then renders the audio

    def file_name(self, melody: Melody, suffix: str = ".mid") -> str:
        """A producer's name: key, tempo, bars and number, e.g. ``F-minor_128bpm_8bars_01.mid``."""
        r = self.request
        return f"{key_label(r.key, r.scale)}_{r.bpm:g}bpm_{r.bars}bars_{melody.index + 1:02d}{suffix}"

    def zip_bytes(self) -> bytes:
        """All MIDI files in one zip, readable by everyone once unpacked (mode 0644)."""
        import zipfile

        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for melody in self.melodies:
                entry = zipfile.ZipInfo(self.file_name(melody), date_time=(2020, 1, 1, 0, 0, 0))
                entry.external_attr = (0o100644 & 0xFFFF) << 16
                entry.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(entry, melody.midi)
        return buffer.getvalue()


DRAG_SCRIPT = (  # the page's sanitiser keeps data attributes but not data-URL links or inline handlers
    "document.querySelectorAll('a.rnncells-drag:not([data-bound])').forEach(a => {"
    " a.dataset.bound = '1'; a.href = a.dataset.downloadUrl.split(':').slice(2).join(':');"
    " a.addEventListener('dragstart', e => e.dataTransfer.setData('DownloadURL', a.dataset.downloadUrl)); });"
)


def drag_out_html(file_name: str, midi: bytes) -> str:
    """A link that drags the MIDI file out of the page into a DAW or a folder (Chromium's ``DownloadURL`` drag:
    ``mime:name:url``) and downloads it when clicked; the file travels inside the link as a data URL."""
    url = "data:audio/midi;base64," + base64.b64encode(midi).decode("ascii")
    name = html.escape(file_name, quote=True)
    return (
        f'<a class="rnncells-drag" download="{name}" draggable="true" data-download-url="audio/midi:{name}:{url}" '
        f'title="Drag {name} into your DAW or a folder" style="cursor: grab; font-size: 0.85rem; '
        f'text-decoration: none;">⠿ drag MIDI</a><script>{DRAG_SCRIPT}</script>'
    )


# ----------------------------------------------------------------------------------------------------
# Models kept between requests


class CompiledStepper:
    """:class:`rnncells.generation.sampling.Stepper` whose step runs the model's compiled ``predict_on_batch`` (the
    state variables carry from call to call on TensorFlow and PyTorch; JAX's compiled step is stateless, so JAX keeps
    the eager call). Priming and beam search's row moves are the Stepper's own."""

    def __init__(self, model) -> None:
        import keras

        from rnncells.generation.sampling import Stepper  # Keras loads slowly: the page shows before it is needed

        self.model, self.eager = model, Stepper(model)
        self.compiled = keras.backend.backend() != "jax"

    def prime(self, primer: np.ndarray) -> None:
        self.eager.prime(primer)

    def take(self, rows: np.ndarray) -> None:
        self.eager.take(rows)

    def __call__(self, last: np.ndarray) -> np.ndarray:
        if not self.compiled:
            return self.eager(last)
        logits = self.model.predict_on_batch(last.astype(np.int32)[:, None])
        return np.asarray(logits)[:, -1, :].astype(np.float64)


class Models:
    """Generation models kept between requests, the least recently used dropped beyond ``size``.

    A model is known by its run folder, checkpoint file, the file's modification time and size (a run trained
    further is loaded again) and its batch size (rows side by side: melodies, times beams and branches).
    """

    def __init__(self, size: int = CACHED_MODELS) -> None:
        self.size = size
        self.entries: OrderedDict[tuple, CompiledStepper] = OrderedDict()
        self.loads = 0  # models built and loaded, for tests and the benchmark
        self.lock = threading.Lock()

    def stepper(self, run, checkpoint: str, rows: int) -> CompiledStepper:
        """The stepper of ``run``'s ``checkpoint`` for ``rows`` rows, loaded on first use."""
        from rnncells.models.factory import build_model, load_checkpoint_weights

        path = run.checkpoint(checkpoint)
        stat = path.stat()
        key = (str(run.path.resolve()), str(path.resolve()), stat.st_mtime_ns, stat.st_size, rows)
        with self.lock:
            if key in self.entries:
                self.entries.move_to_end(key)
                return self.entries[key]
            model = build_model(run.model_config, len(run.vocabulary), batch_size=rows, stateful=True)
            load_checkpoint_weights(path, model)
            self.loads += 1
            self.entries[key] = CompiledStepper(model)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)
            return self.entries[key]


def draw_with_kept_model(models: Models, run, checkpoint: str, plan, config: GenerateConfig) -> np.ndarray:
    """The songs' vocabulary indices, drawn by :func:`rnncells.generation.generate.draw_songs` (same mask, same random
    numbers) with a kept, compiled model."""
    from rnncells.generation.generate import draw_songs as draw
    from rnncells.generation.generate import sampling_rows

    return draw(run, checkpoint, plan, config, stepper=models.stepper(run, checkpoint, sampling_rows(config)))[0]


# ----------------------------------------------------------------------------------------------------
# A request: songs, then piano rolls and audio


def write_song_set(request: Request, models: Models, work: Path, checkpoint: str = "best") -> Batch:
    """Generate the request's songs into ``work/songs`` (MIDI files and songs.jsonl, as ``rnncells generate``);
    returns the batch without its melodies. Raises what generation raises (ConfigError, RunError, ValueError)."""
    from rnncells.generation.generate import plan_generation, write_songs
    from rnncells.generation.song_set import SongSetFolder
    from rnncells.training.run import load_run

    primer = None
    if request.primer_midi is not None:
        primer = work / Path(request.primer_midi_name).name
        primer.write_bytes(request.primer_midi)
    config = request.generate_config(primer)
    config.validate()
    run = load_run(request.run)
    plan = plan_generation(run, config, NOTE_STEPS)
    songs = draw_with_kept_model(models, run, checkpoint, plan, config)
    write_songs(SongSetFolder(work / "songs"), run, songs, plan, config, NOTE_STEPS)
    octave = plan.octave if plan.octave is not None else 0
    return Batch(request, run.model_name, octave, (plan.register.low, plan.register.high))


def make_melodies(request: Request, with_audio: bool = True, models: Models | None = None) -> Batch:
    """Generate and draw the melodies of ``request`` in a temporary folder (removed afterwards), and render their
    audio unless ``with_audio`` is False (then :func:`render_audio` does it later).

    Raises what :func:`rnncells.generate.generate` raises (``RunError`` for a damaged checkpoint,
    ``ConfigError`` for bad settings); a FluidSynth problem is not raised but kept in ``Batch.audio_problem``.
    """
    from rnncells.generation.song_set import SongSetFolder

    models = models or Models(size=1)
    with tempfile.TemporaryDirectory(prefix="rnncells-studio-") as work:
        batch = write_song_set(request, models, Path(work))
        song_set = SongSetFolder(Path(work) / "songs")
        flats = uses_flats(request.key, request.scale)
        for row in song_set.read_songs(NOTE_STEPS):  # no generation.json in the studio's set
            index, pitches, durations = row["index"], row["pitches"], row["durations"]
            png = piano_roll_png(pitches, durations, f"Melody {index + 1}", request.bpm, flats)
            batch.melodies.append(Melody(index, pitches, durations, song_set.midi_path(index).read_bytes(), png))
    return render_audio(batch) if with_audio else batch


def render_audio(batch: Batch) -> Batch:
    """Render every melody's WAV through FluidSynth, in parallel processes; a FluidSynth problem is kept in
    ``batch.audio_problem`` (the MIDI files and piano rolls stay complete)."""
    from rnncells.report.audio import AudioRenderError, render_wav

    with tempfile.TemporaryDirectory(prefix="rnncells-audio-") as work, ThreadPoolExecutor(4) as pool:
        renders = {}
        for melody in batch.melodies:
            midi = Path(work) / f"melody_{melody.index:03d}.mid"
            midi.write_bytes(melody.midi)
            renders[melody.index] = pool.submit(render_wav, midi, midi.with_suffix(".wav"))
        for melody in batch.melodies:
            try:
                melody.wav = renders[melody.index].result().read_bytes()
            except AudioRenderError as error:
                batch.audio_problem = batch.audio_problem or one_line(error)
    batch.audio_rendered = True
    return batch
