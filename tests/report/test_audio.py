"""MIDI to WAV through FluidSynth: a real render when it is installed, clear errors when it is not."""

from __future__ import annotations

import shutil
import wave
from pathlib import Path

import mido
import numpy as np
import pytest

from rnncells.report import audio
from rnncells.report.audio import AudioRenderError

BPM = 120
PITCHES = (60, 64, 67, 72, 67, 64, 60, 55)  # eight quarter notes at 120 BPM: 4 s of music


def write_quarter_notes(path: Path, pitches=PITCHES, bpm: int = BPM) -> float:
    """A one-track MIDI file of quarter notes; returns its length in seconds."""
    midi = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    midi.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm), time=0))
    for pitch in pitches:
        track.append(mido.Message("note_on", note=pitch, velocity=96, time=0))
        track.append(mido.Message("note_off", note=pitch, velocity=0, time=480))
    track.append(mido.MetaMessage("end_of_track", time=0))
    midi.save(path)
    return len(pitches) * 60.0 / bpm


def installed() -> bool:
    try:
        audio.find_fluidsynth()
        audio.find_soundfont()
    except AudioRenderError:
        return False
    return True


needs_fluidsynth = pytest.mark.skipif(
    not installed(), reason=f"fluidsynth or a soundfont is missing ({audio.INSTALL_HINT})"
)


@needs_fluidsynth
@pytest.mark.parametrize("sample_rate", [44100, 22050])
def test_render_wav_writes_audio_of_the_song_length(tmp_path, sample_rate):
    seconds = write_quarter_notes(tmp_path / "song.mid")
    wav_path = audio.render_wav(tmp_path / "song.mid", tmp_path / "out" / "song.wav", sample_rate=sample_rate)
    assert wav_path == tmp_path / "out" / "song.wav"
    assert [path.name for path in wav_path.parent.iterdir()] == ["song.wav"], "a temp file was left behind"

    with wave.open(str(wav_path)) as reader:
        assert reader.getframerate() == sample_rate
        assert reader.getsampwidth() == 2
        channels = reader.getnchannels()
        frames = reader.getnframes()
        samples = np.frombuffer(reader.readframes(frames), dtype="<i2").reshape(-1, channels)
    duration = frames / sample_rate
    # FluidSynth renders the song and then lets voices ring out (about 3 s of release and silence here)
    assert seconds <= duration <= seconds + 4.0
    loud = np.flatnonzero(np.abs(samples).max(axis=1) > 100)
    assert loud.size > 0, "the render is silent"
    assert loud[0] / sample_rate < 0.1, "the first note should sound at once"
    assert seconds - 0.5 <= loud[-1] / sample_rate <= seconds + 1.5, "sound should stop about when the song ends"
    # a note sounds in every beat of the song
    beats = [np.abs(samples[int(b * sample_rate * 0.5) : int((b + 1) * sample_rate * 0.5)]).max() for b in range(8)]
    assert min(beats) > 100


@needs_fluidsynth
def test_render_wav_takes_an_explicit_soundfont_and_rejects_bad_ones(tmp_path):
    write_quarter_notes(tmp_path / "song.mid", pitches=(60, 62))
    soundfont = audio.find_soundfont()
    assert soundfont in audio.SOUNDFONT_CANDIDATES and audio.is_soundfont(soundfont)
    wav_path = audio.render_wav(tmp_path / "song.mid", tmp_path / "song.wav", soundfont=soundfont)
    with wave.open(str(wav_path)) as reader:
        assert reader.getnframes() > 44100  # at least the 1 s of music

    fake = tmp_path / "fake.sf2"
    fake.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt ")
    with pytest.raises(AudioRenderError, match="fake.sf2: not a SoundFont 2 file"):
        audio.render_wav(tmp_path / "song.mid", tmp_path / "x.wav", soundfont=fake)
    with pytest.raises(AudioRenderError, match="missing.sf2: no such soundfont"):
        audio.render_wav(tmp_path / "song.mid", tmp_path / "x.wav", soundfont=tmp_path / "missing.sf2")
    assert not (tmp_path / "x.wav").exists()


@needs_fluidsynth
def test_render_wav_reports_a_file_fluidsynth_cannot_read(tmp_path):
    (tmp_path / "broken.mid").write_bytes(b"not a midi file")
    with pytest.raises(AudioRenderError, match="broken.mid: fluidsynth exited .*broken.mid' not a SoundFont or MIDI"):
        audio.render_wav(tmp_path / "broken.mid", tmp_path / "broken.wav")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["broken.mid"]


def test_missing_fluidsynth_says_what_to_install(tmp_path, monkeypatch):
    write_quarter_notes(tmp_path / "song.mid")
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    assert shutil.which("fluidsynth") is None
    with pytest.raises(AudioRenderError, match="fluidsynth not found on PATH; install it: apt-get install fluidsynth"):
        audio.render_wav(tmp_path / "song.mid", tmp_path / "song.wav")
    assert not (tmp_path / "song.wav").exists()


def test_missing_soundfont_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(audio, "SOUNDFONT_CANDIDATES", (tmp_path / "default-GM.sf2", tmp_path / "TimGM6mb.sf2"))
    with pytest.raises(AudioRenderError, match="no soundfont found .*timgm6mb-soundfont"):
        audio.find_soundfont()
    (tmp_path / "TimGM6mb.sf2").write_bytes(b"RIFF\x00\x00\x00\x00sfbk")
    assert audio.find_soundfont() == tmp_path / "TimGM6mb.sf2"  # the first one present wins


def test_missing_midi_file_is_named(tmp_path):
    with pytest.raises(AudioRenderError, match="absent.mid: no such MIDI file"):
        audio.render_wav(tmp_path / "absent.mid", tmp_path / "out.wav")


def wav_samples(path: Path) -> tuple[np.ndarray, int]:
    """The samples of a 16-bit WAV file as floats in [-1, 1], ``(frames, channels)``, and its rate."""
    with wave.open(str(path)) as reader:
        data = np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2")
        return data.reshape(-1, reader.getnchannels()) / 32767.0, reader.getframerate()


@needs_fluidsynth
def test_audio_is_peak_normalised_to_minus_1_dbfs(tmp_path):
    write_quarter_notes(tmp_path / "song.mid")
    soundfont = audio.find_soundfont()
    quiet = audio.render_samples(tmp_path / "song.mid", soundfont, 22050)
    assert 20 * np.log10(np.abs(quiet).max()) < -12  # FluidSynth's own level: far too quiet
    loud, rate = wav_samples(audio.render_wav(tmp_path / "song.mid", tmp_path / "song.wav", sample_rate=22050))
    assert rate == 22050 and loud.shape == quiet.shape
    assert 20 * np.log10(np.abs(loud).max()) == pytest.approx(-1.0, abs=0.01)
    # the same sound, only louder
    gain = np.abs(loud).max() / np.abs(quiet).max()
    assert np.abs(loud - quiet * gain).max() < 2 / 32767
    raw, _ = wav_samples(
        audio.render_wav(tmp_path / "song.mid", tmp_path / "raw.wav", sample_rate=22050, peak_dbfs=None)
    )
    assert np.abs(raw).max() == pytest.approx(np.abs(quiet).max(), abs=1 / 32767)


@needs_fluidsynth
def test_ogg_vorbis_is_small_and_many_songs_render_once(tmp_path):
    jobs = []
    for index in range(3):
        write_quarter_notes(tmp_path / f"song_{index}.mid", pitches=PITCHES[index:])
        jobs.append((tmp_path / f"song_{index}.mid", tmp_path / "audio" / f"song_{index}.ogg"))
    made = audio.render_many(jobs, sample_rate=22050, workers=2, skip_existing=True)
    assert made == [out for _, out in jobs]
    for path in made:
        data = path.read_bytes()
        assert data[:4] == b"OggS" and b"\x01vorbis" in data[:64]
        assert int.from_bytes(data[data.index(b"\x01vorbis") + 12 :][:4], "little") == 22050  # sample rate
        assert 2_000 < len(data) < 80_000  # seconds of music in tens of kB (a 44.1 kHz WAV: ~700 kB)
    stamps = [path.stat().st_mtime_ns for path in made]
    audio.render_many(jobs, sample_rate=22050, skip_existing=True)  # up to date: nothing rendered again
    assert [path.stat().st_mtime_ns for path in made] == stamps
    with pytest.raises(AudioRenderError, match="end in .wav or .ogg"):
        audio.render_audio(tmp_path / "song_0.mid", tmp_path / "song.mp3")
