"""The direct route: a request goes straight to the connection pool ``httpx.Client.send`` uses.

``httpx.Client.send`` spends about 0.1-0.2 ms per request on machinery this extension does
not use (auth flows, redirects, event hooks, building and re-parsing the URL and headers). For
the clients made by :func:`.pools.new_client` (:func:`allow_direct_route`) the request goes to
the very pool ``client.send`` would use, with exactly httpx's headers, and the answer is
wrapped as httpx wraps it (:mod:`.httpx_internals`). A route is worked out once per origin,
method and headers and kept in ``_ROUTES`` (at most ``MAX_ROUTES``).
"""

from __future__ import annotations

import re
import threading
import weakref
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import httpcore
import httpx

from .exchange import ApiRequest
from .httpx_internals import (
    ResponseStream,
    map_httpcore_exceptions,
    pool_of,
    transport_for_url,
)

_OURS: weakref.WeakSet[httpx.Client] = weakref.WeakSet()  # clients that may take the route


def allow_direct_route(client: httpx.Client) -> None:
    """Let ``client``'s requests take the direct route (a client made by ``new_client``)."""
    _OURS.add(client)


def forget_routes() -> None:
    """Drop every route (their clients are being closed)."""
    with _ROUTES_LOCK:
        _ROUTES.clear()


@dataclass(frozen=True)
class _Route:
    """How httpx would send a request, worked out once: straight to its connection pool.

    ``httpx.Client.send`` spends about 0.1-0.2 ms per request on machinery this extension
    does not use (auth flows, redirects, event hooks, building and re-parsing the URL and
    headers). For the clients made by :func:`new_client` the request goes to the very
    connection pool ``client.send`` would use (proxies included, chosen by the client's own
    mounts), with exactly the headers httpx builds (taken from ``client.build_request``, in
    its order), and the answer is wrapped as httpx wraps it, so reading, decoding and errors
    are httpx's. The key is not part of a route: it is put into each request's headers.

    What httpx derives from a URL for these (the pool, the proxy, the ``Host`` header)
    depends on its origin only, so one route serves every path on an origin: a table whose
    rows name different threads is worked out once, not once per row. Each request brings
    its own target (path and query), see :func:`_split_target`.
    """

    client: httpx.Client
    pool: httpcore.ConnectionPool
    method: bytes
    scheme: bytes
    host: bytes
    port: int | None
    target: bytes | None  # the target of every request on this route (None: per request)
    headers: tuple[tuple[bytes, bytes], ...]  # httpx's headers for the request, minus the key
    key_at: int  # where httpx puts the key's header among them

    def core_request(
        self,
        request: ApiRequest,
        auth: tuple[str, str],
        timeout: httpx.Timeout,
        target: bytes | None = None,
    ) -> httpcore.Request:
        headers = list(self.headers)
        headers.insert(self.key_at, (auth[0].encode("ascii"), auth[1].encode("ascii")))
        url = httpcore.URL(
            scheme=self.scheme, host=self.host, port=self.port, target=target or self.target
        )
        return httpcore.Request(
            self.method,
            url,
            headers=headers,
            content=request.body,
            extensions={"timeout": timeout.as_dict()},
        )

    def send(self, core_request: httpcore.Request) -> httpx.Response:
        with map_httpcore_exceptions():
            answer = self.pool.handle_request(core_request)
        response = httpx.Response(
            answer.status,
            headers=answer.headers,
            stream=ResponseStream(answer.stream),
            extensions=answer.extensions,
        )
        if "set-cookie" in response.headers:  # kept as client.send keeps cookies
            response.request = httpx.Request(core_request.method, bytes(core_request.url).decode())
            self.client.cookies.extract_cookies(response)
        return response


_ROUTES: dict[tuple[Any, ...], _Route] = {}
_ROUTES_LOCK = threading.Lock()
MAX_ROUTES = 256

# A path and query httpx sends exactly as written: RFC 3986 unreserved characters,
# sub-delimiters, ":", "@", "/" (and "?" in the query), percent escapes in upper case, as
# the request builder writes them (endpoints.path_segment, urlencode). Anything else, e.g. a
# base URL with spaces or non-ASCII in its path, is left to httpx to normalise.
_PLAIN = r"A-Za-z0-9\-._~!$&'()*+,;=:@"
_CANONICAL_TARGET = re.compile(
    rf"/(?:[{_PLAIN}/]|%[0-9A-F]{{2}})*(?:\?(?:[{_PLAIN}/?]|%[0-9A-F]{{2}})*)?"
)
_DOT_SEGMENT = re.compile(r"(?:^|/)\.\.?(?:/|$)")


@lru_cache(maxsize=1024)
def _split_target(url: str) -> tuple[str, bytes] | None:
    """``(origin, target)`` of ``url`` when httpx would send its target unchanged, else None;
    the target as the bytes sent.

    The origin is everything before the path (scheme, host, port); one without user info,
    since httpx takes that out of the URL."""
    start = url.find("://")
    slash = url.find("/", start + 3) if start > 0 else -1
    if slash < 0:
        return None
    origin, target = url[:slash], url[slash:]
    if "@" in origin or not _CANONICAL_TARGET.fullmatch(target):
        return None
    if _DOT_SEGMENT.search(target.split("?", 1)[0]):
        return None  # httpx removes "." and ".." segments
    return origin, target.encode("ascii")  # the pattern admits ASCII only


def route(client: httpx.Client, request: ApiRequest) -> tuple[_Route, bytes | None] | None:
    """The route for ``request`` through ``client`` and the request's own target (None: the
    route's); None: httpx's own path (a client made elsewhere, e.g. injected by tests, or one
    holding cookies)."""
    if client not in _OURS or client.cookies or client.is_closed:
        return None
    split = _split_target(request.url)
    where, target = (request.url, None) if split is None else split
    key = (id(client), request.method, where, request.headers, len(request.body))
    with _ROUTES_LOCK:
        route = _ROUTES.get(key)
    if route is not None and route.client is client:
        return route, target
    built = client.build_request(
        request.method, request.url, headers=request.headers, content=request.body
    )
    transport = transport_for_url(client, built.url)
    pool = pool_of(transport)
    if not isinstance(transport, httpx.HTTPTransport) or pool is None:
        return None
    headers = tuple(built.headers.raw)
    key_at = len(headers)
    if headers and headers[-1][0].lower() == b"content-length":
        key_at -= 1  # httpx appends Content-Length after the caller's headers
    url = built.url
    route = _Route(
        client=client,
        pool=pool,
        method=request.method.encode("ascii"),
        scheme=url.raw_scheme,
        host=url.raw_host,
        port=url.port,
        target=None if target is not None else url.raw_path,
        headers=headers,
        key_at=key_at,
    )
    with _ROUTES_LOCK:
        if len(_ROUTES) >= MAX_ROUTES:
            _ROUTES.pop(next(iter(_ROUTES)))  # the oldest
        _ROUTES[key] = route
    return route, target
