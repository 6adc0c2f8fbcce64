"""The studio page's form: the model list and the options a producer sets (key, octave, bars, tempo, melodies,
randomness, instrument, seed, scale, sampling, a MIDI clip), made into the :class:`Request` the engine generates.

``st`` is the streamlit module, passed in so that importing this file needs no Streamlit."""

from __future__ import annotations

import random

from rnncells.generation.default_model import DEFAULT_MODEL
from rnncells.music.instruments import program_label
from rnncells.music.melody import SCALES
from rnncells.studio.catalogue import CELL_NAMES, RunChoice
from rnncells.studio.engine import (
    CLIP_USES,
    KEYS,
    Request,
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
DEFAULT_PROGRAM = 81  # Lead 2 (sawtooth): the EDM lead


def scale_label(scale: str) -> str:
    """``natural_minor`` -> ``natural minor``; the page's "from the key" as it is."""
    return scale.replace("_", " ")


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
