"""The project's expected errors: what bad input, a missing file or a damaged folder raises.

Every error a user can cause derives from :class:`RnncellsError`; the CLI turns those (and ``OSError`` on the user's
files) into one line on stderr and exit code 2. Anything else is a bug and keeps its traceback.
Each subclass also keeps the built-in base it always had (``ValueError``, ``KeyError``, ``RuntimeError``), so code
that catches those still catches it.
"""

from __future__ import annotations


class RnncellsError(Exception):
    """Base of every expected error: its message names the file, flag or value, and the fix."""


class InputError(RnncellsError, ValueError):
    """A value given by the user (a flag, a config key, a key name) that cannot be used as it is."""
