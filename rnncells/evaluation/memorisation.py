"""Memorisation: how much of each song is copied from the training songs (docs/method.md, "Memorisation").

Songs are compared on their intervals (``p[i+1] - p[i]``), so a copy in another key is still a copy. For every
song :func:`measure` gives

- ``shared_run``: the longest run of consecutive intervals that also occurs in one training song, and which song
  (``shared_with``, ``shared_with_file``);
- ``ngram4_in_train`` / ``ngram8_in_train``: the share of the song's interval 4-grams (8-grams) found anywhere in
  the training songs (NaN for a song with fewer intervals than n);
- ``copied``: 1 when ``shared_run`` reaches the threshold (16 intervals by default), else 0.

All of it comes from one pass per song over a suffix automaton of the training songs (Blumer et al. 1985): after
reading interval i the walk holds the longest run ending at i that occurs in the training set (the *matching
statistics*), so the longest run is their maximum and an n-gram ending at i is found exactly when that run is at
least n long. Building is linear in the training intervals and each song costs a linear walk. Each training song
ends with its own separator token, so no match runs from one song into the next.

A training song measured against the training set would match itself whole; :func:`measure` takes, per song, a
training song to leave out, so the dataset's own songs are measured against the *other* training songs (the
corpus's own borrowing, the human baseline of Yin et al. 2021).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rnncells.errors import RnncellsError

COPY_THRESHOLD = 16  # intervals: a shared run this long marks a song as copied
NGRAM_SIZES = (4, 8)
COLUMNS = ("shared_run", "shared_with", "shared_with_file", "ngram4_in_train", "ngram8_in_train", "copied")
NO_SONG = -1


class MemorisationError(RnncellsError, ValueError):
    """A threshold or a training set memorisation cannot work with; the message names the value and the fix."""


def intervals(pitches: Sequence[int]) -> list[int]:
    """The steps between neighbouring notes, in semitones."""
    return np.diff(np.asarray(pitches, dtype=np.int64)).tolist()


def _add_song(pair: list[int], song: int) -> None:
    """Keep the two smallest distinct song numbers in ``pair`` (NO_SONG = empty slot)."""
    first, second = pair
    if song == NO_SONG or song in pair:
        return
    if first == NO_SONG or song < first:
        pair[0], pair[1] = song, first
    elif second == NO_SONG or song < second:
        pair[1] = song


class TrainingIndex:
    """A suffix automaton of the training songs' intervals, each state knowing two songs it occurs in.

    A state's strings all end at the same places of the text, so they occur in the same songs; two songs per
    state are enough to find, for any one song left out, another song that holds the match.
    """

    def __init__(self, songs: Sequence[Sequence[int]], ids: Sequence[str], files: Sequence[str]):
        if len(songs) < 1:
            raise MemorisationError("no training songs to measure memorisation against; give a dataset with some")
        self.ids, self.files = list(ids), list(files)
        self.transitions: list[dict[int, int]] = [{}]
        self.link, self.length = [-1], [0]
        self.songs: list[list[int]] = [[NO_SONG, NO_SONG]]
        last = 0
        for number, song in enumerate(songs):
            for token in intervals(song):
                last = self._extend(last, token, number)
            # A separator that no song holds ends every training song (intervals are within +-127).
            last = self._extend(last, 1000 + number, NO_SONG)
        self._collect_songs()

    def __len__(self) -> int:
        return len(self.ids)

    def _new_state(self, length: int, link: int, transitions: dict[int, int], song: int) -> int:
        self.transitions.append(transitions)
        self.link.append(link)
        self.length.append(length)
        self.songs.append([song, NO_SONG])
        return len(self.length) - 1

    def _extend(self, last: int, token: int, song: int) -> int:
        """The standard online construction: add ``token`` (from ``song``) after the text read so far."""
        transitions, link, length = self.transitions, self.link, self.length
        current = self._new_state(length[last] + 1, 0, {}, song)
        state = last
        while state != -1 and token not in transitions[state]:
            transitions[state][token] = current
            state = link[state]
        if state != -1:
            following = transitions[state][token]
            if length[state] + 1 == length[following]:
                link[current] = following
            else:
                clone = self._new_state(length[state] + 1, link[following], dict(transitions[following]), NO_SONG)
                while state != -1 and transitions[state].get(token) == following:
                    transitions[state][token] = clone
                    state = link[state]
                link[following] = link[current] = clone
        return current

    def _collect_songs(self) -> None:
        """A state occurs wherever its longer suffix-link children occur: hand songs up, longest states first."""
        for state in sorted(range(1, len(self.length)), key=self.length.__getitem__, reverse=True):
            parent = self.link[state]
            for song in self.songs[state]:
                _add_song(self.songs[parent], song)

    def matching_runs(self, tokens: Sequence[int], leave_out: int | None = None) -> tuple[list[int], int]:
        """For each position, the longest run ending there found in a training song other than ``leave_out``;
        and a training song holding the longest of them (NO_SONG when nothing matches)."""
        transitions, link, length, songs = self.transitions, self.link, self.length, self.songs
        state, run, runs = 0, 0, []
        best, best_state = 0, 0
        for token in tokens:
            while True:
                following = transitions[state].get(token)
                if following is not None and (leave_out is None or songs[following] != [leave_out, NO_SONG]):
                    state, run = following, run + 1
                    break
                if state == 0:
                    run = 0
                    break
                state = link[state]
                run = length[state]
            runs.append(run)
            if run > best:
                best, best_state = run, state
        holders = [song for song in self.songs[best_state] if song not in (NO_SONG, leave_out)]
        return runs, (holders[0] if best and holders else NO_SONG)


@dataclass(frozen=True)
class SongMemorisation:
    """One song's memorisation measures (the module docstring)."""

    shared_run: int
    shared_with: str
    shared_with_file: str
    ngram4_in_train: float
    ngram8_in_train: float
    copied: int


def _share(runs: list[int], n: int) -> float:
    """The share of n-grams found: an n-gram ending at position i is found when runs[i] >= n."""
    grams = len(runs) - n + 1
    return sum(run >= n for run in runs) / grams if grams > 0 else math.nan


def check_threshold(threshold: int) -> int:
    """``threshold`` as an int >= 1, else a one-line error."""
    if isinstance(threshold, bool) or not isinstance(threshold, (int, np.integer)) or threshold < 1:
        raise MemorisationError(f"copy threshold {threshold!r}: give a whole number of intervals >= 1 (default 16)")
    return int(threshold)


def measure(
    index: TrainingIndex,
    songs: Sequence[Sequence[int]],
    *,
    leave_out: Sequence[int | None] | None = None,
    threshold: int = COPY_THRESHOLD,
) -> list[SongMemorisation]:
    """The memorisation measures of each song (pitch lists) against ``index``'s training songs.

    ``leave_out[i]`` names the training song (by its number in the index) that song i must not be matched with:
    the song itself when it is a training song.
    """
    threshold = check_threshold(threshold)
    leave_out = list(leave_out) if leave_out is not None else [None] * len(songs)
    results = []
    for pitches, left_out in zip(songs, leave_out, strict=True):
        runs, holder = index.matching_runs(intervals(pitches), left_out)
        longest = max(runs, default=0)
        found = holder != NO_SONG
        results.append(
            SongMemorisation(
                shared_run=longest,
                shared_with=index.ids[holder] if found else "",
                shared_with_file=index.files[holder] if found else "",
                ngram4_in_train=_share(runs, NGRAM_SIZES[0]),
                ngram8_in_train=_share(runs, NGRAM_SIZES[1]),
                copied=int(longest >= threshold),
            )
        )
    return results
