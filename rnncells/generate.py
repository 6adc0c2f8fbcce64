"""Generate songs from a trained run: all songs of a model together, in one batched, stateful step loop.

docs/method.md §3: the state is primed with every primer token but the last; from the last primer token, ``length``
tokens are sampled one at a time ("roulette" = a draw from the softmax at a temperature, "max" = argmax, "topk" =
a draw among the k likeliest). The output contains the primer.

Primers. Pitch runs take pitches (``"60 62 64 62"``); interval runs take the base note, then intervals
(``"60 2 2 -2"``); ``pitch_duration`` runs take ``value:duration`` pairs (``"62:8 64:4 65:4"``, interval:
``"62 2:8 1:4"``). Without a primer the study's primers are used (moved to the nearest octave or key the model
knows, see :func:`study_primer`; generation.json records the primer used); with ``key`` (and ``octave``, counted
from the middle octave C4-B4) the primer is that key's tonic, and the songs are kept in that key's range (see below).

Decoding. Interval songs are summed from their base note; a note that would leave MIDI 0-127 is moved by whole
octaves back inside and the melody continues from there. Pitch-only songs give every note ``note_steps`` 16ths.
With ``bars`` the song is cut to exactly ``bars * 16`` steps (the last note shortened; songs that end early are
sampled longer). With ``key``, every pitch is folded by octaves into the two octaves starting at the tonic, so the
melody stays in the chosen register.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from pathlib import Path

import keras
import numpy as np

from rnncells.config import ConfigError, GenerateConfig
from rnncells.data.vocab import Token, UnknownTokenError
from rnncells.models.factory import build_model, load_checkpoint_weights, reset_states
from rnncells.music.melody import STEPS_PER_BAR, Note, key_to_pitch_class
from rnncells.runs import Run, load_run
from rnncells.songs import SongSetFolder

STUDY_PRIMERS = {
    ("pitch", "interval"): "60 2 2 -2",
    ("pitch", "other"): "60 62 64 62",
    ("pitch_duration", "interval"): "62 2:8 1:4",
    ("pitch_duration", "other"): "62:8 64:4 65:4",
}
KEY_RANGE = 24  # semitones above the tonic that a keyed melody may use


def parse_primer(text: str, variant: str, representation: str) -> tuple[int | None, list[Token]]:
    """``(base_note, tokens)`` from primer text (module docstring); base_note is None unless interval."""
    items = text.replace(",", ":").split()
    if not items:
        raise ConfigError('empty primer: give tokens such as --primer "60 62 64 62"')
    base = None
    if variant == "interval":
        base, items = _int(items[0], "base note"), items[1:]
        if not 0 <= base <= 127:
            raise ConfigError(f"primer base note {base} is outside MIDI 0-127")
        if not items:
            raise ConfigError('an interval primer needs a base note and at least one interval, e.g. "60 2 2 -2"')
    tokens: list[Token] = []
    for item in items:
        if representation == "pitch_duration":
            value, _, duration = item.partition(":")
            if not duration:
                raise ConfigError(f"primer item {item!r}: this run takes value:duration pairs, e.g. 62:4")
            tokens.append((_int(value, "primer value"), _int(duration, "primer duration")))
        else:
            if ":" in item:
                raise ConfigError(f"primer item {item!r}: this run takes single values, not value:duration pairs")
            tokens.append(_int(item, "primer value"))
    return base, tokens


def _int(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ConfigError(f"{what} {text!r} is not a whole number") from None


def keyed_primer(run: Run, key: str, octave: int) -> tuple[int | None, list[Token]]:
    """A one-note primer on the key's tonic (or its pitch class in the nearest octave the model knows);
    interval runs: the tonic as base note, then the vocabulary's unison or nearest interval."""
    tonic = 60 + key_to_pitch_class(key) + 12 * octave
    if not 0 <= tonic <= 127:
        raise ConfigError(f"key {key} at octave {octave:+d} gives pitch {tonic}, outside MIDI 0-127")
    values = run.vocabulary.values
    pairs = run.info["representation"] == "pitch_duration"
    wanted = 0 if run.info["variant"] == "interval" else tonic

    def closeness(token: Token) -> tuple[bool, int, int]:
        # the tonic itself, else the same pitch class in the nearest octave, else the nearest note
        value, duration = token if pairs else (token, 4)
        other_class = run.info["variant"] != "interval" and (value - wanted) % 12 != 0
        return other_class, abs(value - wanted), abs(duration - 4)

    first = min(values, key=closeness)
    return (tonic, [first]) if run.info["variant"] == "interval" else (None, [first])


def study_primer(run: Run) -> tuple[int | None, list[Token]]:
    """The study's primer for the run's variant, moved to the nearest transposition the model knows.

    Pitch tokens are shifted by whole octaves first, then by semitones (nearest first); an interval primer keeps
    its intervals and moves only its base note. A corpus without the study's notes (EDM has no D4) still gets the
    study's melodic shape.
    """
    variant, representation = run.info["variant"], run.info["representation"]
    family = "interval" if variant == "interval" else "other"
    base, tokens = parse_primer(STUDY_PRIMERS[(representation, family)], variant, representation)
    if variant == "interval" or all(t in run.vocabulary for t in tokens):
        return base, tokens
    shifts = [12 * k for k in (1, -1, 2, -2, 3, -3)] + [s for k in range(1, 12) for s in (k, -k)]
    for shift in shifts:
        moved = [(t[0] + shift, t[1]) if isinstance(t, tuple) else t + shift for t in tokens]
        if all(t in run.vocabulary for t in moved):
            return base, moved
    return base, tokens  # nothing fits: encoding below names the unknown token


def sample(logits: np.ndarray, config: GenerateConfig, rng: np.random.Generator) -> np.ndarray:
    """One token index per row of ``logits`` (n, vocab) by the configured rule."""
    if config.sampling == "max":
        return logits.argmax(axis=-1)
    scaled = logits.astype(np.float64) / config.temperature
    if config.sampling == "topk":
        k = min(config.top_k, scaled.shape[-1])
        cutoff = np.partition(scaled, -k, axis=-1)[:, -k][:, None]
        scaled = np.where(scaled >= cutoff, scaled, -np.inf)
    scaled -= scaled.max(axis=-1, keepdims=True)
    probabilities = np.exp(scaled)
    probabilities /= probabilities.sum(axis=-1, keepdims=True)
    draws = rng.random((len(probabilities), 1))
    return np.minimum((probabilities.cumsum(axis=-1) < draws).sum(axis=-1), probabilities.shape[-1] - 1)


def sample_tokens(
    model: keras.Model, primer: list[int], n_steps: int, config: GenerateConfig, rng: np.random.Generator
) -> np.ndarray:
    """Prime a stateful model (batch = songs) and sample ``n_steps`` indices per song; returns (n, len+steps)."""
    n_songs = config.n_songs
    reset_states(model)
    primer_batch = np.tile(np.asarray(primer, dtype=np.int32), (n_songs, 1))
    if len(primer) > 1:
        model(primer_batch[:, :-1], training=False)
    current = primer_batch[:, -1:]
    produced = [primer_batch]
    for _ in range(n_steps):
        logits = keras.ops.convert_to_numpy(model(current, training=False))[:, -1, :]
        current = sample(logits, config, rng).astype(np.int32)[:, None]
        produced.append(current)
    return np.concatenate(produced, axis=1)


def decode(
    tokens: list[Token], base_note: int | None, variant: str, representation: str, note_steps: int
) -> tuple[list[int], list[int]]:
    """Pitches and durations of a token list (module docstring for the interval rule)."""
    values = [t[0] for t in tokens] if representation == "pitch_duration" else list(tokens)
    durations = [t[1] for t in tokens] if representation == "pitch_duration" else [note_steps] * len(tokens)
    if variant != "interval":
        return [int(v) for v in values], durations
    pitches = [base_note]
    for step in values:
        pitch = pitches[-1] + step
        while pitch < 0:
            pitch += 12
        while pitch > 127:
            pitch -= 12
        pitches.append(pitch)
    # the base note takes the first interval's duration; each later note the next one's (the last repeats)
    return pitches, (durations + durations[-1:]) if durations else [note_steps]


def fit_to_bars(pitches: list[int], durations: list[int], bars: int) -> tuple[list[int], list[int]]:
    """Cut a song to exactly ``bars * 16`` steps (the last note shortened)."""
    total, kept_p, kept_d = bars * STEPS_PER_BAR, [], []
    elapsed = 0
    for pitch, duration in zip(pitches, durations):
        if elapsed >= total:
            break
        duration = max(1, duration)
        kept_p.append(pitch)
        kept_d.append(min(duration, total - elapsed))
        elapsed += kept_d[-1]
    return kept_p, kept_d


def fold_into_key_range(pitches: list[int], tonic: int) -> list[int]:
    """Move each pitch by octaves into [tonic, tonic + 24)."""
    return [tonic + (p - tonic) % KEY_RANGE if not tonic <= p < tonic + KEY_RANGE else p for p in pitches]


def generate(
    run_dir: str | Path,
    out_dir: str | Path,
    config: GenerateConfig,
    checkpoint: str = "best",
    note_steps: int = 2,
    name: str | None = None,
) -> Path:
    """Generate ``config.n_songs`` songs from a run into the song set folder ``out_dir`` (:mod:`rnncells.songs`:
    MIDI files, songs.jsonl, generation.json last).

    ``name`` labels the song set in evaluations (default: the run's model name, e.g. ``control-lstm-3``).
    """
    config.validate()
    run = load_run(run_dir)
    variant, representation = run.info["variant"], run.info["representation"]
    if config.key:
        base, primer_tokens = keyed_primer(run, config.key, config.octave or 0)
    elif config.primer:
        base, primer_tokens = parse_primer(config.primer, variant, representation)
    else:
        base, primer_tokens = study_primer(run)
    try:
        primer = run.vocabulary.encode(primer_tokens)
    except UnknownTokenError as error:
        raise ConfigError(
            f"primer: {error} of {run.path}; use tokens the model knows (see {run.path / 'vocabulary.json'})"
        ) from None

    n_steps = config.length
    if config.bars:
        shortest = 1 if representation == "pitch_duration" else note_steps
        n_steps = max(n_steps, math.ceil(config.bars * STEPS_PER_BAR / shortest))
    model = build_model(run.model_config, len(run.vocabulary), batch_size=config.n_songs, stateful=True)
    load_checkpoint_weights(run.checkpoint(checkpoint), model)
    rng = np.random.default_rng(config.seed)
    indices = sample_tokens(model, primer, n_steps, config, rng)

    tonic = None
    if config.key:
        tonic = 60 + key_to_pitch_class(config.key) + 12 * (config.octave or 0)
    bpm = config.bpm or run.info.get("bpm") or 120.0
    song_set = SongSetFolder(out_dir)
    rows = []
    for index, song in enumerate(indices):
        tokens = run.vocabulary.decode(song)
        pitches, durations = decode(tokens, base, variant, representation, note_steps)
        if tonic is not None:
            pitches = fold_into_key_range(pitches, tonic)
        if config.bars:
            pitches, durations = fit_to_bars(pitches, durations, config.bars)
        notes, onset = [], 0
        for pitch, duration in zip(pitches, durations):
            notes.append(Note(onset, pitch, max(duration, 1)))
            onset += max(duration, 1)
        song_set.write_midi(
            index,
            notes,
            bpm=bpm,
            program=config.program,
            name=f"{run.model_name} song {index}",
        )
        rows.append(
            {
                "index": index,
                "pitches": pitches,
                "durations": durations,
                "tokens": [list(t) if isinstance(t, tuple) else t for t in tokens],
            }
        )
    song_set.write_songs(rows)
    song_set.write_generation(
        {
            "model_name": name or run.model_name,
            "variant": variant,
            "cell": run.info["cell"],
            "layers": run.info["layers"],
            "units": run.info.get("units"),
            "representation": representation,
            "run": str(run.path.resolve()),
            "dataset": run.info["dataset"],
            "checkpoint": str(run.checkpoint(checkpoint).name),
            "bpm": bpm,
            "note_steps": note_steps,
            "primer": {"base_note": base, "tokens": [list(t) if isinstance(t, tuple) else t for t in primer_tokens]},
            "config": asdict(config),
        },
    )
    return song_set.path
