"""Keys never leave the server: every key ``serve`` knows is cut out of what it answers and logs.

The server knows two kinds of key: the model endpoint's (sent to the endpoint, nowhere else)
and the clients' (``--api-key-env``). Text from outside can quote them: a model endpoint's
error message may quote the key it refused, and that message becomes a run's ``last_error``.
So redaction happens at the boundaries, not where a key happens to be noticed: the backend
cuts its key out of every endpoint text it passes on (so it is never stored), and the
application cuts every known key out of every answer it sends and every line it logs.

Keys shorter than :data:`MIN_SECRET_LENGTH` are not redacted (replacing, say, ``"a"`` in every
answer would corrupt the JSON); no real key is that short.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

REDACTED = "[redacted]"
MIN_SECRET_LENGTH = 6


class Redactor:
    """Replaces each of the given secrets by :data:`REDACTED`."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        unique = {s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH}
        # longest first: a key that contains another is replaced whole
        self._text = sorted(unique, key=len, reverse=True)
        self._bytes = [s.encode("utf-8") for s in self._text]

    def __bool__(self) -> bool:
        return bool(self._text)

    def text(self, value: str) -> str:
        for secret in self._text:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value

    def data(self, value: bytes) -> bytes:
        for secret in self._bytes:
            if secret in value:
                value = value.replace(secret, REDACTED.encode())
        return value


class RedactingFilter(logging.Filter):
    """A log filter that formats each record and cuts the secrets out of its text."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args = self.redactor.text(message), None
        if record.exc_text:
            record.exc_text = self.redactor.text(record.exc_text)
        return True
