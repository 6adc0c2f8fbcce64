"""Generate songs from a trained run: all songs of a model together, in one batched, stateful loop.

docs/method.md §3: the state is primed with every primer token but the last; from the last primer token, ``length``
tokens are drawn one at a time (:mod:`rnncells.generation.sampling`: roulette, max, topk, or Magenta's beam search). The
output contains the primer (:mod:`rnncells.generation.primers`: note names, numbers, a MIDI file, the key's tonic or the
study's primer). With ``key`` the songs keep to the two octaves around the tonic, and with ``scale`` sampling
takes only the scale's notes (:mod:`rnncells.generation.keys`). With ``bars`` the song is cut to exactly ``bars *
16`` steps (the last note shortened; enough tokens are sampled for the shortest notes, and generation.json records the
length used and why).

The output folder must be empty, unless ``overwrite``: then its old song set is replaced once the new one is
complete. The set is written into a hidden sibling and renamed into place
(:meth:`rnncells.generation.song_set.SongSetFolder.replace_with`), so a killed ``generate`` leaves no set.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from rnncells.config.generate import GenerateConfig
from rnncells.config.records import ConfigError
from rnncells.data.vocab import UnknownTokenError, Vocabulary
from rnncells.errors import InputError
from rnncells.files import portable_path
from rnncells.generation.clips import Clip, clip_notes, kept_clip, variation_clip
from rnncells.generation.feel import thin
from rnncells.generation.keys import (
    MIDI_REGISTER,
    Register,
    ScaleMask,
    decode,
    key_register,
    token_values,
    tonic_pitch,
)
from rnncells.generation.primers import Primer, primer_for
from rnncells.generation.sampling import DurationTempered, Stepper, beam_search, sample_songs
from rnncells.generation.song_set import SongSetFolder
from rnncells.locks import folder_lock
from rnncells.models.factory import build_model, load_checkpoint_weights
from rnncells.music.melody import STEPS_PER_BAR, Note, note_name, scale_pitch_classes, uses_flats
from rnncells.training.run import Run, load_run


@dataclass
class Plan:
    """What one generation call samples and how its songs are decoded."""

    primer: Primer
    primer_indices: list[int]
    tonic: int | None
    octave: int | None
    register: Register
    pitch_classes: frozenset[int] | None  # None: every note allowed (chromatic)
    n_steps: int
    length_from: str  # "length", "bars" when --bars asked for more tokens, "clip" for --variations-of
    clip: Clip | None = None  # what --variations-of / --keep-bars keep of the clip

    def record(self, config: GenerateConfig, fallbacks: int) -> dict:
        """The generation.json fields that say what was generated."""
        return {
            "length": self.n_steps,
            "length_from": self.length_from,
            "bars": config.bars,
            "key": config.key,
            "scale": config.scale_used,
            "scale_rule": config.scale_rule,
            "leap_weight": config.leap_weight,
            "octave": self.octave,
            "tonic": note_name(self.tonic, uses_flats(config.key, config.scale)) if self.tonic is not None else None,
            "register": [self.register.low, self.register.high],
            "sampling": config.sampling,
            "mask_fallbacks": fallbacks,
            "primer": self.primer.record(),
            "variations_of": config.variations_of,
            "keep_bars": config.keep_bars,
        }


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


def clip_of(config: GenerateConfig, variant: str, track: str | None) -> tuple[Clip | None, list[Note] | None]:
    """The clip a clip workflow keeps (:mod:`rnncells.generation.clips`) and the notes its primer starts from;
    (None, None) without one."""
    if config.variations_of:
        clip = variation_clip(config.variations_of, track, config.bars)
        return clip, clip.notes[: 2 if variant == "interval" else 1]
    if config.keep_bars:
        clip = kept_clip(config.primer_midi, track, config.keep_bars)
        return clip, clip.notes
    return None, None


def plan_generation(run: Run, config: GenerateConfig, note_steps: int) -> Plan:
    """Primer, key, register and length of a generation call; one-line errors for what cannot be done."""
    midi = config.primer_midi or config.variations_of
    track = run.folder.read_config().dataset.get("track") if midi else None
    return plan_tokens(
        run.vocabulary, run.info["variant"], run.info["representation"], track, config, note_steps, run.path
    )


def plan_tokens(
    vocabulary: Vocabulary,
    variant: str,
    representation: str,
    track: str | None,
    config: GenerateConfig,
    note_steps: int,
    where: Path,
) -> Plan:
    """:func:`plan_generation` for any model over ``vocabulary`` (a run, or the n-gram baseline of a dataset);
    ``where`` names the model in messages (its vocabulary.json, if there is one)."""
    pitch_classes = scale_pitch_classes(config.key or "C", config.scale_used)
    clip, first = clip_of(config, variant, track)
    primer, octave = primer_for(config, vocabulary, variant, representation, track, pitch_classes, first)
    try:
        indices = vocabulary.encode(primer.tokens)
    except UnknownTokenError as error:
        raise ConfigError(
            f"primer: {error} of {where}; use tokens the model knows (see {where / 'vocabulary.json'})"
        ) from None
    tonic, register = None, MIDI_REGISTER
    if config.key:
        try:
            tonic = tonic_pitch(config.key, octave or 0)
        except ValueError as error:
            raise ConfigError(str(error)) from None
        register = key_register(tonic)
    n_steps, length_from = config.length, "length"
    if config.bars:
        shortest = 1 if representation == "pitch_duration" else note_steps
        needed = math.ceil(config.bars * STEPS_PER_BAR / shortest)
        if needed > n_steps:
            n_steps, length_from = needed, "bars"
    if clip is not None and clip.mode == "variations":  # one drawn note for each further note of the clip
        primer_notes = len(primer.tokens) + (variant == "interval")
        n_steps, length_from = max(len(clip.notes) - primer_notes, 0), "clip"
    masked = pitch_classes if config.scale_used != "chromatic" else None
    return Plan(primer, indices, tonic, octave, register, masked, n_steps, length_from, clip)


def sampling_rows(config: GenerateConfig) -> int:
    """The batch the sampling model runs at: one row per song, times K x B for beam search."""
    beams = config.beam_size * config.branch_factor if config.sampling == "beam" else 1
    return config.n_songs * beams


def draw_songs(
    run: Run, checkpoint: str, plan: Plan, config: GenerateConfig, stepper: Stepper | None = None
) -> tuple[np.ndarray, int]:
    """The songs' vocabulary indices, ``(n_songs, primer + n_steps)``, and how often the scale mask fell back.

    ``stepper`` steps a model already loaded at :func:`sampling_rows` rows (the studio keeps one); without it the
    run's checkpoint is loaded here."""
    rows = sampling_rows(config)
    pitch_of = duration_groups(run, config)  # refuses a pitch-only run before its model is loaded
    if stepper is None:
        model = build_model(run.model_config, len(run.vocabulary), batch_size=rows, stateful=True)
        load_checkpoint_weights(run.checkpoint(checkpoint), model)
        stepper = Stepper(model)
    if pitch_of is not None:
        stepper = DurationTempered(stepper, pitch_of, config.temperature, config.duration_temperature)
    mask = scale_mask(run.vocabulary, run.info["variant"], run.info["representation"], plan, rows, config)
    rng = np.random.default_rng(config.seed)
    if config.sampling == "beam":
        songs, _, fallbacks = beam_search(stepper, plan.primer_indices, config.n_songs, plan.n_steps, config, rng, mask)
        return songs, fallbacks
    return sample_songs(stepper, plan.primer_indices, config.n_songs, plan.n_steps, config, rng, mask)


def duration_groups(run: Run, config: GenerateConfig) -> np.ndarray | None:
    """Each token's pitch group, for drawing durations at ``config.duration_temperature``
    (:class:`~rnncells.generation.sampling.DurationTempered`); None when it is not set or sampling is ``max``; one
    line when the run's tokens have no duration."""
    if config.duration_temperature is None or config.sampling == "max":
        return None
    if run.info["representation"] != "pitch_duration":
        raise InputError(
            f"duration_temperature {config.duration_temperature:g} (flag --duration-temperature): {run.path} has "
            "pitch-only tokens; leave it out or use a pitch_duration run"
        )
    return np.unique(token_values(run.vocabulary.values), return_inverse=True)[1].reshape(-1)


def scale_mask(
    vocabulary: Vocabulary, variant: str, representation: str, plan: Plan, rows: int, config: GenerateConfig
) -> ScaleMask | None:
    """The mask that keeps ``rows`` sampled rows to the plan's scale (folded onto scale notes and leaps
    down-weighted as ``config`` says); None when every note is allowed."""
    if plan.pitch_classes is None:
        return None
    primer_pitches, _ = decode(plan.primer.tokens, plan.primer.base_note, variant, representation, 1, plan.register)
    return ScaleMask(
        vocabulary.values,
        plan.pitch_classes,
        interval=variant == "interval",
        register=plan.register,
        start_pitch=primer_pitches[-1],
        rows=rows,
        fold=config.scale_rule == "fold",
        leap_weight=config.leap_weight,
    )


def check_output(song_set: SongSetFolder, overwrite: bool) -> None:
    """A one-line error unless the output folder is empty, or holds only a song set and ``overwrite`` is on."""
    if song_set.path.exists() and not song_set.path.is_dir():
        raise ConfigError(f"--out {song_set.path}: a file, not a folder; choose a folder for the songs")
    if song_set.is_empty():
        return
    if not overwrite:
        raise ConfigError(
            f"--out {song_set.path}: the folder is not empty; pass --overwrite to replace its song set, "
            "or choose an empty folder"
        )
    foreign = song_set.foreign_files()
    if foreign:
        raise ConfigError(
            f"--out {song_set.path}: holds {', '.join(foreign[:5])}, which --overwrite will not delete "
            "(not a song set's files); choose another folder"
        )


def write_songs(
    song_set: SongSetFolder, run: Run, songs: np.ndarray, plan: Plan, config: GenerateConfig, note_steps: int
) -> None:
    """Decode every song and write its MIDI file, then songs.jsonl."""
    bpm = config.bpm or run.info.get("bpm") or 120.0
    variant, representation = run.info["variant"], run.info["representation"]
    write_decoded(
        song_set, run.vocabulary, variant, representation, songs, plan, config, note_steps, bpm, run.model_name
    )


def write_decoded(
    song_set: SongSetFolder,
    vocabulary: Vocabulary,
    variant: str,
    representation: str,
    songs: np.ndarray,
    plan: Plan,
    config: GenerateConfig,
    note_steps: int,
    bpm: float,
    name: str,
) -> None:
    """:func:`write_songs` for any model over ``vocabulary``: every song's MIDI file, then songs.jsonl."""
    rows, feel_rng = [], np.random.default_rng(config.seed)
    for index, song in enumerate(songs):
        tokens = vocabulary.decode(song)
        pitches, durations = decode(tokens, plan.primer.base_note, variant, representation, note_steps, plan.register)
        if plan.clip is not None:
            total = config.bars * STEPS_PER_BAR if config.bars else None
            notes = clip_notes(plan.clip, pitches, durations, total)
            pitches, durations = [n.pitch for n in notes], [n.duration for n in notes]
        else:
            if config.bars:
                pitches, durations = fit_to_bars(pitches, durations, config.bars)
            notes, onset = [], 0
            for pitch, duration in zip(pitches, durations):
                notes.append(Note(onset, pitch, max(duration, 1)))
                onset += max(duration, 1)
        if config.rests:
            notes = thin(notes, config.rests, feel_rng, plan.clip.kept_steps if plan.clip else 0)
            pitches, durations = [n.pitch for n in notes], [n.duration for n in notes]
        song_set.write_song(index, notes, bpm=bpm, program=config.program, model=name, accent=config.accent)
        rows.append(
            {
                "index": index,
                "pitches": pitches,
                "durations": durations,
                "onsets": [n.onset for n in notes],
                "tokens": [list(t) if isinstance(t, tuple) else t for t in tokens],
            }
        )
    song_set.write_songs(rows, note_steps)


def generate(
    run_dir: str | Path,
    out_dir: str | Path,
    config: GenerateConfig,
    checkpoint: str = "best",
    note_steps: int = 2,
    name: str | None = None,
) -> Path:
    """Generate ``config.n_songs`` songs from a run into the song set folder ``out_dir``
    (:mod:`rnncells.generation.song_set`: MIDI files, songs.jsonl, generation.json last).

    ``name`` labels the song set in evaluations (default: the run's model name, e.g. ``control-lstm-3``).
    """
    config.validate()
    if not 1 <= note_steps <= 64:
        raise ConfigError(f"note_steps {note_steps} must be 1 to 64 (16ths per note of a pitch-only run)")
    song_set = SongSetFolder(out_dir)
    check_output(song_set, config.overwrite)
    run = load_run(run_dir)
    plan = plan_generation(run, config, note_steps)
    with folder_lock(song_set.path, "rnncells generate"):  # one writer per song folder (rnncells.locks)
        check_output(song_set, config.overwrite)  # again, now that no one else writes it
        songs, fallbacks = draw_songs(run, checkpoint, plan, config)
        staging = song_set.staging()  # written whole there, then renamed into place (rnncells.generation.song_set)
        write_songs(staging, run, songs, plan, config, note_steps)
        staging.write_generation(
            {
                "model_name": name or run.model_name,
                "variant": run.info["variant"],
                "cell": run.info["cell"],
                "layers": run.info["layers"],
                "units": run.info.get("units"),
                "representation": run.info["representation"],
                # paths relative to the song folder (rnncells.files.portable_path): no machine path in a record
                "run": portable_path(run.path.resolve(), song_set.path.resolve()),
                "dataset": portable_path(os.path.abspath(run.dataset_dir), song_set.path.resolve()),
                "checkpoint": str(run.checkpoint(checkpoint).name),
                "bpm": config.bpm or run.info.get("bpm") or 120.0,
                "note_steps": note_steps,
                **plan.record(config, fallbacks),
                "config": asdict(config),
            },
        )
        song_set.replace_with(staging)
    return song_set.path
