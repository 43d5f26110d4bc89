"""The client: configuration and key enter once; every request of an execution goes through it.

As ``httpx.Client`` or ``openai.OpenAI(...)``: the connection configuration, the API key, the
httpx client, one 429 gate and the cancel flag are given when the client is made, and
:meth:`ApiClient.send` sends a request with them (retries, back-off, total time limit). The
engine, waiting for a run, following pages and cancelling a run all send through it; nothing
else ever holds the key. The key lives only inside the client, as the one header that carries
it, and is never shown (no ``__dict__``, a ``repr`` without it).

A client is cheap to make (no network, no httpx client: the process-wide pooled one is taken at
the first send), so the KNIME shell and the command line make one per execution.
"""

from __future__ import annotations

import logging
import random as _random
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..errors import AmbiguousSendError, TransportError
from .api_key import auth_header, resolve_api_key
from .cancellation import IsCanceled, pause, raise_if_canceled
from .connection import ConnectionConfig
from .exchange import ApiRequest, ApiResponse
from .retry_policy import Outcome, retry_delay, should_retry

if TYPE_CHECKING:  # httpx loads when something is sent, not when a node module is imported
    import httpx

    from .rate_limit import RateLimitGate

# the name the command line listens to for its "note: retrying ..." lines (cli.main)
logger = logging.getLogger("openai_assistants.transport")

_UNSET: Any = object()


class ApiClient:
    """One execution's way to the API (see the module docstring).

    ``http``: an ``httpx.Client`` to send with (tests inject one with a mock or ASGI
    transport); None takes the process-wide pooled client for the configuration's CA bundle.
    ``gate``: the 429 back-off shared by every request of this client (one is made when not
    given). ``is_canceled``: the caller's cancel flag, checked between the steps of every
    exchange and wait.
    """

    __slots__ = ("_auth", "_gate", "_http", "config", "is_canceled")

    def __init__(
        self,
        config: ConnectionConfig,
        api_key: str,
        *,
        http: httpx.Client | None = None,
        gate: RateLimitGate | None = None,
        is_canceled: IsCanceled | None = None,
    ) -> None:
        if gate is None:
            from .rate_limit import RateLimitGate

            gate = RateLimitGate()
        self.config = config
        self._auth = auth_header(config, api_key)  # the only place the key is kept
        self._http = http
        self._gate = gate
        self.is_canceled = is_canceled

    @classmethod
    def connect(
        cls,
        config: ConnectionConfig,
        credential_password: Callable[[str], str | None] | None = None,
        environ: Mapping[str, str] | None = None,
        *,
        http: httpx.Client | None = None,
        gate: RateLimitGate | None = None,
        is_canceled: IsCanceled | None = None,
    ) -> ApiClient:
        """Find the key where the configuration says (``credential_password``: KNIME's lookup
        of a credentials name or Credential port reference; ``environ``: replaces
        ``os.environ`` for the key variable) and make the client. Raises
        :class:`MissingApiKeyError` naming the key source when there is no usable key."""
        api_key = resolve_api_key(config, credential_password, environ)
        return cls(config, api_key, http=http, gate=gate, is_canceled=is_canceled)

    def with_cancel(self, is_canceled: IsCanceled | None) -> ApiClient:
        """The same client (key, httpx client, 429 gate) with another cancel flag: the workers
        of a table stop on the table's own flag, set by the calling thread."""
        return self._twin(self.config, is_canceled)

    def with_time_limit(self, seconds: float) -> ApiClient:
        """The same client whose every call ends within ``seconds`` at most (retries
        included): a quick check must not hold a node for the configuration's whole limit."""
        limit = min(self.config.total_timeout, seconds)
        return self._twin(replace(self.config, total_timeout=limit), self.is_canceled)

    def _twin(self, config: ConnectionConfig, is_canceled: IsCanceled | None) -> ApiClient:
        twin = object.__new__(ApiClient)
        twin.config = config
        twin._auth = self._auth
        twin._http = self._http
        twin._gate = self._gate
        twin.is_canceled = is_canceled
        return twin

    def __repr__(self) -> str:
        return f"ApiClient(base_url={self.config.base_url!r})"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("an ApiClient holds a key and is not pickled")

    def send(self, request: ApiRequest, *, cancellable: bool = True) -> ApiResponse:
        """Send ``request``, retrying what the policy allows; return the final answer.

        ``cancellable=False`` for the clean-up call after a cancel (no cancel flag, no gate).
        A response with an error status is returned, not raised: whether that fails the node
        is the caller's decision. Raised: :class:`TransportError` (nothing usable came back),
        :class:`AmbiguousSendError` (a POST may have been processed),
        :class:`ResponseFormatError` (an answer too large or undecodable),
        :class:`CancelledError`. The whole call, retries included, ends by
        ``config.total_timeout``.
        """
        from .attempt import NotSentError, SentError, maybe_created, send_once

        config = self.config
        is_canceled = self.is_canceled if cancellable else None
        gate = self._gate if cancellable else None
        deadline = time.monotonic() + config.total_timeout
        reasons: list[str] = []
        for attempt in range(config.max_retries + 1):
            if gate is not None:
                gate.wait(is_canceled)
            raise_if_canceled(is_canceled)
            retries_left = attempt < config.max_retries
            try:
                response = send_once(self._http, request, config, self._auth, deadline, is_canceled)
            except NotSentError as exc:
                if not (retries_left and exc.retryable and should_retry(True, Outcome.NOT_SENT)):
                    raise TransportError(str(exc), request=request) from None
                reason, delay = str(exc), retry_delay(attempt, None, random=_random.random)
            except SentError as exc:
                if not (retries_left and should_retry(request.idempotent, Outcome.SENT_NO_ANSWER)):
                    raise AmbiguousSendError(
                        " ".join([str(exc), maybe_created(request)]).strip(), request=request
                    ) from None
                reason, delay = str(exc), retry_delay(attempt, None, random=_random.random)
            else:
                retryable = should_retry(request.idempotent, Outcome.ANSWERED, response.status)
                if not (retries_left and retryable):
                    if not attempt:
                        return response  # the first answer: attempts=1, no retry reasons
                    return replace(response, attempts=attempt + 1, retry_reasons=tuple(reasons))
                reason = f"HTTP {response.status}"
                delay = retry_delay(attempt, dict(response.headers), random=_random.random)
            if time.monotonic() + delay >= deadline:
                # only what created nothing is retried, so nothing exists from this request
                raise TransportError(
                    f"{request.where} did not succeed within the total time limit of "
                    f"{config.total_timeout:g} s (setting total_timeout); the last attempt "
                    f"ended with: {reason}",
                    request=request,
                )
            reasons.append(reason)
            logger.warning(
                "Retrying %s in %.2f s (attempt %d of %d) after: %s",
                request.where,
                delay,
                attempt + 2,
                config.max_retries + 1,
                reason,
            )
            if gate is not None and reason == "HTTP 429":
                gate.hold(delay)  # everyone waits; the loop's gate.wait() does the waiting
            else:
                pause(delay, is_canceled)
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover
