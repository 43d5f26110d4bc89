"""A table's progress on standard error while the command line works through its rows.

On a terminal one line is redrawn in place (at most ten times a second); into a file or a
pipe a plain line is written now and then (every ``LINE_SECONDS``) and at the end, so a log
stays readable. Standard output keeps only the result, so it can still be piped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

REDRAW_SECONDS = 0.1
LINE_SECONDS = 5.0


class _ProgressLine:
    """One progress line on ``stream``: redrawn in place on a terminal, a plain line now and
    then otherwise; what it says comes from the subclass."""

    def __init__(
        self,
        stream: TextIO,
        *,
        in_place: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.in_place = stream.isatty() if in_place is None else in_place
        self.clock = clock
        self.started = clock()
        self._last_shown = -1e9
        self._last_text = ""
        self._drawn = False

    def _show(self, finished: bool, text_at: Callable[[float], str]) -> None:
        """Show ``text_at(elapsed)`` if it is time (the end always is)."""
        now = self.clock()
        gap = REDRAW_SECONDS if self.in_place else LINE_SECONDS
        if not finished and now - self._last_shown < gap:
            return
        text = text_at(now - self.started)
        if text == self._last_text:
            return
        self._last_shown, self._last_text = now, text
        if self.in_place:
            self.stream.write("\r" + text + "\x1b[K")
            self._drawn = True
            if finished:
                self.close()
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        """End the redrawn line (before anything else is written to the stream)."""
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False


class RowProgress(_ProgressLine):
    """Shows ``done/total done, running, failed, elapsed, time left`` on ``stream``."""

    def update(self, done: int, total: int, running: int, failed: int) -> None:
        """New counts; shown if it is time (the last row always is)."""
        self._show(done >= total, lambda elapsed: line(done, total, running, failed, elapsed))


class TableProgress(_ProgressLine):
    """The engine's progress of a table (``progress(fraction, message)``, as KNIME's bar
    gets it: rows done, the runs' states, failures) with the time elapsed and left."""

    def __call__(self, fraction: float, message: str) -> None:
        def text(elapsed: float) -> str:
            shown = f"{message}, {clock_time(elapsed)} elapsed"
            if 0 < fraction < 1:
                shown += f", about {clock_time(elapsed / fraction * (1 - fraction))} left"
            return shown

        self._show(fraction >= 1, text)


def line(done: int, total: int, running: int, failed: int, elapsed: float) -> str:
    """``12/200 rows done, 4 running, 1 failed, 0:07 elapsed, about 1:49 left``."""
    text = f"{done}/{total} rows done, {running} running"
    if failed:
        text += f", {failed} failed"
    text += f", {clock_time(elapsed)} elapsed"
    if 0 < done < total:
        text += f", about {clock_time(elapsed / done * (total - done))} left"
    return text


def clock_time(seconds: float) -> str:
    """``0:07``, ``12:03``, ``1:02:03``."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
