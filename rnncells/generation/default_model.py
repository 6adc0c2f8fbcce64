"""The melody model used when none is named: by ``rnncells generate`` without ``--run``, ``rnncells melody`` and the
studio. It is a run folder committed under ``results/models`` (its README says how it was trained)."""

from __future__ import annotations

from pathlib import Path

from rnncells.errors import InputError
from rnncells.training.run_folder import RECORD_FILE

SHIPPED_MODELS = Path(__file__).resolve().parents[2] / "results" / "models"
DEFAULT_MODEL = SHIPPED_MODELS / "edm-transposed-rhythm-lstm-2x256"  # (pitch, duration) tokens, every key


def default_run() -> Path:
    """The default model's run folder; a one-line error when this install does not have it."""
    if not (DEFAULT_MODEL / RECORD_FILE).is_file():
        raise InputError(
            f"the default model {DEFAULT_MODEL} is missing (an install without the repository's results/); "
            "name a trained run with --run DIR"
        )
    return DEFAULT_MODEL
