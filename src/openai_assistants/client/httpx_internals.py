"""The private parts of httpx and httpcore this client relies on, checked when it is imported.

Two features reach below the public API: the cancel-aware network backend
(:mod:`.watched_io`: httpx keeps its connection pool in ``HTTPTransport._pool``, the pool its
backend in ``_network_backend``, and a TLS socket is wrapped in httpcore's ``SyncStream``), and
the direct route to the pool (:mod:`.routes`: httpx's ``ResponseStream`` and
``map_httpcore_exceptions`` wrap a pool's answer exactly as ``Client.send`` does, and
``Client._transport_for_url`` picks the pool, proxies included). Private names may change in
any release, so the versions are pinned to the tested range (pyproject.toml, pixi.toml) and
this module checks, at import, the versions and that every private name is still there. A
change fails here, loudly, naming the versions to install, never silently at cancel time.

This is the only module that imports a private name of httpx or httpcore.
"""

from __future__ import annotations

import re

import httpcore
import httpx

# [lowest, first excluded): the range the suite ran on; keep in step with pyproject.toml and
# pixi.toml ("httpx>=0.28,<0.30", "httpcore>=1.0.9,<1.1")
HTTPX_RANGE = ((0, 28), (0, 30))
HTTPCORE_RANGE = ((1, 0, 9), (1, 1))
PINS = "httpx>=0.28,<0.30 and httpcore>=1.0.9,<1.1"


class UnsupportedDependencyError(ImportError):
    """httpx or httpcore is a version whose private parts this client was not tested with."""


def version_tuple(text: str) -> tuple[int, ...]:
    """``"0.28.1"`` -> ``(0, 28, 1)``; a pre-release suffix is ignored (``"1.0.0rc1"``)."""
    numbers = []
    for part in text.split("."):
        match = re.match(r"\d+", part)
        if match is None:
            break
        numbers.append(int(match.group()))
    return tuple(numbers)


def in_range(version: str, bounds: tuple[tuple[int, ...], tuple[int, ...]]) -> bool:
    lowest, excluded = bounds
    found = version_tuple(version)
    return lowest <= found < excluded


def check_versions(httpx_version: str, httpcore_version: str) -> None:
    """Raise :class:`UnsupportedDependencyError` unless both are in the tested range."""
    wrong = [
        f"{name} {version}"
        for name, version, bounds in (
            ("httpx", httpx_version, HTTPX_RANGE),
            ("httpcore", httpcore_version, HTTPCORE_RANGE),
        )
        if not in_range(version, bounds)
    ]
    if wrong:
        raise UnsupportedDependencyError(
            f"openai_assistants' cancel-aware HTTP client uses private parts of httpx and "
            f"httpcore and is tested with {PINS}; this environment has {', '.join(wrong)}. "
            f'Install the tested versions (pip install "httpx>=0.28,<0.30" '
            f'"httpcore>=1.0.9,<1.1").'
        )


def _missing_names() -> list[str]:
    """The private names used here that this httpx/httpcore no longer has."""
    missing = []
    for owner, name, where in (
        (httpx.Client.__init__, "_transport", "httpx.Client._transport"),
        (httpx.Client.__init__, "_mounts", "httpx.Client._mounts"),
        (httpx.HTTPTransport.__init__, "_pool", "httpx.HTTPTransport._pool"),
        (httpcore.ConnectionPool.__init__, "_network_backend", "ConnectionPool._network_backend"),
    ):
        # attributes set in __init__: looked up in its code, without making a client (TLS
        # set-up costs milliseconds; this runs whenever the client is imported)
        if name not in getattr(getattr(owner, "__code__", None), "co_names", ()):
            missing.append(where)
    if not callable(getattr(httpx.Client, "_transport_for_url", None)):
        missing.append("httpx.Client._transport_for_url")
    return missing


check_versions(httpx.__version__, httpcore.__version__)

try:
    from httpcore._backends.sync import SyncStream
    from httpx._transports.default import ResponseStream, map_httpcore_exceptions
except ImportError as exc:  # pragma: no cover - only with an httpx/httpcore outside the pins
    raise UnsupportedDependencyError(
        f"httpx {httpx.__version__} / httpcore {httpcore.__version__} lack a private name "
        f"this client uses ({exc}); install {PINS}."
    ) from None

if _missing := _missing_names():  # pragma: no cover - only outside the pins
    raise UnsupportedDependencyError(
        f"httpx {httpx.__version__} / httpcore {httpcore.__version__} lack private attributes "
        f"this client uses ({', '.join(_missing)}); install {PINS}."
    )


def mounted_transports(client: httpx.Client) -> list[httpx.BaseTransport]:
    """The client's default transport and every proxy mount."""
    return [client._transport, *(t for t in client._mounts.values() if t is not None)]


def transport_for_url(client: httpx.Client, url: httpx.URL) -> httpx.BaseTransport:
    """The transport ``client.send`` would take for ``url`` (its proxy rules included)."""
    return client._transport_for_url(url)


def pool_of(transport: object) -> httpcore.ConnectionPool | None:
    """An ``httpx.HTTPTransport``'s connection pool (None for other transports)."""
    return getattr(transport, "_pool", None)


def network_backend(pool: object) -> httpcore.NetworkBackend | None:
    return getattr(pool, "_network_backend", None)


def set_network_backend(pool: object, backend: httpcore.NetworkBackend) -> None:
    pool._network_backend = backend  # type: ignore[attr-defined]


__all__ = [
    "HTTPCORE_RANGE",
    "HTTPX_RANGE",
    "PINS",
    "ResponseStream",
    "SyncStream",
    "UnsupportedDependencyError",
    "check_versions",
    "map_httpcore_exceptions",
    "mounted_transports",
    "network_backend",
    "pool_of",
    "set_network_backend",
    "transport_for_url",
]
