"""``rnncells render``: listen to, look at or read songs, one MIDI file or a whole folder of them.

For each song: ``--wav`` audio through FluidSynth, peak-normalised to -1 dBFS (:mod:`rnncells.report.audio`),
``--png`` a piano roll (PNG and PDF, :mod:`rnncells.report.figures`), ``--musicxml`` a MusicXML file and
``--score`` a printed score through LilyPond (``SONG-score.pdf`` and ``.png``, or ``--score-format``;
:mod:`rnncells.report.score`).
A folder renders every ``.mid`` file in it (name order) with a progress bar, several songs at a time; outputs go
next to each MIDI file, or into ``--out DIR``.
"""

from __future__ import annotations

import argparse
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from rnncells.errors import InputError
from rnncells.generation.song_set import SongSetFolder
from rnncells.locks import folder_lock

MIDI_SUFFIXES = (".mid", ".midi")
# matplotlib's style settings and music21 are process-wide: one song at a time draws; FluidSynth and LilyPond,
# separate processes, run side by side
_DRAWING = threading.Lock()


@dataclass(frozen=True)
class RenderOptions:
    """What to make of each song."""

    wav: bool = False
    png: bool = False
    musicxml: bool = False
    score_formats: tuple[str, ...] = ()
    soundfont: Path | None = None
    sample_rate: int = 44100

    def nothing(self) -> bool:
        return not (self.wav or self.png or self.musicxml or self.score_formats)


def midi_files(path: Path) -> list[Path]:
    """``path`` itself, or the MIDI files of the folder ``path`` in name order; a one-line error if none."""
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"{path}: no such MIDI file or folder")
    found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in MIDI_SUFFIXES)
    if not found:
        raise FileNotFoundError(f"{path}: no .mid files in this folder")
    return found


def render_song(midi_path: Path, stem: Path, options: RenderOptions) -> list[Path]:
    """Everything ``options`` asks for of one song, written as ``stem.*``; returns the files written."""
    from rnncells.music.midi import read_midi

    made: list[Path] = []
    melody = read_midi(midi_path)
    if options.wav:
        from rnncells.report.audio import render_wav

        made.append(
            render_wav(
                midi_path, stem.with_suffix(".wav"), soundfont=options.soundfont, sample_rate=options.sample_rate
            )
        )
    if options.png:
        from rnncells.report.figures import piano_roll

        with _DRAWING:
            made += piano_roll(melody.pitches, melody.durations, stem, title=midi_path.stem, bpm=melody.bpm)
    if options.musicxml or options.score_formats:
        from rnncells.report.score import engrave, write_musicxml

        xml = stem.with_suffix(".musicxml")
        with _DRAWING:
            write_musicxml(melody.pitches, melody.durations, xml, title=midi_path.stem, bpm=melody.bpm)
        if options.score_formats:
            made += engrave(xml, stem.with_name(f"{stem.name}-score"), options.score_formats)
        if options.musicxml:
            made.append(xml)
        else:
            xml.unlink(missing_ok=True)
    return made


def midi_written_back(path: Path) -> list[Path]:
    """A song set folder whose MIDI files are left out (a light results folder) gets them back, byte for byte as
    they were drawn (rnncells.generation.song_set); returns them (none for anything else)."""
    song_set = SongSetFolder(path)
    if not path.is_dir() or not song_set.midi_left_out:
        return []
    song_set.write_midi_again()
    return sorted(path.glob("song_*.mid"))


def render_songs(
    path: Path, options: RenderOptions, out: Path | None = None, workers: int | None = None, progress: bool = True
) -> list[Path]:
    """Render one MIDI file (``out``: the output stem) or every one of a folder (``out``: a folder); returns the
    files written. The first failure is raised once the songs under way are done."""
    from tqdm import tqdm

    written = midi_written_back(Path(path))
    if options.nothing():
        if written:
            return written
        raise InputError("nothing to do: add --wav, --png, --musicxml and/or --score")
    songs = midi_files(path)
    if Path(path).is_file():
        return render_song(songs[0], Path(out) if out else songs[0].with_suffix(""), options)
    folder = Path(out) if out else Path(path)
    made: list[Path] = []
    with (
        tqdm(total=len(songs), desc="render", unit="song", disable=not progress) as bar,
        ThreadPoolExecutor(max_workers=max(1, workers or os.cpu_count() or 1)) as pool,
    ):

        def one(song: Path) -> list[Path]:
            try:
                return render_song(song, folder / song.stem, options)
            finally:
                bar.update(1)

        for files in pool.map(one, songs):
            made += files
    return made


def add_render_command(commands) -> None:
    """The ``render`` subcommand's options."""
    parser = commands.add_parser(
        "render",
        help="render MIDI songs (one file or a folder) to audio, piano rolls, MusicXML or printed scores",
        description="Listen to, look at or read songs: --wav renders audio through FluidSynth with a General MIDI "
        "soundfont, peak-normalised to -1 dBFS; --png draws a piano roll (PNG and PDF); --musicxml writes "
        "MusicXML (music21); --score engraves a score with LilyPond (apt-get install lilypond). Give a .mid "
        "file, or a folder to render all its songs with a progress bar. A song set whose MIDI files a light results "
        "folder left out gets them back first, byte for byte as drawn (with no option, that is all it does).",
    )
    parser.add_argument("midi", type=Path, help="a .mid file, or a folder of them (e.g. a song set)")
    parser.add_argument("--wav", action="store_true", help="write SONG.wav (FluidSynth, peak at -1 dBFS)")
    parser.add_argument("--png", action="store_true", help="write a piano roll SONG.png/.pdf")
    parser.add_argument("--musicxml", action="store_true", help="write SONG.musicxml")
    parser.add_argument("--score", action="store_true", help="write a printed score SONG-score.pdf/.png (LilyPond)")
    parser.add_argument(
        "--score-format", choices=("pdf", "png", "both"), default="both", help="what --score writes (default both)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="for a file: output path without suffix; for a folder: the folder to write into (default: next to "
        "each MIDI file)",
    )
    parser.add_argument("--soundfont", type=Path, help="a .sf2 file (default: Debian's General MIDI soundfont)")
    parser.add_argument("--sample-rate", type=int, default=44100, help="WAV sample rate in Hz (default 44100)")
    parser.add_argument("--jobs", type=int, help="songs rendered at once (default: one per core)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run_render(args: argparse.Namespace) -> int:
    """``rnncells render``: the files written, one line per kind for a folder."""
    formats = ("pdf", "png") if args.score_format == "both" else (args.score_format,)
    options = RenderOptions(
        wav=args.wav,
        png=args.png,
        musicxml=args.musicxml,
        score_formats=formats if args.score else (),
        soundfont=args.soundfont,
        sample_rate=args.sample_rate,
    )
    if Path(args.midi).is_file():
        made = render_songs(args.midi, options, out=args.out, workers=args.jobs, progress=not args.quiet)
    else:
        with folder_lock(args.out or args.midi, "rnncells render"):  # one writer per folder for the whole command
            made = render_songs(args.midi, options, out=args.out, workers=args.jobs, progress=not args.quiet)
    if Path(args.midi).is_file():
        for path in made:
            print(f"{path.suffix[1:]} -> {path}")
        return 0
    by_kind: dict[str, int] = {}
    for path in made:
        by_kind[path.suffix[1:]] = by_kind.get(path.suffix[1:], 0) + 1
    folder = args.out or args.midi
    print(", ".join(f"{count} {kind}" for kind, count in sorted(by_kind.items())) + f" -> {folder}")
    return 0
