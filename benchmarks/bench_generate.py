"""Batched generation vs one song at a time (goal: batched >= 50x faster).

100 songs x 30 sampled tokens from a 3-layer LSTM of 128 units (the paper's shape, vocabulary 47), once as one
stateful batch of 100, once as 100 generations of one song, in the same process. Model building is not timed.
Run: python benchmarks/bench_generate.py [--songs 100] [--length 30] [--cell lstm] [--layers 3]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402

from rnncells.config.generate import GenerateConfig  # noqa: E402
from rnncells.config.model import ModelConfig  # noqa: E402
from rnncells.generation.sampling import Stepper, sample_songs  # noqa: E402
from rnncells.models.factory import build_model  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--songs", type=int, default=100)
    parser.add_argument("--length", type=int, default=30)
    parser.add_argument("--cell", default="lstm")
    parser.add_argument("--layers", type=int, default=3)
    parser.add_argument("--vocab", type=int, default=47)
    args = parser.parse_args()
    model_config = ModelConfig(cell=args.cell, layers=args.layers)
    primer = [20, 22, 24, 22]
    batched_model = build_model(model_config, args.vocab, batch_size=args.songs, stateful=True)
    single_model = build_model(model_config, args.vocab, batch_size=1, stateful=True)
    single_model.set_weights(batched_model.get_weights())
    config, one = GenerateConfig(n_songs=args.songs, length=args.length), GenerateConfig(n_songs=1, length=args.length)
    batched_stepper, single_stepper = Stepper(batched_model), Stepper(single_model)
    sample_songs(batched_stepper, primer, args.songs, 2, config, np.random.default_rng(0))  # warm-up (tracing)
    sample_songs(single_stepper, primer, 1, 2, one, np.random.default_rng(0))

    start = time.perf_counter()
    sample_songs(batched_stepper, primer, args.songs, args.length, config, np.random.default_rng(0))
    batched = time.perf_counter() - start
    start = time.perf_counter()
    for seed in range(args.songs):
        sample_songs(single_stepper, primer, 1, args.length, one, np.random.default_rng(seed))
    single = time.perf_counter() - start
    print(f"{args.cell} x{args.layers}, {args.songs} songs x {args.length} tokens")
    print(f"batched (one pass of {args.songs}): {batched:8.3f} s")
    print(f"one song at a time:           {single:8.3f} s")
    print(f"ratio: {single / batched:.1f}x (goal >= 50x)")


if __name__ == "__main__":
    main()
