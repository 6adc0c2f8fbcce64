"""A training worker: one process per job slot of a local grid that imports Keras once and trains the slot's runs
in turn, each exactly as ``rnncells train --config RUN/config.toml`` would in a process of its own.

Importing TensorFlow and Keras costs several CPU seconds, which a grid of short runs used to pay once per run. The
grid (rnncells.grid.supervise.Trainers) starts a worker per slot as ``python -m rnncells.grid.worker --runs RUNS``
and sends it one task at a time as a JSON line on its stdin (dataset, run folder, config file, log file); the worker
answers each with a JSON line ``{"code": N}``, N being the exit code the single-run command would have had (0 done,
2 an expected error, 1 a bug, 130 stopped). During a task the worker's stdout and stderr go to the run's log.

What the single-run process guaranteed still holds: each run starts from a cleared Keras session and its own seed
(so its metrics are those of a fresh process); the run folder's lock, resume points and atomic writes are the
trainer's own; SIGTERM makes the trainer commit and stop, after which the worker exits; a run that fails ends its
worker (the grid starts a fresh one for the slot's next run), so a broken process state never reaches another run,
and a worker that dies (a crash, SIGKILL) ends only its current run. The worker's command line names the grid's
runs folder, which is how a grid started again after a crash recognises a worker left behind
(rnncells.grid.supervise.trainer_alive). A worker whose grid is gone sees its stdin close and exits after its run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MODULE = "rnncells.grid.worker"


def worker_command(runs_dir: Path, backend: str = "tensorflow", threads: int | None = None) -> list[str]:
    """The command line of a worker training runs of the folder ``runs_dir`` on ``backend`` with ``threads``."""
    return [
        sys.executable,
        "-m",
        MODULE,
        "--runs",
        str(Path(runs_dir).resolve()),
        "--backend",
        backend,
        *(["--threads", str(threads)] if threads else []),
    ]


def task(dataset: Path, run_dir: Path, config: Path, log: Path) -> dict:
    """One task for a worker: train the run folder ``run_dir`` from its ``config`` file, logging to ``log``."""
    return {"dataset": str(dataset), "out": str(run_dir), "config": str(config), "log": str(log)}


@contextmanager
def _output_to(log: Path) -> Iterator[None]:
    """Send this process's stdout and stderr (Python's and the C libraries' alike) to ``log`` for the block."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    target = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.dup2(target, 1)
        os.dup2(target, 2)
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (target, *saved):
            os.close(fd)


def train_task(job: dict) -> int:
    """Train one run as ``rnncells train --dataset D --out RUN --config RUN/config.toml --quiet`` does; returns the
    exit code that command would have had, with its messages in the task's log."""
    import keras

    from rnncells.data.windows import check_variant
    from rnncells.errors import RnncellsError
    from rnncells.training.run_folder import read_run_config
    from rnncells.training.trainer import train

    with _output_to(Path(job["log"])):
        try:
            keras.backend.clear_session()  # a fresh session per run, as in a process of its own
            config = read_run_config(job["config"])
            check_variant(Path(job["dataset"]), config.train.variant)
            run_dir = train(job["dataset"], job["out"], config.model, config.train, progress=False)
            print(f"run: {run_dir}")
            return 0
        except KeyboardInterrupt:
            print("rnncells: interrupted; run the same command again to resume", file=sys.stderr)
            return 130
        except (RnncellsError, OSError) as error:
            message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            print(f"rnncells: error: {message}", file=sys.stderr)
            return 2
        except Exception:  # a bug: its traceback goes to the log, as the single-run command's would
            traceback.print_exc()
            return 1


def serve(backend: str, threads: int | None) -> int:
    """Read tasks from stdin until it closes or a run does not end with code 0; answer each on stdout."""
    from rnncells.backend import limit_threads, select_backend

    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # stray output between tasks goes to the log, never into the replies
    select_backend(backend)
    limit_threads(threads)
    import rnncells.training.trainer  # noqa: F401  (the import this worker exists to pay once)

    for line in sys.stdin:
        code = train_task(json.loads(line))
        replies.write(json.dumps({"code": code}) + "\n")
        replies.flush()
        if code:
            return code
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m rnncells.grid.worker`` (started by the grid, not by hand)."""
    from rnncells.backend import quiet_tensorflow

    quiet_tensorflow()
    parser = argparse.ArgumentParser(prog=MODULE, description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", required=True, type=Path, help="the grid's runs folder (names the worker)")
    parser.add_argument("--backend", default="tensorflow")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    from rnncells.errors import RnncellsError

    try:
        return serve(args.backend, args.threads)
    except KeyboardInterrupt:  # Ctrl-C while waiting for a task
        return 130
    except RnncellsError as error:  # a backend that is missing: one line in the first run's log, as `train` says it
        print(f"rnncells: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
