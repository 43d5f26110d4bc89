"""Sending an :class:`ApiRequest` with httpx: retries, timeouts, cancellation, client reuse.

This is the only module that touches the network. Retry decisions come from the pure
functions in :mod:`retry_policy`; this module only carries them out.

Shared state: ``_CLIENTS``, the one cache of reusable ``httpx.Client`` objects, keyed by the
CA bundle, each with a few reusable threads for cancellable waits. Creating a client costs
~20 ms of TLS set-up and a thread ~1 ms; reusing them keeps connections alive across node
executions in the same KNIME Python process. Clients are closed at exit.
"""

from __future__ import annotations

import atexit
import logging
import random as _random
import ssl
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, replace

import httpx

from .cancellation import POLL_SECONDS, IsCanceled, pause, raise_if_canceled
from .connection import ConnectionConfig, auth_header
from .errors import AmbiguousSendError, CancelledError, TransportError
from .exchange import ApiRequest, ApiResponse
from .retry_policy import is_retryable_status, retry_delay

logger = logging.getLogger("openai_assistants.transport")


_CLIENTS: dict[str, _SharedClient] = {}
_CLIENTS_LOCK = threading.Lock()


@dataclass
class _SharedClient:
    """A pooled httpx client and the reusable threads that let a cancel interrupt a wait."""

    client: httpx.Client
    workers: ThreadPoolExecutor


def _shared(config: ConnectionConfig) -> _SharedClient:
    key = config.ca_bundle
    with _CLIENTS_LOCK:
        shared = _CLIENTS.get(key)
        if shared is None or shared.client.is_closed:
            verify: bool | ssl.SSLContext = True  # certificates are always checked
            if config.ca_bundle:
                verify = ssl.create_default_context(cafile=config.ca_bundle)
            client = httpx.Client(
                verify=verify,
                follow_redirects=False,  # never send the key to a host we were not pointed at
                trust_env=True,  # HTTPS_PROXY / NO_PROXY / SSL_CERT_FILE
                limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
            )
            workers = ThreadPoolExecutor(max_workers=64, thread_name_prefix="openai-exchange")
            shared = _CLIENTS[key] = _SharedClient(client, workers)
        return shared


def shared_client(config: ConnectionConfig) -> httpx.Client:
    """The process-wide client for this CA bundle (created on first use)."""
    return _shared(config).client


@atexit.register
def close_clients() -> None:
    """Close every cached client (and its connections)."""
    with _CLIENTS_LOCK:
        for shared in _CLIENTS.values():
            shared.client.close()
            shared.workers.shutdown(wait=False, cancel_futures=True)
        _CLIENTS.clear()


class RateLimitGate:
    """One back-off shared by concurrent requests: a 429 to any of them pauses them all.

    Without it, N workers that hit a rate limit would each retry on their own clock and keep
    the limit exceeded.
    """

    def __init__(self) -> None:
        self._until = 0.0
        self._lock = threading.Lock()

    def hold(self, seconds: float) -> None:
        with self._lock:
            self._until = max(self._until, time.monotonic() + seconds)

    def remaining(self) -> float:
        with self._lock:
            return max(0.0, self._until - time.monotonic())

    def wait(self, is_canceled: IsCanceled | None) -> None:
        """Wait out the hold, which another request's 429 may extend meanwhile."""
        while (remaining := self.remaining()) > 0:
            pause(min(remaining, POLL_SECONDS), is_canceled)
        raise_if_canceled(is_canceled)


def send(
    request: ApiRequest,
    config: ConnectionConfig,
    api_key: str,
    *,
    client: httpx.Client | None = None,
    is_canceled: IsCanceled | None = None,
    gate: RateLimitGate | None = None,
    sleep: Callable[[float], None] = time.sleep,
    random: Callable[[], float] = _random.random,
) -> ApiResponse:
    """Send ``request``, retrying what is safe to retry; return the final answer.

    A response with an error status is returned, not raised: whether that fails the node is
    the caller's decision. Raised: :class:`TransportError` (nothing usable came back),
    :class:`AmbiguousSendError` (a POST may have arrived), :class:`CancelledError`.
    A GET is idempotent, so a failure after sending it is retried like a failed connection.
    """
    shared = _shared(config)
    client = client or shared.client
    timeout = httpx.Timeout(config.timeout, connect=min(config.connect_timeout, config.timeout))
    reasons: list[str] = []
    for attempt in range(config.max_retries + 1):
        if gate is not None:
            gate.wait(is_canceled)
        raise_if_canceled(is_canceled)
        retries_left = attempt < config.max_retries
        try:
            response = _exchange_cancellable(
                shared.workers, client, request, config, api_key, timeout, is_canceled
            )
        except _NotSentError as exc:
            if not (retries_left and exc.retryable):
                raise TransportError(str(exc)) from None
            reason, delay = str(exc), retry_delay(attempt, None, random=random)
        except AmbiguousSendError as exc:
            if not (retries_left and request.method == "GET"):
                raise
            reason, delay = str(exc), retry_delay(attempt, None, random=random)
        else:
            if not (retries_left and is_retryable_status(response.status)):
                return replace(response, attempts=attempt + 1, retry_reasons=tuple(reasons))
            reason = f"HTTP {response.status}"
            delay = retry_delay(attempt, dict(response.headers), random=random)
        reasons.append(reason)
        logger.warning(
            "Retrying %s %s in %.2f s (attempt %d of %d) after: %s",
            request.method,
            request.url,
            delay,
            attempt + 2,
            config.max_retries + 1,
            reason,
        )
        if gate is not None and reason == "HTTP 429":
            gate.hold(delay)  # everyone waits; the loop's gate.wait() does the waiting
        else:
            pause(delay, is_canceled, sleep)
    raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover


class _NotSentError(Exception):
    """The request never reached the server, so sending it again cannot duplicate a run."""

    def __init__(self, message: str, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


def _exchange_cancellable(
    workers: ThreadPoolExecutor,
    client: httpx.Client,
    request: ApiRequest,
    config: ConnectionConfig,
    api_key: str,
    timeout: httpx.Timeout,
    is_canceled: IsCanceled | None,
) -> ApiResponse:
    """One exchange; with a cancel check, on a worker thread so that cancel acts within 1 s."""
    if is_canceled is None:
        return _exchange_once(client, request, config, api_key, timeout, None, lambda r: None)
    open_response: list[httpx.Response] = []
    future = workers.submit(
        _exchange_once, client, request, config, api_key, timeout, is_canceled,
        open_response.append,
    )  # fmt: skip
    while True:
        try:
            return future.result(timeout=POLL_SECONDS)
        except FutureTimeout:
            if is_canceled():
                for response in open_response:
                    response.close()  # unblocks a worker that is reading the body
                raise CancelledError(
                    f"Execution cancelled while waiting for {request.method} {request.url}. "
                    + _maybe_created(request)
                ) from None


def _exchange_once(
    client: httpx.Client,
    request: ApiRequest,
    config: ConnectionConfig,
    api_key: str,
    timeout: httpx.Timeout,
    is_canceled: IsCanceled | None,
    on_open: Callable[[httpx.Response], None],
) -> ApiResponse:
    headers = [*request.headers, auth_header(config, api_key)]
    http_request = client.build_request(
        request.method, request.url, headers=headers, content=request.body, timeout=timeout
    )
    where = f"{request.method} {request.url}"
    try:
        response = client.send(http_request, stream=True)
    except (httpx.ConnectTimeout, httpx.PoolTimeout):
        raise _NotSentError(f"Could not connect to {where} within {timeout.connect:g} s.") from None
    except httpx.ConnectError as exc:
        text = str(exc)
        if "CERTIFICATE_VERIFY_FAILED" in text or "SSL" in text:
            raise _NotSentError(
                f"TLS certificate check failed for {where}: {text}. Behind a corporate proxy, "
                "set the CA bundle in the OpenAI Configuration node.",
                retryable=False,
            ) from None
        raise _NotSentError(
            f"Could not connect to {where}: {text or type(exc).__name__}."
        ) from None
    except httpx.ProxyError as exc:
        raise _NotSentError(f"The proxy refused {where}: {exc}.", retryable=False) from None
    except httpx.UnsupportedProtocol as exc:
        raise _NotSentError(f"Cannot send {where}: {exc}.", retryable=False) from None
    except httpx.TimeoutException:
        raise AmbiguousSendError(
            f"No response from {where} within {config.timeout:g} s. " + _maybe_created(request)
        ) from None
    except httpx.TransportError as exc:
        raise AmbiguousSendError(
            f"The connection failed while sending {where} ({exc or type(exc).__name__}). "
            + _maybe_created(request)
        ) from None
    on_open(response)
    chunks = []
    try:
        for chunk in response.iter_bytes():
            chunks.append(chunk)
            if is_canceled is not None and is_canceled():
                break  # the caller's thread raises CancelledError
    except httpx.TimeoutException:
        raise AmbiguousSendError(
            f"{where} answered HTTP {response.status_code} but then sent nothing for "
            f"{config.timeout:g} s. " + _maybe_created(request)
        ) from None
    except (httpx.TransportError, httpx.StreamError) as exc:
        raise AmbiguousSendError(
            f"The connection was cut while reading the answer to {where} (HTTP "
            f"{response.status_code}; {exc or type(exc).__name__}). " + _maybe_created(request)
        ) from None
    finally:
        response.close()
    body = b"".join(chunks)
    chunks.clear()  # a large answer is held once as bytes, then once as text
    return ApiResponse(
        status=response.status_code,
        headers=tuple(response.headers.items()),
        text=body.decode(_charset(response), errors="replace"),
    )


def _charset(response: httpx.Response) -> str:
    """The declared charset when Python knows it, else UTF-8 (what the API sends)."""
    import codecs

    declared = response.charset_encoding or "utf-8"
    try:
        return codecs.lookup(declared).name
    except LookupError:
        return "utf-8"


def _maybe_created(request: ApiRequest) -> str:
    if request.method != "POST" or not request.thread_id:
        return ""
    return (
        f"The run may have been created on thread '{request.thread_id}'; it was not retried "
        "to avoid starting a second run. Check the thread's runs before executing again."
    )
