"""Key, scale and register: nearest-octave range keeping, decoding, and the scale mask that follows running pitches."""

from __future__ import annotations

import numpy as np
import pytest

from rnncells.generation.keys import MIDI_REGISTER, Register, ScaleMask, decode, key_register, tonic_pitch
from rnncells.music.melody import SCALES, scale_pitch_classes


def test_a_note_under_the_register_moves_up_one_octave_not_two():
    register = key_register(tonic_pitch("F#", 0))  # F#4 = 66: F#3-F#5
    assert (register.low, register.high) == (54, 78)
    assert register.keep(53) == 65 and register.keep(79) == 67 and register.keep(60) == 60
    pitches = np.arange(-20, 150)
    np.testing.assert_array_equal(register.keep_all(pitches), [register.keep(int(p)) for p in pitches])
    assert key_register(tonic_pitch("C", -5)) == Register(0, 12)


def test_tonic_outside_midi_is_refused():
    with pytest.raises(ValueError, match="outside MIDI 0-127"):
        tonic_pitch("A", 6)


def test_range_keeping_introduces_no_leap_over_an_octave():
    rng = np.random.default_rng(0)
    register = key_register(62)
    for _ in range(200):
        steps = rng.integers(-12, 13, size=40).tolist()
        pitches, _ = decode(steps, 62, "interval", "pitch", 2, register)
        assert all(register.low <= p <= register.high for p in pitches)
        assert all(abs(b - a) <= 12 for a, b in zip(pitches, pitches[1:]))
        assert all((b - a - s) % 12 == 0 for a, b, s in zip(pitches, pitches[1:], steps))
        walk = np.cumsum([int(rng.integers(30, 100))] + steps).tolist()
        walk = [min(max(p, 0), 127) for p in walk]
        kept, _ = decode(walk, None, "control", "pitch", 2, register)
        assert all(register.low <= p <= register.high for p in kept)
        assert all(p % 12 == q % 12 for p, q in zip(kept, walk))
        for (a, b), (c, d) in zip(zip(walk, walk[1:]), zip(kept, kept[1:])):
            assert abs(b - a) > 12 or abs(d - c) <= 12


def test_decoding_without_key_keeps_midi_range_as_before():
    pitches, durations = decode([30, 30, 30, -90], 60, "interval", "pitch", 2, MIDI_REGISTER)
    assert pitches == [60, 90, 120, 126, 36] and durations == [2] * 5


def test_scales():
    assert scale_pitch_classes("F#", "major") == {6, 8, 10, 11, 1, 3, 5}
    assert scale_pitch_classes("A", "natural_minor") == scale_pitch_classes("C", "major")
    assert scale_pitch_classes("C", "harmonic_minor") == {0, 2, 3, 5, 7, 8, 11}
    assert scale_pitch_classes("Bb", "chromatic") == set(range(12))
    assert set(SCALES) >= {"dorian", "phrygian", "mixolydian", "pentatonic_major", "pentatonic_minor"}


def test_pitch_mask_is_the_scale():
    values = list(range(58, 74))
    mask = ScaleMask(
        values, scale_pitch_classes("C", "major"), interval=False, register=MIDI_REGISTER, start_pitch=0, rows=2
    )
    allowed = mask.allowed()
    assert allowed.shape == (2, len(values))
    assert [v for v, ok in zip(values, allowed[0]) if ok] == [59, 60, 62, 64, 65, 67, 69, 71, 72]


def test_interval_mask_follows_each_rows_running_pitch():
    mask = ScaleMask(
        [-2, -1, 0, 1, 2],
        scale_pitch_classes("C", "major"),
        interval=True,
        register=key_register(60),
        start_pitch=64,
        rows=2,
    )
    np.testing.assert_array_equal(mask.allowed()[0], [True, False, True, True, False])  # D, Eb, E, F, F#
    mask.advance(np.array([3, 0]))  # E+1 = F, E-2 = D
    np.testing.assert_array_equal(mask.allowed(), [[False, True, True, False, True], [True, False, True, False, True]])
    mask.take(np.array([1, 1]))
    np.testing.assert_array_equal(mask.pitch, [62, 62])
    edge = ScaleMask([0, 1, 12], frozenset(range(12)), interval=True, register=MIDI_REGISTER, start_pitch=127, rows=1)
    np.testing.assert_array_equal(edge.allowed()[0], [True, False, False])
    pairs = ScaleMask(
        [(-1, 4), (2, 8)], frozenset({0, 2}), interval=True, register=MIDI_REGISTER, start_pitch=0, rows=1
    )
    np.testing.assert_array_equal(pairs.allowed()[0], [False, True])


def test_fold_moves_an_out_of_scale_notes_probability_to_its_neighbour_nearer_the_last_note():
    from rnncells.generation.keys import fold_logits

    values = [64, 65, 66, 67, 72]  # E F F# G C; F minor has F and G, not E (-> Eb absent: F) or F# (F or G)
    mask = ScaleMask(
        values, scale_pitch_classes("Fm", "minor"), interval=False, register=MIDI_REGISTER, start_pitch=67, rows=2
    )
    mask.pitch = np.array([67, 60])  # one row last played G4, the other C4
    mask.fold = True
    np.testing.assert_array_equal(mask.destinations(), [[1, 1, 3, 3, 4], [1, 1, 1, 3, 4]])
    logits = np.log(np.array([[0.1, 0.2, 0.3, 0.1, 0.3]] * 2))
    for temperature in (1.0, 0.5):
        folded = fold_logits(logits, mask.destinations(), temperature)
        probabilities = np.exp(folded / temperature)
        probabilities /= probabilities.sum(axis=-1, keepdims=True)
        at_temperature = np.exp(logits[0] / temperature) / np.exp(logits[0] / temperature).sum()
        e, f, fs, g, c = at_temperature
        np.testing.assert_allclose(probabilities, [[0, e + f, 0, fs + g, c], [0, e + f + fs, 0, g, c]], atol=1e-12)


def test_fold_keeps_durations_and_follows_interval_rows():
    pairs = [(64, 2), (65, 2), (65, 4), (66, 4)]
    mask = ScaleMask(
        pairs, scale_pitch_classes("C", "major"), interval=False, register=MIDI_REGISTER, start_pitch=60, rows=1
    )
    np.testing.assert_array_equal(mask.destinations(), [[0, 1, 2, 2]])  # F#:4 -> F:4 (G:4 absent), not F:2
    steps = [-1, 0, 1, 2]
    mask = ScaleMask(
        steps, scale_pitch_classes("C", "major"), interval=True, register=MIDI_REGISTER, start_pitch=61, rows=1
    )
    mask.pitch = np.array([64])  # E4: +1 lands on F (in), +2 on F# (out) -> +1; -1 on Eb (out) -> 0 (E)
    np.testing.assert_array_equal(mask.destinations(), [[1, 1, 2, 2]])
    mask.advance(np.array([2]))
    assert mask.pitch.tolist() == [65]
