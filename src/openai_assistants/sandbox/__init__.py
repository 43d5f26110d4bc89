"""An embedded, Assistants-compatible server for building and testing without the real API.

``with start_sandbox() as server: server.base_url`` serves ``http://127.0.0.1:PORT/v1`` from a
background thread: assistants, threads, messages and runs in memory, runs that complete after
``run_duration`` seconds with the reply ``Echo: <last user message>``, event streams, and
counted fault injection (:class:`Faults`) for retry and error-handling tests.
"""

from .faults import Faults
from .server import LoggedRequest, SandboxServer, start_sandbox

__all__ = ["Faults", "LoggedRequest", "SandboxServer", "start_sandbox"]
