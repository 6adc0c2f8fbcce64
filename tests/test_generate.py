"""Generation: batched sampling equals one song at a time, primers, decoding, producer options, errors."""

from __future__ import annotations

import mido
import numpy as np
import pytest

from rnncells.config import ConfigError, GenerateConfig, ModelConfig, TrainConfig
from rnncells.files import read_jsonl
from rnncells.generate import decode, fit_to_bars, generate, parse_primer, sample
from rnncells.music.midi import read_midi
from rnncells.train import train
from tests.test_train import SMALL


@pytest.fixture(scope="module")
def runs(small_dataset, tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("runs")
    made = {}
    for variant in ("control", "interval"):
        made[variant] = train(
            small_dataset,
            folder / variant,
            ModelConfig(cell="lstm", layers=2, units=32),
            TrainConfig(variant=variant, epochs=3, **SMALL),
            progress=False,
        )
    return made


def known_primer(run, count: int = 4) -> str:
    import json

    values = json.loads((run / "vocabulary.json").read_text())["values"]
    return " ".join(str(v) for v in values[len(values) // 2 : len(values) // 2 + count])


def test_batched_generation_equals_one_song_at_a_time(runs, tmp_path):
    primer = known_primer(runs["control"])
    config = GenerateConfig(n_songs=6, length=20, primer=primer, sampling="max")
    batched = read_jsonl(generate(runs["control"], tmp_path / "batch", config) / "songs.jsonl")
    single = read_jsonl(
        generate(runs["control"], tmp_path / "one", GenerateConfig(n_songs=1, length=20, primer=primer, sampling="max"))
        / "songs.jsonl"
    )
    assert all(song["pitches"] == single[0]["pitches"] for song in batched)
    assert single[0]["pitches"][:4] == [int(v) for v in primer.split()]
    assert len(single[0]["pitches"]) == 4 + 20


def test_roulette_is_seeded_and_songs_differ(runs, tmp_path):
    config = GenerateConfig(n_songs=20, length=30, primer=known_primer(runs["control"]), seed=5)
    first = read_jsonl(generate(runs["control"], tmp_path / "a", config) / "songs.jsonl")
    again = read_jsonl(generate(runs["control"], tmp_path / "b", config) / "songs.jsonl")
    assert first == again
    assert len({tuple(s["pitches"]) for s in first}) > 10


def test_midi_files_hold_the_songs(runs, tmp_path):
    out = generate(
        runs["control"],
        tmp_path / "g",
        GenerateConfig(n_songs=3, length=10, primer=known_primer(runs["control"]), bpm=132),
    )
    rows = read_jsonl(out / "songs.jsonl")
    for row in rows:
        melody = read_midi(out / f"song_{row['index']:03d}.mid")
        assert melody.pitches == row["pitches"] and melody.bpm == 132.0
        assert melody.durations == [2] * len(row["pitches"])


def test_interval_songs_decode_from_their_base_note(runs, tmp_path):
    import json

    intervals = json.loads((runs["interval"] / "vocabulary.json").read_text())["values"]
    primer = f"70 {intervals[0]} {intervals[-1]}"
    out = generate(runs["interval"], tmp_path / "i", GenerateConfig(n_songs=10, length=40, primer=primer))
    for row in read_jsonl(out / "songs.jsonl"):
        pitches = row["pitches"]
        assert pitches[0] == 70 and len(pitches) == len(row["tokens"]) + 1
        assert all(0 <= p <= 127 for p in pitches)
        steps = [b - a for a, b in zip(pitches, pitches[1:])]
        assert all(s == t or (s - t) % 12 == 0 for s, t in zip(steps, row["tokens"]))


def test_decoding_keeps_pitches_inside_midi_range():
    pitches, durations = decode([30, 30, 30, -90], 60, "interval", "pitch", 2)
    assert pitches == [60, 90, 120, 126, 36] and all(0 <= p <= 127 for p in pitches) and durations == [2] * 5
    pitches, durations = decode([(2, 8), (1, 4)], 62, "interval", "pitch_duration", 2)
    assert pitches == [62, 64, 65] and durations == [8, 4, 4]


def test_producer_options_bars_key_tempo_program(runs, tmp_path):
    out = generate(
        runs["control"], tmp_path / "p", GenerateConfig(n_songs=3, bars=4, bpm=128, key="F#", octave=1, program=81)
    )
    for index in range(3):
        midi = mido.MidiFile(out / f"song_{index:03d}.mid")
        messages = list(midi.tracks[0])
        assert [m.program for m in messages if m.type == "program_change"] == [81]
        assert round(mido.tempo2bpm(next(m.tempo for m in messages if m.type == "set_tempo"))) == 128
        melody = read_midi(out / f"song_{index:03d}.mid")
        assert melody.notes[-1].onset + melody.notes[-1].duration == 4 * 16
        assert melody.pitches[0] == 78 and all(78 <= p < 78 + 24 for p in melody.pitches)


def test_bad_primers_are_one_line_errors(runs, tmp_path):
    with pytest.raises(ConfigError, match="token 3 is not in the control vocabulary"):
        generate(runs["control"], tmp_path / "x", GenerateConfig(n_songs=1, primer="3 4"))
    with pytest.raises(ConfigError, match="not a whole number"):
        parse_primer("60 sixty", "control", "pitch")
    with pytest.raises(ConfigError, match="value:duration pairs"):
        parse_primer("60 62", "control", "pitch_duration")
    assert parse_primer("62 2:8 1:4", "interval", "pitch_duration") == (62, [(2, 8), (1, 4)])


def test_sampling_rules_follow_the_softmax():
    rng = np.random.default_rng(0)
    logits = np.tile(np.log(np.array([0.1, 0.2, 0.3, 0.4])), (20000, 1))
    draws = sample(logits, GenerateConfig(), rng)
    np.testing.assert_allclose(np.bincount(draws, minlength=4) / len(draws), [0.1, 0.2, 0.3, 0.4], atol=0.015)
    cold = sample(logits, GenerateConfig(temperature=0.1), rng)
    assert (cold == 3).mean() > 0.9
    top2 = sample(logits, GenerateConfig(sampling="topk", top_k=2), rng)
    assert set(np.unique(top2)) == {2, 3}
    assert (sample(logits[:3], GenerateConfig(sampling="max"), rng) == 3).all()


def test_fit_to_bars_cuts_the_last_note():
    assert fit_to_bars([60, 62, 64], [10, 10, 10], 1) == ([60, 62], [10, 6])


def test_default_primer_is_the_study_primer_moved_into_the_vocabulary(runs, tmp_path):
    import json

    out = generate(runs["control"], tmp_path / "d", GenerateConfig(n_songs=2, length=5))
    record = json.loads((out / "generation.json").read_text())
    used = record["primer"]["tokens"]
    assert [b - a for a, b in zip(used, used[1:])] == [2, 2, -2]
    assert read_jsonl(out / "songs.jsonl")[0]["pitches"][:4] == used
    interval = json.loads(
        (
            generate(runs["interval"], tmp_path / "i", GenerateConfig(n_songs=1, length=5)) / "generation.json"
        ).read_text()
    )
    assert interval["primer"] == {"base_note": 60, "tokens": [2, 2, -2]}
