"""Primers: note names, numbers, intervals from note names, MIDI files, the key's tonic at an octave."""

from __future__ import annotations

import pytest

from rnncells.config.records import ConfigError
from rnncells.data.vocab import Vocabulary
from rnncells.generation.primers import keyed_primer, midi_primer, parse_primer
from rnncells.music.melody import Note
from rnncells.music.midi import write_midi


def test_note_names_and_numbers():
    assert parse_primer("C4 E4 G4", "control", "pitch") == (None, [60, 64, 67])
    assert parse_primer("60 f#4 Bb3", "transposed", "pitch") == (None, [60, 66, 58])
    assert parse_primer("C4:4 E4:2", "control", "pitch_duration") == (None, [(60, 4), (64, 2)])
    assert parse_primer("62:8 64:4", "control", "pitch_duration") == (None, [(62, 8), (64, 4)])


def test_interval_primers_take_intervals_or_note_names():
    assert parse_primer("C4 2 2 -2", "interval", "pitch") == (60, [2, 2, -2])
    assert parse_primer("60 2 2 -2", "interval", "pitch") == (60, [2, 2, -2])
    assert parse_primer("C4 E4 G4 C4", "interval", "pitch") == (60, [4, 3, -7])
    assert parse_primer("C4:4 E4:2 G4", "interval", "pitch_duration") == (60, [(4, 4), (3, 2)])
    assert parse_primer("62 2:8 1:4", "interval", "pitch_duration") == (62, [(2, 8), (1, 4)])


@pytest.mark.parametrize(
    ("text", "variant", "representation", "message"),
    [
        ("C4 H4", "control", "pitch", "'H4' is not a whole number or a note name"),
        ("C10", "control", "pitch", "outside MIDI 0-127"),
        ("C4 E4", "control", "pitch_duration", "value:duration pairs, e.g. C4:4"),
        ("C4:4", "control", "pitch", "single values"),
        ("C4 2 E4", "interval", "pitch", "intervals or note names, not both"),
        ("C4", "interval", "pitch", "at least one interval"),
        ("200 2", "interval", "pitch", "base note '200'"),
    ],
)
def test_bad_primers_are_one_line_errors(text, variant, representation, message):
    with pytest.raises(ConfigError, match=message) as error:
        parse_primer(text, variant, representation)
    assert "\n" not in str(error.value)


def test_midi_primer_moves_unknown_notes_by_the_nearest_octave(tmp_path):
    path = tmp_path / "primer.mid"
    write_midi(path, [Note(0, 48, 4), Note(4, 62, 2), Note(6, 100, 4)])
    primer = midi_primer(path, Vocabulary(range(60, 73)), "control", "pitch", None)
    assert (primer.tokens, primer.moved, primer.source) == ([60, 62, 64], 2, "midi")
    pairs = midi_primer(path, Vocabulary([[60, 4], [62, 2], [64, 4]]), "control", "pitch_duration", None)
    assert pairs.tokens == [(60, 4), (62, 2), (64, 4)]
    intervals = midi_primer(path, Vocabulary([2, 14, -2], "interval"), "interval", "pitch", None)
    assert (intervals.base_note, intervals.tokens, intervals.moved) == (48, [14, 14], 1)  # +38 -> +14, not +2


def test_midi_primer_refuses_notes_in_no_known_octave(tmp_path):
    path = tmp_path / "primer.mid"
    write_midi(path, [Note(0, 60, 4), Note(4, 61, 4)])
    with pytest.raises(ConfigError, match=r"token 2 \(C#4\) is in no octave the model knows"):
        midi_primer(path, Vocabulary([60, 62, 72]), "control", "pitch", None)
    (tmp_path / "empty.mid").write_bytes(b"")
    with pytest.raises(ConfigError, match="--primer-midi: .*empty file"):
        midi_primer(tmp_path / "empty.mid", Vocabulary([60]), "control", "pitch", None)


def test_keyed_primer_honours_the_octave_or_names_the_known_ones():
    vocabulary = Vocabulary([50, 55, 62, 74])
    assert keyed_primer(vocabulary, "control", "D", None, frozenset(range(12)))[0].tokens == [62]
    primer, octave = keyed_primer(vocabulary, "control", "D", -1, frozenset(range(12)))
    assert (primer.tokens, octave) == ([50], -1)
    with pytest.raises(ConfigError, match=r"knows D only at octave\(s\) -1 \(D3\), \+0 \(D4\), \+1 \(D5\)"):
        keyed_primer(vocabulary, "control", "D", 2, frozenset(range(12)))
    with pytest.raises(ConfigError, match="knows no C#"):
        keyed_primer(vocabulary, "control", "C#", None, frozenset(range(12)))
    unheard = Vocabulary([[55, 2], [62, 8], [62, 4]])
    assert keyed_primer(unheard, "control", "G", None, frozenset(range(12)))[0].tokens == [(55, 2)]
    assert keyed_primer(unheard, "control", "D", None, frozenset(range(12)))[0].tokens == [(62, 4)]


def test_keyed_interval_primer_starts_on_the_tonic_and_stays_in_scale():
    vocabulary = Vocabulary([1, 2, 5], "interval")
    primer, octave = keyed_primer(vocabulary, "interval", "E", 1, frozenset({4, 6, 8, 9, 11, 1, 3}))
    assert (primer.base_note, primer.tokens, octave) == (76, [2], 1)  # E5 + 2 = F#5, in E major; +1 = F is not
    assert keyed_primer(Vocabulary([3, 0, -1], "interval"), "interval", "E", None, frozenset(range(12)))[0].tokens == [
        0
    ]
