"""Cleaning, intervals and the DB12 transposition (docs/method.md §1)."""

from __future__ import annotations

import random

import pytest

from rnncells.music.melody import melody_from_pitches
from rnncells.music.transforms import (
    CleaningRules,
    clean,
    from_intervals,
    to_intervals,
    transpose_to_12_keys,
    transposition_offsets,
)


def reference_offsets(pitches: list[int], rule: str) -> list[int]:
    """docs/method.md §1 step by step, without our range rule."""
    lo, hi = min(pitches), max(pitches)
    mid = (hi - lo) // 2 + lo
    gap = 60 - mid
    rest = 11 - abs(gap)
    if rest >= 0:
        up = -(-rest // 2) if rule == "ceil" else rest // 2
        down = rest - up
        if gap < 0:
            down += abs(gap)
        else:
            up += abs(gap)
    else:
        down, up = (11, 0) if gap <= 0 else (0, 11)
    return [0] + [-k for k in range(1, down + 1)] + list(range(1, up + 1))


@pytest.mark.parametrize("rule", ["floor", "ceil"])
def test_offsets_follow_the_reference_inside_the_range(rule):
    rng = random.Random(1)
    for _ in range(2000):
        lo = rng.randint(20, 90)
        pitches = [rng.randint(lo, lo + rng.randint(0, 30)) for _ in range(rng.randint(1, 40))]
        plan = transposition_offsets(pitches, rule)
        if not plan.range_adjusted:
            assert plan.offsets == reference_offsets(pitches, rule)


def test_floor_and_ceil_differ_only_by_the_odd_spare_key():
    pitches = [60, 62, 64]  # mid 62, gap -2, rest 9: floor up 4, ceil up 5
    assert transposition_offsets(pitches, "floor").offsets == [0, -1, -2, -3, -4, -5, -6, -7, 1, 2, 3, 4]
    assert transposition_offsets(pitches, "ceil").offsets == [0, -1, -2, -3, -4, -5, -6, 1, 2, 3, 4, 5]


def test_range_rule_keeps_twelve_versions_inside_0_127():
    for pitches in ([0, 2, 4], [3, 9], [120, 127], [5, 115], [0, 116]):
        plan = transposition_offsets(pitches)
        assert len(plan.offsets) == 12 and 0 in plan.offsets
        assert max(plan.offsets) - min(plan.offsets) == 11
        assert min(pitches) + min(plan.offsets) >= 0 and max(pitches) + max(plan.offsets) <= 127
    assert transposition_offsets([0, 115]).range_adjusted and transposition_offsets([12, 127]).range_adjusted
    assert not transposition_offsets([0, 2, 4]).range_adjusted
    with pytest.raises(ValueError, match="too wide"):
        transposition_offsets([0, 117])


def test_transpose_to_12_keys_first_notes_span_11():
    melody = melody_from_pitches([67, 69, 71, 72, 74])
    versions = transpose_to_12_keys(melody)
    firsts = [m.pitches[0] for _, m in versions]
    assert len(versions) == 12 and max(firsts) - min(firsts) == 11 and len(set(firsts)) == 12
    assert versions[0][1].pitches == melody.pitches


def test_interval_round_trip():
    rng = random.Random(2)
    for _ in range(500):
        pitches = [rng.randint(0, 127) for _ in range(rng.randint(1, 60))]
        intervals = to_intervals(pitches)
        assert len(intervals) == len(pitches) - 1
        assert from_intervals(pitches[0], intervals) == pitches
    assert to_intervals([60, 62, 64, 62]) == [2, 2, -2]


def test_cleaning_counts_each_rule():
    short = melody_from_pitches([60] * 11)
    ok = melody_from_pitches([60] * 12, [2] * 12)
    zero = melody_from_pitches([60] * 12, [2] * 11 + [0])
    long = melody_from_pitches([60] * 12, [2] * 11 + [17])
    kept, dropped, counts = clean([short, ok, zero, long], CleaningRules(check_durations=True))
    assert kept == [ok] and len(dropped) == 3
    assert counts == {"fewer than 12 notes": 1, "a note shorter than 1 step": 1, "a note longer than 16 steps": 1}
    kept, _, counts = clean([short, ok, zero, long], CleaningRules())
    assert len(kept) == 3 and counts == {"fewer than 12 notes": 1}
