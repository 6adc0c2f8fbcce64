"""The melody studio: a Streamlit page that writes melodies with a trained run (docs/method.md §6).

Start it with ``rnncells studio --runs DIR`` (see :mod:`rnncells.studio.server`), or directly with
``streamlit run rnncells/studio/app.py -- --runs DIR``. The runs folder comes from ``--runs`` after the
``--``, else ``$RNNCELLS_STUDIO_RUNS``, else the model shipped in ``results/models``.

A producer picks a model (every run folder below the runs folder, :mod:`rnncells.studio.catalogue`),
key (a listed form such as ``Bb`` or ``Fm``, or typed: ``F minor``), scale (by default the key's) and octave,
tempo, bars, randomness, instrument, number of melodies, sampling (random or beam search) and optionally a MIDI
clip (start from it, variations on its rhythm, or keep its first bars). Generation (:mod:`rnncells.studio.engine`)
uses the same :class:`GenerateConfig` as ``rnncells generate --key --scale --octave --bars --bpm --program
--sampling --primer-midi --variations-of --keep-bars``, so page and command line write the same MIDI; the model is
loaded once per server and kept. The page keeps only the bytes it shows (piano roll PNG, WAV, MIDI). Problems (no
model, a damaged checkpoint, a key the model does not know, FluidSynth missing) show as one readable line.
"""

from __future__ import annotations

import random
import threading
from pathlib import Path

from rnncells.generation.default_model import DEFAULT_MODEL
from rnncells.music.instruments import program_label
from rnncells.music.melody import SCALES, key_scale, note_name, parse_key, uses_flats
from rnncells.studio.catalogue import CELL_NAMES, RunChoice, find_runs, runs_folder
from rnncells.studio.engine import (
    CLIP_USES,
    KEYS,
    Batch,
    Melody,
    Models,
    Request,
    drag_out_html,
    make_melodies,
    one_line,
    render_audio,
)
from rnncells.training.run_folder import RunFolder

AUTO = "auto"
OCTAVES = (AUTO, -2, -1, 0, 1, 2)  # from middle C; auto: the one nearest it that the model knows
BARS = (1, 4, 8, 16)
MAX_MELODIES = 8
SAMPLINGS = {"roulette": "Random", "beam": "Beam search"}
KEY_FORMS = tuple(form for tonic in KEYS for form in (tonic, f"{tonic}m"))  # C, Cm, C#, C#m, ...; others typed
FROM_KEY = "from the key"  # the scale the key names: minor for Fm or F minor, major for F
CLIP_LABELS = {"primer": "Start from it", "variations": "Variations", "keep": "Keep bars"}
AUDIO_INSTALL = "apt-get install fluidsynth timgm6mb-soundfont"
DEFAULT_PROGRAM = 81  # Lead 2 (sawtooth): the EDM lead
TRAIN_COMMANDS = (
    "rnncells dataset build --source ../shared/data/edm --out data/edm\n"
    "rnncells train --dataset data/edm --variant control --cell lstm --layers 2 --batch-size 16 \\\n"
    "    --seq-length 32 --epochs 40 --out {runs}/edm-control-lstm-2"
)


def scale_label(scale: str) -> str:
    """``natural_minor`` -> ``natural minor``; the page's "from the key" as it is."""
    return scale.replace("_", " ")


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


def model_choice(panel, runs: list[RunChoice]) -> RunChoice:
    """The model list and a line describing the chosen run."""
    defaults = [i for i, run in enumerate(runs) if run.path.resolve() == DEFAULT_MODEL.resolve()]
    choice = panel.selectbox(
        "Model",
        runs,
        index=defaults[0] if defaults else 0,
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
    return choice


def key_row(st) -> dict:
    """Key, octave and bars."""
    key_column, octave_column, bars_column = st.columns([3, 5, 2])
    return {
        "key": key_column.selectbox(
            "Key",
            KEY_FORMS,
            index=0,
            key="key",
            accept_new_options=True,
            help="As you write it: F, Bb, Fm, C#m, or type F minor, Ebm, Bb major, D dorian.",
        ),
        "octave": octave_column.segmented_control(
            "Octave",
            OCTAVES,
            default=AUTO,
            required=True,
            key="octave",
            width="stretch",
            format_func=lambda o: o if o == AUTO else (f"{o:+d}" if o else "0"),
            help="Octave of the key's tonic, 0 = from middle C (C4); auto: the one nearest it that the model "
            "knows. The melody stays within an octave of the tonic, below and above.",
        ),
        "bars": bars_column.segmented_control(
            "Bars",
            BARS,
            default=8,
            required=True,
            key="bars",
            width="stretch",
            help="4/4 bars of 16 sixteenth-note steps.",
        ),
    }


def sound_row(st, temperature: float = 1.0) -> dict:
    """Tempo, number of melodies, randomness (starting at ``temperature``), instrument and seed."""
    columns = st.columns([2, 2, 3, 4, 2])
    return {
        "bpm": columns[0].number_input("BPM", min_value=40, max_value=240, value=128, step=1, key="bpm"),
        "n_melodies": columns[1].number_input(
            "Melodies", min_value=1, max_value=MAX_MELODIES, value=3, step=1, key="n_melodies"
        ),
        "temperature": columns[2].slider(
            "Randomness (temperature)",
            min_value=0.1,
            max_value=2.0,
            value=temperature,
            step=0.05,
            key="temperature",
            help="Low: safe and repetitive. High: surprising, more leaps. Starts at the model's tuned value.",
        ),
        "program": columns[3].selectbox(
            "Instrument (General MIDI program)",
            range(128),
            index=DEFAULT_PROGRAM,
            format_func=program_label,
            key="program",
        ),
        "seed": columns[4].number_input(
            "Seed",
            min_value=0,
            max_value=2**31 - 1,
            value=None,
            step=1,
            key="seed",
            placeholder="random",
            help="Same seed and options, same melodies.",
        ),
    }


def shape_row(st) -> dict:
    """Scale, sampling (random or beam search, its beam size and branch factor)."""
    columns = st.columns([3, 3, 2, 2])
    return {
        "scale": columns[0].selectbox(
            "Scale",
            (FROM_KEY, *SCALES),
            index=0,
            format_func=scale_label,
            key="scale",
            help="Only notes of this scale on the key (from the key: minor for Fm, major for F; chromatic: any note).",
        ),
        "sampling": columns[1].segmented_control(
            "Sampling",
            tuple(SAMPLINGS),
            default="roulette",
            required=True,
            key="sampling",
            width="stretch",
            format_func=SAMPLINGS.get,
            help="Random: each note drawn in turn. Beam search: several drafts of each melody, the likeliest kept "
            "(Magenta's melody_rnn beam search); steadier, slower.",
        ),
        "beam_size": columns[2].number_input(
            "Beam size", min_value=1, max_value=8, value=4, step=1, key="beam_size", help="Beam search: drafts kept."
        ),
        "branch_factor": columns[3].number_input(
            "Branch factor",
            min_value=1,
            max_value=8,
            value=4,
            step=1,
            key="branch_factor",
            help="Beam search: continuations tried of each draft at every step.",
        ),
    }


def clip_row(st) -> dict:
    """A MIDI clip and what to do with it: start from it, variations on its rhythm, or keep its first bars."""
    columns = st.columns([5, 4, 2], vertical_alignment="bottom")
    return {
        "primer": columns[0].file_uploader(
            "MIDI clip (optional)",
            type=["mid", "midi"],
            key="primer_midi",
            help="Its melody starts every melody (moved to octaves the model knows); the key's tonic otherwise.",
        ),
        "clip_use": columns[1].segmented_control(
            "Use the clip",
            CLIP_USES,
            default="primer",
            required=True,
            key="clip_use",
            width="stretch",
            format_func=CLIP_LABELS.get,
            help="Start from it: the model carries on after the clip. Variations: the clip's rhythm (onsets, "
            "durations, rests) with new pitches. Keep bars: its first bars as they are, the rest written new.",
        ),
        "keep_bars": columns[2].number_input(
            "Bars kept", min_value=1, max_value=15, value=2, step=1, key="keep_bars", help="Keep bars: how many."
        ),
    }


def options_panel(st, runs: list[RunChoice]) -> Request | None:
    """The model list and the generation form; the request when Generate was pressed."""
    panel = st.container(border=True)
    choice = model_choice(panel, runs)
    with panel.form("options", enter_to_submit=False, border=False):
        tuned = RunFolder(choice.path).generation_defaults().get("temperature", 1.0)  # its config.toml [generate]
        values = key_row(st) | sound_row(st, float(tuned)) | shape_row(st) | clip_row(st)
        pressed = st.form_submit_button("Generate", type="primary", icon=":material/music_note:")
    if not pressed:
        return None
    primer = values["primer"]
    if primer is None and values["clip_use"] != "primer":
        st.error(f"{CLIP_LABELS[values['clip_use']]} needs a MIDI clip: upload one under **MIDI clip**.")
        return None
    return Request(
        choice.path,
        values["key"],
        None if values["octave"] == AUTO else int(values["octave"]),
        float(values["bpm"]),
        int(values["bars"]),
        float(values["temperature"]),
        int(values["program"]),
        int(values["n_melodies"]),
        int(values["seed"]) if values["seed"] is not None else random.randrange(2**31),
        scale=None if values["scale"] == FROM_KEY else values["scale"],
        sampling=values["sampling"],
        beam_size=int(values["beam_size"]),
        branch_factor=int(values["branch_factor"]),
        primer_midi=primer.getvalue() if primer is not None else None,
        primer_midi_name=primer.name if primer is not None else "primer.mid",
        clip_use=values["clip_use"],
        keep_bars=int(values["keep_bars"]),
    )


def batch_summary(batch: Batch) -> str:
    """The line under the heading: key, scale and notes, tempo, length, sound, sampling, seed."""
    r, (low, high) = batch.request, batch.register
    used = key_scale(r.key, r.scale)
    named = r.scale is None and parse_key(r.key).scale is not None  # "F minor", "Fm" say their scale
    scale = "" if used == "chromatic" or named else f" {scale_label(used)}"
    flats = uses_flats(r.key, r.scale)
    sampling = (
        f"beam search {r.beam_size} × {r.branch_factor}" if r.sampling == "beam" else f"temperature {r.temperature:g}"
    )
    primer = ""
    if r.primer_midi is not None:
        primer = {
            "primer": f" · from {r.primer_midi_name}",
            "variations": f" · variations of {r.primer_midi_name}",
            "keep": f" · bars 1–{r.keep_bars} of {r.primer_midi_name} kept",
        }[r.clip_use]
    return (
        f"{r.key}{scale} (notes {note_name(low, flats)}–{note_name(high, flats)}) · {r.bpm:g} BPM · "
        f"{r.bars} bar{'s' if r.bars > 1 else ''} ({r.bars * 4 * 60 / r.bpm:.1f} s) · "
        f"{program_label(r.program)} · {sampling} · seed {r.seed}{primer}"
    )


def show_batch(st, batch: Batch) -> None:
    count = len(batch.melodies)
    heading, download = st.columns([4, 1], vertical_alignment="bottom")
    heading.subheader(f"{count} melod{'y' if count == 1 else 'ies'} from {batch.model_name}")
    heading.caption(batch_summary(batch))
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
    per_row = 1 if batch.request.bars > 8 or count == 1 else 2  # long rolls need the full width
    for first in range(0, count, per_row):
        for column, melody in zip(st.columns(per_row), batch.melodies[first : first + per_row]):
            show_melody(column.container(border=True), batch, melody)


def show_melody(card, batch: Batch, melody: Melody) -> None:
    card.image(melody.piano_roll_png, width="stretch", output_format="PNG")  # RGB would be sent as JPEG
    name, player, download = card.columns([2, 4, 2], vertical_alignment="center")
    name.markdown(f"**Melody {melody.index + 1}**")
    flats = uses_flats(batch.request.key, batch.request.scale)
    low, high = note_name(min(melody.pitches), flats), note_name(max(melody.pitches), flats)
    name.caption(f"{len(melody.pitches)} notes, {low}–{high}")
    name.html(drag_out_html(batch.file_name(melody), melody.midi), unsafe_allow_javascript=True)  # into a DAW
    if not batch.audio_rendered:
        player.caption("Rendering the audio…")
    if melody.wav is not None:
        player.audio(melody.wav, format="audio/wav", loop=True)  # a loop, as a producer auditions one
        download.download_button(
            "WAV",
            melody.wav,
            file_name=batch.file_name(melody, ".wav"),
            mime="audio/wav",
            on_click="ignore",
            icon=":material/music_note:",
            key=f"wav_{melody.index}",
            width="stretch",
        )
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


def generate_on_page(st, request: Request) -> bool:
    """Make the request's melodies into the session (one readable line on failure); True when it worked."""
    count = request.n_melodies
    with st.spinner(f"Writing {count} melod{'y' if count == 1 else 'ies'}…"):
        try:
            with st.cache_resource(new_lock)():  # one lock per server: sessions take turns on Keras
                models = st.cache_resource(Models)()  # loaded models, kept for the server's life
                st.session_state["batch"] = make_melodies(request, with_audio=False, models=models)
        except Exception as error:  # any failure is one readable line, never a traceback
            st.session_state.pop("batch", None)
            st.error(f"Could not generate with {request.run.name}: {one_line(error)}")
            return False
    return True


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
    if request is not None and not generate_on_page(st, request):
        return
    batch = st.session_state.get("batch")
    if batch is None:
        st.info(
            "Choose a model and the options above, then press **Generate**. Each melody starts on the "
            "key's tonic (or your MIDI file) and stays within an octave of the tonic; it comes as a piano roll, "
            "an audio preview and a MIDI file to drop into your DAW."
        )
        return
    show_batch(st, batch)
    if not batch.audio_rendered:  # the rolls and MIDI are on the page already; the players follow
        render_audio(batch)
        st.rerun()


if __name__ == "__main__":
    main()
