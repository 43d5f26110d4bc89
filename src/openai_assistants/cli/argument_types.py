"""Values an argument may take, checked by argparse before a command runs (so a bad value
is a usage message and exit 2, never a traceback), and the flag spelling of a setting."""

from __future__ import annotations

import argparse
import math

MAX_SECONDS = 86_400.0


def seconds(text: str) -> float:
    """A duration from 0 to a day."""
    value = float(text)
    if not (math.isfinite(value) and 0 <= value <= MAX_SECONDS):
        raise argparse.ArgumentTypeError(f"must be between 0 and {MAX_SECONDS:g}")
    return value


def positive(text: str) -> float:
    """A duration above 0, at most a day."""
    value = float(text)
    if not (math.isfinite(value) and 0 < value <= MAX_SECONDS):
        raise argparse.ArgumentTypeError(f"must be > 0 and at most {MAX_SECONDS:g}")
    return value


def count(text: str) -> int:
    """A count of 0 or more."""
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return value


def option(name: str) -> str:
    """A setting's flag: ``thread_id`` -> ``--thread-id``."""
    return "--" + name.replace("_", "-")
