"""The training and validation loss of every step checkpoint of a run, for the cost-function validation.

A step checkpoint's name holds the step and the training loss of its batch (``step-0000250-loss-2.3456.keras``,
rnncells.training.run_folder); its validation loss is measured here as the trainer measures it every epoch
(:func:`rnncells.training.trainer.masked_scores` on the whole validation songs, state from zero at each song).
"""

from __future__ import annotations

import re
from pathlib import Path

from rnncells.data.folder import load_variant
from rnncells.errors import InputError
from rnncells.models.factory import build_model, load_checkpoint_weights
from rnncells.training.run import load_run
from rnncells.training.trainer import masked_scores, validation_windows

STEP_CHECKPOINT = re.compile(r"step-(?P<step>\d+)-loss-(?P<loss>\d+(\.\d+)?)")


def checkpoint_losses(run_dir: str | Path) -> list[dict]:
    """Per step checkpoint of the run, in step order: seed, step, training loss (from the name), validation loss."""
    run = load_run(run_dir)
    _, rows = load_variant(run.dataset_dir, run.train_config.variant)
    windows = validation_windows(rows, run.vocabulary)
    if windows is None:
        raise InputError(f"{run.info['dataset']}: no validation songs, so no validation loss per checkpoint")
    model = build_model(run.model_config, len(run.vocabulary))
    found = []
    for path in run.folder.step_checkpoints():
        match = STEP_CHECKPOINT.search(path.stem)
        if match is None:
            continue
        load_checkpoint_weights(path, model)
        found.append(
            {
                "seed": run.train_config.seed,
                "step": int(match["step"]),
                "loss": float(match["loss"]),
                "val_loss": masked_scores(model, windows)[0],
            }
        )
    if not found:
        raise InputError(f"{run.path}: no step checkpoints; train it with --checkpoint-every-steps N")
    return sorted(found, key=lambda row: row["step"])
