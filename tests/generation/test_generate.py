"""Generation: batched sampling equals one song at a time, primers, decoding, producer options, errors."""

from __future__ import annotations

import mido
import numpy as np
import pytest

from rnncells.config.generate import GenerateConfig
from rnncells.config.model import ModelConfig
from rnncells.config.records import ConfigError
from rnncells.config.train import TrainConfig
from rnncells.generation.generate import fit_to_bars, generate
from rnncells.generation.keys import decode
from rnncells.generation.primers import parse_primer
from rnncells.generation.sampling import sample
from rnncells.generation.song_set import SongSetFolder
from rnncells.locks import LOCK_FILE
from rnncells.music.midi import read_midi
from rnncells.training.trainer import train
from tests.training.test_trainer import SMALL


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


def songs_of(folder) -> list[dict]:
    """The whole rows of a generated set (songs.jsonl leaves out the durations and onsets a reader derives)."""
    return SongSetFolder(folder).read_songs()


def known_primer(run, count: int = 4) -> str:
    import json

    values = json.loads((run / "vocabulary.json").read_text())["values"]
    return " ".join(str(v) for v in values[len(values) // 2 : len(values) // 2 + count])


def test_batched_generation_equals_one_song_at_a_time(runs, tmp_path):
    primer = known_primer(runs["control"])
    config = GenerateConfig(n_songs=6, length=20, primer=primer, sampling="max")
    batched = songs_of(generate(runs["control"], tmp_path / "batch", config))
    single = songs_of(
        generate(runs["control"], tmp_path / "one", GenerateConfig(n_songs=1, length=20, primer=primer, sampling="max"))
    )
    assert all(song["pitches"] == single[0]["pitches"] for song in batched)
    assert single[0]["pitches"][:4] == [int(v) for v in primer.split()]
    assert len(single[0]["pitches"]) == 4 + 20


def test_roulette_is_seeded_and_songs_differ(runs, tmp_path):
    config = GenerateConfig(n_songs=20, length=30, primer=known_primer(runs["control"]), seed=5)
    first = songs_of(generate(runs["control"], tmp_path / "a", config))
    again = songs_of(generate(runs["control"], tmp_path / "b", config))
    assert first == again
    assert len({tuple(s["pitches"]) for s in first}) > 10


def test_midi_files_hold_the_songs(runs, tmp_path):
    out = generate(
        runs["control"],
        tmp_path / "g",
        GenerateConfig(n_songs=3, length=10, primer=known_primer(runs["control"]), bpm=132),
    )
    rows = songs_of(out)
    for row in rows:
        melody = read_midi(out / f"song_{row['index']:03d}.mid")
        assert melody.pitches == row["pitches"] and melody.bpm == 132.0
        assert melody.durations == [2] * len(row["pitches"])


def test_interval_songs_decode_from_their_base_note(runs, tmp_path):
    import json

    intervals = json.loads((runs["interval"] / "vocabulary.json").read_text())["values"]
    primer = f"70 {intervals[0]} {intervals[-1]}"
    out = generate(runs["interval"], tmp_path / "i", GenerateConfig(n_songs=10, length=40, primer=primer))
    for row in songs_of(out):
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
        assert melody.pitches[0] == 78 and all(78 - 12 <= p <= 78 + 12 for p in melody.pitches)


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
    assert songs_of(out)[0]["pitches"][:4] == used
    interval = json.loads(
        (
            generate(runs["interval"], tmp_path / "i", GenerateConfig(n_songs=1, length=5)) / "generation.json"
        ).read_text()
    )
    assert (interval["primer"]["base_note"], interval["primer"]["tokens"]) == (60, [2, 2, -2])
    assert interval["primer"]["source"] == "study"


@pytest.fixture(scope="module")
def pair_runs(edm_dir, tmp_path_factory) -> dict:
    """pitch_duration runs (control and interval) on 40 EDM melodies."""
    import shutil

    from rnncells.config.dataset import DatasetConfig
    from rnncells.data.build import build_dataset

    source = tmp_path_factory.mktemp("edm40-pairs-source")
    for path in sorted(edm_dir.glob("*.mid"))[:40]:
        shutil.copy(path, source / path.name)
    dataset = tmp_path_factory.mktemp("dataset") / "edm40-pairs"
    build_dataset(
        DatasetConfig(
            source=str(source),
            representation="pitch_duration",
            variants=["control", "interval"],
            train_ratio=0.7,
            validation_ratio=0.3,
            test_ratio=0.0,
        ),
        dataset,
        progress=False,
    )
    folder = tmp_path_factory.mktemp("pair-runs")
    return {
        variant: train(
            dataset,
            folder / variant,
            ModelConfig(cell="gru", layers=1, units=16),
            TrainConfig(variant=variant, epochs=1, **SMALL),
            progress=False,
        )
        for variant in ("control", "interval")
    }


def record_of(out) -> dict:
    import json

    return json.loads((out / "generation.json").read_text())


@pytest.mark.parametrize(
    ("family", "variant"), [("pitch", "control"), ("pitch", "interval"), ("pairs", "control"), ("pairs", "interval")]
)
def test_scale_masks_every_sampled_note_into_the_scale(runs, pair_runs, tmp_path, family, variant):
    from rnncells.music.melody import scale_pitch_classes

    run = (runs if family == "pitch" else pair_runs)[variant]
    config = GenerateConfig(n_songs=8, length=40, key="D", scale="dorian", seed=3)
    out = generate(run, tmp_path / "s", config)
    record = record_of(out)
    assert (record["key"], record["scale"], record["mask_fallbacks"]) == ("D", "dorian", 0)
    low, high = record["register"]
    dorian = scale_pitch_classes("D", "dorian")
    for row in songs_of(out):
        assert row["pitches"][0] % 12 == 2  # the keyed primer starts on the tonic
        assert all(p % 12 in dorian for p in row["pitches"]) and all(low <= p <= high for p in row["pitches"])
        if variant == "interval":  # range keeping introduces no leap over an octave
            steps = [t[0] if isinstance(t, list) else t for t in row.get("tokens", row["pitches"])]
            leaps = [b - a for a, b in zip(row["pitches"], row["pitches"][1:])]
            assert all(abs(s) > 12 or abs(leap) <= 12 for s, leap in zip(steps, leaps))


def test_key_range_moves_notes_by_the_nearest_octave(runs, tmp_path):
    out = generate(runs["control"], tmp_path / "k", GenerateConfig(n_songs=10, length=40, key="F#", octave=1))
    for row in songs_of(out):
        pitches = row["pitches"]
        tokens = row.get("tokens", pitches)  # left out where they are the pitches themselves
        assert all(66 <= p <= 90 and p % 12 == t % 12 for p, t in zip(pitches, tokens))
        for (a, b), (c, d) in zip(zip(tokens, tokens[1:]), zip(pitches, pitches[1:])):
            assert abs(b - a) > 12 or abs(d - c) <= 12  # range keeping introduces no leap over an octave


def test_octave_the_model_does_not_know_is_a_one_line_error(runs, tmp_path):
    with pytest.raises(ConfigError, match=r"--octave \+4: the model knows F# only at octave\(s\) .*; pass one of them"):
        generate(runs["control"], tmp_path / "o", GenerateConfig(n_songs=1, key="F#", octave=4))
    with pytest.raises(ConfigError, match="scale major needs a key"):
        generate(runs["control"], tmp_path / "o", GenerateConfig(n_songs=1, scale="major"))


def test_note_name_primers(runs, pair_runs, tmp_path):
    import json

    from rnncells.music.melody import note_name

    values = json.loads((runs["control"] / "vocabulary.json").read_text())["values"]
    names = [note_name(v) for v in values[len(values) // 2 : len(values) // 2 + 3]]
    out = generate(runs["control"], tmp_path / "n", GenerateConfig(n_songs=2, length=4, primer=" ".join(names)))
    assert [note_name(p) for p in songs_of(out)[0]["pitches"][:3]] == names
    assert record_of(out)["primer"]["source"] == "text"
    pairs = json.loads((pair_runs["control"] / "vocabulary.json").read_text())["values"]
    primer = " ".join(f"{note_name(v)}:{d}" for v, d in pairs[:2])
    out = generate(pair_runs["control"], tmp_path / "p", GenerateConfig(n_songs=1, length=4, primer=primer))
    assert songs_of(out)[0]["tokens"][:2] == pairs[:2]


def test_primer_midi_is_read_like_the_dataset_and_moved_to_known_octaves(runs, tmp_path):
    import json

    from rnncells.music.melody import Note
    from rnncells.music.midi import write_midi

    values = json.loads((runs["control"] / "vocabulary.json").read_text())["values"]
    known = [v for v in values if v + 12 not in values and v - 12 in values][0]  # its octave above is unknown
    path = tmp_path / "primer.mid"
    write_midi(path, [Note(0, known - 12, 2), Note(2, known, 2), Note(4, known + 12, 2)])
    out = generate(runs["control"], tmp_path / "m", GenerateConfig(n_songs=2, length=5, primer_midi=str(path)))
    record = record_of(out)
    assert record["primer"]["source"] == "midi" and record["primer"]["moved"] == 1
    assert songs_of(out)[0]["pitches"][:3] == [known - 12, known, known]
    intervals = generate(runs["interval"], tmp_path / "i", GenerateConfig(n_songs=1, length=3, primer_midi=str(path)))
    assert record_of(intervals)["primer"]["base_note"] == known - 12


def test_beam_search_generates_every_song(runs, tmp_path):
    config = GenerateConfig(
        n_songs=3,
        length=7,
        sampling="beam",
        beam_size=2,
        branch_factor=3,
        steps_per_iteration=2,
        key="C",
        scale="major",
    )
    out = generate(runs["interval"], tmp_path / "b", config)
    again = generate(runs["interval"], tmp_path / "b2", config)
    rows = songs_of(out)
    assert rows == songs_of(again)
    assert all(
        len(row["tokens"]) == 1 + 7 and all(p % 12 in {0, 2, 4, 5, 7, 9, 11} for p in row["pitches"]) for row in rows
    )
    assert record_of(out)["sampling"] == "beam"


def test_a_non_empty_folder_is_refused_unless_overwrite(runs, tmp_path):
    out = tmp_path / "songs"
    generate(runs["control"], out, GenerateConfig(n_songs=4, length=3))
    (out / "song_001.wav").write_bytes(b"rendered")
    with pytest.raises(ConfigError, match="not empty; pass --overwrite"):
        generate(runs["control"], out, GenerateConfig(n_songs=2, length=3))
    generate(runs["control"], out, GenerateConfig(n_songs=2, length=3, overwrite=True))
    kept = sorted(p.name for p in out.iterdir() if p.name != LOCK_FILE)  # the lock file stays: rnncells.locks
    assert kept == ["generation.json", "song_000.mid", "song_001.mid", "songs.jsonl"]
    (out / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="holds notes.txt, which --overwrite will not delete"):
        generate(runs["control"], out, GenerateConfig(n_songs=2, length=3, overwrite=True))
    assert (out / "generation.json").is_file()


def test_generation_json_records_the_length_used_bars_key_scale_and_primer(runs, tmp_path):
    config = GenerateConfig(n_songs=2, length=10, bars=4, key="A", scale="natural_minor")
    record = record_of(generate(runs["control"], tmp_path / "r", config))
    assert (record["length"], record["length_from"], record["config"]["length"]) == (32, "bars", 10)
    assert (record["bars"], record["key"], record["scale"]) == (4, "A", "natural_minor")
    assert record["tonic"].startswith("A") and record["primer"]["source"] == "key"
    plain = record_of(generate(runs["control"], tmp_path / "l", GenerateConfig(n_songs=1, length=10)))
    assert (plain["length"], plain["length_from"], plain["key"], plain["scale"]) == (10, "length", None, "chromatic")


def test_primer_and_primer_midi_together_are_refused(runs, tmp_path):
    config = GenerateConfig(n_songs=1, primer="C4", primer_midi=str(tmp_path / "x.mid"))
    with pytest.raises(ConfigError, match="give --primer or --primer-midi, not both"):
        generate(runs["control"], tmp_path / "x", config)


def test_clearing_a_song_set_removes_its_files_only(tmp_path):
    from rnncells.generation.song_set import SongSetError, SongSetFolder

    folder = SongSetFolder(tmp_path / "set")
    folder.path.mkdir()
    for name in (
        "song_000.mid",
        "song_000.wav",
        "song_012.png",
        "songs.jsonl",
        "generation.json",
        ".song_001.mid.x.tmp",
    ):
        (folder.path / name).write_text("x")
    assert folder.foreign_files() == [] and not folder.is_empty()
    folder.clear()
    assert folder.is_empty()
    (folder.path / "song_000.mid").write_text("x")
    (folder.path / "mine.txt").write_text("x")
    with pytest.raises(SongSetError, match="holds mine.txt, which are not a song set's files"):
        folder.clear()
    assert (folder.path / "song_000.mid").is_file()
    recorded = GenerateConfig(n_songs=2)
    folder.write_generation(
        {"model_name": "m", "variant": "control", "cell": "lstm", "layers": 1, "config": vars(recorded)}
    )
    assert folder.made_with(GenerateConfig(n_songs=2, overwrite=True))


class Killed(BaseException):
    """Stands for SIGKILL or a full disk: raised from a write boundary, caught by nothing in rnncells."""


def test_a_killed_generate_leaves_no_song_set_and_the_next_one_finishes(runs, tmp_path, monkeypatch):
    from rnncells import files
    from rnncells.evaluation.midi_sets import load_inputs
    from rnncells.generation.song_set import SongSetError, SongSetFolder

    out = tmp_path / "songs"
    generate(runs["control"], out, GenerateConfig(n_songs=3, length=3))
    before = (out / "generation.json").read_bytes()
    written = []

    def kill_after_two(path):
        written.append(path)
        if len(written) == 2:
            raise Killed

    monkeypatch.setattr(files, "after_write", kill_after_two)
    with pytest.raises(Killed):
        generate(runs["control"], out, GenerateConfig(n_songs=6, length=3, seed=1, overwrite=True))
    monkeypatch.setattr(files, "after_write", None)
    assert all(p.parent == SongSetFolder(out).staging_path for p in written)  # nothing written in place
    assert (out / "generation.json").read_bytes() == before  # the old set is whole, still trusted
    assert len(load_inputs([out])[0].pitches) == 3
    fresh = tmp_path / "fresh"
    monkeypatch.setattr(files, "after_write", kill_after_two)
    written.clear()
    with pytest.raises(Killed):
        generate(runs["control"], fresh, GenerateConfig(n_songs=6, length=3))
    monkeypatch.setattr(files, "after_write", None)
    assert not fresh.exists() or not any(p.name != LOCK_FILE for p in fresh.iterdir())
    with pytest.raises(SongSetError):
        load_inputs([fresh]) if fresh.exists() else load_inputs([SongSetFolder(fresh).staging_path])
    generate(runs["control"], fresh, GenerateConfig(n_songs=6, length=3))  # the leftover staging folder goes
    assert not SongSetFolder(fresh).staging_path.exists()
    assert len(load_inputs([fresh])[0].pitches) == 6


def test_evaluate_refuses_an_unfinished_song_set_saying_how_to_finish_it(runs, tmp_path):
    from rnncells.evaluation.midi_sets import load_inputs
    from rnncells.generation.song_set import SongSetError

    out = tmp_path / "songs"
    generate(runs["control"], out, GenerateConfig(n_songs=3, length=3))
    (out / "generation.json").unlink()  # what a writer without staging left when it was killed
    with pytest.raises(SongSetError, match=r"looks like a song set .* no generation.json, so it is unfinished"):
        load_inputs([out])
    (out / "songs.jsonl").unlink()
    with pytest.raises(SongSetError, match=r"again with --overwrite to finish it"):
        load_inputs([out])  # MIDI files named like a generated set's are not read as someone's MIDI folder


def test_a_checkpoint_of_another_shape_is_refused_naming_the_file(runs, tmp_path):
    from rnncells.models.factory import CheckpointError

    foreign = runs["interval"] / "checkpoints" / "best.keras"  # another vocabulary: other embedding and logits
    with pytest.raises(CheckpointError, match=rf"^{foreign}: a checkpoint of another model .* --checkpoint last"):
        generate(runs["control"], tmp_path / "o", GenerateConfig(n_songs=1, length=2), checkpoint=str(foreign))
    assert not (tmp_path / "o").exists()


def test_duration_temperature_draws_lengths_apart_from_pitches_and_needs_durations(tmp_path):
    """With the shipped models (no training): a low duration temperature makes each note's length the model's
    likeliest for its pitch (fewer lengths a song); pitch-only runs refuse it in one line."""
    from rnncells.errors import InputError
    from rnncells.generation.default_model import DEFAULT_MODEL, SHIPPED_MODELS

    def lengths_per_song(out: str, **options) -> float:
        config = GenerateConfig(n_songs=12, length=16, key="F minor", seed=4, **options)
        rows = songs_of(generate(DEFAULT_MODEL, tmp_path / out, config))
        return float(np.mean([len(set(row["durations"])) for row in rows]))

    assert lengths_per_song("low", duration_temperature=0.3) < lengths_per_song("plain") - 0.5
    with pytest.raises(InputError, match=r"--duration-temperature.*pitch-only tokens"):
        generate(SHIPPED_MODELS / "edm-control-lstm-2", tmp_path / "p", GenerateConfig(duration_temperature=1.2))


@pytest.mark.parametrize(
    ("variant", "settings"),
    [("control", {}), ("interval", {"accent": 20, "rests": 0.3, "bpm": 126.0, "program": 81})],
)
def test_midi_left_out_is_written_back_byte_for_byte(runs, tmp_path, variant, settings):
    """A set keeps its songs without their MIDI files (a committed results folder's unselected runs); the files
    come back from songs.jsonl exactly as drawn, whatever the accents, rests, tempo, instrument and a later rename."""
    from rnncells.generation.song_arrays import load_song_set
    from rnncells.generation.song_set import SongSetError, SongSetFolder

    config = GenerateConfig(n_songs=6, length=24, seed=2, **settings)
    folder = SongSetFolder(generate(runs[variant], tmp_path / "songs", config, name=f"{variant}-seed3"))
    folder.rename_model(f"{variant}-lstm-2-seed0")  # reused under a grid's run name: the tracks keep the old one
    drawn = {p.name: p.read_bytes() for p in folder.path.glob("song_*.mid")}
    scored = load_song_set(folder.path)
    assert folder.leave_out_midi() == len(drawn) == 6 and not list(folder.path.glob("*.mid"))
    assert folder.midi_left_out and folder.damage() == [] and folder.made_with(config)
    assert load_song_set(folder.path).pitches == scored.pitches  # scoring reads songs.jsonl
    with pytest.raises(SongSetError, match="MIDI files are left out; `rnncells render"):
        folder.read_midi(0)
    assert folder.leave_out_midi() == 0
    assert folder.write_midi_again() == 6 and folder.write_midi_again() == 0
    assert {p.name: p.read_bytes() for p in folder.path.glob("song_*.mid")} == drawn
    assert not folder.midi_left_out and folder.damage() == [] and folder.made_with(config)
    # a file changed by hand would not come back the same: the set keeps its MIDI files
    (folder.path / "song_003.mid").write_bytes(drawn["song_004.mid"])
    record = folder.read_generation()
    record.pop("files")
    folder.write_generation(record)
    assert folder.leave_out_midi() == 0 and len(list(folder.path.glob("*.mid"))) == 6


def test_an_older_set_without_onsets_leaves_out_its_midi_only_when_they_come_back_the_same(runs, tmp_path):
    """Sets drawn before songs.jsonl kept onsets: their notes lie end to end, so the files still come back the same;
    a set whose files would not (here: named by hand with another track name) keeps them."""
    from rnncells.files import write_jsonl_atomic
    from rnncells.generation.song_set import SongSetFolder

    for name, expected in (("older", 5), ("renamed", 0)):
        folder = SongSetFolder(generate(runs["control"], tmp_path / name, GenerateConfig(n_songs=5, length=20)))
        rows = [{k: v for k, v in row.items() if k != "onsets"} for row in folder.read_songs()]
        write_jsonl_atomic(folder.songs_path, rows)
        if name == "renamed":
            first = folder.midi_path(0)
            first.write_bytes(first.read_bytes().replace(b" song 0", b" tune 0"))
        record = folder.read_generation()
        record.pop("files")
        folder.write_generation(record)
        drawn = {p.name: p.read_bytes() for p in folder.path.glob("song_*.mid")}
        assert folder.leave_out_midi() == expected
        folder.write_midi_again()
        assert {p.name: p.read_bytes() for p in folder.path.glob("song_*.mid")} == drawn and folder.damage() == []
