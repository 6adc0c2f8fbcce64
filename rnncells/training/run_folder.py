"""The run folder: the one module that reads and writes it (no Keras here).

A run folder holds everything needed to read, repeat or extend one training run::

    config.toml            the resolved [dataset], [model] and [train] tables; `rnncells train --config` reads it;
                           optionally a [generate] table: the sampling settings (GenerateConfig fields) the model
                           was tuned with, which `rnncells melody` and the studio start from
    run.json               the run record: model name, variant, cell, layers, units, representation, dataset hash
                           and path (relative to the run folder), median BPM, seed, library versions
    vocabulary.json        token values in index order, and their labels
    metrics.csv            one row per epoch (STORED_METRIC_COLUMNS): loss and accuracy for train and validation,
                           learning rate, seconds; the reader adds perplexity and val_perplexity (exp of the
                           losses), so every reader sees METRIC_COLUMNS. An older file also holds those two
                           (:meth:`RunFolder.compact_metrics` rewrites it without them)
    state.json             epochs done, steps done, best score, and the size and sha256 of each file of the save
                           (RECORDED_FILES); written last of each save
    checkpoints/           last.keras, best.keras (lowest validation loss), step-NNNNNNN-loss-X.keras every N steps,
                           resume.npz (weights and optimizer state for continuing exactly)
    tensorboard/           train/ and validation/ scalars, against the training step (rnncells.training.tensorboard)
    projector/             vectors.tsv, metadata.tsv, projector_config.pbtxt, neighbours.txt
    events.out.tfevents.0.hparams, projector_config.pbtxt
                           TensorBoard's HParams session and projector config, so `tensorboard --logdir RUN`
                           (or the folder of runs above it) shows scalars, HParams and projector together

A grid (or a user) may write ``config.toml`` alone into a new folder and hand it to ``rnncells train --config``;
such a folder counts as fresh. ``run.json`` is written after the config and the vocabulary, so its presence marks a
started run; ``state.json`` is written last of each save, so its presence marks finished epochs.
Every other module goes through this one to open these files, except the resume point (checkpoints/resume.npz),
read and written only by rnncells.training.resume_point (the views it says go through :class:`RunFolder`). A
trained run is read back as a whole by :func:`rnncells.training.run.load_run`, through this module.

Damage. :func:`rnncells.training.damage.run_damage` lists what no longer matches state.json's record (a file
missing, truncated or, read in full, changed) or cannot be read (run.json, config.toml, vocabulary.json,
state.json, metrics.csv, the resume point). The views (VIEW_FILES) are made again from the resume point by
``rnncells train`` on the same folder; other damage needs the run trained again or a good copy put back. The
folder's lock file (rnncells.locks) is none of the run's files.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import stat
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from rnncells.config.generate import GenerateConfig
from rnncells.config.model import ModelConfig
from rnncells.config.records import ConfigError, from_dict, read_toml
from rnncells.config.train import TrainConfig
from rnncells.data.vocab import Vocabulary
from rnncells.errors import RnncellsError
from rnncells.files import (
    Damage,
    damaged_files,
    file_digest,
    record_files,
    write_json_atomic,
    write_text_atomic,
)
from rnncells.locks import LOCK_FILE
from rnncells.training.run_types import RunConfig, RunState

CONFIG_FILE = "config.toml"
# projector/'s files, written by rnncells.training.tensorboard
VECTORS_FILE, LABELS_FILE, NEIGHBOURS_FILE = "vectors.tsv", "metadata.tsv", "neighbours.txt"
RECORD_FILE = "run.json"
VOCABULARY_FILE = "vocabulary.json"
METRICS_FILE = "metrics.csv"
STATE_FILE = "state.json"
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
# metrics.csv leaves out what the reader derives again: a perplexity is the exp of its loss
DERIVED_METRICS = {"perplexity": "loss", "val_perplexity": "val_loss"}
STORED_METRIC_COLUMNS = tuple(name for name in METRIC_COLUMNS if name not in DERIVED_METRICS)
SELECT_BY = {"val_loss": "validation loss", "loss": "training loss"}
RESUME_FILE = "checkpoints/resume.npz"
# The files of each save whose size and sha256 state.json records. config.toml is rewritten when epochs grow, and
# the resume point is committed first (it may be a save ahead of state.json): both are checked by reading them.
RECORDED_FILES = ("checkpoints/last.keras", "checkpoints/best.keras", METRICS_FILE, RECORD_FILE, VOCABULARY_FILE)
# What ``rnncells train`` on the folder makes again from the resume point; the rest cannot be made again.
VIEW_FILES = (STATE_FILE, METRICS_FILE, "checkpoints/last.keras", "checkpoints/best.keras", VOCABULARY_FILE)


class RunError(RnncellsError, ValueError):
    """A run folder that cannot be used as asked; the message names the file and the fix."""


def read_run_config(path: str | Path) -> RunConfig:
    """A run's ``config.toml`` (or any file with ``[model]`` and ``[train]`` tables, ``[dataset]`` and
    ``[generate]`` optional; ``[generate]`` is checked as GenerateConfig fields)."""
    path = Path(path)
    tables = read_toml(path)
    unknown = sorted(set(tables) - {"dataset", "model", "train", "generate"})
    if unknown:
        raise ConfigError(
            f"{path}: unknown table(s) {', '.join(unknown)}; a run config has [dataset], [model], [train] "
            "and optionally [generate]"
        )
    model = from_dict(ModelConfig, tables.get("model", {}), f"{path} [model]")
    train = from_dict(TrainConfig, tables.get("train", {}), f"{path} [train]")
    generate = dict(tables.get("generate", {}))
    from_dict(GenerateConfig, generate, f"{path} [generate]")
    return RunConfig(dict(tables.get("dataset", {})), model, train, generate)


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunError(f"{path}: missing; {what}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise RunError(f"{path}: damaged ({type(error).__name__}); {what}") from None


class RunFolder:
    """The files of one run folder (module docstring), read and written only here (resume.npz aside)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"RunFolder({str(self.path)!r})"

    # -- paths ----------------------------------------------------------------------------------------------
    @property
    def config_path(self) -> Path:
        return self.path / CONFIG_FILE

    @property
    def metrics_path(self) -> Path:
        return self.path / METRICS_FILE

    @property
    def checkpoints(self) -> Path:
        return self.path / "checkpoints"

    @property
    def resume_path(self) -> Path:
        return self.checkpoints / "resume.npz"

    @property
    def tensorboard(self) -> Path:
        return self.path / "tensorboard"

    @property
    def projector(self) -> Path:
        return self.path / "projector"

    def named_checkpoint(self, which: str) -> Path:
        """The path of ``best`` or ``last`` (whether or not it exists yet)."""
        return self.checkpoints / f"{which}.keras"

    def step_checkpoint(self, step: int, loss: float) -> Path:
        return self.checkpoints / f"step-{step:07d}-loss-{loss:.4f}.keras"

    def step_checkpoints(self) -> list[Path]:
        """The step checkpoints, oldest first."""
        return sorted(self.checkpoints.glob("step-*.keras"))

    def keep_newest_step_checkpoints(self, keep: int) -> None:
        for old in self.step_checkpoints()[: -keep or None]:
            old.unlink(missing_ok=True)

    # -- what the folder is ---------------------------------------------------------------------------------
    def is_run(self) -> bool:
        """True once training has written the run record."""
        return (self.path / RECORD_FILE).is_file()

    def is_archived(self) -> bool:
        """A finished run kept as a record: its ``checkpoints/`` folder was left out on purpose (committed results
        keep run records and songs, not weights). It counts as trained; making new songs from it needs a retrain."""
        return self.is_run() and (self.path / STATE_FILE).is_file() and not self.checkpoints.exists()

    def is_fresh(self) -> bool:
        """No run yet: the folder is missing, empty, or holds only a ``config.toml`` handed to it."""
        if self.is_run():
            return False
        return not self.path.exists() or {p.name for p in self.path.iterdir()} <= {
            CONFIG_FILE,
            VOCABULARY_FILE,
            LOCK_FILE,
        }

    def check_is_run(self) -> None:
        if not self.is_run():
            raise RunError(
                f"{self.path}: not a run folder (no {RECORD_FILE}); train one with `rnncells train --out {self.path}`"
            )

    # -- config, record, vocabulary ---------------------------------------------------------------------------
    def read_config(self) -> RunConfig:
        return read_run_config(self.config_path)

    def write_config(self, config: RunConfig) -> None:
        write_text_atomic(self.config_path, config.to_toml())

    def generation_defaults(self) -> dict[str, Any]:
        """The ``[generate]`` table of the run's config.toml (empty without one, or without a config.toml)."""
        return dict(self.read_config().generate) if self.config_path.is_file() else {}

    def read_record(self) -> dict:
        self.check_is_run()
        return _read_json(self.path / RECORD_FILE, f"retrain the run with `rnncells train --out {self.path}`")

    def write_record(self, record: dict) -> None:
        write_json_atomic(self.path / RECORD_FILE, record)

    @property
    def model_name(self) -> str:
        """The run record's model name, else the folder's name."""
        try:
            return str(self.read_record().get("model_name") or self.path.name)
        except RunError:
            return self.path.name

    def read_vocabulary(self) -> Vocabulary:
        fix = f"retrain the run with `rnncells train --out {self.path}`"
        saved = _read_json(self.path / VOCABULARY_FILE, fix)
        try:
            return Vocabulary(saved["values"], saved["variant"])
        except (KeyError, TypeError, ValueError):
            raise RunError(f"{self.path / VOCABULARY_FILE}: damaged (fields missing); {fix}") from None

    def write_vocabulary(self, vocabulary: Vocabulary, variant: str) -> None:
        write_json_atomic(
            self.path / VOCABULARY_FILE,
            {"variant": variant, "values": vocabulary.to_json(), "labels": vocabulary.labels()},
        )

    # -- progress ---------------------------------------------------------------------------------------------
    def read_state(self) -> RunState | None:
        """The state after the last finished epoch; None before the first."""
        path = self.path / STATE_FILE
        if not path.is_file():
            return None
        fix = f"run `rnncells train --out {self.path}` again: it is written again from the run's resume point"
        saved = _read_json(path, fix)
        try:
            return RunState(int(saved["epochs_done"]), int(saved["step"]), float(saved["best_val_loss"]))
        except (KeyError, TypeError, ValueError):
            raise RunError(f"{path}: damaged (fields missing); {fix}") from None

    def write_state(self, state: RunState, files: dict | None = None) -> None:
        """state.json: ``state``, and the record of the save's files (:func:`rnncells.files.record_files`)."""
        write_json_atomic(self.path / STATE_FILE, {**asdict(state), **({"files": files} if files else {})})

    def recorded_files(self) -> dict | None:
        """state.json's record of the files of the last save (None before the first, or in an older run)."""
        saved = _read_json(self.path / STATE_FILE, f"run `rnncells train --out {self.path}` again")
        return saved.get("files") if isinstance(saved, dict) else None

    def rewrite_record(self, text: str) -> None:
        """run.json replaced by ``text`` (the same record, its paths made relative: rnncells.grid.portable), and
        state.json's size and sha256 of it updated, so that the run is not taken for damaged."""
        write_text_atomic(self.path / RECORD_FILE, text)
        self._record_again(RECORD_FILE)

    def _record_again(self, name: str) -> None:
        """state.json's size and sha256 of ``name`` updated after the file was rewritten with the same content."""
        files = self.recorded_files() if (self.path / STATE_FILE).is_file() else None
        if files and name in files:
            state = self.read_state()
            if state is not None:
                self.write_state(state, {**files, **record_files(self.path, [name])})

    @property
    def epochs_done(self) -> int:
        state = self.read_state()
        return state.epochs_done if state else 0

    def read_metrics(self) -> list[dict[str, float]]:
        """The rows of metrics.csv as numbers (epoch and step as int), each with every column of METRIC_COLUMNS: the
        perplexities derived from the losses (:func:`perplexity`), in an older file too, so a row reads the same
        before and after :meth:`compact_metrics`."""
        if not self.metrics_path.is_file():
            return []
        fix = f"run `rnncells train --out {self.path}` again to write it from the run's resume point"
        try:
            with open(self.metrics_path, newline="", encoding="utf-8") as handle:
                reader = csv.DictReader(handle)
                if tuple(reader.fieldnames or ()) not in (STORED_METRIC_COLUMNS, METRIC_COLUMNS):
                    raise RunError(f"{self.metrics_path}: unexpected columns; {fix}")
                rows = [{k: (int(v) if k in ("epoch", "step") else float(v)) for k, v in row.items()} for row in reader]
        except (TypeError, ValueError, csv.Error) as error:  # UnicodeDecodeError is a ValueError
            if isinstance(error, RunError):
                raise
            raise RunError(f"{self.metrics_path}: damaged ({type(error).__name__}); {fix}") from None
        derived = [{**row, **{p: perplexity(row[loss]) for p, loss in DERIVED_METRICS.items()}} for row in rows]
        return [{name: row[name] for name in METRIC_COLUMNS} for row in derived]

    def write_metrics(self, rows: list[dict]) -> None:
        """metrics.csv: ``rows`` (every METRIC_COLUMNS value a row has) without the columns the reader derives."""
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, STORED_METRIC_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: row[k] for k in STORED_METRIC_COLUMNS} for row in rows)
        write_text_atomic(self.metrics_path, buffer.getvalue())

    def compact_metrics(self) -> bool:
        """Rewrite an older metrics.csv without the perplexity columns (every other cell's text kept as it is) and
        state.json's record of it; returns whether it was rewritten. A file that differs from that record, or does
        not read (:meth:`read_metrics`), is left as it is, for the damage check to name."""
        if not self.metrics_path.is_file() or not self._metrics_sound():
            return False
        lines = [line for line in csv.reader(io.StringIO(self.metrics_path.read_text(encoding="utf-8"))) if line]
        if not lines or tuple(lines[0]) != METRIC_COLUMNS:
            return False
        kept = [METRIC_COLUMNS.index(name) for name in STORED_METRIC_COLUMNS]
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows([line[i] for i in kept] for line in lines)
        write_text_atomic(self.metrics_path, buffer.getvalue())
        self._record_again(METRICS_FILE)
        return True

    def _metrics_sound(self) -> bool:
        """True when metrics.csv reads and matches state.json's record of it (when there is one)."""
        try:
            self.read_metrics()
            recorded = self.recorded_files() if (self.path / STATE_FILE).is_file() else None
        except RunError:
            return False
        if isinstance(recorded, dict) and METRICS_FILE in recorded:
            return not damaged_files(self.path, {METRICS_FILE: recorded[METRICS_FILE]})
        return True

    # -- damage (rnncells.training.damage.run_damage reads the folder through the methods above) ------------------
    def can_redo(self, damage: list[Damage]) -> bool:
        """True when ``rnncells train`` on this folder makes every damaged file again from the resume point."""
        return all(str(d.path.relative_to(self.path)) in VIEW_FILES for d in damage) and self.resume_path.is_file()

    def best_score(self, select_by: str = "val_loss") -> float | None:
        """The lowest ``val_loss`` (or ``loss``) over the run's epochs; a run without validation scores its
        training loss. None before the first epoch."""
        if select_by not in SELECT_BY:
            raise ConfigError(f"select_by {select_by!r}: use one of {', '.join(SELECT_BY)}")
        rows = self.read_metrics()
        scores = [row[select_by] for row in rows if not math.isnan(row[select_by])]
        if not scores and select_by == "val_loss":
            scores = [row["loss"] for row in rows if not math.isnan(row["loss"])]
        return min(scores) if scores else None

    def read_projector(self) -> tuple[np.ndarray, list[str]]:
        """The embedding vectors (one row per token) and their labels, as exported for TensorBoard's projector."""
        vectors_path, labels_path = self.projector / VECTORS_FILE, self.projector / LABELS_FILE
        if not vectors_path.is_file() or not labels_path.is_file():
            raise RunError(f"{self.projector}: no vectors.tsv/metadata.tsv; finish training the run first")
        try:
            vectors = np.loadtxt(vectors_path, delimiter="\t", ndmin=2)
        except ValueError as error:
            raise RunError(f"{vectors_path}: damaged ({error}); train the run again") from None
        labels = labels_path.read_text(encoding="utf-8").splitlines()
        if len(labels) != len(vectors):
            raise RunError(f"{labels_path}: {len(labels)} labels for {len(vectors)} vectors; train the run again")
        return vectors, labels

    # -- checkpoints -------------------------------------------------------------------------------------------
    def checkpoint(self, which: str = "best") -> Path:
        """``best``, ``last``, or a path to a ``.keras`` file of the run, verified (:meth:`verified_checkpoint`).

        ``best`` is ``last`` only in a run that never wrote a best checkpoint (state.json records none); a best
        checkpoint that is missing, replaced or not a file is refused, never silently swapped for the last."""
        if which in ("best", "last"):
            recorded = self.recorded_files() if (self.path / STATE_FILE).is_file() else None
            names = ("best", "last") if which == "best" else ("last",)
            for name in names:
                path = self.named_checkpoint(name)
                if os.path.lexists(path) or f"checkpoints/{name}.keras" in (recorded or {}):
                    return self.verified_checkpoint(path)
            raise RunError(f"{self.path}: no checkpoint yet; train it with `rnncells train --out {self.path}`")
        return self.verified_checkpoint(Path(which))

    def verified_checkpoint(self, path: Path) -> Path:
        """``path`` if it is a regular file (a directory, a device or a dangling link is refused) whose size and
        sha256 match state.json's record when it has one; else a one-line :class:`RunError` naming it and the fix."""
        fix = (
            f"run `rnncells train --out {self.path}` again (it writes the checkpoints again from the run's resume "
            "point), or pass --checkpoint last"
        )
        try:
            mode = path.stat().st_mode
        except OSError as error:
            raise RunError(f"{path}: no such checkpoint file ({error.strerror}); {fix}") from None
        if not stat.S_ISREG(mode):
            kind = "a directory" if stat.S_ISDIR(mode) else "a device or special file"
            raise RunError(f"{path}: {kind}, not a checkpoint file; remove it and {fix}")
        recorded = self.recorded_files() if (self.path / STATE_FILE).is_file() else None
        here, run = Path(os.path.abspath(path)), Path(os.path.abspath(self.path))
        expected = (recorded or {}).get(here.relative_to(run).as_posix()) if here.is_relative_to(run) else None
        if isinstance(expected, dict):
            actual = file_digest(path)
            if actual["size"] != expected.get("size") or actual["sha256"] != expected.get("sha256"):
                raise RunError(
                    f"{path}: differs from the run record ({STATE_FILE}: sha256 {str(expected.get('sha256'))[:12]}..., "
                    f"the file's {actual['sha256'][:12]}...), so it is another run's or damaged; {fix}"
                )
        return path


def perplexity(loss: float) -> float:
    """A metrics row's perplexity: exp of its loss, to 6 decimals as the trainer writes its scores (NaN for a NaN
    loss: an epoch without validation)."""
    try:
        return round(math.exp(loss), 6)
    except OverflowError:
        return math.inf


def read_neighbours(projector: Path) -> list[list[str]]:
    """The rows of ``projector/neighbours.txt`` (token, neighbours by cosine, by euclidean distance); none when the
    run has no projector files."""
    path = projector / NEIGHBOURS_FILE
    if not path.is_file():
        return []
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    return [row for row in rows[1:] if len(row) == 3]
