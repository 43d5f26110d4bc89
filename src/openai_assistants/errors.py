"""Every failure the extension reports, in one place.

Each error carries a message written for the person who sees it in the KNIME node status or on
the command line: it names the setting, JSON path, rule or URL involved and says what to do.
No message ever contains the API key (URLs are logged without query secrets; headers never).

    OpenAIAssistantsError
    ├── InvalidSettingsError      a setting is unusable; nothing was sent      (CLI exit 2)
    │   └── InvalidBodyError      the JSON body breaks the schema or rules;    (CLI exit 2)
    │                             .violations lists every one, not only the first
    ├── MissingApiKeyError        no key where the configuration says to look   (CLI exit 2)
    ├── RequestFailedError        the exchange did not produce a usable answer  (CLI exit 1)
    │   ├── TransportError        connect/read failure or timeout
    │   │   └── AmbiguousSendError  failed *after* the request was sent: the run may exist,
    │   │                           so it is never retried blindly
    │   ├── HttpStatusError       the server answered 4xx/5xx (.response holds the answer)
    │   ├── ResponseFormatError   the answer is not what the API promises (bad JSON, cut stream)
    │   └── RunWaitTimeoutError   "wait until the run ends" ran out of time
    └── CancelledError            the user cancelled (KNIME's cancel button, Ctrl+C)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .exchange import ApiResponse


class OpenAIAssistantsError(Exception):
    """Base of all errors the extension raises on purpose."""


class InvalidSettingsError(OpenAIAssistantsError):
    """A setting is unusable. ``setting`` names it, so the message can point the user there."""

    def __init__(self, message: str, *, setting: str | None = None) -> None:
        super().__init__(message)
        self.setting = setting


class InvalidBodyError(InvalidSettingsError):
    """The request body breaks the schema; ``violations`` are ``path: rule`` lines."""

    def __init__(self, violations: list[str]) -> None:
        self.violations = list(violations)
        count = len(self.violations)
        head = "The JSON body is invalid" if count == 1 else f"The JSON body has {count} problems"
        super().__init__(f"{head}: " + "; ".join(self.violations), setting="body")


class MissingApiKeyError(OpenAIAssistantsError):
    """No API key was found where the configuration says to look."""


class RequestFailedError(OpenAIAssistantsError):
    """The request was attempted but did not produce a successful, well-formed answer."""


class TransportError(RequestFailedError):
    """The connection failed or timed out."""


class AmbiguousSendError(TransportError):
    """The request may have reached the server; retrying could start a second run."""


class HttpStatusError(RequestFailedError):
    """The server answered with an error status; ``response`` holds status and body."""

    def __init__(self, message: str, response: ApiResponse) -> None:
        super().__init__(message)
        self.response = response


class ResponseFormatError(RequestFailedError):
    """The server's answer is malformed (not JSON, empty, or a cut-off event stream)."""


class RunWaitTimeoutError(RequestFailedError):
    """The run did not end within the maximum wait; it goes on on the server."""


class CancelledError(OpenAIAssistantsError):
    """The user cancelled the execution."""

    def __init__(self, message: str = "Execution cancelled.") -> None:
        super().__init__(message)
