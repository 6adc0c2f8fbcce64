"""``rnncells render``: a folder of songs, MusicXML that reads back, a printed score from LilyPond."""

from __future__ import annotations

import shutil
import wave
from pathlib import Path

import music21
import numpy as np
import pytest
from PIL import Image

from rnncells.cli import main
from rnncells.report import score
from rnncells.report.score import ScoreError
from tests.report.test_audio import needs_fluidsynth, write_quarter_notes

needs_lilypond = pytest.mark.skipif(
    shutil.which("lilypond") is None or shutil.which("musicxml2ly") is None,
    reason=f"lilypond is missing ({score.INSTALL_HINT})",
)
# tied across the bar line (5 + 13 steps), dotted, short and long notes, sharps, a rest-free melody
PITCHES = [60, 62, 64, 65, 67, 66, 61, 72, 55]
DURATIONS = [4, 2, 2, 5, 13, 6, 8, 2, 22]


def read_back(path: Path) -> tuple[list[int], list[float]]:
    """The pitches and quarter lengths of a MusicXML file as music21 reads it, tied notes joined."""
    parsed = music21.converter.parse(str(path))
    notes = list(parsed.stripTies().flatten().notes)
    return [n.pitch.midi for n in notes], [float(n.quarterLength) for n in notes]


def test_musicxml_reads_back_as_the_same_melody(tmp_path):
    path = score.write_musicxml(PITCHES, DURATIONS, tmp_path / "song.musicxml", title="Song 1", bpm=128)
    assert path == tmp_path / "song.musicxml" and [p.name for p in tmp_path.iterdir()] == ["song.musicxml"]
    pitches, lengths = read_back(path)
    assert pitches == PITCHES and lengths == [d / 4 for d in DURATIONS]
    parsed = music21.converter.parse(str(path))
    [mark] = parsed.flatten().getElementsByClass("MetronomeMark")
    assert mark.number == 128 and parsed.metadata.bestTitle == "Song 1"
    assert parsed.flatten().getElementsByClass("TimeSignature")[0].ratioString == "4/4"
    low = score.melody_score([40, 43, 45], [4, 4, 8])
    assert isinstance(low.flatten().getElementsByClass("Clef")[0], music21.clef.BassClef)
    with pytest.raises(ScoreError, match="durations of at least one step"):
        score.melody_score([60], [0])


@needs_lilypond
def test_score_is_a_pdf_and_a_png(tmp_path):
    made = score.write_score(PITCHES, DURATIONS, tmp_path / "song", title="Song 1", bpm=128)
    assert made == [tmp_path / "song.musicxml", tmp_path / "song.pdf", tmp_path / "song.png"]
    assert (tmp_path / "song.pdf").read_bytes()[:5] == b"%PDF-"
    with Image.open(tmp_path / "song.png") as image:
        image.load()
        assert image.format == "PNG" and image.width > 300 and 50 < image.height < image.width
        ink = np.asarray(image.convert("L")) < 128
        assert ink.mean() > 0.01  # staff lines and notes, not a blank page
    assert sorted(p.name for p in tmp_path.iterdir()) == ["song.musicxml", "song.pdf", "song.png"]
    pdf_only = score.write_score(PITCHES, DURATIONS, tmp_path / "pdf" / "song", musicxml=False, formats=["pdf"])
    assert pdf_only == [tmp_path / "pdf" / "song.pdf"] and [p.name for p in (tmp_path / "pdf").iterdir()] == [
        "song.pdf"
    ]
    with pytest.raises(ScoreError, match="score formats are pdf and png"):
        score.engrave(tmp_path / "song.musicxml", tmp_path / "x", ["svg"])


def test_missing_lilypond_says_what_to_install(tmp_path, monkeypatch, capsys):
    xml = score.write_musicxml(PITCHES, DURATIONS, tmp_path / "song.musicxml")
    write_quarter_notes(tmp_path / "song.mid")
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(ScoreError, match="lilypond not found on PATH; install it: apt-get install lilypond"):
        score.engrave(xml, tmp_path / "song")
    assert main(["render", str(tmp_path / "song.mid"), "--score"]) == 2  # a one-line error, not a traceback
    assert capsys.readouterr().err.strip() == (
        "rnncells: error: lilypond not found on PATH; install it: apt-get install lilypond"
    )


@needs_fluidsynth
def test_render_a_folder_of_songs(tmp_path, capsys):
    songs = tmp_path / "songs"
    songs.mkdir()
    for index in range(3):
        write_quarter_notes(songs / f"song_{index:03d}.mid", pitches=(60 + index, 64, 67, 72))
    (songs / "songs.jsonl").write_text("{}\n")  # not a song: left alone
    assert main(["render", str(songs), "--wav", "--musicxml", "--out", str(tmp_path / "out"), "--quiet"]) == 0
    assert capsys.readouterr().out.strip() == f"3 musicxml, 3 wav -> {tmp_path / 'out'}"
    for index in range(3):
        with wave.open(str(tmp_path / "out" / f"song_{index:03d}.wav")) as reader:
            samples = np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2")
        assert 20 * np.log10(np.abs(samples).max() / 32767) == pytest.approx(-1.0, abs=0.01)
        pitches, _ = read_back(tmp_path / "out" / f"song_{index:03d}.musicxml")
        assert pitches == [60 + index, 64, 67, 72]
    assert main(["render", str(songs), "--wav", "--quiet"]) == 0  # next to the songs by default
    assert sorted(p.name for p in songs.glob("*.wav")) == [f"song_{i:03d}.wav" for i in range(3)]
    (tmp_path / "empty").mkdir()
    assert main(["render", str(tmp_path / "empty"), "--wav"]) == 2
    assert "no .mid files in this folder" in capsys.readouterr().err
    assert main(["render", str(songs)]) == 2
    assert "nothing to do" in capsys.readouterr().err


@needs_lilypond
def test_render_score_of_one_song(tmp_path, capsys):
    write_quarter_notes(tmp_path / "song.mid")
    assert main(["render", str(tmp_path / "song.mid"), "--score", "--score-format", "pdf", "--png"]) == 0
    assert (tmp_path / "song-score.pdf").read_bytes()[:5] == b"%PDF-"
    assert (tmp_path / "song.png").is_file() and (tmp_path / "song.pdf").is_file()  # the piano roll beside it
    assert not (tmp_path / "song-score.png").exists() and not (tmp_path / "song.musicxml").exists()
    assert f"pdf -> {tmp_path / 'song-score.pdf'}" in capsys.readouterr().out
