"""What a node tells the user while it works: warnings and progress, as KNIME shows them."""

from __future__ import annotations

from collections.abc import Callable


def report_warnings(warn: Callable[[str], None], warnings: list[str]) -> None:
    """KNIME shows one warning per node: join them, most important first."""
    if warnings:
        warn(" | ".join(warnings))


def report_start(set_progress: Callable[[float, str], None], message: str) -> None:
    """The progress bar at 0 %, saying what the node is about to do."""
    set_progress(0.0, message)
