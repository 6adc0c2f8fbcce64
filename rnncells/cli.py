"""The ``rnncells`` command: parse arguments, call one library function, print what it made.

Every expected failure (bad input, missing file, unknown name) ends as one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import NoReturn

from rnncells.backend import quiet_tensorflow
from rnncells.data.command import add_dataset_command, run_dataset
from rnncells.errors import RnncellsError
from rnncells.evaluation.likeness import add_likeness_command, run_likeness
from rnncells.generation.command import add_baseline_command, add_generate_command, run_baseline_command, run_generate
from rnncells.grid.command import (
    add_grid_command,
    add_local_slurm_command,
    add_report_command,
    add_tensorboard_command,
    run_grid_command,
    run_local_slurm,
    run_report_command,
    run_tensorboard_command,
)
from rnncells.report.command import (
    add_evaluate_command,
    add_plot_command,
    add_tables_command,
    run_evaluate,
    run_plot,
    run_tables,
)
from rnncells.report.render import add_render_command, run_render
from rnncells.studio.preset import add_melody_command, run_melody
from rnncells.studio.server import add_studio_command, run_studio
from rnncells.training.command import add_train_command, run_train

# The errors a user can cause (rnncells.errors) and OS errors on the user's files: one line, exit 2. Anything else is
# a bug in rnncells and keeps its traceback.
EXPECTED_ERRORS: tuple[type[BaseException], ...] = (RnncellsError, OSError)


class Parser(argparse.ArgumentParser):
    """argparse with the README's one-line errors: ``rnncells: error: MESSAGE (see `rnncells COMMAND --help`)``,
    exit code 2, no usage block (every subcommand's parser is one of these too)."""

    def error(self, message: str) -> NoReturn:
        print(f"rnncells: error: {message} (see `{self.prog} --help`)", file=sys.stderr)
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="rnncells",
        description="Compare recurrent memory cells on melody generation: datasets, training, generation, "
        "tonality metrics, LaTeX tables. Run `rnncells COMMAND --help` for each command.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    add_dataset_command(commands)
    add_train_command(commands)
    add_generate_command(commands)
    add_baseline_command(commands)
    add_evaluate_command(commands)
    add_tables_command(commands)
    add_render_command(commands)
    add_plot_command(commands)
    add_grid_command(commands)
    add_report_command(commands)
    add_tensorboard_command(commands)
    add_local_slurm_command(commands)
    add_studio_command(commands)
    add_melody_command(commands)
    add_likeness_command(commands)
    return parser


HANDLERS = {
    "dataset": run_dataset,
    "train": run_train,
    "generate": run_generate,
    "baseline": run_baseline_command,
    "evaluate": run_evaluate,
    "tables": run_tables,
    "render": run_render,
    "plot": run_plot,
    "grid": run_grid_command,
    "report": run_report_command,
    "tensorboard": run_tensorboard_command,
    "local-slurm": run_local_slurm,
    "studio": run_studio,
    "melody": run_melody,
    "likeness": run_likeness,
}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``rnncells`` command."""
    quiet_tensorflow()
    args = build_parser().parse_args(argv)
    try:
        code = HANDLERS[args.command](args)
        sys.stdout.flush()  # a reader that closed the pipe is noticed here, not at exit
        return code
    except BrokenPipeError:  # `rnncells ... | head -1`: the reader has all it wants; end quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # what a shell reports for a process ended by SIGPIPE
    except KeyboardInterrupt:
        print("rnncells: interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    except EXPECTED_ERRORS as error:
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        print(f"rnncells: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
