"""Stopping a training run cleanly on SIGTERM / SIGINT (rnncells.training.trainer commits first)."""

from __future__ import annotations

import signal
import threading
import time


class StopRequested:
    """SIGTERM / SIGINT while training: finish the epoch, commit, then stop (a second signal stops at once).

    A repeat within ``SAME_STOP_SECONDS`` is the same request: a grid stopped by Ctrl-C passes its stop on to its
    trainers, which the terminal's SIGINT has usually reached a moment before (rnncells.grid.runner)."""

    SAME_STOP_SECONDS = 2.0

    def __init__(self) -> None:
        self.requested = False
        self.first = 0.0
        self.previous: dict[int, object] = {}

    def __enter__(self) -> StopRequested:
        if threading.current_thread() is threading.main_thread():
            for number in (signal.SIGTERM, signal.SIGINT):
                self.previous[number] = signal.signal(number, self._handle)
        return self

    def _handle(self, number: int, frame: object) -> None:
        if self.requested and time.monotonic() - self.first > self.SAME_STOP_SECONDS:
            raise KeyboardInterrupt
        if not self.requested:
            self.requested, self.first = True, time.monotonic()

    def __exit__(self, *exc: object) -> None:
        for number, handler in self.previous.items():
            signal.signal(number, handler)
