"""Clip workflows: variations keep the clip's onsets and change its pitches; --keep-bars reproduces its first bars."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rnncells.config.generate import GenerateConfig
from rnncells.config.records import ConfigError
from rnncells.generation.clips import Clip, clip_notes, cut
from rnncells.generation.generate import generate
from rnncells.generation.song_set import SongSetFolder
from rnncells.music.melody import Note, scale_pitch_classes
from rnncells.music.midi import read_midi, write_midi

SHIPPED_RUN = Path(__file__).resolve().parents[2] / "results" / "models" / "edm-control-lstm-2"
# two bars of a riff with a rest (steps 8-10) and a note ringing into bar 2, then a third bar
CLIP = [Note(0, 65, 3), Note(3, 68, 3), Note(6, 72, 2), Note(10, 70, 2), Note(12, 68, 6), Note(18, 63, 2)]
CLIP += [Note(20, 65, 4), Note(24, 60, 8), Note(32, 72, 4), Note(36, 70, 12)]


def test_clip_notes_lay_pitches_on_the_clip_or_after_its_kept_bars():
    assert cut(CLIP, 16)[-1] == Note(12, 68, 4)  # rings over the bar line: cut there
    variation = clip_notes(Clip(CLIP[:4], "variations"), [60, 62, 63, 65], [2, 2, 2, 2], None)
    assert [(n.onset, n.duration) for n in variation] == [(0, 3), (3, 3), (6, 2), (10, 2)]
    assert [n.pitch for n in variation] == [60, 62, 63, 65]
    kept = Clip(cut(CLIP, 16), "keep", 16)
    notes = clip_notes(kept, [65, 68, 72, 70, 68, 60, 62], [3, 3, 2, 2, 4, 4, 8], 24)
    assert notes[:5] == cut(CLIP, 16) and notes[5:] == [Note(16, 60, 4), Note(20, 62, 4)]


@pytest.fixture(scope="module")
def clip_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("clip") / "riff.mid"
    write_midi(path, CLIP, bpm=128)
    assert read_midi(path).notes == CLIP
    return path


def songs(folder: Path) -> list[dict]:
    return SongSetFolder(folder).read_songs()


def test_variations_keep_the_onsets_and_change_the_pitches(clip_file, tmp_path):
    config = GenerateConfig(n_songs=4, variations_of=str(clip_file), key="Fm", seed=3)
    out = generate(SHIPPED_RUN, tmp_path / "variations", config)
    rows = songs(out)
    f_minor = scale_pitch_classes("Fm", "minor")
    for row, index in zip(rows, range(4)):
        notes = read_midi(out / f"song_{index:03d}.mid").notes
        assert [(n.onset, n.duration) for n in notes] == [(n.onset, n.duration) for n in CLIP]
        assert row["onsets"] == [n.onset for n in CLIP] and all(p % 12 in f_minor for p in row["pitches"])
    assert any(row["pitches"] != [n.pitch for n in CLIP] for row in rows)
    assert json.loads((out / "generation.json").read_text())["length_from"] == "clip"


def test_keep_bars_reproduces_the_clips_first_bars(clip_file, tmp_path):
    config = GenerateConfig(n_songs=2, primer_midi=str(clip_file), keep_bars=2, bars=4, key="Fm", seed=3)
    out = generate(SHIPPED_RUN, tmp_path / "kept", config)
    first_two = cut(CLIP, 32)
    for index in range(2):
        notes = read_midi(out / f"song_{index:03d}.mid").notes
        assert notes[: len(first_two)] == first_two
        assert notes[len(first_two)].onset == 32 and notes[-1].onset + notes[-1].duration == 64


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"keep_bars": 2}, "needs a clip"),
        ({"keep_bars": 4, "bars": 4, "primer_midi": "x.mid"}, "less than --bars"),
        ({"variations_of": "x.mid", "primer": "60"}, "takes its primer from the clip"),
    ],
)
def test_clip_options_that_cannot_work_are_one_line_errors(options, message):
    with pytest.raises(ConfigError, match=message):
        GenerateConfig(**options).validate()
