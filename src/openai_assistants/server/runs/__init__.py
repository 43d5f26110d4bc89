"""The run executor: everything between Create Run and a run's final status.

:mod:`.lifecycle` (the :class:`Engine`: create, submit tool outputs, cancel, expire, recover,
stop; one asyncio task per run), :mod:`.turn` (one model call and what its answer makes of the
run), :mod:`.model_request` (the Chat Completions request of a turn), :mod:`.tools` (function
calls, submitted outputs, the run's transcript), :mod:`.steps` (run steps and usage),
:mod:`.events` (what streaming clients receive), :mod:`.objects` (IDs, new runs and messages).

May import :mod:`..store`, :mod:`..backends` and :mod:`..validation`; never the HTTP layer
(:mod:`..routes`, :mod:`..app`), so a run works the same whoever asked for it.
"""

from .events import END, Event
from .lifecycle import ACTIVE, EXPIRES_AFTER_SECONDS, STOPPED_MESSAGE, TERMINAL, Engine
from .objects import new_id

__all__ = [
    "ACTIVE",
    "END",
    "EXPIRES_AFTER_SECONDS",
    "STOPPED_MESSAGE",
    "TERMINAL",
    "Engine",
    "Event",
    "new_id",
]
