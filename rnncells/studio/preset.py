"""``rnncells melody "F minor" --bars 8 --bpm 128``: a producer's one-line preset.

Generates ``--n-songs`` melodies (default 8) with the default model (:mod:`rnncells.generation.default_model`) or
``--run``, in the key and its scale (:mod:`rnncells.generation.keys`), with a lead
synth (General MIDI 81, Lead 2 sawtooth) accented on the beats (``--accent 24``), and writes them to ``--out``
(default ``melodies``) as ``F-minor_128bpm_8bars_01.mid`` ... with a WAV beside each when FluidSynth is installed.
Numbers go on after the files already there, so a second run never overwrites the first. Without ``--seed`` every
run draws a fresh seed and prints it; ``--seed N`` repeats a result. Sampling settings the flags leave out come from
the model's ``[generate]`` table (its config.toml: the settings it was tuned with, see its README), then from
:data:`DEFAULTS`.
"""

from __future__ import annotations

import argparse
import random
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from rnncells.config.generate import GenerateConfig
from rnncells.config.options import add_options, given_options
from rnncells.config.records import from_dict
from rnncells.music.melody import key_label
from rnncells.training.run_folder import RunFolder

LEAD_SYNTH = 81  # General MIDI Lead 2 (sawtooth), 0-based
# leap_weight 1: for a model without a [generate] table, the model's own leaps
DEFAULTS = {"n_songs": 8, "bars": 8, "bpm": 128.0, "program": LEAD_SYNTH, "accent": 24, "leap_weight": 1.0}
FLAGS = ("n_songs", "seed", "bpm", "bars", "program", "temperature", "scale", "scale_rule", "octave")
FLAGS += ("sampling", "top_k", "duration_temperature")
FLAGS += ("variations_of", "primer_midi", "keep_bars", "accent", "rests", "leap_weight")  # clips, feel, leaps
SHOWN_DEFAULTS = {
    "n_songs": "8",
    "bars": "8",
    "bpm": "128",
    "program": f"{LEAD_SYNTH}, Lead 2 (sawtooth)",
    "seed": "a fresh random seed, printed",
    "accent": "24",
    "leap_weight": "the model's [generate] value, else 1",
    "scale_rule": "the model's [generate] value, else fold",
    "temperature": "the model's [generate] value, else 1",
    "duration_temperature": "the model's [generate] value, else --temperature",
}


@dataclass
class Written:
    """What one preset call wrote: the MIDI files, the WAVs, the seed, and why there is no audio if there is none."""

    midi: list[Path] = field(default_factory=list)
    wav: list[Path] = field(default_factory=list)
    seed: int = 0
    audio_problem: str | None = None


def file_stem(config: GenerateConfig) -> str:
    """``F-minor_128bpm_8bars``: key, tempo and length, as producers name loops."""
    return f"{key_label(config.key, config.scale)}_{config.bpm:g}bpm_{config.bars}bars"


def next_number(out: Path, stem: str) -> int:
    """The first number after those of the files ``stem_NN.mid`` already in ``out``."""
    pattern = re.compile(re.escape(stem) + r"_(\d+)\.mid$")
    taken = [int(m.group(1)) for path in out.glob(f"{stem}_*.mid") if (m := pattern.match(path.name))]
    return max(taken, default=0) + 1


def write_melodies(config: GenerateConfig, run: Path, out: Path, wav: bool = True) -> Written:
    """Generate ``config``'s melodies with ``run`` and write them to ``out`` under producer names (module
    docstring)."""
    from rnncells.generation.generate import generate
    from rnncells.report.audio import AudioRenderError, render_wav

    config.validate()
    out.mkdir(parents=True, exist_ok=True)
    written = Written(seed=config.seed)
    stem = file_stem(config)
    first = next_number(out, stem)
    with tempfile.TemporaryDirectory(prefix="rnncells-melody-") as work:
        songs = generate(run, Path(work) / "songs", config)
        for index in range(config.n_songs):
            target = out / f"{stem}_{first + index:02d}.mid"
            target.write_bytes((songs / f"song_{index:03d}.mid").read_bytes())
            written.midi.append(target)
    for midi in written.midi if wav else ():
        try:
            written.wav.append(render_wav(midi, midi.with_suffix(".wav")))
        except AudioRenderError as error:
            written.audio_problem = str(error).splitlines()[0]
            break
    return written


def add_melody_command(commands) -> None:
    parser = commands.add_parser(
        "melody",
        help='a producer\'s preset: rnncells melody "F minor" --bars 8 --bpm 128 writes MIDI and WAV loops',
        description=__doc__.split("\n\n")[1],
    )
    parser.add_argument("key", help='the key as producers write it: "F minor", Fm, F#m, Bb, Ebm, C#m, "D dorian"')
    parser.add_argument("--out", type=Path, default=Path("melodies"), help="folder for the files (default: melodies)")
    parser.add_argument("--run", type=Path, help="a trained run folder (default: the shipped default model)")
    parser.add_argument("--no-wav", action="store_true", help="write MIDI only (no FluidSynth rendering)")
    add_options(parser.add_argument_group("melody"), GenerateConfig, only=FLAGS, defaults=SHOWN_DEFAULTS)


def run_melody(args: argparse.Namespace) -> int:
    from rnncells.generation.default_model import default_run

    run = args.run or default_run()
    tuned = RunFolder(run).generation_defaults()
    values = {**DEFAULTS, **tuned, **given_options(args, GenerateConfig), "key": args.key}
    values.setdefault("seed", random.SystemRandom().randrange(2**31))
    config = from_dict(GenerateConfig, values, "melody")
    config.validate()
    written = write_melodies(config, run, args.out, wav=not args.no_wav)
    print(f"seed {written.seed} (--seed {written.seed} repeats these melodies)")
    for midi in written.midi:
        wav = midi.with_suffix(".wav")
        print(f"{midi}" + (f"  {wav.name}" if wav in written.wav else ""))
    if written.audio_problem:
        print(f"no WAV: {written.audio_problem}")
    return 0
