"""The melody studio: a Streamlit page that writes melodies with a trained run (docs/method.md §6).

Start it with ``rnncells studio --runs DIR`` (see :mod:`rnncells.studio.server`), or directly with
``streamlit run rnncells/studio/app.py -- --runs DIR``. The runs folder comes from ``--runs`` after the
``--``, else ``$RNNCELLS_STUDIO_RUNS``, else the model shipped in ``results/models``.

A producer picks a model (every run folder below the runs folder, read with :class:`rnncells.runs.RunFolder`),
key and octave, tempo, bars, randomness, instrument and number of melodies. Generation is
:func:`rnncells.generate.generate` with the same :class:`GenerateConfig` as ``rnncells generate --key --octave
--bars --bpm --program``, so page and command line write the same MIDI: a one-note primer on the key's tonic,
every pitch folded into the two octaves ``[tonic, tonic + 24)`` (tonic = 60 + pitch class + 12 × octave),
exactly ``bars × 16`` sixteenth-note steps. Each request works in its own temporary folder (a song set,
read with :class:`rnncells.songs.SongSetFolder`); the page keeps only the bytes it shows (piano roll
PNG, WAV, MIDI). Problems (no model, a damaged checkpoint, FluidSynth missing) show as one readable line.
"""

from __future__ import annotations

import argparse
import io
import math
import os
import random
import sys
import tempfile
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from rnncells.config import GenerateConfig
from rnncells.music.melody import PITCH_CLASS_NAMES, note_name
from rnncells.runs import RECORD_FILE, RunFolder
from rnncells.songs import SongSetFolder

RUNS_ENV = "RNNCELLS_STUDIO_RUNS"
SHIPPED_RUNS = Path(__file__).resolve().parents[2] / "results" / "models"

KEYS = PITCH_CLASS_NAMES
OCTAVES = (-2, -1, 0, 1, 2)  # from middle C; keeps [tonic, tonic + 24) inside MIDI 0-127
BARS = (1, 4, 8, 16)
MAX_MELODIES = 8
AUDIO_INSTALL = "apt-get install fluidsynth timgm6mb-soundfont"
PIANO_ROLL_DPI = 110
CELL_NAMES = {"lstm": "LSTM", "gru": "GRU", "rnn": "vanilla RNN", "ugrnn": "UGRNN", "nas": "NAS"}
TRAIN_COMMANDS = (
    "rnncells dataset build --source ../shared/data/edm --out data/edm\n"
    "rnncells train --dataset data/edm --variant control --cell lstm --layers 2 --batch-size 16 \\\n"
    "    --seq-length 32 --epochs 40 --out {runs}/edm-control-lstm-2"
)

# General MIDI level 1 programs, numbered 0-127 as MIDI files and `rnncells generate --program` count them
GM_PROGRAMS = (
    "Acoustic Grand Piano",
    "Bright Acoustic Piano",
    "Electric Grand Piano",
    "Honky-tonk Piano",
    "Electric Piano 1",
    "Electric Piano 2",
    "Harpsichord",
    "Clavinet",
    "Celesta",
    "Glockenspiel",
    "Music Box",
    "Vibraphone",
    "Marimba",
    "Xylophone",
    "Tubular Bells",
    "Dulcimer",
    "Drawbar Organ",
    "Percussive Organ",
    "Rock Organ",
    "Church Organ",
    "Reed Organ",
    "Accordion",
    "Harmonica",
    "Tango Accordion",
    "Acoustic Guitar (nylon)",
    "Acoustic Guitar (steel)",
    "Electric Guitar (jazz)",
    "Electric Guitar (clean)",
    "Electric Guitar (muted)",
    "Overdriven Guitar",
    "Distortion Guitar",
    "Guitar Harmonics",
    "Acoustic Bass",
    "Electric Bass (finger)",
    "Electric Bass (pick)",
    "Fretless Bass",
    "Slap Bass 1",
    "Slap Bass 2",
    "Synth Bass 1",
    "Synth Bass 2",
    "Violin",
    "Viola",
    "Cello",
    "Contrabass",
    "Tremolo Strings",
    "Pizzicato Strings",
    "Orchestral Harp",
    "Timpani",
    "String Ensemble 1",
    "String Ensemble 2",
    "Synth Strings 1",
    "Synth Strings 2",
    "Choir Aahs",
    "Voice Oohs",
    "Synth Voice",
    "Orchestra Hit",
    "Trumpet",
    "Trombone",
    "Tuba",
    "Muted Trumpet",
    "French Horn",
    "Brass Section",
    "Synth Brass 1",
    "Synth Brass 2",
    "Soprano Sax",
    "Alto Sax",
    "Tenor Sax",
    "Baritone Sax",
    "Oboe",
    "English Horn",
    "Bassoon",
    "Clarinet",
    "Piccolo",
    "Flute",
    "Recorder",
    "Pan Flute",
    "Blown Bottle",
    "Shakuhachi",
    "Whistle",
    "Ocarina",
    "Lead 1 (square)",
    "Lead 2 (sawtooth)",
    "Lead 3 (calliope)",
    "Lead 4 (chiff)",
    "Lead 5 (charang)",
    "Lead 6 (voice)",
    "Lead 7 (fifths)",
    "Lead 8 (bass + lead)",
    "Pad 1 (new age)",
    "Pad 2 (warm)",
    "Pad 3 (polysynth)",
    "Pad 4 (choir)",
    "Pad 5 (bowed)",
    "Pad 6 (metallic)",
    "Pad 7 (halo)",
    "Pad 8 (sweep)",
    "FX 1 (rain)",
    "FX 2 (soundtrack)",
    "FX 3 (crystal)",
    "FX 4 (atmosphere)",
    "FX 5 (brightness)",
    "FX 6 (goblins)",
    "FX 7 (echoes)",
    "FX 8 (sci-fi)",
    "Sitar",
    "Banjo",
    "Shamisen",
    "Koto",
    "Kalimba",
    "Bagpipe",
    "Fiddle",
    "Shanai",
    "Tinkle Bell",
    "Agogo",
    "Steel Drums",
    "Woodblock",
    "Taiko Drum",
    "Melodic Tom",
    "Synth Drum",
    "Reverse Cymbal",
    "Guitar Fret Noise",
    "Breath Noise",
    "Seashore",
    "Bird Tweet",
    "Telephone Ring",
    "Helicopter",
    "Applause",
    "Gunshot",
)
DEFAULT_PROGRAM = 81  # Lead 2 (sawtooth): the EDM lead


def program_label(program: int) -> str:
    """``"81 Lead 2 (sawtooth)"``: the program number as MIDI files carry it, then its General MIDI name."""
    return f"{program} {GM_PROGRAMS[program]}"


def runs_folder(argv: list[str] | None = None) -> Path:
    """The runs folder: ``--runs DIR`` in ``argv`` (default: the script's arguments), else
    ``$RNNCELLS_STUDIO_RUNS``, else the shipped ``results/models``."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--runs", type=Path)
    known, _ = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    if known.runs is not None:
        return known.runs
    return Path(os.environ[RUNS_ENV]) if os.environ.get(RUNS_ENV) else SHIPPED_RUNS


def one_line(error: BaseException) -> str:
    """The first line of an exception's message (its type when it has none)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


# ----------------------------------------------------------------------------------------------------
# The runs on offer


@dataclass
class RunChoice:
    """One trained run of the runs folder, as the model list shows it."""

    path: Path
    name: str  # the folder relative to the runs folder, so copies of one model stay apart
    model_name: str
    variant: str
    cell: str
    layers: int
    units: int | None
    representation: str
    best_val_loss: float | None
    best_epoch: int | None
    epochs: int

    @property
    def label(self) -> str:
        loss = f"val loss {self.best_val_loss:.3f}" if self.best_val_loss is not None else "no val loss"
        cell = CELL_NAMES.get(self.cell, self.cell)
        return f"{self.name} · {self.variant} · {cell} · depth {self.layers} · {loss}"


def best_validation_loss(run: RunFolder) -> tuple[float | None, int | None, int]:
    """``(lowest val_loss, its epoch, epochs trained)`` of a run (None without validation)."""
    best, best_epoch, epochs = None, None, 0
    for row in run.read_metrics():
        epochs = max(epochs, row["epoch"])
        value = row["val_loss"]
        if not math.isnan(value) and (best is None or value < best):
            best, best_epoch = value, row["epoch"]
    return best, best_epoch, epochs


def find_runs(runs_dir: Path) -> tuple[list[RunChoice], list[str]]:
    """Every run folder at or below ``runs_dir`` (sorted by path), and one line per run folder that could not
    be read."""
    runs, problems = [], []
    if not runs_dir.is_dir():
        return runs, problems
    for record in sorted(runs_dir.rglob(RECORD_FILE)):
        run = RunFolder(record.parent)
        folder = run.path
        try:
            info = run.read_record()
            loss, epoch, epochs = best_validation_loss(run)
            name = folder.relative_to(runs_dir).as_posix() if folder != runs_dir else folder.resolve().name
            runs.append(
                RunChoice(
                    folder,
                    name,
                    info["model_name"],
                    info["variant"],
                    info["cell"],
                    int(info["layers"]),
                    info.get("units"),
                    info.get("representation", "pitch"),
                    loss,
                    epoch,
                    epochs,
                )
            )
        except (OSError, ValueError, KeyError, TypeError) as error:
            problems.append(f"{folder}: unreadable run, left out ({type(error).__name__}: {one_line(error)})")
    return runs, problems


# ----------------------------------------------------------------------------------------------------
# Generation: a temporary folder per request, bytes out


@dataclass
class Request:
    """What the producer asked for."""

    run: Path
    key: str
    octave: int
    bpm: float
    bars: int
    temperature: float
    program: int
    n_melodies: int
    seed: int

    @property
    def tonic(self) -> int:
        return 60 + KEYS.index(self.key) + 12 * self.octave

    def generate_config(self) -> GenerateConfig:
        """The settings ``rnncells generate --key --octave --bars --bpm --program --temperature --seed``
        would use."""
        return GenerateConfig(
            n_songs=self.n_melodies,
            temperature=self.temperature,
            seed=self.seed,
            bpm=float(self.bpm),
            program=self.program,
            bars=self.bars,
            key=self.key,
            octave=self.octave,
        )


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
    """The melodies of one request, and why there is no audio when FluidSynth could not render them."""

    request: Request
    model_name: str
    melodies: list[Melody] = field(default_factory=list)
    audio_problem: str | None = None

    def file_name(self, melody: Melody) -> str:
        r = self.request
        key = r.key.replace("#", "sharp")
        return f"{self.model_name}_{key}{r.octave:+d}_{r.bpm:g}bpm_{r.bars}bars_{melody.index + 1}.mid"

    def zip_bytes(self) -> bytes:
        """All MIDI files in one zip."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for melody in self.melodies:
                archive.writestr(self.file_name(melody), melody.midi)
        return buffer.getvalue()


def piano_roll_png(pitches: list[int], durations: list[int], title: str, bpm: float) -> bytes:
    """The report's piano roll (:func:`rnncells.report.figures.piano_roll_figure`) as PNG bytes."""
    from rnncells.report.figures import piano_roll_figure

    buffer = io.BytesIO()
    figure = piano_roll_figure(pitches, durations, title=title, bpm=bpm)
    figure.savefig(buffer, format="png", dpi=PIANO_ROLL_DPI)
    return buffer.getvalue()


def make_melodies(request: Request, with_audio: bool = True) -> Batch:
    """Generate, draw and render the melodies of ``request`` in a temporary folder (removed afterwards).

    Raises what :func:`rnncells.generate.generate` raises (``RunError`` for a damaged checkpoint,
    ``ConfigError`` for bad settings); a FluidSynth problem is not raised but kept in ``Batch.audio_problem``.
    """
    from rnncells.generate import generate  # Keras loads slowly: the page shows before it is needed
    from rnncells.report.audio import AudioRenderError, render_wav

    with tempfile.TemporaryDirectory(prefix="rnncells-studio-") as work:
        songs_dir = generate(request.run, Path(work) / "songs", request.generate_config(), checkpoint="best")
        song_set = SongSetFolder(songs_dir)
        batch = Batch(request, song_set.read_generation()["model_name"])
        for song in song_set.read_songs():
            index, pitches, durations = song["index"], song["pitches"], song["durations"]
            midi_path = song_set.midi_path(index)
            png = piano_roll_png(pitches, durations, f"Melody {index + 1}", request.bpm)
            melody = Melody(index, pitches, durations, song_set.read_midi(index), png)
            if with_audio and batch.audio_problem is None:
                try:
                    melody.wav = render_wav(midi_path, midi_path.with_suffix(".wav")).read_bytes()
                except AudioRenderError as error:
                    batch.audio_problem = one_line(error)
            batch.melodies.append(melody)
    return batch


# ----------------------------------------------------------------------------------------------------
# The page (``st`` is the streamlit module, passed in so that importing this file needs no Streamlit)


def show_no_runs(st, runs_dir: Path, problems: list[str]) -> None:
    where = "does not exist" if not runs_dir.is_dir() else "holds no trained model (no folder with run.json)"
    st.error(f"No model found: the runs folder `{runs_dir}` {where}.")
    st.markdown("Train one with the project (about a minute on two cores), then reload this page:")
    st.code(TRAIN_COMMANDS.format(runs=runs_dir), language="bash")
    st.markdown("Or start the studio on another folder: `rnncells studio --runs DIR`.")
    for problem in problems:
        st.warning(problem)


def options_panel(st, runs: list[RunChoice]) -> Request | None:
    """The model list and the generation form; the request when Generate was pressed."""
    panel = st.container(border=True)
    choice = panel.selectbox(
        "Model",
        runs,
        format_func=lambda run: run.label,
        key="model",
        help="Every folder of the runs folder holding run.json, with its lowest validation loss.",
    )
    units = f" of {choice.units} units" if choice.units else ""
    best = ""
    if choice.best_epoch:
        best = f"; lowest validation loss at epoch {choice.best_epoch} of {choice.epochs}"
    panel.caption(
        f"{choice.model_name}: {CELL_NAMES.get(choice.cell, choice.cell)}, {choice.layers} "
        f"layer(s){units}, trained on the {choice.variant} variant ({choice.representation})"
        f"{best} · `{choice.path}`"
    )

    with panel.form("options", enter_to_submit=False, border=False):
        key_column, octave_column, bars_column = st.columns([5, 3, 2])
        key = key_column.segmented_control("Key", KEYS, default="C", required=True, key="key", width="stretch")
        octave = octave_column.segmented_control(
            "Octave",
            OCTAVES,
            default=0,
            required=True,
            key="octave",
            width="stretch",
            format_func=lambda o: f"{o:+d}" if o else "0",
            help="Octave of the key's tonic, 0 = from middle C (C4). The melody stays within the two octaves "
            "starting at the tonic.",
        )
        bars = bars_column.segmented_control(
            "Bars",
            BARS,
            default=8,
            required=True,
            key="bars",
            width="stretch",
            help="4/4 bars of 16 sixteenth-note steps.",
        )
        columns = st.columns([2, 2, 3, 4, 2])
        bpm = columns[0].number_input("BPM", min_value=40, max_value=240, value=128, step=1, key="bpm")
        n_melodies = columns[1].number_input(
            "Melodies", min_value=1, max_value=MAX_MELODIES, value=3, step=1, key="n_melodies"
        )
        temperature = columns[2].slider(
            "Randomness (temperature)",
            min_value=0.1,
            max_value=2.0,
            value=1.0,
            step=0.05,
            key="temperature",
            help="Low: safe and repetitive. High: surprising, more leaps.",
        )
        program = columns[3].selectbox(
            "Instrument (General MIDI program)",
            range(128),
            index=DEFAULT_PROGRAM,
            format_func=program_label,
            key="program",
        )
        seed = columns[4].number_input(
            "Seed",
            min_value=0,
            max_value=2**31 - 1,
            value=None,
            step=1,
            key="seed",
            placeholder="random",
            help="Same seed and options, same melodies.",
        )
        pressed = st.form_submit_button("Generate", type="primary", icon=":material/music_note:")
    if not pressed:
        return None
    return Request(
        choice.path,
        key,
        int(octave),
        float(bpm),
        int(bars),
        float(temperature),
        int(program),
        int(n_melodies),
        int(seed) if seed is not None else random.randrange(2**31),
    )


def show_batch(st, batch: Batch) -> None:
    r, count = batch.request, len(batch.melodies)
    heading, download = st.columns([4, 1], vertical_alignment="bottom")
    heading.subheader(f"{count} melod{'y' if count == 1 else 'ies'} from {batch.model_name}")
    heading.caption(
        f"{r.key} (notes {note_name(r.tonic)}–{note_name(r.tonic + 23)}) · {r.bpm:g} BPM · "
        f"{r.bars} bar{'s' if r.bars > 1 else ''} ({r.bars * 4 * 60 / r.bpm:.1f} s) · "
        f"{program_label(r.program)} · temperature {r.temperature:g} · seed {r.seed}"
    )
    if count > 1:
        download.download_button(
            "Download all (zip)",
            batch.zip_bytes(),
            file_name=f"{batch.model_name}.zip",
            mime="application/zip",
            on_click="ignore",
            icon=":material/folder_zip:",
            key="zip",
            width="stretch",
        )
    if batch.audio_problem:
        hint = "" if "apt-get" in batch.audio_problem else f" Install: `{AUDIO_INSTALL}`."
        st.warning(f"No audio preview: {batch.audio_problem}.{hint} The piano rolls and MIDI files are complete.")
    per_row = 1 if r.bars > 8 or count == 1 else 2  # long rolls need the full width
    for first in range(0, count, per_row):
        for column, melody in zip(st.columns(per_row), batch.melodies[first : first + per_row]):
            show_melody(column.container(border=True), batch, melody)


def show_melody(card, batch: Batch, melody: Melody) -> None:
    card.image(melody.piano_roll_png, width="stretch")
    name, player, download = card.columns([2, 4, 2], vertical_alignment="center")
    name.markdown(f"**Melody {melody.index + 1}**")
    name.caption(f"{len(melody.pitches)} notes, {note_name(min(melody.pitches))}–{note_name(max(melody.pitches))}")
    if melody.wav is not None:
        player.audio(melody.wav, format="audio/wav")
    file_name = batch.file_name(melody)
    download.download_button(
        "MIDI",
        melody.midi,
        file_name=file_name,
        mime="audio/midi",
        on_click="ignore",
        icon=":material/download:",
        key=f"midi_{melody.index}",
        width="stretch",
        help=f"Download {file_name}",
    )


def new_lock() -> threading.Lock:
    return threading.Lock()


def main() -> None:
    """The page; Streamlit runs this file top to bottom on every interaction."""
    import streamlit as st

    st.set_page_config(page_title="rnncells melody studio", page_icon=":material/piano:", layout="wide")
    st.title("Melody studio")
    st.caption(
        "Melodies from rnncells' recurrent models, for producers: pick a model, a key and a sound, "
        "listen, download the MIDI."
    )
    runs_dir = runs_folder()
    runs, problems = find_runs(runs_dir)
    if not runs:
        show_no_runs(st, runs_dir, problems)
        return
    for problem in problems:
        st.warning(problem)

    request = options_panel(st, runs)
    if request is not None:
        with st.spinner(f"Writing {request.n_melodies} melod{'y' if request.n_melodies == 1 else 'ies'}…"):
            try:
                with st.cache_resource(new_lock)():  # one lock per server: sessions take turns on Keras
                    st.session_state["batch"] = make_melodies(request)
            except Exception as error:  # any failure is one readable line, never a traceback
                st.session_state.pop("batch", None)
                st.error(f"Could not generate with {request.run.name}: {one_line(error)}")
                return
    batch = st.session_state.get("batch")
    if batch is None:
        st.info(
            "Choose a model and the options above, then press **Generate**. Each melody starts on the "
            "key's tonic and stays within the two octaves above it; it comes as a piano roll, an audio "
            "preview and a MIDI file to drop into your DAW."
        )
        return
    show_batch(st, batch)


if __name__ == "__main__":
    main()
