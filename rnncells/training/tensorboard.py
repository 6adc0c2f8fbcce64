"""What TensorBoard shows of a run: scalars, an HParams session and the embedding projector, in one logdir.

``tensorboard --logdir RUN`` shows all three; ``tensorboard --logdir RESULTS/runs`` shows every run of a grid and
compares them in the HParams tab. Written with tensorboard's own protos and event writer, so no TensorFlow is
needed; when the tensorboard package is not installed they are skipped.

- ``RUN/tensorboard/train`` and ``RUN/tensorboard/validation``: loss, accuracy, perplexity (and the learning rate
  and the epoch in train/) logged against the training step, as metrics.csv counts it. A resumed run first logs a
  SessionLog START at its next step, so TensorBoard drops what a killed run had logged after its last save.
- ``RUN/events.out.tfevents.0.hparams``: the run's HParams session (cell, layers, units, variant, learning rate,
  batch, epochs, ...; :func:`run_hparams`), rewritten at each start and marked finished at the end. The session is
  the run folder, its metrics the scalars below it.
- ``RUN/events.out.tfevents.1.scalars``: the small scalar file committed results keep (the ``tensorboard/``
  folder is not committed), rebuilt from metrics.csv by :func:`write_scalar_file` (``rnncells tensorboard``):
  every metrics.csv column against the step, and summary values (best validation loss, the run's mean tonality)
  at the last step, so the HParams tab compares runs by them.
- ``RUN/projector/``: vectors.tsv, metadata.tsv, projector_config.pbtxt, neighbours.txt; and
  ``RUN/projector_config.pbtxt`` pointing at them, so the Projector tab finds the embedding from either logdir
  (``tensorboard --logdir RUN/projector`` still works too).
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict
from pathlib import Path

import keras
import numpy as np

from rnncells.data.vocab import Vocabulary
from rnncells.files import write_atomic, write_text_atomic
from rnncells.training.run_folder import LABELS_FILE, NEIGHBOURS_FILE, VECTORS_FILE

HPARAMS_FILE = "events.out.tfevents.0.hparams"
SCALARS_FILE = "events.out.tfevents.1.scalars"
# metrics.csv's columns that are logged as scalars (epoch and step are the x axes, seconds the wall time)
SCALAR_COLUMNS = ("loss", "accuracy", "perplexity", "val_loss", "val_accuracy", "val_perplexity", "learning_rate")
PROJECTOR_CONFIG = "projector_config.pbtxt"
# training fields that say how a run is carried out, not what it learns: left out of the HParams table
NOT_HPARAMS = ("save_every_seconds", "checkpoint_every_steps", "keep_checkpoints", "max_layers")


class Scalars:
    """TensorBoard scalars through tensorboard's own event writer (no TensorFlow needed); off if not installed.

    ``resumed_at``: the step a resumed run continues after; a SessionLog START at the next step tells TensorBoard
    to drop what was logged after it.
    """

    def __init__(self, folder: Path, resumed_at: int | None = None):
        try:
            from tensorboard.compat.proto.event_pb2 import Event, SessionLog
            from tensorboard.compat.proto.summary_pb2 import Summary
            from tensorboard.summary.writer.event_file_writer import EventFileWriter
        except ImportError:
            self.writers = None
            return
        self.Event, self.Summary = Event, Summary
        self.writers = {name: EventFileWriter(str(folder / name)) for name in ("train", "validation")}
        if resumed_at is not None:
            for writer in self.writers.values():
                start = SessionLog(status=SessionLog.START)
                writer.add_event(Event(wall_time=time.time(), step=resumed_at + 1, session_log=start))

    def write(self, step: int, values: dict[str, float]) -> None:
        """Log one epoch's metrics.csv row at training step ``step``, with its epoch."""
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
                tags.append(self.Summary.Value(tag="epoch", simple_value=float(values["epoch"])))
            event = self.Event(wall_time=time.time(), step=step, summary=self.Summary(value=tags))
            self.writers[name].add_event(event)

    def flush(self) -> None:
        """Put the logged events on disk; the trainer calls it when it commits a resume point, not every epoch
        (a flush per epoch cost about 3% of a paper epoch), and closing flushes too."""
        for writer in (self.writers or {}).values():
            writer.flush()

    def close(self) -> None:
        for writer in (self.writers or {}).values():
            writer.close()


def run_hparams(config, record: dict) -> dict[str, str | float | bool]:
    """The HParams of a run: its model and training fields (``config``, a RunConfig) but the operational ones,
    with the representation from its run record."""
    values = {"representation": record.get("representation", "pitch"), **asdict(config.model), **asdict(config.train)}
    if values.get("embedding_dim") is None:
        values["embedding_dim"] = config.model.units
    return {
        name: value
        for name, value in values.items()
        if name not in NOT_HPARAMS and isinstance(value, (str, int, float, bool)) and value is not None
    }


def _hparams_summaries(hparams: dict, started: float, finished: float | None) -> list:
    """The session start (and end) summaries of the HParams plugin."""
    from tensorboard.compat.proto.summary_pb2 import Summary
    from tensorboard.compat.proto.tensor_pb2 import TensorProto
    from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
    from tensorboard.plugins.hparams import api_pb2, metadata, plugin_data_pb2

    start = plugin_data_pb2.SessionStartInfo(start_time_secs=started)
    for name, value in hparams.items():
        if isinstance(value, bool):
            start.hparams[name].bool_value = value
        elif isinstance(value, (int, float)):
            start.hparams[name].number_value = float(value)
        else:
            start.hparams[name].string_value = str(value)
    infos = [(metadata.SESSION_START_INFO_TAG, plugin_data_pb2.HParamsPluginData(session_start_info=start))]
    if finished is not None:
        end = plugin_data_pb2.SessionEndInfo(status=api_pb2.STATUS_SUCCESS, end_time_secs=finished)
        infos.append((metadata.SESSION_END_INFO_TAG, plugin_data_pb2.HParamsPluginData(session_end_info=end)))
    empty = TensorProto(dtype="DT_FLOAT", tensor_shape=TensorShapeProto(dim=[TensorShapeProto.Dim(size=0)]))
    return [
        Summary(value=[Summary.Value(tag=tag, metadata=metadata.create_summary_metadata(data), tensor=empty)])
        for tag, data in infos
    ]


def _write_events(path: Path, events: list) -> Path:
    """Write tensorboard Event protos as one event file, atomically."""
    from tensorboard.summary.writer.record_writer import RecordWriter

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as handle:
            writer = RecordWriter(handle)
            for event in events:
                writer.write(event.SerializeToString())
            writer.flush()

    return write_atomic(path, write)


def write_hparams(run_dir: Path, hparams: dict, finished: bool = False, at: float | None = None) -> Path | None:
    """Write the run's HParams session as ``RUN/events.out.tfevents.0.hparams`` (module docstring), atomically;
    ``finished`` marks it done; ``at`` is its wall time (now by default; fixed, a rebuilt file has the same bytes).
    Returns the file, or None when tensorboard is not installed."""
    try:
        from tensorboard.compat.proto.event_pb2 import Event
    except ImportError:
        return None
    now = time.time() if at is None else at
    summaries = _hparams_summaries(hparams, now, now if finished else None)
    events = [Event(wall_time=now, file_version="brain.Event:2")]
    events += [Event(wall_time=now, step=0, summary=summary) for summary in summaries]
    return _write_events(Path(run_dir) / HPARAMS_FILE, events)


def write_scalar_file(run_dir: Path, rows: list[dict[str, float]], summary: dict[str, float]) -> Path | None:
    """Write ``RUN/events.out.tfevents.1.scalars`` (module docstring): each metrics.csv row (``rows``) at its step,
    its wall time the training seconds summed up to it (so a rebuilt file has the same bytes), and ``summary``
    (name -> value; NaN left out) at the last step. None when tensorboard is not installed."""
    try:
        from tensorboard.compat.proto.event_pb2 import Event
        from tensorboard.compat.proto.summary_pb2 import Summary
    except ImportError:
        return None
    events, seconds, step = [Event(wall_time=0.0, file_version="brain.Event:2")], 0.0, 0
    for row in rows:
        seconds, step = seconds + float(row.get("seconds", 0.0)), int(row["step"])
        values = [
            Summary.Value(tag=tag, simple_value=float(row[tag]))
            for tag in (*SCALAR_COLUMNS, "epoch")
            if tag in row and not math.isnan(float(row[tag]))
        ]
        events.append(Event(wall_time=seconds, step=step, summary=Summary(value=values)))
    finals = [Summary.Value(tag=tag, simple_value=float(v)) for tag, v in summary.items() if not math.isnan(v)]
    if finals:
        events.append(Event(wall_time=seconds, step=step, summary=Summary(value=finals)))
    return _write_events(Path(run_dir) / SCALARS_FILE, events)


def projector_config(prefix: str) -> str:
    """The projector config of the embedding, its TSV files named with ``prefix`` (relative to the config)."""
    return (
        f'embeddings {{\n  tensor_name: "embedding"\n  tensor_path: "{prefix}vectors.tsv"\n'
        f'  metadata_path: "{prefix}metadata.tsv"\n}}\n'
    )


def export_projector(model: keras.Model, vocabulary: Vocabulary, folder: Path, neighbours: int = 5) -> Path:
    """Write the embedding for TensorBoard's projector into ``folder`` (``RUN/projector``), a projector config
    in it and one in the folder above (the run folder) pointing into it, and each token's nearest neighbours as
    text. ``tensorboard --logdir RUN`` (or the runs folder above it) shows it in the Projector tab.
    """
    vectors = keras.ops.convert_to_numpy(model.get_layer("embedding").embeddings).astype(np.float64)
    labels = vocabulary.labels()
    write_text_atomic(folder / VECTORS_FILE, "".join("\t".join(f"{x:.6g}" for x in row) + "\n" for row in vectors))
    write_text_atomic(folder / LABELS_FILE, "".join(label + "\n" for label in labels))
    write_text_atomic(folder / PROJECTOR_CONFIG, projector_config(""))
    write_text_atomic(folder.parent / PROJECTOR_CONFIG, projector_config(f"{folder.name}/"))
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
    write_text_atomic(folder / NEIGHBOURS_FILE, "\n".join(lines) + "\n")
    return folder
