"""Training speed at the paper's shapes, two measurements, each against a baseline run in the same process.

1. Steps: rnncells' training step (``train_on_batch`` on a stateful model whose carried state is tracked) vs a
   bare ``keras.Sequential(...).fit`` on identical arrays, for each cell x layers (batch 50 x seq 50, 128 units,
   vocabulary 47, the EDM pitches). Prints ms/step, tokens/s and the ratio.
2. Epochs (``--dataset``): the marginal cost of an epoch of ``rnncells.training.trainer.train`` (validation every
   epoch, metrics rows, TensorBoard scalars and the timed resume points included) on a real dataset variant:
   (time of a LONG-epoch run - time of a SHORT-epoch run) / (LONG - SHORT), against the same number of steps of the
   plain loop ``model.train_on_batch(x, y)`` (nothing else per step or per epoch) on a model of the same shapes
   (``build_model``, ``compile_model``) over the same windows. The ratio is what an epoch costs beyond its
   training steps (goal <= 1.15). The runs alternate with the plain loops and the best of ``--repeats`` counts, so
   a load that comes and goes hits both alike; compare only ratios from one process.

Model building and the first (tracing) steps are not timed.
Run: python benchmarks/bench_train.py [--steps 20] [--cells lstm,gru,rnn] [--layers 1,3,5]
     python benchmarks/bench_train.py --dataset DATASET_DIR [--variant control] [--epochs 5,25] [--no-steps]
(build DATASET_DIR first, e.g. ``rnncells dataset build --source path/to/edm --out DATASET_DIR``). The paper's
setting: ``--dataset DATASET_DIR --cells lstm --layers 1 --no-steps`` (EDM control: 3 steps an epoch).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from rnncells.config.model import ModelConfig  # noqa: E402
from rnncells.config.train import TrainConfig  # noqa: E402
from rnncells.data.vocab import Vocabulary  # noqa: E402
from rnncells.data.windows import load_variant, study_windows  # noqa: E402
from rnncells.models.factory import build_model, make_recurrent_layer, track_carried_state  # noqa: E402
from rnncells.training.trainer import compile_model, train  # noqa: E402

BATCH, SEQ, UNITS, VOCAB = 50, 50, 128, 47


def time_rnncells(cell: str, layers: int, x: np.ndarray, y: np.ndarray, steps: int) -> float:
    model = build_model(ModelConfig(cell=cell, layers=layers, units=UNITS), VOCAB, batch_size=BATCH, stateful=True)
    track_carried_state(model)
    compile_model(model, TrainConfig())
    for k in range(2):
        model.train_on_batch(x[k], y[k])
    start = time.perf_counter()
    for k in range(steps):
        model.train_on_batch(x[k % len(x)], y[k % len(y)])
    return (time.perf_counter() - start) / steps


def time_bare_fit(cell: str, layers: int, x: np.ndarray, y: np.ndarray, steps: int) -> float:
    model = keras.Sequential(
        [keras.Input((SEQ,), batch_size=BATCH, dtype="int32"), keras.layers.Embedding(VOCAB, UNITS)]
        + [make_recurrent_layer(cell, UNITS) for _ in range(layers)]
        + [keras.layers.Dense(VOCAB)]
    )
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    flat_x, flat_y = x.reshape(-1, SEQ), y.reshape(-1, SEQ)
    model.fit(flat_x[: 2 * BATCH], flat_y[: 2 * BATCH], batch_size=BATCH, epochs=1, verbose=0)
    reps = -(-steps // len(x))
    big_x, big_y = np.tile(flat_x, (reps, 1))[: steps * BATCH], np.tile(flat_y, (reps, 1))[: steps * BATCH]
    start = time.perf_counter()
    model.fit(big_x, big_y, batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
    return (time.perf_counter() - start) / steps


def step_table(cells: list[str], depths: list[int], steps: int) -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(0, VOCAB, size=(8, BATCH, SEQ)).astype(np.int32)
    y = rng.integers(0, VOCAB, size=(8, BATCH, SEQ)).astype(np.int32)
    print(f"steps: backend {keras.backend.backend()}, batch {BATCH} x seq {SEQ}, {UNITS} units, {steps} steps")
    print(f"{'model':<10} {'rnncells ms/step':>17} {'bare fit ms/step':>17} {'tokens/s':>10} {'ratio':>6}")
    for cell in cells:
        for layers in depths:
            ours = time_rnncells(cell, layers, x, y, steps)
            bare = time_bare_fit(cell, layers, x, y, steps)
            tokens = BATCH * SEQ / ours
            print(f"{cell}-{layers:<5} {ours * 1e3:>17.1f} {bare * 1e3:>17.1f} {tokens:>10.0f} {ours / bare:>6.2f}")


def plain_step_seconds(model_config: ModelConfig, windows, vocab: int, steps: int) -> float:
    """Seconds per step of the plain ``train_on_batch`` loop over the windows, on a model of the trainer's shapes
    (stateful, batch 50, the paper's compile), after 2 warm-up steps: the baseline of the epoch table."""
    model = build_model(model_config, vocab, batch_size=BATCH, stateful=True)
    compile_model(model, TrainConfig())
    n = windows.n_windows
    for k in range(2):
        model.train_on_batch(windows.inputs[k % n], windows.targets[k % n])
    start = time.perf_counter()
    for k in range(steps):
        model.train_on_batch(windows.inputs[k % n], windows.targets[k % n])
    return (time.perf_counter() - start) / steps


def run_seconds(dataset: Path, model_config: ModelConfig, variant: str, epochs: int) -> float:
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        train(dataset, Path(folder) / "run", model_config, TrainConfig(variant=variant, epochs=epochs), progress=False)
        return time.perf_counter() - start


def epoch_table(
    dataset: Path, variant: str, cells: list[str], depths: list[int], short: int, long: int, repeats: int
) -> None:
    manifest, rows = load_variant(dataset, variant)
    vocabulary = Vocabulary(manifest["vocabulary"], variant)
    windows = study_windows([r["tokens"] for r in rows if r["split"] == "train"], vocabulary, BATCH, SEQ)
    n = windows.n_windows
    print(
        f"epochs: backend {keras.backend.backend()}, {dataset} {variant}: {n} steps an epoch, {UNITS} units, "
        f"marginal cost of epochs {short + 1}..{long}, best of {repeats} (alternating, so load hits both alike)"
    )
    print(f"{'model':<10} {'epoch ms':>9} {'plain steps ms':>15} {'ratio':>6}")
    for cell in cells:
        for layers in depths:
            config = ModelConfig(cell=cell, layers=layers, units=UNITS)
            shorts, longs, plains = [], [], []
            for _ in range(repeats):
                shorts.append(run_seconds(dataset, config, variant, short))
                longs.append(run_seconds(dataset, config, variant, long))
                plains.append(plain_step_seconds(config, windows, len(vocabulary), n * (long - short)) * n)
            # the best of each run length, then their difference: a difference of single pairs swings with the load
            epoch, bare = (min(longs) - min(shorts)) / (long - short), min(plains)
            print(f"{cell}-{layers:<5} {epoch * 1e3:>9.1f} {bare * 1e3:>15.1f} {epoch / bare:>6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=20, help="timed steps per model in the step table")
    parser.add_argument("--cells", default="lstm,gru,rnn,ugrnn,nas")
    parser.add_argument("--layers", default="1,3,5")
    parser.add_argument("--dataset", type=Path, help="a built dataset: also measure whole epochs on it")
    parser.add_argument("--variant", default="control")
    parser.add_argument("--epochs", default="5,25", help="SHORT,LONG epoch counts of the marginal-cost runs")
    parser.add_argument("--repeats", type=int, default=5, help="epoch table: best of this many measurements")
    parser.add_argument("--no-steps", action="store_true", help="skip the step table")
    args = parser.parse_args()
    cells, depths = args.cells.split(","), [int(n) for n in args.layers.split(",")]
    if not args.no_steps:
        step_table(cells, depths, args.steps)
    if args.dataset:
        short, long = (int(n) for n in args.epochs.split(","))
        epoch_table(args.dataset, args.variant, cells, depths, short, long, args.repeats)


if __name__ == "__main__":
    main()
