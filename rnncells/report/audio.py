"""MIDI to WAV through the FluidSynth command line, for listening to generated songs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from rnncells.files import write_atomic

SOUNDFONT_DIR = Path("/usr/share/sounds/sf2")
SOUNDFONT_CANDIDATES = (
    SOUNDFONT_DIR / "default-GM.sf2",
    SOUNDFONT_DIR / "FluidR3_GM.sf2",
    SOUNDFONT_DIR / "TimGM6mb.sf2",
)
INSTALL_HINT = "apt-get install fluidsynth timgm6mb-soundfont"
RENDER_TIMEOUT_S = 300


class AudioRenderError(RuntimeError):
    """FluidSynth is missing, has no soundfont, or failed on a file; the message says what to do."""


def find_fluidsynth() -> Path:
    """The fluidsynth executable on PATH."""
    found = shutil.which("fluidsynth")
    if found is None:
        raise AudioRenderError(f"fluidsynth not found on PATH; install it: {INSTALL_HINT}")
    return Path(found)


def find_soundfont() -> Path:
    """The first General MIDI soundfont installed: default-GM.sf2, then FluidR3_GM.sf2, then TimGM6mb.sf2."""
    for candidate in SOUNDFONT_CANDIDATES:
        if candidate.is_file():  # follows the default-GM.sf2 alternatives symlink
            return candidate
    searched = ", ".join(str(candidate) for candidate in SOUNDFONT_CANDIDATES)
    raise AudioRenderError(f"no soundfont found (looked for {searched}); install one: {INSTALL_HINT}")


def is_soundfont(path: Path) -> bool:
    """Whether ``path`` starts like a SoundFont 2 file (a RIFF container of type ``sfbk``)."""
    with open(path, "rb") as handle:
        header = handle.read(12)
    return header[:4] == b"RIFF" and header[8:12] == b"sfbk"


def _main_complaint(output: str, midi_path: Path) -> str:
    """The line of FluidSynth's output that explains it: the last naming the MIDI file, else the last."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    naming = [line for line in lines if midi_path.name in line]
    return (naming or lines or [""])[-1]


def render_wav(midi_path: Path, wav_path: Path, *, soundfont: Path | None = None, sample_rate: int = 44100) -> Path:
    """Render ``midi_path`` to a 16-bit WAV file at ``wav_path`` with FluidSynth; returns ``wav_path``.

    Equivalent to ``fluidsynth -ni -q -F out.wav -r 44100 SOUNDFONT song.mid``, written to a temp file and
    renamed, so a failed render never leaves a partial WAV behind.
    """
    midi_path, wav_path = Path(midi_path), Path(wav_path)
    if not midi_path.is_file():
        raise AudioRenderError(f"{midi_path}: no such MIDI file")
    if int(sample_rate) <= 0:
        raise AudioRenderError(f"sample_rate must be a positive number of Hz; got {sample_rate}")
    fluidsynth = find_fluidsynth()
    if soundfont is None:
        soundfont = find_soundfont()
    elif not Path(soundfont).is_file():
        raise AudioRenderError(f"{soundfont}: no such soundfont; pass an .sf2 file or install: {INSTALL_HINT}")
    if not is_soundfont(soundfont):
        # FluidSynth would skip it with a warning, exit 0 and render silence
        raise AudioRenderError(f"{soundfont}: not a SoundFont 2 file (no RIFF/sfbk header); pass an .sf2 file")

    def render(tmp: Path) -> None:
        # -T wav: the temp file's ".tmp" suffix would otherwise make FluidSynth guess the file type
        options = ["-ni", "-q", "-T", "wav", "-F", str(tmp), "-r", str(int(sample_rate))]
        command = [str(fluidsynth), *options, str(soundfont), str(midi_path)]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=RENDER_TIMEOUT_S)
        except subprocess.TimeoutExpired as error:
            raise AudioRenderError(
                f"{midi_path}: fluidsynth took over {RENDER_TIMEOUT_S} s; is it a huge file?"
            ) from error
        problem = _main_complaint(result.stderr + result.stdout, midi_path)
        if result.returncode != 0:
            raise AudioRenderError(f"{midi_path}: fluidsynth exited with {result.returncode}: {problem}")
        # a zero exit does not promise audio: with nothing loaded it writes no file, or a bare header
        if not tmp.is_file() or tmp.stat().st_size <= 44:
            raise AudioRenderError(
                f"{midi_path}: fluidsynth rendered no audio ({problem or 'is it a valid MIDI file?'})"
            )

    return write_atomic(wav_path, render)
