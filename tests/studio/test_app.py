"""The melody studio page (rnncells/studio/app.py) in Debian's headless Chromium (Playwright).

The tests start the server on a free port of 127.0.0.1 with the model shipped in ``results/models``, drive the page
like a producer and parse back what it serves. They need ``/usr/bin/chromium`` (``apt-get install chromium``) and the
``playwright`` package; no browser is ever downloaded.
"""

from __future__ import annotations

import base64
import importlib.util
import io
import os
import re
import shutil
import sys
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from PIL import Image

from rnncells.generation.clips import cut
from rnncells.music.melody import Note, note_name, scale_pitch_classes
from rnncells.music.midi import read_midi, write_midi
from rnncells.studio import server
from rnncells.studio.engine import Request
from tests.report.test_audio import installed as audio_installed
from tests.studio.test_studio import SHIPPED_RUN, cli_midi, free_port, midi_facts, primer_file

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
        assert dragged_out(page) == (name, midi)  # the same file dragged out of the page into a DAW
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


def dragged_out(page) -> tuple[str, bytes]:
    """The file name and bytes a drag of the first melody's MIDI link hands over (Chromium's DownloadURL)."""
    link = page.locator("a.rnncells-drag").first
    handed = link.evaluate(
        "a => { const data = new DataTransfer();"
        " a.dispatchEvent(new DragEvent('dragstart', {dataTransfer: data, bubbles: true}));"
        " return data.getData('DownloadURL'); }"
    )
    mime, name, url = handed.split(":", 2)
    assert mime == "audio/midi" and link.get_attribute("download") == name
    assert link.get_attribute("href") == url  # a click downloads the same file
    header, data = url.split(",", 1)
    assert header == "data:audio/midi;base64"
    return name, base64.b64decode(data)


def read_midi_bytes(data: bytes, path: Path) -> list[Note]:
    """The notes of a downloaded MIDI file, read as ``dataset build`` reads one."""
    path.write_bytes(data)
    return read_midi(path).notes
