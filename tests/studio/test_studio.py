"""The melody studio's pieces in-process: the run list, the labels, the server command, page = command line (the
page itself in a browser: tests/studio/test_app.py)."""

from __future__ import annotations

import csv
import io
import json
import shutil
import socket
import sys
import zipfile
from pathlib import Path

import mido
import pytest
from PIL import Image

from rnncells.generation.generate import generate
from rnncells.music import instruments
from rnncells.music.melody import scale_pitch_classes
from rnncells.studio import catalogue, engine, server
from rnncells.studio.engine import Models, Request, make_melodies, render_audio
from rnncells.studio.piano_roll import piano_roll_png
from tests.report.test_audio import write_quarter_notes

REPO = Path(__file__).resolve().parents[2]
SHIPPED_RUN = REPO / "results" / "models" / "edm-control-lstm-2"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def midi_facts(data: bytes) -> dict:
    """Tempo (BPM), programs, pitches, first onset and length in 16th steps of a one-melody MIDI file."""
    midi = mido.MidiFile(file=io.BytesIO(data))
    tempos, programs, pitches, onsets, ends = [], [], [], [], []
    for track in midi.tracks:
        tick = 0
        for message in track:
            tick += message.time
            if message.type == "set_tempo":
                tempos.append(mido.tempo2bpm(message.tempo))
            elif message.type == "program_change":
                programs.append(message.program)
            elif message.type == "note_on" and message.velocity > 0:
                pitches.append(message.note)
                onsets.append(tick)
            elif message.type in ("note_off", "note_on"):
                ends.append(tick)
    step = midi.ticks_per_beat // 4
    return {
        "bpm": tempos,
        "programs": programs,
        "pitches": pitches,
        "first_onset": min(onsets) / step,
        "steps": max(ends) / step,
    }


# ----------------------------------------------------------------------------------------------------
# In-process: the run list, the labels, the server command, page = command line


def test_find_runs_lists_the_shipped_model_with_its_lowest_validation_loss(tmp_path):
    runs, problems = catalogue.find_runs(SHIPPED_RUN.parent)
    assert problems == []
    [run] = [r for r in runs if r.path == SHIPPED_RUN]
    with (SHIPPED_RUN / "metrics.csv").open(newline="") as handle:  # by name: the columns differ by format age
        rows = list(csv.DictReader(handle))
    val_losses = {int(row["epoch"]): float(row["val_loss"]) for row in rows}
    best_epoch = min(val_losses, key=val_losses.get)
    assert (run.variant, run.cell, run.layers, run.units) == ("control", "lstm", 2, 128)
    assert (run.best_val_loss, run.best_epoch, run.epochs) == (val_losses[best_epoch], best_epoch, len(rows))
    loss = f"{val_losses[best_epoch]:.3f}"
    assert run.label == f"edm-control-lstm-2 · control · LSTM · depth 2 · val loss {loss}"

    (tmp_path / "a" / "nested").mkdir(parents=True)
    shutil.copytree(SHIPPED_RUN, tmp_path / "a" / "nested" / "copy", ignore=shutil.ignore_patterns("*.keras"))
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "run.json").write_text("{not json")
    runs, problems = catalogue.find_runs(tmp_path)
    assert [r.name for r in runs] == ["a/nested/copy"]
    assert len(problems) == 1 and "bad" in problems[0] and "JSONDecodeError" in problems[0]
    assert catalogue.find_runs(tmp_path / "missing") == ([], [])


def test_program_labels_and_runs_folder(monkeypatch, tmp_path):
    assert len(instruments.GM_PROGRAMS) == 128
    assert instruments.program_label(0) == "0 Acoustic Grand Piano"
    assert instruments.program_label(81) == "81 Lead 2 (sawtooth)"
    assert instruments.program_label(127) == "127 Gunshot"
    monkeypatch.delenv(catalogue.RUNS_ENV, raising=False)
    assert catalogue.runs_folder([]) == REPO / "results" / "models"
    monkeypatch.setenv(catalogue.RUNS_ENV, str(tmp_path))
    assert catalogue.runs_folder([]) == tmp_path
    assert catalogue.runs_folder(["--runs", "elsewhere"]) == Path("elsewhere")


def test_server_command_and_refusals(tmp_path):
    command = server.studio_command(tmp_path, 8600, "127.0.0.1")
    assert command[:5] == [sys.executable, "-m", "streamlit", "run", str(server.APP)]
    assert command[-3:] == ["--", "--runs", str(tmp_path)]
    assert command[command.index("--server.port") + 1] == "8600"
    assert command[command.index("--server.address") + 1] == "127.0.0.1"
    assert command[command.index("--client.showErrorDetails") + 1] == "none"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(server.StudioError, match=f"127.0.0.1:{port}.*another --port"):
            server.start(tmp_path, port)
    (tmp_path / "file").write_text("")
    with pytest.raises(server.StudioError, match="is a file"):
        server.start(tmp_path / "file", free_port())


def primer_file(folder: Path) -> Path:
    """A MIDI file to start from: F#4 A4 C#5 B4, quarter notes."""
    write_quarter_notes(folder / "primer.mid", pitches=(66, 69, 73, 71))
    return folder / "primer.mid"


def cli_midi(request: Request, out: Path, primer: Path | None = None) -> tuple[list[bytes], dict]:
    """What ``rnncells generate`` writes for the request: the MIDI files and generation.json."""
    songs = generate(SHIPPED_RUN, out, request.generate_config(primer))
    midi = [(songs / f"song_{i:03d}.mid").read_bytes() for i in range(request.n_melodies)]
    return midi, json.loads((songs / "generation.json").read_text())


@pytest.mark.parametrize(
    "options",
    [
        {"key": "D#", "octave": 1},
        {"key": "F#", "octave": None, "scale": "natural_minor", "sampling": "beam", "beam_size": 2, "branch_factor": 3},
        {"key": "A", "octave": None, "scale": "dorian", "primer": True},
    ],
    ids=["key-octave", "scale-beam", "scale-primer-midi"],
)
def test_page_writes_what_the_command_line_writes(tmp_path, options):
    options = dict(options)
    primer = primer_file(tmp_path) if options.pop("primer", False) else None
    uploaded = {"primer_midi": primer.read_bytes(), "primer_midi_name": "mine.mid"} if primer else {}
    request = Request(
        SHIPPED_RUN, bpm=124.0, bars=4, temperature=0.9, program=33, n_melodies=2, seed=11, **options, **uploaded
    )
    models = Models()
    batch = make_melodies(request, with_audio=False, models=models)
    midi, record = cli_midi(request, tmp_path / "cli", primer)
    assert [m.midi for m in batch.melodies] == midi
    assert batch.register == tuple(record["register"]) and batch.octave == record["octave"]
    allowed = scale_pitch_classes(request.key, request.scale)
    for melody in batch.melodies:
        facts = midi_facts(melody.midi)
        assert facts["programs"] == [33] and round(facts["bpm"][0]) == 124
        assert facts["steps"] == 4 * 16 == sum(melody.durations)
        assert all(batch.register[0] <= p <= batch.register[1] for p in facts["pitches"])
        assert all(p % 12 in allowed for p in facts["pitches"][4 if primer else 1 :])
        assert melody.piano_roll_png[:8] == b"\x89PNG\r\n\x1a\n" and melody.wav is None
    if primer:
        assert [p % 12 for p in batch.melodies[0].pitches[:4]] == [6, 9, 1, 11]  # the file's melody comes first
    again = make_melodies(request, with_audio=False, models=models)
    assert [m.midi for m in again.melodies] == midi and models.loads == 1  # the model was loaded once
    with zipfile.ZipFile(io.BytesIO(batch.zip_bytes())) as archive:
        assert archive.namelist() == [batch.file_name(m) for m in batch.melodies]
    if options["key"] == "D#":
        assert archive.namelist() == ["D#_124bpm_4bars_01.mid", "D#_124bpm_4bars_02.mid"]
        assert batch.file_name(batch.melodies[1], ".wav") == "D#_124bpm_4bars_02.wav"  # the WAV download's name
        assert all(entry.external_attr >> 16 == 0o100644 for entry in archive.infolist())  # readable when unpacked


def test_a_clip_is_used_as_the_command_line_uses_it(tmp_path):
    """Start from it: --primer-midi; variations: --variations-of; keep bars: --primer-midi --keep-bars N. The key
    form names the scale when the page's scale is "from the key" (None)."""
    clip = tmp_path / "riff.mid"
    request = Request(SHIPPED_RUN, "F minor", None, 128.0, 4, 1.0, 81, 1, 5, scale=None, primer_midi=b"x")
    configs = {}
    for use in ("primer", "variations", "keep"):
        request.clip_use, request.keep_bars = use, 3
        configs[use] = request.generate_config(clip)
        configs[use].validate()
        assert configs[use].scale_used == "natural_minor"
    primer = configs["primer"]
    assert (primer.primer_midi, primer.variations_of, primer.keep_bars) == (str(clip), None, None)
    assert (configs["variations"].primer_midi, configs["variations"].variations_of) == (None, str(clip))
    assert (configs["keep"].primer_midi, configs["keep"].keep_bars) == (str(clip), 3)
    assert request.generate_config(None).keep_bars is None  # no clip uploaded: nothing to keep


def test_studio_piano_roll_is_a_png_of_the_melody():
    png = piano_roll_png([60, 62, 64, 65, 67], [4, 4, 4, 4, 16], "Melody 1", 128)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.width >= 500 and 250 <= image.height <= image.width
    pixels = image.convert("RGB")
    blue = sum(
        1
        for x in range(0, image.width, 4)
        for y in range(0, image.height, 4)
        if pixels.getpixel((x, y)) == (59, 111, 182)
    )
    assert blue > 50  # the notes are drawn
    flats = piano_roll_png([61, 63, 65], [4, 4, 8], "Melody 1", 128, flats=True)
    assert flats != piano_roll_png([61, 63, 65], [4, 4, 8], "Melody 1", 128)  # Db4/Eb4 labels, not C#4/D#4
    with pytest.raises(ValueError, match="at least one step"):
        piano_roll_png([60], [0], "x", 120)


def test_a_key_the_model_does_not_know_is_one_line(tmp_path):
    request = Request(SHIPPED_RUN, "F#", -1, 120.0, 1, 1.0, 0, 1, seed=1)
    with pytest.raises(ValueError, match="knows F# only at octave"):
        make_melodies(request, with_audio=False)
    assert engine.one_line(ValueError("first\nsecond")) == "first"


def test_the_page_takes_what_its_form_does_not_set_from_the_models_generate_table(tmp_path):
    """As ``rnncells melody``: the scale rule comes from the model's [generate] table; the form's values win."""
    tuned = tmp_path / "tuned"
    shutil.copytree(SHIPPED_RUN, tuned)
    config = tuned / "config.toml"
    config.write_text(config.read_text() + '\n[generate]\nscale_rule = "mask"\ntemperature = 0.5\n')
    request = Request(tuned, "F minor", None, 128.0, 4, 1.2, 81, 1, 5, scale=None)
    assert (request.generate_config().scale_rule, request.generate_config().temperature) == ("mask", 1.2)
    request.run = SHIPPED_RUN  # no [generate] table: GenerateConfig's defaults
    assert request.generate_config().scale_rule == "fold"


def test_rolls_and_midi_come_before_the_audio_which_render_audio_adds(tmp_path):
    """The page shows a batch without audio first (issue 25: MIDI and piano roll before audio); ``render_audio``
    then adds every melody's WAV through the real FluidSynth, leaving the MIDI as it was."""
    request = Request(SHIPPED_RUN, "F minor", None, 128.0, 2, 1.0, 81, 2, 5, scale=None)
    batch = make_melodies(request, with_audio=False)
    assert not batch.audio_rendered and all(m.wav is None for m in batch.melodies)
    midi = [m.midi for m in batch.melodies]
    render_audio(batch)
    assert batch.audio_rendered and batch.audio_problem is None
    assert [m.midi for m in batch.melodies] == midi
    for melody in batch.melodies:
        assert melody.wav[:4] == b"RIFF" and melody.wav[8:12] == b"WAVE"
        assert len(melody.wav) > 44_100 * 2  # 2 bars at 128 BPM: 3.75 s of 16-bit sound
