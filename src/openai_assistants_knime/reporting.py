"""What a node tells the user while it works: warnings and progress, as KNIME shows them."""

from __future__ import annotations

from collections.abc import Callable

MAX_WARNING_CHARS = 2000  # KNIME shows the warning in a tooltip and the node monitor


def report_warnings(warn: Callable[[str], None], warnings: list[str]) -> None:
    """KNIME shows one warning per node: join them, most important first, bounded."""
    report_warning(warn, " | ".join(warnings))


def report_warning(warn: Callable[[str], None], text: str) -> None:
    """The node's one warning (an API node's is the engine's summary of an execution: failed
    rows counted, the first reason, where to look); nothing when there is none. Bounded, so
    a table of thousands of rows never makes a warning of thousands of lines."""
    if text:
        if len(text) > MAX_WARNING_CHARS:
            text = text[: MAX_WARNING_CHARS - 1].rstrip() + "…"
        warn(text)


def report_start(set_progress: Callable[[float, str], None], message: str) -> None:
    """The progress bar at 0 %, saying what the node is about to do."""
    set_progress(0.0, message)
