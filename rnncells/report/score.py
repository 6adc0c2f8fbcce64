"""A song as MusicXML (music21) and as a printed score (LilyPond), for reading a melody rather than hearing it.

:func:`write_musicxml` turns a melody (pitches, durations in 16th-note steps) into a one-part 4/4 score with its
tempo and writes it with music21; notes that cross a bar line are split and tied, as notation needs. :func:`engrave`
converts that MusicXML with LilyPond's ``musicxml2ly`` and engraves it with ``lilypond``: a PDF page to print and a
PNG of all its systems cropped to the music, to look at.
Both write into a temporary folder and move finished files into place, so a failure never leaves half a file.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

from rnncells.errors import RnncellsError
from rnncells.files import write_atomic
from rnncells.music.melody import STEPS_PER_QUARTER

INSTALL_HINT = "apt-get install lilypond"
ENGRAVE_TIMEOUT_S = 300
SCORE_FORMATS = ("pdf", "png")
PNG_DPI = 110
NO_TAGLINE = "\n\\header { tagline = ##f }\n"  # no "Music engraving by LilyPond" line under the music


class ScoreError(RnncellsError, RuntimeError):
    """LilyPond is missing or failed on a song; the message says what to do."""


def melody_score(pitches: list[int], durations: list[int], *, title: str = "", bpm: float | None = None):
    """A music21 score of one melody: 4/4, treble or bass clef as its notes need, the tempo when given."""
    from music21 import clef, metadata, meter, note, stream, tempo

    if not pitches or len(pitches) != len(durations) or min(durations) < 1:
        raise ScoreError(f"a score needs notes with durations of at least one step; got {len(pitches)} notes")
    part = stream.Part()
    part.append(meter.TimeSignature("4/4"))
    part.append(clef.BassClef() if sorted(pitches)[len(pitches) // 2] < 55 else clef.TrebleClef())
    if bpm:
        part.append(tempo.MetronomeMark(number=round(float(bpm), 2)))
    for pitch, duration in zip(pitches, durations, strict=True):
        part.append(note.Note(int(pitch), quarterLength=duration / STEPS_PER_QUARTER))
    score = stream.Score([part])
    score.metadata = metadata.Metadata()
    score.metadata.movementName = title  # one title line (a work title as well would print it twice)
    return score


def write_musicxml(
    pitches: list[int], durations: list[int], path: Path, *, title: str = "", bpm: float | None = None
) -> Path:
    """Write the melody as a MusicXML file at ``path`` (``.musicxml``); returns ``path``."""
    score = melody_score(pitches, durations, title=title, bpm=bpm)
    return write_atomic(Path(path), lambda tmp: score.write("musicxml", fp=str(tmp)), suffix=".musicxml")


def find_lilypond() -> tuple[Path, Path]:
    """``lilypond`` and ``musicxml2ly`` on PATH (Debian's lilypond package has both)."""
    found = [shutil.which(name) for name in ("lilypond", "musicxml2ly")]
    if None in found:
        raise ScoreError(f"lilypond not found on PATH; install it: {INSTALL_HINT}")
    return Path(found[0]), Path(found[1])


def _run(command: list[str], where: Path, what: str) -> None:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=ENGRAVE_TIMEOUT_S, cwd=where)
    except subprocess.TimeoutExpired as error:
        raise ScoreError(f"{what}: {Path(command[0]).name} took over {ENGRAVE_TIMEOUT_S} s") from error
    if result.returncode != 0:
        lines = [line for line in (result.stderr + result.stdout).splitlines() if line.strip()]
        raise ScoreError(f"{what}: {Path(command[0]).name} failed: {(lines or ['no message'])[-1].strip()}")


def engrave(musicxml: Path, stem: Path, formats: Iterable[str] = SCORE_FORMATS) -> list[Path]:
    """Engrave a MusicXML file as ``stem.pdf`` and/or ``stem.png`` (module docstring); returns the files written."""
    formats = sorted(set(formats))
    unknown = [fmt for fmt in formats if fmt not in SCORE_FORMATS]
    if unknown or not formats:
        raise ScoreError(f"score formats are {' and '.join(SCORE_FORMATS)}; got {', '.join(formats) or 'none'}")
    lilypond, musicxml2ly = find_lilypond()
    stem = Path(stem)
    with tempfile.TemporaryDirectory(prefix="rnncells-score-") as work:
        work = Path(work)
        _run([str(musicxml2ly), "--output=song.ly", str(Path(musicxml).resolve())], work, str(musicxml))
        with open(work / "song.ly", "a", encoding="utf-8") as source:
            source.write(NO_TAGLINE)
        options = ["-dno-point-and-click", *(f"--{fmt}" for fmt in formats)]
        if "png" in formats:
            options += ["-dcrop", f"-dresolution={PNG_DPI}"]
        _run([str(lilypond), *options, "--output=song", "song.ly"], work, str(musicxml))
        made = []
        if "pdf" in formats:
            made.append((work / "song.pdf", stem.with_suffix(".pdf")))
        if "png" in formats:
            made.append((work / "song.cropped.png", stem.with_suffix(".png")))  # all systems, no page margins
        for source, target in made:
            if not source.is_file():
                raise ScoreError(f"{musicxml}: lilypond wrote no {source.suffix[1:].upper()}")
            write_atomic(target, lambda tmp, source=source: shutil.copyfile(source, tmp))
    return [target for _, target in made]


def write_score(
    pitches: list[int],
    durations: list[int],
    stem: Path,
    *,
    title: str = "",
    bpm: float | None = None,
    musicxml: bool = True,
    formats: Iterable[str] = SCORE_FORMATS,
) -> list[Path]:
    """MusicXML (``stem.musicxml``, kept when ``musicxml``) and the engraved ``formats``; returns the files written."""
    stem = Path(stem)
    xml = stem.with_suffix(".musicxml")
    if musicxml:
        write_musicxml(pitches, durations, xml, title=title, bpm=bpm)
        return [xml, *engrave(xml, stem, formats)]
    with tempfile.TemporaryDirectory(prefix="rnncells-score-") as work:
        xml = write_musicxml(pitches, durations, Path(work) / "song.musicxml", title=title, bpm=bpm)
        return engrave(xml, stem, formats)
