"""What a command shows while it runs, and how it reacts to Ctrl+C and SIGTERM.

Lines go out one at a time and flushed (a caller may be waiting for one, e.g. the sandbox's
URL), never as a traceback; retry notices of the transport appear as ``note: ...`` on
standard error; the first Ctrl+C cancels like KNIME's cancel button.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
import threading
from collections.abc import Iterator
from typing import TextIO


def say(text: str, stream: TextIO) -> None:
    """One line, flushed at once (a caller may be waiting for it, e.g. the sandbox URL)."""
    stream.write(" ".join(str(text).splitlines()) + "\n")
    stream.flush()


@contextlib.contextmanager
def retry_notices() -> Iterator[None]:
    """Show the transport's retry notices as ``note: ...`` on stderr while a command runs.

    The execute path's own warnings come back in ``outcome.warnings`` and are printed once
    from there, so its logger is kept quiet rather than printed twice.
    """
    root = logging.getLogger("openai_assistants")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("note: %(message)s"))
    handler.addFilter(lambda record: record.name.startswith("openai_assistants.transport"))
    saved = root.propagate
    root.addHandler(handler)
    root.propagate = False
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.propagate = saved


@contextlib.contextmanager
def interrupt_as_cancel() -> Iterator[threading.Event]:
    """The first Ctrl+C cancels like KNIME's cancel button; a second one interrupts at once.

    Cancelling through the core lets it say what may already exist on the server (and cancel
    the run when asked to), instead of dying in the middle of an exchange.
    """
    interrupted = threading.Event()

    def on_sigint(signum: int, frame: object) -> None:
        if interrupted.is_set():
            raise KeyboardInterrupt
        interrupted.set()

    try:
        previous = signal.signal(signal.SIGINT, on_sigint)
    except ValueError:  # not the main thread
        yield interrupted
        return
    try:
        yield interrupted
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def stop_on_sigterm(stopped: threading.Event) -> Iterator[None]:
    """``kill``/``terminate()`` stops a server cleanly, like Ctrl+C does."""
    try:
        previous = signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    except ValueError:  # not the main thread (e.g. called from a test thread)
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
