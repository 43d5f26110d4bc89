"""One attempt of a request over httpx: build it, send it, read the answer.

The attempt runs under a :class:`.watched_io.Watch` (cancel and the total time limit, checked
between socket steps) and takes the direct route to the pool where it can (:mod:`.routes`),
else httpx's own ``Client.send`` (an injected client, e.g. a mock transport). Its failures are
sorted into *not sent* and *sent* (:mod:`.attempt_outcomes`): the retry loop of
:class:`.client.ApiClient` decides from that what may be sent again. The API key arrives here
only as the one header that carries it, put into the request at the moment it is written.
"""

from __future__ import annotations

from functools import lru_cache

import httpx

from ..errors import AmbiguousSendError, CancelledError, ResponseFormatError, TransportError
from .answer_reading import read_answer
from .attempt_outcomes import NotSentError, SentError, maybe_created
from .cancellation import IsCanceled
from .connection import ConnectionConfig
from .exchange import ApiRequest, ApiResponse
from .pools import shared_client
from .routes import route
from .watched_io import WATCH, Stop, Watch


def send_once(
    http: httpx.Client | None,
    request: ApiRequest,
    config: ConnectionConfig,
    auth: tuple[str, str],
    deadline: float,
    is_canceled: IsCanceled | None,
) -> ApiResponse:
    """One attempt through ``http`` (None: the process-wide client for the CA bundle).

    Raises :class:`NotSentError` / :class:`SentError` for the retry loop to decide on,
    :class:`CancelledError` on cancel, and at the deadline :class:`TransportError` or, when a
    POST may have been processed, :class:`AmbiguousSendError`."""
    client = http or shared_client(config)
    timeout = _timeouts(config.timeout, config.connect_timeout)
    return _exchange(client, request, config, auth, timeout, Watch(is_canceled, deadline))


@lru_cache(maxsize=16)
def _timeouts(timeout: float, connect_timeout: float) -> httpx.Timeout:
    """httpx's timeouts for a configuration (``httpx.Timeout`` is immutable, so shared)."""
    return httpx.Timeout(timeout, connect=min(connect_timeout, timeout))


def _deadline_error(request: ApiRequest, config: ConnectionConfig, watch: Watch) -> Exception:
    text = (
        f"{request.where} did not finish within the total time limit of "
        f"{config.total_timeout:g} s (setting total_timeout)."
    )
    if not watch.known_unsent and not request.idempotent:
        return AmbiguousSendError(f"{text} {maybe_created(request)}".strip(), request=request)
    return TransportError(text, request=request)


def _exchange(
    client: httpx.Client,
    request: ApiRequest,
    config: ConnectionConfig,
    auth: tuple[str, str],
    timeout: httpx.Timeout,
    watch: Watch,
) -> ApiResponse:
    token = WATCH.set(watch)
    try:
        return _exchange_once(client, request, config, auth, timeout, watch)
    except Stop as stop:
        if stop.reason == "cancel":
            text = f"Execution cancelled while waiting for {request.where}."
            if not watch.known_unsent:
                text = f"{text} {maybe_created(request)}".strip()
            raise CancelledError(text) from None
        raise _deadline_error(request, config, watch) from None
    finally:
        WATCH.reset(token)


def _exchange_once(
    client: httpx.Client,
    request: ApiRequest,
    config: ConnectionConfig,
    auth: tuple[str, str],
    timeout: httpx.Timeout,
    watch: Watch,
) -> ApiResponse:
    where = request.where
    routed = None
    try:
        routed = route(client, request)
        if routed is None:
            http_request = client.build_request(
                request.method,
                request.url,
                headers=[*request.headers, auth],
                content=request.body,
                timeout=timeout,
            )
        else:
            direct, target = routed
            core_request = direct.core_request(request, auth, timeout, target)
    except (httpx.InvalidURL, UnicodeError, ValueError, TypeError) as exc:
        # settings validation should make this unreachable; never show the header values
        raise NotSentError(
            f"Cannot build {where}: {type(exc).__name__}.", retryable=False
        ) from None
    try:
        if routed is None:
            response = client.send(http_request, stream=True)
        else:
            response = direct.send(core_request)
    except (httpx.ConnectTimeout, httpx.PoolTimeout):
        raise NotSentError(f"Could not connect to {where} within {timeout.connect:g} s.") from None
    except httpx.ConnectError as exc:
        text = str(exc)
        if "CERTIFICATE_VERIFY_FAILED" in text or "SSL" in text:
            raise NotSentError(
                f"TLS certificate check failed for {where}: {text}. Behind a corporate proxy, "
                "set the CA bundle in the OpenAI Configuration node.",
                retryable=False,
            ) from None
        raise NotSentError(f"Could not connect to {where}: {text or type(exc).__name__}.") from None
    except httpx.ProxyError as exc:
        raise NotSentError(f"The proxy refused {where}: {exc}.", retryable=False) from None
    except httpx.UnsupportedProtocol as exc:
        raise NotSentError(f"Cannot send {where}: {exc}.", retryable=False) from None
    except httpx.TimeoutException:
        if watch.known_unsent:
            raise NotSentError(f"Could not send {where} within {config.timeout:g} s.") from None
        raise SentError(f"No response from {where} within {config.timeout:g} s.") from None
    except httpx.DecodingError as exc:
        raise ResponseFormatError(
            f"The answer to {where} could not be decoded as its Content-Encoding says ({exc}). "
            + maybe_created(request),
            request=request,
        ) from None
    except httpx.TransportError as exc:
        if watch.known_unsent:
            raise NotSentError(
                f"The connection failed before {where} was sent ({exc or type(exc).__name__})."
            ) from None
        raise SentError(
            f"The connection failed while sending {where} ({exc or type(exc).__name__})."
        ) from None
    try:
        return read_answer(response, request, config)
    finally:
        response.close()
