"""Train one model on one dataset variant with the study's recipe (docs/method.md §2), resumably.

A run directory holds everything needed to read, repeat or extend the run:

    config.toml            the resolved [dataset], [model] and [train] tables
    run.json               model name, variant, cell, layers, dataset path and hash, seed, versions
    vocabulary.json        token values in index order, and their labels
    metrics.csv            one row per epoch: loss, accuracy, perplexity for train and validation
    state.json             epochs done, steps done, best validation loss (written after each epoch)
    checkpoints/           last.keras, best.keras (by validation loss), step-NNNNNNN-loss-X.keras every N steps
                           (stateless models: they load at any batch size), resume.npz (weights + optimizer)
    tensorboard/           train/ and validation/ scalars (when the tensorboard package is installed)
    projector/             vectors.tsv, metadata.tsv, projector_config.pbtxt, neighbours.txt

Training uses ``train_on_batch`` (no backend-specific code): Adam at ``learning_rate * lr_decay ** epoch``,
clipped to a global norm of ``clip_norm``. In ``stateful`` mode the windows of the study's stream are fed in order
and the recurrent state carries from one window to the next, reset at each epoch; ``per_song`` mode feeds padded
per-song chunks in a seeded shuffled order. Validation runs every epoch on whole validation songs with a
non-stateful twin of the model (state from zero at each song's start). Running again on the same folder with
more epochs continues from the last finished epoch.
"""

from __future__ import annotations

import csv
import io
import json
import math
import platform
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import keras
import numpy as np

from rnncells.config import DatasetConfig, ModelConfig, TrainConfig, from_dict, read_toml, to_toml
from rnncells.data.vocab import Vocabulary
from rnncells.data.windows import Windows, load_variant, per_song_windows, study_windows
from rnncells.files import remove_stale_temp_files, write_atomic, write_json_atomic, write_text_atomic
from rnncells.models.factory import build_model, copy_trainable_weights, reset_states, track_carried_state

METRIC_COLUMNS = (
    "epoch",
    "step",
    "loss",
    "accuracy",
    "perplexity",
    "val_loss",
    "val_accuracy",
    "val_perplexity",
    "learning_rate",
    "seconds",
)


class RunError(ValueError):
    """A run folder that cannot be used as asked (it holds another run, or is not a run)."""


@dataclass
class Run:
    """A trained run read back from its folder."""

    path: Path
    info: dict
    model_config: ModelConfig
    train_config: TrainConfig
    vocabulary: Vocabulary

    @property
    def model_name(self) -> str:
        return self.info["model_name"]

    def checkpoint(self, which: str = "best") -> Path:
        """``best`` (falls back to ``last``), ``last``, or a path to a specific ``.keras`` file."""
        folder = self.path / "checkpoints"
        if which in ("best", "last"):
            for name in (f"{which}.keras", "last.keras") if which == "best" else ("last.keras",):
                if (folder / name).is_file():
                    return folder / name
            raise RunError(f"{self.path}: no checkpoint yet; train it with `rnncells train --out {self.path}`")
        path = Path(which)
        if not path.is_file():
            raise RunError(f"{which}: no such checkpoint file")
        return path

    def load_weights_into(self, model: keras.Model, which: str = "best") -> None:
        """Copy a checkpoint's weights into ``model`` (same architecture, any batch size or statefulness)."""
        path = self.checkpoint(which)
        try:
            saved = keras.saving.load_model(path, compile=False)
        except Exception as error:  # a damaged or foreign file: say which, never a traceback
            reason = type(error).__name__
            raise RunError(f"{path}: cannot load the checkpoint ({reason}); retrain or pick another") from None
        copy_trainable_weights(saved, model)


def model_name(variant: str, model: ModelConfig) -> str:
    """``control-lstm-3`` (with ``-u256`` when the units differ from the study's 128)."""
    suffix = "" if model.units == 128 else f"-u{model.units}"
    return f"{variant}-{model.cell}-{model.layers}{suffix}"


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


def load_run(path: str | Path) -> Run:
    """Read a run folder written by :func:`train`."""
    path = Path(path)
    if not (path / "run.json").is_file():
        raise RunError(f"{path}: not a run folder (no run.json); train one with `rnncells train --out {path}`")
    tables = read_toml(path / "config.toml")
    info = json.loads((path / "run.json").read_text(encoding="utf-8"))
    vocabulary_file = json.loads((path / "vocabulary.json").read_text(encoding="utf-8"))
    return Run(
        path,
        info,
        from_dict(ModelConfig, tables["model"]),
        from_dict(TrainConfig, tables["train"]),
        Vocabulary(vocabulary_file["values"], info["variant"]),
    )


def _check_same_run(out_dir: Path, model: ModelConfig, train: TrainConfig, dataset_hash: str) -> dict | None:
    """The saved state of a compatible earlier run in ``out_dir``, or ``None`` for a fresh folder."""
    if not (out_dir / "run.json").is_file():
        if out_dir.is_dir() and any(out_dir.iterdir()):
            raise RunError(f"{out_dir} is not empty and holds no run; choose an empty or new --out folder")
        return None
    earlier = load_run(out_dir)
    info = earlier.info
    changed = [f"model.{k}" for k, v in asdict(model).items() if asdict(earlier.model_config)[k] != v]
    changed += [
        f"train.{k}" for k, v in asdict(train).items() if k != "epochs" and asdict(earlier.train_config)[k] != v
    ]
    if info.get("dataset_hash") != dataset_hash:
        changed.append("dataset")
    if changed:
        raise RunError(
            f"{out_dir} holds another run ({', '.join(changed)} differ); use a new --out or the same options"
        )
    state_path = out_dir / "state.json"
    return json.loads(state_path.read_text()) if state_path.is_file() else None


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


def _append_metrics(path: Path, row: dict) -> None:
    text = path.read_text(encoding="utf-8") if path.is_file() else ",".join(METRIC_COLUMNS) + "\n"
    buffer = io.StringIO()
    csv.DictWriter(buffer, METRIC_COLUMNS, lineterminator="\n").writerow({k: row[k] for k in METRIC_COLUMNS})
    write_text_atomic(path, text + buffer.getvalue())


def _truncate_metrics(path: Path, epochs_done: int) -> None:
    """Drop rows of epochs after the last finished one (a crash between the CSV and the state file)."""
    if not path.is_file():
        return
    lines = path.read_text(encoding="utf-8").splitlines()
    kept = [lines[0]] + [line for line in lines[1:] if int(line.split(",")[0]) <= epochs_done]
    write_text_atomic(path, "\n".join(kept) + "\n")


def _keep_newest_step_checkpoints(folder: Path, keep: int) -> None:
    for old in sorted(folder.glob("step-*.keras"))[: -keep or None]:
        old.unlink(missing_ok=True)


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
    state = _check_same_run(out_dir, model, train, manifest["content_hash"])
    epochs_done = state["epochs_done"] if state else 0
    if epochs_done >= train.epochs:
        print(f"{out_dir}: already trained {epochs_done} epochs (asked {train.epochs}); nothing to do")
        return out_dir

    keras.utils.set_random_seed(train.seed)
    stateful = train.mode == "stateful"
    network = build_model(model, len(vocabulary), batch_size=train.batch_size, stateful=stateful)
    compile_model(network, train)
    twin = build_model(model, len(vocabulary))
    checkpoints = out_dir / "checkpoints"
    if stateful:
        track_carried_state(network)
    if state:
        _load_resume_point(network, checkpoints / "resume.npz")
        _truncate_metrics(out_dir / "metrics.csv", epochs_done)
    else:
        _write_run_files(out_dir, dataset_dir, manifest, vocabulary, model, train)
    write_text_atomic(out_dir / "config.toml", _config_toml(manifest, model, train))

    step = state["step"] if state else 0
    best = state["best_val_loss"] if state else math.inf
    scalars = _Scalars(out_dir / "tensorboard")
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
                    _save_model(twin, checkpoints / f"step-{step:07d}-loss-{float(logs['loss']):.4f}.keras")
                    _keep_newest_step_checkpoints(checkpoints, train.keep_checkpoints)
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
            _save_model(twin, checkpoints / "last.keras")
            score = val_loss if validation else loss
            if score < best:
                best = score
                _save_model(twin, checkpoints / "best.keras")
            _save_resume_point(network, checkpoints / "resume.npz")
            _append_metrics(out_dir / "metrics.csv", row)
            write_json_atomic(out_dir / "state.json", {"epochs_done": epoch + 1, "step": step, "best_val_loss": best})
            scalars.write(epoch + 1, row)
    finally:
        bar.close()
        scalars.close()
    export_projector(twin, vocabulary, out_dir / "projector")
    return out_dir


def _config_toml(manifest: dict, model: ModelConfig, train: TrainConfig) -> str:
    dataset = {k: v for k, v in manifest["parameters"].items() if k in DatasetConfig.__dataclass_fields__}
    return to_toml({"dataset": dataset, "model": model, "train": train})


def _write_run_files(
    out_dir: Path, dataset_dir: Path, manifest: dict, vocabulary: Vocabulary, model: ModelConfig, train: TrainConfig
) -> None:
    write_json_atomic(
        out_dir / "vocabulary.json",
        {"variant": train.variant, "values": vocabulary.to_json(), "labels": vocabulary.labels()},
    )
    write_json_atomic(
        out_dir / "run.json",
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
