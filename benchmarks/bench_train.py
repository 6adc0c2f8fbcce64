"""Training speed at the paper's shapes: rnncells' training step vs a bare keras.Sequential(...).fit.

For each cell x layers (1, 3, 5): batch 50 x seq 50, 128 units, vocabulary 47 (the EDM pitches). rnncells runs
its own loop (``train_on_batch`` on a stateful model whose carried state is tracked, the study's recipe); the
baseline is ``keras.Sequential([Embedding, RNN x L, Dense]).fit`` on identical arrays in the same process,
stateless. Prints ms/step, tokens/s and the ratio (goal <= 1.1). Model building and the first (tracing) steps
are not timed.
Run: python benchmarks/bench_train.py [--steps 20] [--cells lstm,gru,rnn,ugrnn,nas] [--layers 1,3,5]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from rnncells.config import ModelConfig, TrainConfig  # noqa: E402
from rnncells.models.factory import build_model, make_recurrent_layer, track_carried_state  # noqa: E402
from rnncells.train import compile_model  # noqa: E402

BATCH, SEQ, UNITS, VOCAB = 50, 50, 128, 47


def time_rnncells(cell: str, layers: int, x: np.ndarray, y: np.ndarray, steps: int) -> float:
    train = TrainConfig()
    model = build_model(ModelConfig(cell=cell, layers=layers, units=UNITS), VOCAB, batch_size=BATCH, stateful=True)
    track_carried_state(model)
    compile_model(model, train)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--cells", default="lstm,gru,rnn,ugrnn,nas")
    parser.add_argument("--layers", default="1,3,5")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x = rng.integers(0, VOCAB, size=(8, BATCH, SEQ)).astype(np.int32)
    y = rng.integers(0, VOCAB, size=(8, BATCH, SEQ)).astype(np.int32)
    print(f"backend {keras.backend.backend()}, batch {BATCH} x seq {SEQ}, {UNITS} units, {args.steps} steps")
    print(f"{'model':<10} {'rnncells ms/step':>17} {'bare fit ms/step':>17} {'tokens/s':>10} {'ratio':>6}")
    for cell in args.cells.split(","):
        for layers in (int(n) for n in args.layers.split(",")):
            ours = time_rnncells(cell, layers, x, y, args.steps)
            bare = time_bare_fit(cell, layers, x, y, args.steps)
            tokens = BATCH * SEQ / ours
            print(f"{cell}-{layers:<5} {ours * 1e3:>17.1f} {bare * 1e3:>17.1f} {tokens:>10.0f} {ours / bare:>6.2f}")


if __name__ == "__main__":
    main()
