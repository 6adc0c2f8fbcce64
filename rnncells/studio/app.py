"""The melody studio: a Streamlit page that writes melodies with a trained run (docs/method.md §6).

Start it with ``rnncells studio --runs DIR`` (see :mod:`rnncells.studio.server`), or directly with
``streamlit run rnncells/studio/app.py -- --runs DIR``. The runs folder comes from ``--runs`` after the
``--``, else ``$RNNCELLS_STUDIO_RUNS``, else the model shipped in ``results/models``.

A producer picks a model (every run folder below the runs folder, :mod:`rnncells.studio.catalogue`),
key (a listed form such as ``Bb`` or ``Fm``, or typed: ``F minor``), scale (by default the key's) and octave,
tempo, bars, randomness, instrument, number of melodies, sampling (random or beam search) and optionally a MIDI
clip (start from it, variations on its rhythm, or keep its first bars; the form: :mod:`rnncells.studio.form`).
Generation (:mod:`rnncells.studio.engine`)
uses the same :class:`GenerateConfig` as ``rnncells generate --key --scale --octave --bars --bpm --program
--sampling --primer-midi --variations-of --keep-bars``, so page and command line write the same MIDI; the model is
loaded once per server and kept. The page keeps only the bytes it shows (piano roll PNG, WAV, MIDI). Problems (no
model, a damaged checkpoint, a key the model does not know, FluidSynth missing) show as one readable line.
"""

from __future__ import annotations

import threading
from pathlib import Path

from rnncells.music.instruments import program_label
from rnncells.music.melody import key_scale, note_name, parse_key, uses_flats
from rnncells.studio.catalogue import find_runs, runs_folder
from rnncells.studio.engine import (
    Batch,
    Melody,
    Models,
    Request,
    drag_out_html,
    make_melodies,
    one_line,
    render_audio,
)
from rnncells.studio.form import options_panel, scale_label

AUDIO_INSTALL = "apt-get install fluidsynth timgm6mb-soundfont"
TRAIN_COMMANDS = (
    "rnncells dataset build --source ../shared/data/edm --out data/edm\n"
    "rnncells train --dataset data/edm --variant control --cell lstm --layers 2 --batch-size 16 \\\n"
    "    --seq-length 32 --epochs 40 --out {runs}/edm-control-lstm-2"
)


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
