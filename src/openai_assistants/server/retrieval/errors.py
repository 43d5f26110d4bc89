"""The errors of retrieval, as values carrying the API's codes.

A vector-store file that cannot be read ends ``failed`` with ``last_error = {"code",
"message"}``; the codes are the API's own (``unsupported_file``, ``invalid_file``,
``server_error``). Keeping them on one exception type lets ingestion turn any of them into that
object without knowing where it came from.
"""

from __future__ import annotations

from typing import Any

UNSUPPORTED_FILE = "unsupported_file"
INVALID_FILE = "invalid_file"
SERVER_ERROR = "server_error"


class RetrievalError(Exception):
    """A file that cannot be ingested: ``code`` is one of the API's ``last_error`` codes."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def last_error(self) -> dict[str, Any]:
        """The ``last_error`` object of a failed vector-store file."""
        return {"code": self.code, "message": self.message}


class InvalidParameterError(ValueError):
    """A request value the API refuses (a 400): ``param`` names the field."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
