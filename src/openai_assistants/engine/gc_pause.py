"""Full garbage collections leave the process's existing objects alone while a table runs.

A table's rows create objects that outlive a collection (the rows' results, the requests in
flight), and after enough of them CPython runs a full collection, which walks every object of
the process: in KNIME's Python process (pandas, pyarrow, KNIME's modules loaded) about 200,000
objects, 0.1 s with the interpreter lock held, so every request in flight waits that long.
While :func:`existing_objects_frozen` is active, the objects that existed when it began are
in CPython's permanent generation (``gc.freeze``), so a collection walks only what the table
made; at the end they go back (``gc.unfreeze``). Nothing is lost: a cycle that became garbage
before the table started is collected after it. If something else in the process froze
objects (``gc.get_freeze_count()`` is not 0), nothing is changed, so its freeze is not undone.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def existing_objects_frozen() -> Iterator[None]:
    if not gc.isenabled() or gc.get_freeze_count():
        yield  # collection is off, or someone else froze objects: leave it as it is
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
