"""The process's httpx clients: one pooled, reusable client per CA bundle.

Creating a client costs ~20 ms of TLS set-up; reusing it keeps connections alive across node
executions in the same KNIME Python process. Every client made here has verified TLS, no
redirects (the key is never sent to a host we were not pointed at), the watched network
backend (:mod:`.watched_io`: cancel stops it) and may take the direct route to its pool
(:mod:`.routes`). Clients are closed at exit.

Shared state: ``_CLIENTS``, the one cache of clients keyed by the CA bundle.
"""

from __future__ import annotations

import atexit
import ssl
import threading

import httpx

from .connection import ConnectionConfig
from .routes import allow_direct_route, forget_routes
from .watched_io import watch_connections

_CLIENTS: dict[str, httpx.Client] = {}
_CLIENTS_LOCK = threading.Lock()


def new_client(config: ConnectionConfig) -> httpx.Client:
    """A pooled client as the extension uses it: verified TLS, no redirects, watched I/O."""
    verify: bool | ssl.SSLContext = True  # certificates are always checked
    if config.ca_bundle:
        verify = ssl.create_default_context(cafile=config.ca_bundle)
    client = httpx.Client(
        verify=verify,
        follow_redirects=False,  # never send the key to a host we were not pointed at
        trust_env=True,  # HTTPS_PROXY / NO_PROXY / SSL_CERT_FILE
        limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
    )
    watch_connections(client)
    allow_direct_route(client)
    return client


def shared_client(config: ConnectionConfig) -> httpx.Client:
    """The process-wide client for this CA bundle (created on first use)."""
    key = config.ca_bundle
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(key)
        if client is None or client.is_closed:
            client = _CLIENTS[key] = new_client(config)
        return client


@atexit.register
def close_clients() -> None:
    """Close every cached client (and its connections)."""
    with _CLIENTS_LOCK:
        for client in _CLIENTS.values():
            client.close()
        _CLIENTS.clear()
    forget_routes()
