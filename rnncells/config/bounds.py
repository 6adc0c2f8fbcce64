"""The allowed range of every numeric setting, and the one line that refuses a value outside it.

A config dataclass field names its range in ``metadata["range"]`` (inclusive); each config's ``validate()`` ends
with :func:`rnncells.config.records.check_ranges`, so flags, ``--config`` files, grid files and ``--set`` share
the check. The message names the key, its flag, the value and the range; the caller adds the file or command.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from rnncells.music.midi import MAX_NOTE_STEPS  # noqa: F401 (re-exported: the bound of min/max_duration)

# Bounds of the numeric settings (field metadata "range", checked at the end of each config's validate()). They are far
# above anything the study uses and low enough that no setting can ask for memory or time the machine lacks.
SEED_RANGE = (0, 2**32 - 1)  # what numpy, TensorFlow and Python's random accept alike
BPM_RANGE = (20.0, 999.0)  # a musical tempo; MIDI stores 60e6/bpm microseconds a beat in 24 bits
MAX_LAYERS = 64
MAX_UNITS = 4096  # an LSTM layer of 4096 units holds 134M weights
MAX_SONGS = 100_000
MAX_TOKENS = 100_000  # tokens sampled per song (--length, and --bars' 16 steps a bar)
MAX_BARS = 4096
MAX_BEAM = 1024
MAX_SAMPLED_TOKENS = 50_000_000  # n_songs x tokens per song, sampled in one batch
MAX_BEAM_ROWS = 1_000_000  # n_songs x beam_size x branch_factor: the rows of one beam-search batch
# MAX_NOTE_STEPS (16ths in one note) is the MIDI reader's, so a dataset setting never asks for notes it skips


def _number(value: float) -> str:
    """``value`` as a message shows it; a number of more than 30 digits is described, not printed whole."""
    if isinstance(value, int) and abs(value) >= 10**30:
        return f"a number of about {int(abs(value).bit_length() * math.log10(2)) + 1} digits"
    return f"{value:g}" if isinstance(value, float) else str(value)


def range_problem(config: Any) -> str | None:
    """The first field of ``config`` outside its ``metadata["range"]``, as one line naming the key, its flag, the
    value and the allowed range; None when every field is in range."""
    for spec in dataclasses.fields(config):
        bounds = spec.metadata.get("range")
        value = getattr(config, spec.name)
        if bounds is None or value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        low, high = bounds
        if not low <= value <= high:
            flag = "--" + spec.name.replace("_", "-")
            return (
                f"{spec.name} = {_number(value)} (flag {flag}) is out of range: allowed "
                f"{_number(low)} to {_number(high)}"
            )
    return None
