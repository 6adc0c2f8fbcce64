"""What a grid will cost before it trains: each run's training steps, and seconds measured on this machine.

A run's steps are ``epochs x windows per epoch`` (the windows of its variant at its batch and sequence length). The
cost of a step, and of one epoch's validation, is measured once per distinct model shape by timing a few real
training steps and one validation pass after a warm-up (on the first variant that uses it); the estimate of a run is
``epochs x (steps per epoch x step seconds + validation seconds)``. Runs of the same shape share the measurement.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from rnncells.data.vocab import Vocabulary
from rnncells.data.windows import WindowError, load_variant, training_windows
from rnncells.grid.plan import PlannedRun


@dataclass(frozen=True)
class RunCost:
    """One run's size and, when measured, its estimated seconds."""

    name: str
    epochs: int
    steps_per_epoch: int
    seconds: float | None = None

    @property
    def steps(self) -> int:
        return self.epochs * self.steps_per_epoch


def steps_per_epoch(runs: list[PlannedRun], dataset_dir: Path) -> dict[str, int]:
    """The training windows per epoch of each run (no Keras needed; 0 for a run whose data is too small)."""
    variants: dict[str, tuple[dict, list[dict]]] = {}
    counts = {}
    for run in runs:
        variant = run.train.variant
        if variant not in variants:
            variants[variant] = load_variant(dataset_dir, variant)
        manifest, rows = variants[variant]
        vocabulary = Vocabulary(manifest["vocabulary"], variant)
        try:
            counts[run.name] = training_windows(rows, vocabulary, run.train).n_windows
        except WindowError:  # too little data for the batch shape: the run fails when it trains, and is listed
            counts[run.name] = 0
    return counts


def _shape(run: PlannedRun) -> tuple:
    m, t = run.model, run.train
    # The variant only changes the vocabulary (39-62 tokens here), which costs little next to the recurrent layers.
    return (m.cell, m.layers, m.units, m.embedding_dim, m.dropout, t.batch_size, t.seq_length, t.mode)


def measure_shape(run: PlannedRun, dataset_dir: Path, steps: int = 3) -> tuple[float, float]:
    """Seconds of one training step and of one validation pass of ``run``'s model, after a warm-up."""
    from rnncells.models.factory import build_model, track_carried_state
    from rnncells.training.trainer import compile_model, masked_scores, validation_windows

    manifest, rows = load_variant(dataset_dir, run.train.variant)
    vocabulary = Vocabulary(manifest["vocabulary"], run.train.variant)
    windows = training_windows(rows, vocabulary, run.train)
    stateful = run.train.mode == "stateful"
    network = build_model(run.model, len(vocabulary), batch_size=run.train.batch_size, stateful=stateful)
    compile_model(network, run.train)
    if stateful:
        track_carried_state(network)
    twin = build_model(run.model, len(vocabulary))
    validation = validation_windows(rows, vocabulary)
    n = windows.n_windows
    for k in range(steps + 1):
        if k == 1:
            started = time.perf_counter()
        weights = None if windows.weights is None else windows.weights[k % n]
        network.train_on_batch(windows.inputs[k % n], windows.targets[k % n], sample_weight=weights)
    step_seconds = (time.perf_counter() - started) / steps
    if validation is None:
        return step_seconds, 0.0
    masked_scores(twin, validation)
    started = time.perf_counter()
    masked_scores(twin, validation)
    return step_seconds, time.perf_counter() - started


def estimate_costs(runs: list[PlannedRun], dataset_dir: Path, measure: bool = True, progress=None) -> list[RunCost]:
    """Each run's steps and (with ``measure``) estimated seconds; ``progress(text)`` is told each measurement."""
    counts = steps_per_epoch(runs, dataset_dir)
    measured: dict[tuple, tuple[float, float]] = {}
    costs = []
    for run in runs:
        seconds = None
        if measure:
            shape = _shape(run)
            if not counts[run.name]:
                costs.append(RunCost(run.name, run.train.epochs, 0, 0.0))
                continue
            if shape not in measured:
                if progress:
                    progress(f"measuring {run.name} ({len(measured) + 1} shapes so far)")
                measured[shape] = measure_shape(run, dataset_dir)
            step, validation = measured[shape]
            seconds = run.train.epochs * (counts[run.name] * step + validation)
        costs.append(RunCost(run.name, run.train.epochs, counts[run.name], seconds))
    return costs


def format_costs(costs: list[RunCost], jobs: int = 1) -> str:
    """The plan as aligned text: one line per run and the totals (the wall time assumes ``jobs`` at once)."""
    width = max([28, *(len(cost.name) + 1 for cost in costs)])  # names with a seed and a swept size run long
    lines = [f"{'run':<{width}} {'epochs':>6} {'steps/epoch':>11} {'steps':>8} {'estimate':>9}"]
    for cost in costs:
        estimate = "" if cost.seconds is None else _duration(cost.seconds)
        lines.append(f"{cost.name:<{width}} {cost.epochs:>6} {cost.steps_per_epoch:>11} {cost.steps:>8} {estimate:>9}")
    total = sum(cost.steps for cost in costs)
    line = f"{len(costs)} runs, {total} training steps"
    if all(cost.seconds is not None for cost in costs) and costs:
        seconds = sum(cost.seconds for cost in costs)
        line += f", about {_duration(seconds)} of training on one process"
        if jobs > 1:
            line += f" (about {_duration(seconds / jobs)} with --jobs {jobs}, if the runs do not slow each other)"
    return "\n".join([*lines, line])


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{seconds:02d}s"
