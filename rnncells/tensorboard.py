"""What TensorBoard shows of a run: scalars (train/ and validation/ event files) and the embedding projector.

The scalars go through tensorboard's own event writer, so no TensorFlow is needed; when the tensorboard package is
not installed they are skipped. Open them with ``tensorboard --logdir RUN/tensorboard``; the projector with
``tensorboard --logdir RUN/projector``.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import keras
import numpy as np

from rnncells.data.vocab import Vocabulary
from rnncells.files import write_text_atomic


class Scalars:
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
