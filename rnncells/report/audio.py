"""MIDI to audio through the FluidSynth command line, for listening to generated songs.

:func:`render_audio` writes a WAV (16-bit PCM) or an Ogg Vorbis file, peak-normalised to ``peak_dbfs`` (-1 dBFS
by default: FluidSynth's own level leaves a melody around -22 dBFS, too quiet to listen to). FluidSynth renders
32-bit float samples first; a WAV is scaled from them, an Ogg file is rendered again with FluidSynth's gain set
so that its peak lands on the target (FluidSynth's output is linear in its gain). :func:`render_many` renders a
list of songs on several cores, skipping those whose audio is already newer than their MIDI file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import wave
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from rnncells.errors import RnncellsError
from rnncells.files import write_atomic

SOUNDFONT_DIR = Path("/usr/share/sounds/sf2")
SOUNDFONT_CANDIDATES = (
    SOUNDFONT_DIR / "default-GM.sf2",
    SOUNDFONT_DIR / "FluidR3_GM.sf2",
    SOUNDFONT_DIR / "TimGM6mb.sf2",
)
INSTALL_HINT = "apt-get install fluidsynth timgm6mb-soundfont"
RENDER_TIMEOUT_S = 300
PEAK_DBFS = -1.0
FLUIDSYNTH_GAIN = 0.2  # FluidSynth's default synth.gain
MAX_GAIN = 10.0  # the largest synth.gain FluidSynth accepts
FILE_TYPES = {".wav": "wav", ".ogg": "oga"}  # audio suffix -> FluidSynth's -T file type
CHANNELS = 2  # FluidSynth renders stereo


class AudioRenderError(RnncellsError, RuntimeError):
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


def _checked_soundfont(soundfont: Path | None) -> Path:
    if soundfont is None:
        return find_soundfont()
    if not Path(soundfont).is_file():
        raise AudioRenderError(f"{soundfont}: no such soundfont; pass an .sf2 file or install: {INSTALL_HINT}")
    if not is_soundfont(Path(soundfont)):
        # FluidSynth would skip it with a warning, exit 0 and render silence
        raise AudioRenderError(f"{soundfont}: not a SoundFont 2 file (no RIFF/sfbk header); pass an .sf2 file")
    return Path(soundfont)


def fluidsynth(midi_path: Path, out: Path, soundfont: Path, sample_rate: int, file_type: str, gain: float) -> None:
    """Run ``fluidsynth -ni -q -T TYPE -F OUT -r RATE -g GAIN SOUNDFONT MIDI``; raise on any failure.

    ``file_type`` ``raw`` writes 32-bit float samples (``-O float``), others FluidSynth's default format.
    """
    options = ["-ni", "-q", "-T", file_type, "-F", str(out), "-r", str(int(sample_rate)), "-g", f"{gain:.6g}"]
    if file_type == "raw":
        options += ["-O", "float"]
    command = [str(find_fluidsynth()), *options, str(soundfont), str(midi_path)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=RENDER_TIMEOUT_S)
    except subprocess.TimeoutExpired as error:
        raise AudioRenderError(f"{midi_path}: fluidsynth took over {RENDER_TIMEOUT_S} s; is it a huge file?") from error
    problem = _main_complaint(result.stderr + result.stdout, midi_path)
    if result.returncode != 0:
        raise AudioRenderError(f"{midi_path}: fluidsynth exited with {result.returncode}: {problem}")
    # a zero exit does not promise audio: with nothing loaded it writes no file, or a bare header
    if not out.is_file() or out.stat().st_size <= 44:
        raise AudioRenderError(f"{midi_path}: fluidsynth rendered no audio ({problem or 'is it a valid MIDI file?'})")


def render_samples(midi_path: Path, soundfont: Path, sample_rate: int) -> np.ndarray:
    """The song as FluidSynth renders it: float32 samples, ``(frames, 2)``, at FluidSynth's default gain."""
    with tempfile.TemporaryDirectory(prefix="rnncells-audio-") as work:
        raw = Path(work) / "song.raw"
        fluidsynth(midi_path, raw, soundfont, sample_rate, "raw", FLUIDSYNTH_GAIN)
        return np.fromfile(raw, dtype="<f4").reshape(-1, CHANNELS)


def peak_gain(samples: np.ndarray, peak_dbfs: float = PEAK_DBFS) -> float:
    """The factor that brings the samples' peak to ``peak_dbfs`` (1 for silence)."""
    peak = float(np.abs(samples).max()) if samples.size else 0.0
    return 10 ** (peak_dbfs / 20) / peak if peak > 0 else 1.0


def write_wav16(path: Path, samples: np.ndarray, sample_rate: int) -> None:
    """Write float samples in [-1, 1] as a 16-bit PCM WAV file."""
    pcm = np.round(np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(pcm.shape[1])
        writer.setsampwidth(2)
        writer.setframerate(int(sample_rate))
        writer.writeframes(pcm.tobytes())


def render_audio(
    midi_path: Path,
    out_path: Path,
    *,
    soundfont: Path | None = None,
    sample_rate: int = 44100,
    peak_dbfs: float | None = PEAK_DBFS,
) -> Path:
    """Render ``midi_path`` to ``out_path`` (``.wav``: 16-bit PCM; ``.ogg``: Ogg Vorbis) with FluidSynth, its
    peak normalised to ``peak_dbfs`` (None: FluidSynth's own level); returns ``out_path``.

    Written to a temp file and renamed, so a failed render never leaves a partial file behind.
    """
    midi_path, out_path = Path(midi_path), Path(out_path)
    file_type = FILE_TYPES.get(out_path.suffix.lower())
    if file_type is None:
        raise AudioRenderError(f"{out_path}: audio files end in {' or '.join(FILE_TYPES)}")
    if not midi_path.is_file():
        raise AudioRenderError(f"{midi_path}: no such MIDI file")
    if int(sample_rate) <= 0:
        raise AudioRenderError(f"sample_rate must be a positive number of Hz; got {sample_rate}")
    find_fluidsynth()
    soundfont = _checked_soundfont(soundfont)
    samples = render_samples(midi_path, soundfont, sample_rate)
    gain = 1.0 if peak_dbfs is None else peak_gain(samples, peak_dbfs)
    if file_type == "wav":
        return write_atomic(out_path, lambda tmp: write_wav16(tmp, samples * gain, sample_rate))
    synth_gain = min(FLUIDSYNTH_GAIN * gain, MAX_GAIN)
    return write_atomic(out_path, lambda tmp: fluidsynth(midi_path, tmp, soundfont, sample_rate, file_type, synth_gain))


def render_wav(
    midi_path: Path,
    wav_path: Path,
    *,
    soundfont: Path | None = None,
    sample_rate: int = 44100,
    peak_dbfs: float | None = PEAK_DBFS,
) -> Path:
    """Render ``midi_path`` to a 16-bit WAV file at ``wav_path``, peak-normalised (:func:`render_audio`)."""
    if Path(wav_path).suffix.lower() != ".wav":
        raise AudioRenderError(f"{wav_path}: a WAV file's name ends in .wav")
    return render_audio(midi_path, wav_path, soundfont=soundfont, sample_rate=sample_rate, peak_dbfs=peak_dbfs)


def is_up_to_date(out_path: Path, midi_path: Path) -> bool:
    """Whether ``out_path`` exists and is not older than ``midi_path``."""
    return out_path.is_file() and out_path.stat().st_mtime >= Path(midi_path).stat().st_mtime


def render_many(
    jobs: Iterable[tuple[Path, Path]],
    *,
    soundfont: Path | None = None,
    sample_rate: int = 44100,
    workers: int | None = None,
    skip_existing: bool = False,
    progress: bool = False,
    desc: str = "audio",
) -> list[Path]:
    """Render every ``(midi_path, out_path)`` pair (:func:`render_audio`) on ``workers`` threads (default: the
    cores); with ``skip_existing``, pairs whose audio is up to date (:func:`is_up_to_date`) are not rendered
    again. Returns the output paths in order; the first failure is raised once the others are done."""
    from tqdm import tqdm

    pairs = [(Path(midi), Path(out)) for midi, out in jobs]
    todo = [(midi, out) for midi, out in pairs if not (skip_existing and is_up_to_date(out, midi))]
    if todo:
        soundfont = _checked_soundfont(soundfont)
    with (
        tqdm(total=len(todo), desc=desc, unit="song", disable=not progress) as bar,
        ThreadPoolExecutor(max_workers=max(1, workers or os.cpu_count() or 1)) as pool,
    ):

        def one(pair: tuple[Path, Path]) -> Path:
            try:
                return render_audio(pair[0], pair[1], soundfont=soundfont, sample_rate=sample_rate)
            finally:
                bar.update(1)

        list(pool.map(one, todo))
    return [out for _, out in pairs]
