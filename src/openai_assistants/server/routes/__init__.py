"""The API's operations over HTTP, one module per resource as the API groups them.

:mod:`.assistants`, :mod:`.threads`, :mod:`.messages`, :mod:`.runs` (runs and run steps),
:mod:`.files` and :mod:`.vector_stores` (their files, batches and search);
each lists its :data:`OPERATIONS` (method, path below ``/v1``, handler). A handler is
``async (ApiContext, Request) -> Response``. :mod:`.http` holds what every route shares
(OpenAI's error shape, JSON answers, bodies, list queries); :mod:`.event_stream` how a run
answers (the run, or server-sent events). A new resource is a new module here, added to
:data:`OPERATIONS` below.

May import :mod:`..runs`, :mod:`..store`, :mod:`..validation` and the package's operation
data; never :mod:`..app` or :mod:`..cli`.
"""

from __future__ import annotations

from . import assistants, files, messages, runs, threads, vector_stores
from .http import Operation


def _literal_first(operation: Operation) -> tuple[bool, ...]:
    """A literal path segment is matched before a ``{parameter}`` in the same place, so
    ``POST /threads/runs`` is never taken for ``POST /threads/{thread_id}``."""
    return tuple(segment.startswith("{") for segment in operation.path.split("/"))


OPERATIONS: tuple[Operation, ...] = tuple(
    sorted(
        (
            *assistants.OPERATIONS,
            *threads.OPERATIONS,
            *messages.OPERATIONS,
            *runs.OPERATIONS,
            *files.OPERATIONS,
            *vector_stores.OPERATIONS,
        ),
        key=_literal_first,
    )
)
