"""Every failure the extension reports, in one place.

Each error carries a message written for the person who sees it in the KNIME node status or on
the command line: it names the setting, JSON path, rule or URL involved and says what to do.
No message ever contains the API key (URLs are logged without query secrets; headers never),
and neither do ``repr()`` or ``args``: the key is never passed to an exception.

    OpenAIAssistantsError
    ├── InvalidSettingsError      a setting is unusable; nothing was sent      (CLI exit 2)
    │   ├── InvalidBodyError      the JSON body breaks the schema or rules;    (CLI exit 2)
    │   │                         .violations lists every one, not only the first
    │   ├── InvalidRequestSettingsError  several settings at once; .problems holds each
    │   └── MissingApiKeyError    no usable key where the configuration says   (CLI exit 2)
    ├── RequestFailedError        the exchange did not produce a usable answer  (CLI exit 1)
    │   │                         .request: what was sent (method, URL without secrets)
    │   ├── TransportError        connect/read failure or timeout
    │   │   └── AmbiguousSendError  failed *after* the request was sent: what it creates may
    │   │                           exist, so it is never retried blindly
    │   ├── HttpStatusError       the server answered 4xx/5xx (.response holds the answer)
    │   ├── ResponseFormatError   the answer is not what the API promises (bad JSON, cut
    │   │                         stream, not a run object, too large, undecodable)
    │   └── RunWaitTimeoutError   "wait until the run ends" ran out of time
    ├── OutputWriteError          the runs were made but the output file could not be written
    │                                                                            (CLI exit 1)
    └── CancelledError            the user cancelled (KNIME's cancel button, Ctrl+C)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .client.exchange import ApiRequest, ApiResponse


class OpenAIAssistantsError(Exception):
    """Base of all errors the extension raises on purpose."""


class InvalidSettingsError(OpenAIAssistantsError):
    """A setting is unusable. ``setting`` names it, so the message can point the user there."""

    def __init__(self, message: str, *, setting: str | None = None) -> None:
        super().__init__(message)
        self.setting = setting


class InvalidBodyError(InvalidSettingsError):
    """The request body breaks the schema; ``violations`` are ``path: rule`` lines."""

    def __init__(self, violations: list[str], *, prefix: str = "") -> None:
        self.violations = list(violations)
        count = len(self.violations)
        head = "The JSON body is invalid" if count == 1 else f"The JSON body has {count} problems"
        super().__init__(f"{prefix}{head}: " + "; ".join(self.violations), setting="body")


class InvalidRequestSettingsError(InvalidSettingsError):
    """More than one setting is unusable; ``problems`` holds each error, in the order found.

    ``setting`` is the first problem's setting, so a caller that shows one place still points
    the user somewhere useful; the message lists them all.
    """

    def __init__(self, problems: list[InvalidSettingsError]) -> None:
        self.problems = list(problems)
        text = " ".join(_sentence(str(p)) for p in self.problems)
        super().__init__(
            f"{len(self.problems)} settings are invalid: {text}", setting=self.problems[0].setting
        )

    @property
    def settings(self) -> list[str | None]:
        return [p.setting for p in self.problems]


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


class MissingApiKeyError(InvalidSettingsError):
    """No usable API key was found where the configuration says to look (nothing was sent)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, setting="credentials")


class RequestFailedError(OpenAIAssistantsError):
    """The request was attempted but did not produce a successful, well-formed answer.

    ``request`` is the :class:`ApiRequest` concerned (it never holds the key), so callers can
    name the method and URL without parsing the message.
    """

    def __init__(self, message: str, *, request: ApiRequest | None = None) -> None:
        super().__init__(message)
        self.request = request


class TransportError(RequestFailedError):
    """The connection failed or timed out."""


class AmbiguousSendError(TransportError):
    """The request may have reached the server; retrying could start a second run."""


class HttpStatusError(RequestFailedError):
    """The server answered with an error status; ``response`` holds status and body."""

    def __init__(
        self, message: str, response: ApiResponse, *, request: ApiRequest | None = None
    ) -> None:
        super().__init__(message, request=request)
        self.response = response


class ResponseFormatError(RequestFailedError):
    """The server's answer is malformed (not JSON, empty, not a run, cut off, too large)."""


class RunWaitTimeoutError(RequestFailedError):
    """The run did not end within the maximum wait; it goes on on the server."""


class OutputWriteError(OpenAIAssistantsError):
    """The requests were made, but their results could not be written where asked."""


class CancelledError(OpenAIAssistantsError):
    """The user cancelled the execution."""

    def __init__(self, message: str = "Execution cancelled.") -> None:
        super().__init__(message)
