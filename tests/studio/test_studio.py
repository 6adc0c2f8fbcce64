"""The melody studio: its pieces in-process, then the real page in Debian's headless Chromium (Playwright).

The browser tests start the server on a free port of 127.0.0.1 with the model shipped in ``results/models``,
drive the page like a producer and parse back what it serves. They need ``/usr/bin/chromium``
(``apt-get install chromium``) and the ``playwright`` package; no browser is ever downloaded.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import re
import shutil
import socket
import sys
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import mido
import pytest
from PIL import Image

from rnncells.generation.clips import cut
from rnncells.generation.generate import generate
from rnncells.music import instruments
from rnncells.music.melody import Note, note_name, scale_pitch_classes
from rnncells.music.midi import read_midi, write_midi
from rnncells.studio import catalogue, engine, server
from rnncells.studio.engine import Models, Request, make_melodies
from rnncells.studio.piano_roll import piano_roll_png
from tests.report.test_audio import installed as audio_installed
from tests.report.test_audio import write_quarter_notes

REPO = Path(__file__).resolve().parents[2]
SHIPPED_RUN = REPO / "results" / "models" / "edm-control-lstm-2"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 30_000
GENERATE_TIMEOUT_MS = 90_000  # the first request imports Keras in the server


def browser_missing() -> str:
    """Why the browser tests cannot run here ("" when they can)."""
    if not CHROMIUM.is_file():
        return f"no {CHROMIUM}: apt-get install chromium"
    if importlib.util.find_spec("playwright") is None:
        return "no playwright package: pip install playwright (it drives Debian's chromium, no download)"
    return ""


needs_browser = pytest.mark.skipif(bool(browser_missing()), reason=browser_missing() or "browser found")


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
    rows = [line.split(",") for line in (SHIPPED_RUN / "metrics.csv").read_text().splitlines()[1:]]
    val_losses = {int(row[0]): float(row[5]) for row in rows}
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


# ----------------------------------------------------------------------------------------------------
# In the browser


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_studio(runs_dir: Path, log_path: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """The studio on a free port of 127.0.0.1 (its URL), always stopped afterwards; its log is printed."""
    port = free_port()
    with open(log_path, "w") as log:
        process = server.start(runs_dir, port, log=log, env=env)
        try:
            yield server.wait_until_ready(process, port, timeout_s=60)
        finally:
            server.stop(process)
            print(log_path.read_text()[-3000:])


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Debian's Chromium, headless, with a fresh profile."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            accept_downloads=True,
            viewport={"width": 1400, "height": 1000},
            timeout=TIMEOUT_MS,
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser):
    page = browser.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        yield page
    finally:
        page.close()


def choose(page, label: str, option: str) -> None:
    """Pick the option containing ``option`` in the selectbox labelled ``label`` (typed in: long lists only
    render the options in view)."""
    box = page.get_by_role("combobox", name=label)
    box.click()
    box.fill(option)
    page.get_by_role("option").filter(has_text=option).first.click()


def pick_key(page, key: str) -> None:
    """Pick ``key`` in the Key box: one of its forms (``Bb``, ``Fm``), or typed in and added (``F minor``)."""
    from playwright.sync_api import expect

    box = page.get_by_role("combobox", name="Key")
    box.click()
    box.fill(key)
    listed = page.get_by_role("option", name=key, exact=True)
    if listed.count():
        listed.click()
    else:
        box.press("Enter")
    box.press("Tab")
    expect(box).to_have_value(key)


def download(page, button_name: str) -> tuple[str, bytes]:
    with page.expect_download(timeout=TIMEOUT_MS) as info:
        page.locator("[data-testid='stDownloadButton']").get_by_role("button", name=button_name).first.click()
    return info.value.suggested_filename, Path(info.value.path()).read_bytes()


@needs_browser
def test_generate_in_the_browser(page, tmp_path):
    """A producer's request with every option: key (octave auto), scale, bars, tempo, melodies, seed,
    randomness, instrument, beam search and a MIDI file to start from; then what the page serves."""
    from playwright.sync_api import expect

    primer = primer_file(tmp_path)
    with running_studio(SHIPPED_RUN.parent, tmp_path / "studio.log") as url:
        page.goto(url)
        choose(page, "Model", "edm-control-lstm-2")
        pick_key(page, "F#")
        page.get_by_role("radiogroup", name="Bars").get_by_role("radio", name="4", exact=True).click()
        page.get_by_role("spinbutton", name="BPM").fill("140")
        page.get_by_role("spinbutton", name="Melodies").fill("2")
        page.get_by_role("spinbutton", name="Seed").fill("7")
        slider = page.get_by_role("slider")
        slider.focus()
        for _ in range(4):
            slider.press("ArrowLeft")  # 1.0 -> 0.8 in steps of 0.05
        choose(page, "Instrument (General MIDI program)", "80 Lead 1 (square)")
        choose(page, "Scale", "natural minor")
        page.get_by_role("radiogroup", name="Sampling").get_by_role("radio", name="Beam search", exact=True).click()
        page.get_by_role("spinbutton", name="Beam size").fill("2")
        page.get_by_role("spinbutton", name="Branch factor").fill("3")
        page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(primer))
        expect(page.get_by_text("primer.mid")).to_be_visible()
        page.get_by_role("button", name="Generate").click()

        rolls = page.locator("[data-testid='stImage'] img")
        expect(rolls).to_have_count(2, timeout=GENERATE_TIMEOUT_MS)
        request = Request(
            SHIPPED_RUN, "F#", None, 140.0, 4, 0.8, 80, 2, 7, "natural_minor", "beam", 2, 3, primer.read_bytes()
        )
        expected, record = cli_midi(request, tmp_path / "cli", primer)
        low, high = (note_name(p) for p in record["register"])
        summary = (
            f"F# natural minor (notes {low}–{high}) · 140 BPM · 4 bars (6.9 s) · 80 Lead 1 (square) · "
            "beam search 2 × 3 · seed 7 · from primer.mid"
        )
        expect(page.get_by_text(summary)).to_be_visible()
        page.screenshot(path=str(tmp_path / "studio.png"), full_page=True)

        for roll in rolls.all():
            assert roll.evaluate("image => image.complete && image.naturalWidth") > 0  # decoded by Chromium
            png = page.request.get(roll.get_attribute("src")).body()
            image = Image.open(io.BytesIO(png))
            assert image.format == "PNG" and image.width >= 500 and 250 <= image.height <= image.width

        players = page.locator("audio")
        if audio_installed():
            expect(players).to_have_count(2)
            for player in players.all():
                answer = page.request.get(player.get_attribute("src"))
                wav = answer.body()
                assert "wav" in answer.headers["content-type"]
                assert wav[:4] == b"RIFF" and wav[8:12] == b"WAVE" and len(wav) > 44_100  # ~7 s of sound
        else:
            expect(page.get_by_text("apt-get install fluidsynth timgm6mb-soundfont")).to_be_visible()

        name, midi = download(page, "MIDI")
        assert name == "F#-minor_140bpm_4bars_01.mid"
        assert midi == expected[0]  # the command line's file, byte for byte
        facts = midi_facts(midi)
        assert round(facts["bpm"][0]) == 140 and facts["programs"] == [80]
        assert facts["first_onset"] == 0 and facts["steps"] == 4 * 16
        assert [p % 12 for p in facts["pitches"][:4]] == [6, 9, 1, 11]  # the uploaded melody starts it
        assert all(p % 12 in scale_pitch_classes("F#", "natural_minor") for p in facts["pitches"])
        assert all(record["register"][0] <= p <= record["register"][1] for p in facts["pitches"])

        name, archive_bytes = download(page, "Download all (zip)")
        with zipfile.ZipFile(io.BytesIO(archive_bytes)) as archive:
            assert name == "control-lstm-2.zip" and len(archive.namelist()) == 2
            assert [archive.read(n) for n in archive.namelist()] == expected
        assert "Traceback" not in page.content()


@needs_browser
def test_readable_messages_in_the_browser(page, tmp_path):
    """No model, a damaged checkpoint, an octave the model does not know and no FluidSynth each give one readable
    line and no traceback."""
    from playwright.sync_api import expect

    runs = tmp_path / "runs"
    runs.mkdir()
    without_fluidsynth = dict(os.environ, PATH=str(Path(sys.executable).parent))
    with running_studio(runs, tmp_path / "studio.log", env=without_fluidsynth) as url:
        page.goto(url)
        expect(page.get_by_text("No model found")).to_be_visible()
        expect(page.locator("code", has_text="rnncells train --dataset")).to_be_visible()
        assert "Traceback" not in page.content()

        shutil.copytree(SHIPPED_RUN, runs / "good")
        shutil.copytree(SHIPPED_RUN, runs / "broken")
        (runs / "broken" / "checkpoints" / "best.keras").write_bytes(b"not a Keras file")
        page.reload()
        choose(page, "Model", "broken")
        expect(page.locator("code", has_text=str(runs / "broken"))).to_be_visible()
        page.get_by_role("button", name="Generate").click()
        expect(page.get_by_text("cannot load the checkpoint")).to_be_visible(timeout=GENERATE_TIMEOUT_MS)
        expect(page.get_by_text("best.keras").first).to_be_visible()
        assert "Traceback" not in page.content()

        choose(page, "Model", "good")
        expect(page.locator("code", has_text=str(runs / "good"))).to_be_visible()
        pick_key(page, "F#")
        page.get_by_role("radiogroup", name="Octave").get_by_role("radio", name="-1", exact=True).click()
        page.get_by_role("button", name="Generate").click()
        expect(page.get_by_text("knows F# only at octave")).to_be_visible(timeout=GENERATE_TIMEOUT_MS)

        pick_key(page, "C")
        page.get_by_role("radiogroup", name="Octave").get_by_role("radio", name="auto", exact=True).click()
        page.get_by_role("button", name="Generate").click()
        expect(page.get_by_text("No audio preview: fluidsynth not found")).to_be_visible(timeout=GENERATE_TIMEOUT_MS)
        expect(page.get_by_text("apt-get install fluidsynth timgm6mb-soundfont")).to_be_visible()
        expect(page.locator("[data-testid='stImage'] img")).to_have_count(3)  # the default: 3 melodies
        expect(page.locator("audio")).to_have_count(0)
        _, midi = download(page, "MIDI")
        facts = midi_facts(midi)
        assert facts["steps"] == 8 * 16 and round(facts["bpm"][0]) == 128 and facts["programs"] == [81]
        assert all(48 <= p <= 72 for p in facts["pitches"])  # key C, octave auto (C4): within an octave of it
        assert "Traceback" not in page.content()


# two bars of an F minor riff with a rest (steps 8-10) and a note ringing over the bar line
CLIP = [Note(0, 65, 3), Note(3, 68, 3), Note(6, 72, 2), Note(10, 70, 2), Note(12, 68, 6), Note(18, 63, 2)]
CLIP += [Note(20, 65, 4), Note(24, 60, 8)]


def flat_names(text: str) -> list[str]:
    """The note names in ``text`` (C4, Ab3, F#5), in order."""
    return re.findall(r"\b[A-G][#b]?-?\d\b", text)


def wait_for_page(page) -> None:
    """Until Streamlit has run the page to its end (elements of the previous run are replaced by then)."""
    from playwright.sync_api import expect

    expect(page.locator("[data-testid='stApp']")).to_have_attribute("data-test-script-state", "notRunning")


def melody_caption(page) -> str:
    """The one melody card's caption: "N notes, LOW–HIGH"."""
    return page.locator("[data-testid='stCaptionContainer']").filter(has_text=" notes, ").first.inner_text()


@needs_browser
def test_key_forms_clips_and_wav_in_the_browser(page, tmp_path):
    """Key forms typed and picked (F minor, Bb) spell notes with flats; variations without a clip are one line; a
    clip uploaded for variations keeps its onsets with new pitches; keep-bars keeps its first bars; the WAV download
    is a RIFF/WAVE file."""
    from playwright.sync_api import expect

    clip = write_midi(tmp_path / "riff.mid", CLIP, bpm=128)
    assert read_midi(clip).notes == CLIP
    with running_studio(SHIPPED_RUN.parent, tmp_path / "studio.log") as url:
        page.goto(url)
        choose(page, "Model", "edm-control-lstm-2")
        pick_key(page, "F minor")  # typed: not one of the listed forms
        page.get_by_role("radiogroup", name="Bars").get_by_role("radio", name="4", exact=True).click()
        page.get_by_role("spinbutton", name="Melodies").fill("1")
        page.get_by_role("spinbutton", name="Seed").fill("5")
        page.get_by_role("radiogroup", name="Use the clip").get_by_role("radio", name="Variations").click()
        page.get_by_role("button", name="Generate").click()
        expect(page.get_by_text("Variations needs a MIDI clip: upload one")).to_be_visible()  # none yet
        page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(clip))
        expect(page.get_by_text("riff.mid")).to_be_visible()
        page.get_by_role("button", name="Generate").click()

        summary = page.get_by_text(re.compile(r"^F minor \(notes .* · variations of riff\.mid$"))
        expect(summary).to_be_visible(timeout=GENERATE_TIMEOUT_MS)
        wait_for_page(page)
        page.screenshot(path=str(tmp_path / "studio.png"), full_page=True)
        name, midi = download(page, "MIDI")
        assert name == "F-minor_128bpm_4bars_01.mid"
        notes = read_midi_bytes(midi, tmp_path / name)
        assert [(n.onset, n.duration) for n in notes] == [(n.onset, n.duration) for n in CLIP]  # the clip's rhythm
        assert [n.pitch for n in notes] != [n.pitch for n in CLIP]  # new pitches
        assert all(n.pitch % 12 in scale_pitch_classes("F", "natural_minor") for n in notes)
        low, high = min(n.pitch for n in notes), max(n.pitch for n in notes)
        caption = melody_caption(page)
        assert caption == f"{len(notes)} notes, {note_name(low, True)}–{note_name(high, True)}"
        assert "#" not in summary.inner_text() + caption  # F minor is written with flats

        name, wav = download(page, "WAV")
        assert name == "F-minor_128bpm_4bars_01.wav"
        assert wav[:4] == b"RIFF" and wav[8:12] == b"WAVE" and len(wav) > 44_100  # 4 bars at 128 BPM: 7.5 s

        pick_key(page, "Bb")  # one of the listed forms
        page.get_by_role("radiogroup", name="Use the clip").get_by_role("radio", name="Keep bars").click()
        page.get_by_role("spinbutton", name="Bars kept").fill("2")
        page.get_by_role("button", name="Generate").click()
        summary = page.get_by_text(re.compile(r"^Bb major \(notes .* · bars 1–2 of riff\.mid kept$"))
        expect(summary).to_be_visible(timeout=GENERATE_TIMEOUT_MS)
        wait_for_page(page)
        names = flat_names(summary.inner_text())
        assert names[0].startswith("Bb") and names[1].startswith("Bb")  # the register: an octave around Bb
        name, midi = download(page, "MIDI")
        assert name == "Bb-major_128bpm_4bars_01.mid"  # a key without its scale is major
        notes = read_midi_bytes(midi, tmp_path / name)
        kept = cut(CLIP, 2 * 16)
        assert notes[: len(kept)] == kept  # bars 1-2 exactly as the clip has them
        assert notes[len(kept)].onset == 32 and notes[-1].onset + notes[-1].duration == 4 * 16
        new = notes[len(kept) :]
        assert all(n.pitch % 12 in scale_pitch_classes("Bb", "major") for n in new)
        caption = melody_caption(page)
        low, high = min(n.pitch for n in notes), max(n.pitch for n in notes)
        assert caption == f"{len(notes)} notes, {note_name(low, True)}–{note_name(high, True)}"
        assert "#" not in summary.inner_text() + caption
        assert "Traceback" not in page.content()


def read_midi_bytes(data: bytes, path: Path) -> list[Note]:
    """The notes of a downloaded MIDI file, read as ``dataset build`` reads one."""
    path.write_bytes(data)
    return read_midi(path).notes
