"""The n-gram baseline's songs: an ordinary song set drawn from :class:`rnncells.generation.ngram.NgramModel`.

The model is fitted on one dataset variant's training split, with the vocabulary the recurrent models of that
variant use (the manifest's), its order chosen by validation likelihood (rnncells.generation.ngram).
Its songs are drawn exactly as ``rnncells generate`` draws a run's: the same primer, length, sampling, seed, key and
scale mask (rnncells.generation.generate's plan and rnncells.generation.sampling's loops), and written through
rnncells.generation.song_set. The set is named ``<variant>-ngram-<order>`` (cell ``ngram``, ``layers`` = the order);
generation.json's ``baseline`` records what it is: the order, every order's validation loss, the smoothing.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict
from pathlib import Path

import numpy as np

from rnncells.config.generate import GenerateConfig
from rnncells.config.records import ConfigError
from rnncells.data.folder import DatasetFolder
from rnncells.data.vocab import Vocabulary, as_token
from rnncells.files import portable_path
from rnncells.generation.generate import Plan, check_output, plan_tokens, sampling_rows, scale_mask, write_decoded
from rnncells.generation.keys import ScaleMask
from rnncells.generation.ngram import NGRAM_CELL, NgramModel, NgramStepper, choose_order
from rnncells.generation.sampling import beam_search, sample_songs
from rnncells.generation.song_set import SongSetFolder
from rnncells.locks import folder_lock

SMOOTHING = "Witten-Bell interpolation down to an add-one unigram"


def ngram_name(variant: str, order: int) -> str:
    """``control-ngram-3``: the song set's model name and folder name."""
    return f"{variant}-{NGRAM_CELL}-{order}"


def fit_ngram(dataset_dir: str | Path, variant: str, max_order: int) -> tuple[NgramModel, dict[int, float], dict]:
    """The n-gram of ``variant``'s training split with the order (1 to ``max_order``) of lowest validation loss,
    every order's validation loss, and the variant's manifest."""
    folder = DatasetFolder(dataset_dir)
    manifest, rows = folder.read_manifest(variant), folder.read_songs(variant)
    vocabulary = Vocabulary(manifest["vocabulary"], variant)
    train = [_indices(row["tokens"], vocabulary) for row in rows if row["split"] == "train"]
    validation = [_indices(row["tokens"], vocabulary) for row in rows if row["split"] == "validation"]
    if not validation:
        raise ConfigError(
            f"{folder.songs_path(variant)}: no validation songs, so the n-gram order cannot be chosen; "
            "build the dataset with a validation split (--split 0.8,0.1,0.1)"
        )
    model, losses = choose_order(train, validation, len(vocabulary), range(1, max_order + 1))
    return model, losses, manifest


def _indices(tokens: list, vocabulary: Vocabulary) -> list[int | None]:
    return [vocabulary.index.get(as_token(token)) for token in tokens]


def draw_ngram_songs(
    model: NgramModel, plan: Plan, config: GenerateConfig, mask: ScaleMask | None
) -> tuple[np.ndarray, int]:
    """The songs' vocabulary indices, ``(n_songs, primer + n_steps)``, drawn as a run's are, and how often the
    scale mask fell back."""
    stepper = NgramStepper(model)
    rng = np.random.default_rng(config.seed)
    if config.sampling == "beam":
        songs, _, fallbacks = beam_search(stepper, plan.primer_indices, config.n_songs, plan.n_steps, config, rng, mask)
        return songs, fallbacks
    return sample_songs(stepper, plan.primer_indices, config.n_songs, plan.n_steps, config, rng, mask)


def generate_ngram(
    dataset_dir: str | Path,
    variant: str,
    out_dir: str | Path,
    config: GenerateConfig,
    max_order: int = 6,
    note_steps: int = 2,
) -> Path:
    """Fit the n-gram baseline of ``variant`` and write ``config.n_songs`` of its songs into the song set folder
    ``out_dir`` (module docstring); returns ``out_dir``."""
    config.validate()
    model, losses, manifest = fit_ngram(dataset_dir, variant, max_order)
    vocabulary = Vocabulary(manifest["vocabulary"], variant)
    representation = manifest["representation"]
    song_set = SongSetFolder(out_dir)
    check_output(song_set, config.overwrite)
    summary = DatasetFolder(dataset_dir).read_summary()
    track = (summary.get("parameters") or {}).get("track") if config.primer_midi else None
    plan = plan_tokens(vocabulary, variant, representation, track, config, note_steps, Path(dataset_dir) / variant)
    name = ngram_name(variant, model.order)
    bpm = config.bpm or _median_bpm(DatasetFolder(dataset_dir).read_songs(variant)) or 120.0
    with folder_lock(song_set.path, "rnncells baseline ngram"):
        check_output(song_set, config.overwrite)
        mask = scale_mask(vocabulary, variant, representation, plan, sampling_rows(config), config)
        songs, fallbacks = draw_ngram_songs(model, plan, config, mask)
        staging = song_set.staging()  # written whole there, then renamed into place, as generate does
        write_decoded(staging, vocabulary, variant, representation, songs, plan, config, note_steps, bpm, name)
        staging.write_generation(
            {
                "model_name": name,
                "variant": variant,
                "cell": NGRAM_CELL,
                "layers": model.order,
                "units": None,
                "representation": representation,
                "run": None,
                "dataset": portable_path(Path(dataset_dir).resolve(), song_set.path.resolve()),  # no machine path
                "checkpoint": None,
                "bpm": bpm,
                "note_steps": note_steps,
                "baseline": {
                    "model": "n-gram",
                    "order": model.order,
                    "validation_loss": {str(order): loss for order, loss in losses.items()},
                    "chosen_by": "lowest validation loss (nats per token) over orders 1 to " + str(max_order),
                    "smoothing": SMOOTHING,
                    "trained_on": f"the {variant} variant's training split",
                },
                **plan.record(config, fallbacks),
                "config": asdict(config),
            }
        )
        song_set.replace_with(staging)
    return song_set.path


def _median_bpm(rows: list[dict]) -> float | None:
    tempos = [row["bpm"] for row in rows if row.get("split") == "train" and row.get("bpm")]
    return float(statistics.median(tempos)) if tempos else None
