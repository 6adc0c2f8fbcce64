"""Train one model on one dataset variant with the study's recipe (docs/method.md §2), resumably.

The run folder's files are read and written by :mod:`rnncells.runs` (its docstring lists them).

Training uses ``train_on_batch`` (no backend-specific code): Adam at ``learning_rate * lr_decay ** epoch``,
clipped to a global norm of ``clip_norm``. In ``stateful`` mode the windows of the study's stream are fed in order
and the recurrent state carries from one window to the next, reset at each epoch; ``per_song`` mode feeds padded
per-song chunks in a seeded shuffled order. Validation runs every epoch on whole validation songs with a
non-stateful twin of the model (state from zero at each song's start). Running again on the same folder with
more epochs continues from the last finished epoch.
"""

from __future__ import annotations

import math
import platform
import time
from pathlib import Path

import keras
import numpy as np

from rnncells.config import ModelConfig, TrainConfig
from rnncells.data.vocab import Vocabulary
from rnncells.data.windows import Windows, load_variant, per_song_windows, study_windows
from rnncells.files import remove_stale_temp_files, write_atomic, write_text_atomic
from rnncells.models.factory import build_model, copy_trainable_weights, reset_states, track_carried_state
from rnncells.runs import RunConfig, RunError, RunFolder, RunState, model_name


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
    return found


def _earlier_state(folder: RunFolder, config: RunConfig, dataset_hash: str) -> RunState | None:
    """The saved state of a compatible earlier run in ``folder``; None for a fresh folder."""
    if folder.is_fresh():
        return None
    if not folder.is_run():
        raise RunError(f"{folder.path} is not empty and holds no run; choose an empty or new --out folder")
    changed = folder.read_config().same_run_as(config)
    if folder.read_record().get("dataset_hash") != dataset_hash:
        changed.append("dataset")
    if changed:
        raise RunError(
            f"{folder.path} holds another run ({', '.join(changed)} differ); use a new --out or the same options"
        )
    return folder.read_state()


def _windows(rows: list[dict], vocabulary: Vocabulary, train: TrainConfig) -> Windows:
    tokens = [row["tokens"] for row in rows if row["split"] == "train"]
    if train.mode == "stateful":
        return study_windows(tokens, vocabulary, train.batch_size, train.seq_length)
    return per_song_windows(tokens, vocabulary, train.batch_size, train.seq_length)


def _validation_windows(rows: list[dict], vocabulary: Vocabulary) -> Windows | None:
    tokens = [row["tokens"] for row in rows if row["split"] == "validation" and len(row["tokens"]) > 1]
    if not tokens:
        return None
    longest = max(len(t) for t in tokens) - 1
    return per_song_windows(tokens, vocabulary, batch_size=min(32, len(tokens)), seq_length=longest)


def masked_scores(model: keras.Model, windows: Windows) -> tuple[float, float]:
    """Mean cross-entropy and accuracy over the real (weight 1) positions of the windows."""
    total_loss = total_correct = count = 0.0
    for inputs, targets, weights in zip(windows.inputs, windows.targets, windows.weights):
        logits = keras.ops.convert_to_numpy(model(inputs, training=False)).astype(np.float64)
        logits -= logits.max(axis=-1, keepdims=True)
        log_probs = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
        picked = np.take_along_axis(log_probs, targets[..., None].astype(np.int64), axis=-1)[..., 0]
        total_loss += float(-(picked * weights).sum())
        total_correct += float(((logits.argmax(-1) == targets) * weights).sum())
        count += float(weights.sum())
    return total_loss / count, total_correct / count


class _Scalars:
    """TensorBoard scalars through tensorboard's own event writer (no TensorFlow needed); off if not installed."""

    def __init__(self, folder: Path):
        try:
            from tensorboard.compat.proto.event_pb2 import Event
            from tensorboard.compat.proto.summary_pb2 import Summary
            from tensorboard.summary.writer.event_file_writer import EventFileWriter
        except ImportError:
            self.writers = None
            return
        self.Event, self.Summary = Event, Summary
        self.writers = {name: EventFileWriter(str(folder / name)) for name in ("train", "validation")}

    def write(self, step: int, values: dict[str, float]) -> None:
        if self.writers is None:
            return
        for name, prefix in (("train", ""), ("validation", "val_")):
            tags = [
                self.Summary.Value(tag=tag, simple_value=float(values[prefix + tag]))
                for tag in ("loss", "accuracy", "perplexity")
                if not math.isnan(values[prefix + tag])
            ]
            if name == "train":
                tags.append(self.Summary.Value(tag="learning_rate", simple_value=float(values["learning_rate"])))
            event = self.Event(wall_time=time.time(), step=step, summary=self.Summary(value=tags))
            self.writers[name].add_event(event)
            self.writers[name].flush()

    def close(self) -> None:
        for writer in (self.writers or {}).values():
            writer.close()


def _save_model(model: keras.Model, path: Path) -> None:
    write_atomic(path, lambda tmp: model.save(tmp), suffix=".keras")


def _save_resume_point(model: keras.Model, path: Path) -> None:
    """Trainable weights and optimizer variables, in order, for continuing a run exactly."""
    arrays = {f"weight_{i}": keras.ops.convert_to_numpy(v) for i, v in enumerate(model.trainable_weights)}
    arrays |= {f"optimizer_{i}": keras.ops.convert_to_numpy(v) for i, v in enumerate(model.optimizer.variables)}
    write_atomic(path, lambda tmp: np.savez(tmp, **arrays), suffix=".npz")


def _load_resume_point(model: keras.Model, path: Path) -> None:
    if not path.is_file():
        raise RunError(f"{path} is missing, so the run cannot continue; train into a new --out folder")
    with np.load(path) as saved:
        for i, variable in enumerate(model.trainable_weights):
            variable.assign(saved[f"weight_{i}"])
        model.optimizer.build(model.trainable_variables)
        for i, variable in enumerate(model.optimizer.variables):
            variable.assign(saved[f"optimizer_{i}"])


def compile_model(model: keras.Model, train: TrainConfig) -> None:
    """Adam with global-norm clipping and the masked cross-entropy the study used."""
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=train.learning_rate, global_clipnorm=train.clip_norm),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        weighted_metrics=["sparse_categorical_accuracy"],
    )


def train(
    dataset_dir: str | Path, out_dir: str | Path, model: ModelConfig, train: TrainConfig, progress: bool = True
) -> Path:
    """Train (or continue training) one run into ``out_dir``; returns the run folder."""
    model.validate()
    train.validate()
    dataset_dir, out_dir = Path(dataset_dir), Path(out_dir)
    manifest, rows = load_variant(dataset_dir, train.variant)
    vocabulary = Vocabulary(manifest["vocabulary"], train.variant)
    windows = _windows(rows, vocabulary, train)
    validation = _validation_windows(rows, vocabulary)
    remove_stale_temp_files(out_dir)
    folder = RunFolder(out_dir)
    config = RunConfig(manifest["parameters"], model, train)
    state = _earlier_state(folder, config, manifest["content_hash"])
    epochs_done = state.epochs_done if state else 0
    if epochs_done >= train.epochs:
        print(f"{out_dir}: already trained {epochs_done} epochs (asked {train.epochs}); nothing to do")
        return out_dir

    keras.utils.set_random_seed(train.seed)
    stateful = train.mode == "stateful"
    network = build_model(model, len(vocabulary), batch_size=train.batch_size, stateful=stateful)
    compile_model(network, train)
    twin = build_model(model, len(vocabulary))
    if stateful:
        track_carried_state(network)
    if state:
        _load_resume_point(network, folder.resume_path)
        folder.truncate_metrics(epochs_done)
    else:
        _write_run_files(folder, dataset_dir, manifest, vocabulary, model, train)
    folder.write_config(config)

    step = state.step if state else 0
    best = state.best_val_loss if state else math.inf
    scalars = _Scalars(folder.tensorboard)
    from tqdm import tqdm

    bar = tqdm(
        total=(train.epochs - epochs_done) * windows.n_windows,
        disable=not progress,
        unit="step",
        desc=model_name(train.variant, model),
        leave=False,
    )
    try:
        for epoch in range(epochs_done, train.epochs):
            started = time.perf_counter()
            learning_rate = train.learning_rate * train.lr_decay**epoch
            network.optimizer.learning_rate.assign(learning_rate)
            reset_states(network)
            order = (
                np.arange(windows.n_windows)
                if stateful
                else np.random.default_rng([train.seed, epoch]).permutation(windows.n_windows)
            )
            loss_sum = correct_sum = count = 0.0
            for k in order:
                inputs, targets = windows.inputs[k], windows.targets[k]
                real = float(inputs.size if windows.weights is None else windows.weights[k].sum())
                # Keras averages a weighted loss over all positions: scale weights to mean 1 so padding
                # neither dilutes the loss nor shrinks the gradient.
                sample_weight = None if windows.weights is None else windows.weights[k] * (inputs.size / real)
                logs = network.train_on_batch(inputs, targets, sample_weight=sample_weight, return_dict=True)
                loss_sum += float(logs["loss"]) * real
                correct_sum += float(logs["sparse_categorical_accuracy"]) * real
                count += real
                step += 1
                bar.update(1)
                bar.set_postfix(epoch=epoch + 1, loss=f"{float(logs['loss']):.3f}")
                if train.checkpoint_every_steps and step % train.checkpoint_every_steps == 0:
                    copy_trainable_weights(network, twin)
                    _save_model(twin, folder.step_checkpoint(step, float(logs["loss"])))
                    folder.keep_newest_step_checkpoints(train.keep_checkpoints)
            loss, accuracy = loss_sum / count, correct_sum / count
            copy_trainable_weights(network, twin)
            val_loss, val_accuracy = masked_scores(twin, validation) if validation else (math.nan, math.nan)
            row = {
                "epoch": epoch + 1,
                "step": step,
                "loss": round(loss, 6),
                "accuracy": round(accuracy, 6),
                "perplexity": round(math.exp(loss), 6),
                "val_loss": round(val_loss, 6),
                "val_accuracy": round(val_accuracy, 6),
                "val_perplexity": round(math.exp(val_loss), 6) if validation else math.nan,
                "learning_rate": round(learning_rate, 10),
                "seconds": round(time.perf_counter() - started, 3),
            }
            _save_model(twin, folder.named_checkpoint("last"))
            score = val_loss if validation else loss
            if score < best:
                best = score
                _save_model(twin, folder.named_checkpoint("best"))
            _save_resume_point(network, folder.resume_path)
            folder.append_metrics(row)
            folder.write_state(RunState(epoch + 1, step, best))
            scalars.write(epoch + 1, row)
    finally:
        bar.close()
        scalars.close()
    export_projector(twin, vocabulary, folder.projector)
    return out_dir


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
            "dataset": str(dataset_dir.resolve()),
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


def export_projector(model: keras.Model, vocabulary: Vocabulary, folder: Path, neighbours: int = 5) -> Path:
    """Write the embedding for TensorBoard's projector, and each token's nearest neighbours as text.

    Open it with ``tensorboard --logdir RUN/projector`` (Projector tab).
    """
    vectors = keras.ops.convert_to_numpy(model.get_layer("embedding").embeddings).astype(np.float64)
    labels = vocabulary.labels()
    write_text_atomic(folder / "vectors.tsv", "".join("\t".join(f"{x:.6g}" for x in row) + "\n" for row in vectors))
    write_text_atomic(folder / "metadata.tsv", "".join(label + "\n" for label in labels))
    write_text_atomic(
        folder / "projector_config.pbtxt",
        (
            'embeddings {\n  tensor_name: "embedding"\n  tensor_path: "vectors.tsv"\n'
            '  metadata_path: "metadata.tsv"\n}\n'
        ),
    )
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    cosine = (vectors / np.where(norms == 0, 1, norms)) @ (vectors / np.where(norms == 0, 1, norms)).T
    euclidean = np.linalg.norm(vectors[:, None, :] - vectors[None, :, :], axis=-1)
    np.fill_diagonal(cosine, -np.inf)
    np.fill_diagonal(euclidean, np.inf)
    count = min(neighbours, len(labels) - 1)
    lines = [
        f"# nearest {count} neighbours of each token's embedding",
        "token\tby cosine similarity\tby euclidean distance",
    ]
    for i, label in enumerate(labels):
        by_cosine = ", ".join(f"{labels[j]} ({cosine[i, j]:.3f})" for j in np.argsort(-cosine[i])[:count])
        by_distance = ", ".join(f"{labels[j]} ({euclidean[i, j]:.3f})" for j in np.argsort(euclidean[i])[:count])
        lines.append(f"{label}\t{by_cosine}\t{by_distance}")
    write_text_atomic(folder / "neighbours.txt", "\n".join(lines) + "\n")
    return folder
