"""Keeping a one-shot process from importing pandas it does not use.

pyarrow imports pandas (about 250 ms, more than the rest of a ``create-run`` process) the
first time ``pa.array()`` is called, only to ask whether the value is a pandas object. The
result table is built from plain lists, so the answer is always no. While
:func:`pandas_not_probed` is active, a process that has not loaded pandas yet answers that
question without it. pyarrow asks again, and imports pandas, the first time pandas is
really needed (``Table.to_pandas()``: the CLI's Parquet output).

Only a process that opted in with :func:`keep_pandas_unloaded` (the command line does, in
``cli.main``) is affected: elsewhere pyarrow keeps its usual behaviour, so code sharing the
process (KNIME's) never sees pyarrow unaware of pandas.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any


class _NoPandasHere:
    """A meta path finder that refuses ``pandas`` to the thread that installed it."""

    def __init__(self) -> None:
        self.thread = threading.get_ident()

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name == "pandas" and threading.get_ident() == self.thread:
            raise ModuleNotFoundError("pandas is not needed here", name=name)
        return None  # every other import goes on as usual


_OPTED_IN = False


def keep_pandas_unloaded() -> None:
    """This process (a one-shot command) imports pandas only where it is really used."""
    global _OPTED_IN
    _OPTED_IN = True


_NOTHING_TO_DO = nullcontext()


def pandas_not_probed() -> AbstractContextManager[None]:
    """Within the block, ``import pandas`` on this thread fails unless pandas is loaded
    (only in a process that called :func:`keep_pandas_unloaded`; elsewhere, e.g. in KNIME,
    the block costs nothing)."""
    if not _OPTED_IN or "pandas" in sys.modules:
        return _NOTHING_TO_DO
    return _pandas_refused()


@contextmanager
def _pandas_refused() -> Iterator[None]:
    finder = _NoPandasHere()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
