"""Keys as producers write them: tonic, scale, spelling and file-name label."""

from __future__ import annotations

import pytest

from rnncells.errors import InputError
from rnncells.music.melody import (
    key_label,
    key_scale,
    key_to_pitch_class,
    note_name,
    parse_key,
    scale_pitch_classes,
    uses_flats,
)


@pytest.mark.parametrize(
    ("text", "tonic", "scale", "label"),
    [
        ("F minor", 5, "natural_minor", "F-minor"),
        ("Fm", 5, "natural_minor", "F-minor"),
        ("F#m", 6, "natural_minor", "F#-minor"),
        ("Bb", 10, "major", "Bb-major"),
        ("Ebm", 3, "natural_minor", "Eb-minor"),
        ("C#m", 1, "natural_minor", "C#-minor"),
        ("bb", 10, "major", "Bb-major"),
        ("A major", 9, "major", "A-major"),
        ("D dorian", 2, "dorian", "D-dorian"),
        ("C harmonic-minor", 0, "harmonic_minor", "C-harmonic-minor"),
        ("E\u266dm", 3, "natural_minor", "Eb-minor"),
    ],
)
def test_key_forms(text, tonic, scale, label):
    assert key_to_pitch_class(text) == tonic
    assert key_scale(text, None) == scale
    assert key_label(text) == label


def test_an_explicit_scale_wins_and_minor_is_natural_minor():
    assert key_scale("Fm", "chromatic") == "chromatic"
    assert key_scale("F", "minor") == "natural_minor"
    assert key_scale(None, None) == "chromatic"
    assert key_label("F", "chromatic") == "F"
    assert scale_pitch_classes("F", "minor") == {5, 7, 8, 10, 0, 1, 3}


@pytest.mark.parametrize("text", ["H", "Fx", "F blues", "", "#m"])
def test_unknown_keys_are_one_line_input_errors(text):
    with pytest.raises(InputError, match="unknown key"):
        parse_key(text)


def test_flat_keys_spell_flats():
    flat = ["F", "Bb", "Eb", "Ab", "Db", "Gb", "Fm", "Dm", "Gm", "Cm", "Bbm", "Ebm", "C phrygian"]
    sharp = ["C", "G", "D", "A", "E", "B", "F#", "C#", "Am", "Em", "F#m", "C#m", "G#m", None]
    assert all(uses_flats(key) for key in flat)
    assert not any(uses_flats(key) for key in sharp)
    assert [note_name(p, uses_flats("Fm")) for p in (65, 68, 70, 75, 61)] == ["F4", "Ab4", "Bb4", "Eb5", "Db4"]
    assert note_name(61) == "C#4"
