"""Train one model on one dataset variant with the study's recipe (docs/method.md §2), resumably.

The run folder's files are read and written by :mod:`rnncells.training.run_folder` (its docstring lists them).

Training uses ``train_on_batch`` (no backend-specific code): Adam at ``learning_rate * lr_decay ** epoch`` (or
per ``lr_decay_steps`` steps, with early stopping on validation loss: rnncells.training.schedule), clipped to a
global norm of ``clip_norm``. In ``stateful`` mode the windows of the study's stream are fed in order and the
recurrent state carries from one window to the next, reset at each epoch; ``per_song`` mode feeds padded
per-song chunks in a seeded shuffled order. Validation runs every epoch on whole validation songs with a
non-stateful twin of the model (state from zero at each song's start), one compiled forward pass per batch;
without early stopping it runs in a thread beside the next epoch's steps (the twin holds a copy of the weights,
so the numbers are those of validating in line), which keeps an epoch's cost near its steps'.

Saving. At the study's sizes an epoch is a few steps, so saving every epoch would cost more than training. The
run's resume point (weights, optimizer, the best weights so far, progress and metrics rows) is committed as one
atomic file every ``save_every_seconds``, at the end, and when SIGTERM or SIGINT arrives (the current epoch is
finished first); ``last.keras``, ``best.keras``, ``metrics.csv`` and ``state.json`` are then rewritten from it, and
the TensorBoard scalars flushed (a resumed run tells TensorBoard to drop what was logged after its commit).
A run killed at any instant resumes from its last commit and redoes the epochs after it with the same result.
Running again on the same folder with more epochs continues from the last committed epoch; running it again on a
finished run whose views are damaged or missing (state.json, metrics.csv, last.keras, best.keras, vocabulary.json;
rnncells.training.run_folder ``RunFolder.damage``) makes them again from the resume point. The run folder is locked
while training (rnncells.locks): a second trainer on it stops with one line naming the first.
"""

from __future__ import annotations

import math
import os
import platform
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import keras
import numpy as np

from rnncells.config.model import ModelConfig
from rnncells.config.train import TrainConfig
from rnncells.data.vocab import Vocabulary
from rnncells.data.windows import Windows, load_variant, per_song_windows, training_windows
from rnncells.files import portable_path, remove_stale_temp_files, write_atomic
from rnncells.locks import folder_lock
from rnncells.models.factory import build_model, copy_trainable_weights, reset_states, track_carried_state
from rnncells.training.damage import run_damage
from rnncells.training.resume_point import committed_state, read_resume_point, write_resume_point, write_views
from rnncells.training.run_folder import VOCABULARY_FILE, RunError, RunFolder
from rnncells.training.run_types import ResumePoint, RunConfig, RunState, model_name
from rnncells.training.schedule import learning_rate, training_complete
from rnncells.training.stop import StopRequested
from rnncells.training.tensorboard import Scalars, export_projector, run_hparams, write_hparams


def versions() -> dict:
    """Python, Keras, backend and library versions, for the run record."""
    found = {
        "python": platform.python_version(),
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
        "numpy": np.__version__,
    }
    for module in ("tensorflow", "jax", "torch"):
        try:
            found[module] = __import__(module).__version__
        except ImportError:
            continue
    from rnncells import __version__

    found["rnncells"] = __version__
    # TensorFlow's float sums depend on the thread count: the same digits again need the same count (None: default)
    found["threads"] = int(os.environ["RNNCELLS_THREADS"]) if os.environ.get("RNNCELLS_THREADS") else None
    return found


def _check_same_run(folder: RunFolder, config: RunConfig, dataset_hash: str) -> None:
    """Refuse a folder that holds something else than this run (another run, or files that are not a run)."""
    if folder.is_fresh():
        return
    if not folder.is_run():
        raise RunError(f"{folder.path} is not empty and holds no run; choose an empty or new --out folder")
    changed = folder.read_config().same_run_as(config)
    if folder.read_record().get("dataset_hash") != dataset_hash:
        changed.append("dataset")
    if changed:
        raise RunError(
            f"{folder.path} holds another run ({', '.join(changed)} differ); use a new --out or the same options"
        )


def validation_windows(rows: list[dict], vocabulary: Vocabulary) -> Windows | None:
    """Whole validation songs, padded to the longest, in batches of up to 32 (None without validation songs)."""
    tokens = [row["tokens"] for row in rows if row["split"] == "validation" and len(row["tokens"]) > 1]
    if not tokens:
        return None
    longest = max(len(t) for t in tokens) - 1
    return per_song_windows(tokens, vocabulary, batch_size=min(32, len(tokens)), seq_length=longest)


def masked_scores(model: keras.Model, windows: Windows) -> tuple[float, float]:
    """Mean cross-entropy and accuracy over the real (weight 1) positions of the windows.

    Each batch is one compiled forward pass (``predict_on_batch``); the masked mean is taken in float64.
    """
    total_loss = total_correct = count = 0.0
    for inputs, targets, weights in zip(windows.inputs, windows.targets, windows.weights):
        logits = np.asarray(model.predict_on_batch(inputs), dtype=np.float64)
        logits -= logits.max(axis=-1, keepdims=True)
        log_probs = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
        picked = np.take_along_axis(log_probs, targets[..., None].astype(np.int64), axis=-1)[..., 0]
        total_loss += float(-(picked * weights).sum())
        total_correct += float(((logits.argmax(-1) == targets) * weights).sum())
        count += float(weights.sum())
    return total_loss / count, total_correct / count


def compile_model(model: keras.Model, train: TrainConfig) -> None:
    """Adam with global-norm clipping and the masked cross-entropy the study used."""
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=train.learning_rate, global_clipnorm=train.clip_norm),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        weighted_metrics=["sparse_categorical_accuracy"],
    )


def _save_model(model: keras.Model, path: Path) -> None:
    write_atomic(path, lambda tmp: model.save(tmp), suffix=".keras")


def _numpy(variables: list) -> list[np.ndarray]:
    return [np.array(keras.ops.convert_to_numpy(v)) for v in variables]


class _Trainer:
    """The models of one run and the in-memory side of its resume point."""

    def __init__(self, folder: RunFolder, model: ModelConfig, train: TrainConfig, vocabulary: Vocabulary):
        self.folder, self.train, self.vocabulary = folder, train, vocabulary
        keras.utils.set_random_seed(train.seed)
        self.stateful = train.mode == "stateful"
        self.network = build_model(model, len(vocabulary), batch_size=train.batch_size, stateful=self.stateful)
        compile_model(self.network, train)
        self.network.optimizer.build(self.network.trainable_variables)
        if self.stateful:
            track_carried_state(self.network)
        self.twin = build_model(model, len(vocabulary))
        self.state = RunState()
        self.rows: list[dict] = []
        self.best_weights = _numpy(self.network.trainable_weights)
        # an epoch's validation runs beside the next epoch's steps (it reads the twin, never the trained network)
        self.validator: ThreadPoolExecutor | None = None
        self.pending: tuple[dict, Future] | None = None

    def restore(self) -> None:
        """Continue from the last committed resume point, and bring the views back in line with it."""
        point = read_resume_point(self.folder)
        groups = self._variable_groups()
        try:
            for prefix, variables in groups.items():
                for i, variable in enumerate(variables):
                    variable.assign(point.arrays[f"{prefix}_{i}"])
            self.best_weights = [point.arrays[f"best_{i}"] for i in range(len(self.best_weights))]
        except (KeyError, ValueError):
            raise RunError(f"{self.folder.resume_path}: does not fit this model; delete the run folder") from None
        self.state, self.rows = point.state, point.metrics

    def _variable_groups(self) -> dict[str, list]:
        return {
            "weight": self.network.trainable_weights,
            "optimizer": self.network.optimizer.variables,
            "other": self.network.non_trainable_variables,
        }

    def commit(self, final: bool = False) -> None:
        """Write the resume point (one atomic file), then last.keras, best.keras, the projector when ``final``,
        and the views last (:func:`rnncells.training.resume_point.write_views`)."""
        self.settle()
        arrays = {f"{p}_{i}": a for p, vs in self._variable_groups().items() for i, a in enumerate(_numpy(vs))}
        arrays |= {f"best_{i}": a for i, a in enumerate(self.best_weights)}
        point = ResumePoint(self.state, list(self.rows), arrays)
        write_resume_point(self.folder, point)
        copy_trainable_weights(self.network, self.twin)
        _save_model(self.twin, self.folder.named_checkpoint("last"))
        if final:
            export_projector(self.twin, self.vocabulary, self.folder.projector)
        for variable, value in zip(self.twin.trainable_weights, self.best_weights, strict=True):
            variable.assign(value)
        _save_model(self.twin, self.folder.named_checkpoint("best"))
        copy_trainable_weights(self.network, self.twin)
        write_views(self.folder, point)

    def step_checkpoint(self, step: int, loss: float) -> None:
        self.settle()  # the twin is about to change
        copy_trainable_weights(self.network, self.twin)
        _save_model(self.twin, self.folder.step_checkpoint(step, loss))
        self.folder.keep_newest_step_checkpoints(self.train.keep_checkpoints)

    def run_epoch(self, epoch: int, windows: Windows, bar) -> tuple[float, float]:
        """One pass over the training windows; returns the mean loss and accuracy over real positions."""
        train, network = self.train, self.network
        network.optimizer.learning_rate.assign(learning_rate(train, epoch, self.state.step))
        reset_states(network)
        n = windows.n_windows
        order = np.arange(n) if self.stateful else np.random.default_rng([train.seed, epoch]).permutation(n)
        loss_sum = correct_sum = count = 0.0
        for k in order:
            if train.lr_decay_steps:  # decay per N steps (rnncells.training.schedule)
                network.optimizer.learning_rate.assign(learning_rate(train, epoch, self.state.step))
            inputs, targets = windows.inputs[k], windows.targets[k]
            real = float(inputs.size if windows.weights is None else windows.weights[k].sum())
            # Keras averages a weighted loss over all positions: scale weights to mean 1 so padding
            # neither dilutes the loss nor shrinks the gradient.
            sample_weight = None if windows.weights is None else windows.weights[k] * (inputs.size / real)
            logs = network.train_on_batch(inputs, targets, sample_weight=sample_weight, return_dict=True)
            loss, accuracy = float(logs["loss"]), float(logs["sparse_categorical_accuracy"])
            loss_sum, correct_sum, count = loss_sum + loss * real, correct_sum + accuracy * real, count + real
            self.state = RunState(self.state.epochs_done, self.state.step + 1, self.state.best_val_loss)
            bar.update(1)
            if train.checkpoint_every_steps and self.state.step % train.checkpoint_every_steps == 0:
                self.step_checkpoint(self.state.step, loss)
        bar.set_postfix(epoch=epoch + 1, loss=f"{loss_sum / count:.3f}")
        return loss_sum / count, correct_sum / count

    def finish_epoch(self, epoch: int, loss: float, accuracy: float, validation: Windows | None, started: float):
        """Start validating the epoch's weights (on the twin, in the validator thread when there is one); its
        metrics row is recorded by :meth:`settle`, at the latest before the twin changes or a commit."""
        self.settle()
        copy_trainable_weights(self.network, self.twin)
        row = {"epoch": epoch + 1, "step": self.state.step, "loss": loss, "accuracy": accuracy}
        row |= {"learning_rate": learning_rate(self.train, epoch, max(self.state.step - 1, 0))}  # the last step's
        row |= {"seconds": time.perf_counter() - started}
        future: Future = Future()
        if validation is None:
            future.set_result((math.nan, math.nan, 0.0))
        elif self.validator is None:
            future.set_result(_timed_scores(self.twin, validation))
        else:
            future = self.validator.submit(_timed_scores, self.twin, validation)
        self.pending = (row, future)

    def settle(self) -> dict | None:
        """Wait for the pending validation, record its epoch's row and keep the best weights; returns the row."""
        if self.pending is None:
            return None
        (partial, future), self.pending = self.pending, None
        val_loss, val_accuracy, seconds = future.result()
        validated = not math.isnan(val_loss)
        row = {
            "epoch": partial["epoch"],
            "step": partial["step"],
            "loss": round(partial["loss"], 6),
            "accuracy": round(partial["accuracy"], 6),
            "perplexity": round(math.exp(partial["loss"]), 6),
            "val_loss": round(val_loss, 6),
            "val_accuracy": round(val_accuracy, 6),
            "val_perplexity": round(math.exp(val_loss), 6) if validated else math.nan,
            "learning_rate": round(partial["learning_rate"], 10),
            "seconds": round(partial["seconds"] + seconds, 3),
        }
        score = val_loss if validated else partial["loss"]
        best = self.state.best_val_loss
        if score < best:
            best = score
            self.best_weights = _numpy(self.twin.trainable_weights)  # the twin still holds this epoch's weights
        self.state = RunState(partial["epoch"], self.state.step, best)
        self.rows.append(row)
        return row


def _timed_scores(model: keras.Model, windows: Windows) -> tuple[float, float, float]:
    started = time.perf_counter()
    loss, accuracy = masked_scores(model, windows)
    return loss, accuracy, time.perf_counter() - started


def train(
    dataset_dir: str | Path, out_dir: str | Path, model: ModelConfig, train: TrainConfig, progress: bool = True
) -> Path:
    """Train (or continue training) one run into ``out_dir``; returns the run folder."""
    model.validate()
    train.validate()
    dataset_dir, folder = Path(dataset_dir), RunFolder(out_dir)
    manifest, rows = load_variant(dataset_dir, train.variant)
    vocabulary = Vocabulary(manifest["vocabulary"], train.variant)
    windows = training_windows(rows, vocabulary, train)
    validation = validation_windows(rows, vocabulary)
    with folder_lock(folder.path, "rnncells train"):  # one writer per run folder (rnncells.locks)
        remove_stale_temp_files(folder.path)
        config = RunConfig(manifest["parameters"], model, train)
        _check_same_run(folder, config, manifest["content_hash"])
        if folder.is_run():  # a continued run keeps the sampling settings it was tuned with
            config = replace(config, generate=folder.generation_defaults())
        committed = committed_state(folder) if folder.is_run() else None
        complete = committed is not None and _complete(folder, committed, train)
        damage = run_damage(folder) if committed else []  # views a kill or a disk left behind or broke
        if complete and not damage and folder.read_state() == committed:
            done = committed.epochs_done
            print(f"{folder.path}: already trained {done} epochs (asked {train.epochs}); nothing to do")
            return folder.path

        trainer = _Trainer(folder, model, train, vocabulary)
        if committed:
            trainer.restore()
        folder.write_config(config)  # also records a grown epoch count
        if not committed:
            _write_run_files(folder, dataset_dir, manifest, vocabulary, model, train)
        elif any(d.path.name == VOCABULARY_FILE for d in damage):
            folder.write_vocabulary(vocabulary, train.variant)
        if complete:
            trainer.commit(final=True)  # the views are behind the resume point, or damaged: make them again
        else:
            _train_epochs(trainer, windows, validation, progress, model_name(train.variant, model))
    return folder.path


def _complete(folder: RunFolder, committed: RunState, train: TrainConfig) -> bool:
    """The committed resume point has every epoch, or stopped early."""
    if committed.epochs_done >= train.epochs or not train.early_stopping_patience:
        return committed.epochs_done >= train.epochs
    return training_complete(committed.epochs_done, [r["val_loss"] for r in read_resume_point(folder).metrics], train)


def _train_epochs(trainer: _Trainer, windows: Windows, validation: Windows | None, progress: bool, name: str) -> None:
    """The epochs still to do, committing on the schedule (module docstring), at the end and on a stop signal.

    Without early stopping nothing waits for an epoch's validation before the next epoch trains, so it runs in a
    thread beside those steps (same numbers, recorded in order); with early stopping each epoch waits for its own."""
    from tqdm import tqdm

    train = trainer.train
    first = trainer.state.epochs_done
    bar = tqdm(
        total=(train.epochs - first) * windows.n_windows, disable=not progress, unit="step", desc=name, leave=False
    )
    scalars = Scalars(trainer.folder.tensorboard, resumed_at=trainer.state.step if first else None)
    hparams = run_hparams(trainer.folder.read_config(), trainer.folder.read_record())
    write_hparams(trainer.folder.path, hparams)  # TensorBoard's HParams session (rnncells.training.tensorboard)
    last_commit, logged = time.monotonic(), len(trainer.rows)
    if not train.early_stopping_patience:
        trainer.validator = ThreadPoolExecutor(max_workers=1, thread_name_prefix="validation")
    try:
        with StopRequested() as stop:
            for epoch in range(first, train.epochs):
                started = time.perf_counter()
                loss, accuracy = trainer.run_epoch(epoch, windows, bar)
                trainer.finish_epoch(epoch, loss, accuracy, validation, started)
                last = epoch + 1 >= train.epochs
                if train.early_stopping_patience:
                    trainer.settle()
                    last = training_complete(epoch + 1, [r["val_loss"] for r in trainer.rows], train)
                due = time.monotonic() - last_commit >= train.save_every_seconds
                if due or stop.requested or last:
                    trainer.commit(final=last)
                for row in trainer.rows[logged:]:
                    scalars.write(row["step"], row)
                logged = len(trainer.rows)
                if due or stop.requested or last:
                    scalars.flush()
                    last_commit = time.monotonic()
                if stop.requested:
                    raise KeyboardInterrupt
                if last:  # every epoch done, or stopped early (rnncells.training.schedule)
                    break
        write_hparams(trainer.folder.path, hparams, finished=True)
    finally:
        if trainer.validator is not None:
            trainer.validator.shutdown(wait=True)
            trainer.validator = None
        bar.close()
        scalars.close()


def _write_run_files(
    folder: RunFolder, dataset_dir: Path, manifest: dict, vocabulary: Vocabulary, model: ModelConfig, train: TrainConfig
) -> None:
    folder.write_vocabulary(vocabulary, train.variant)
    folder.write_record(
        {
            "model_name": model_name(train.variant, model),
            "variant": train.variant,
            "cell": model.cell,
            "layers": model.layers,
            "units": model.units,
            "representation": manifest["representation"],
            "dataset": portable_path(dataset_dir.resolve(), folder.path.resolve()),  # relative to the run
            "dataset_hash": manifest["content_hash"],
            "bpm": _median_bpm(dataset_dir, train.variant),
            "seed": train.seed,
            "versions": versions(),
        },
    )


def _median_bpm(dataset_dir: Path, variant: str) -> float | None:
    _, rows = load_variant(dataset_dir, variant)
    tempos = sorted(row["bpm"] for row in rows if row.get("bpm"))
    return tempos[len(tempos) // 2] if tempos else None
