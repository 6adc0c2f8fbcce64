"""Feel: accents on strong beats and rests, off by default."""

from __future__ import annotations

import numpy as np

from rnncells.generation.feel import accents, thin
from rnncells.music.melody import Note
from rnncells.music.midi import melody_to_midi

NOTES = [Note(onset, 60 + onset % 12, 2) for onset in range(0, 32, 2)]  # straight eighths over two bars


def test_accents_lift_downbeats_and_beats_and_soften_offbeats():
    velocities = accents(NOTES, 24)
    assert velocities[:4] == [104, 68, 92, 68] and velocities[8] == 104
    assert accents(NOTES, 0) == [80] * len(NOTES)
    played = [m.velocity for m in melody_to_midi(NOTES, velocities=velocities).tracks[0] if m.type == "note_on"]
    assert [v for v in played if v] == velocities


def test_rests_drop_only_offbeat_notes_and_keep_the_others_onsets():
    thinned = thin(NOTES, 0.5, np.random.default_rng(0))
    assert thin(NOTES, 0.0, np.random.default_rng(0)) == NOTES
    assert all(n.onset % 4 != 0 for n in set(NOTES) - set(thinned))  # only off-beat notes are dropped
    assert {n for n in NOTES if n.onset % 4 == 0} <= set(thinned) and len(thinned) < len(NOTES)
    dense = sum(len(thin(NOTES, 0.5, np.random.default_rng(seed))) for seed in range(200)) / 200
    assert abs(dense - (8 + 8 * 0.5)) < 0.5  # half of the 8 off-beat notes on average
    assert all(n in thin(NOTES, 0.99, np.random.default_rng(1), keep_before=16) for n in NOTES[:8])
