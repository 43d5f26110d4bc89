"""The senders and the comparison of the tests that hold our requests against the SDK's.

``test_operations_match_official_sdk.py`` (Assistants API) and
``test_documents_match_official_sdk.py`` (Files and Vector Stores) send each operation once
through the extension (``build_request`` plus a plain httpx send) and once through the
``openai`` SDK to one recording server; these are the two sends, so both matrices compare
the same way (:func:`assert_same_request`). The SDK is imported by the caller
(``pytest.importorskip``) before these run.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from typing import Any

import httpx
from http_stub import Reply, StubServer

from openai_assistants.client.connection import ConnectionConfig
from openai_assistants.engine.request_builder import build_request

# how a case calls the SDK: (client, path IDs, query values, body) -> the SDK's answer
SdkCall = Callable[[Any, dict[str, str], dict[str, Any], dict[str, Any]], object]


def send_with_builder(key: str, base_url: str, operation, ids, query, body, **config) -> None:
    """The request as the extension builds it, sent as is with the key ``key``."""
    built = build_request(
        operation,
        {name: ids[name] for name in operation.path_parameters},
        query,
        json.dumps(body) if body is not None else None,
        ConnectionConfig(base_url=base_url, max_retries=0, **config),
    )
    request = built.request
    with httpx.Client(trust_env=False) as client:
        client.request(
            request.method,
            request.url,
            headers=[*request.headers, ("Authorization", f"Bearer {key}")],
            content=request.body or None,
        ).raise_for_status()


def send_with_sdk(key: str, base_url: str, call: SdkCall, ids, query, body, **config) -> None:
    """The same call through the official SDK (organization and project from ``config``)."""
    import openai

    client = openai.OpenAI(
        api_key=key,
        base_url=base_url,
        organization=config.get("organization"),
        project=config.get("project"),
        max_retries=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        call(client, ids, dict(query), dict(body or {}))


def sent_both_ways(
    key: str, operation, call: SdkCall, ids, query, body, reply: Reply, **config
) -> tuple[Any, Any]:
    """(the SDK's request, ours) as one recording server on 127.0.0.1 received them, each
    answered with ``reply``."""
    with StubServer() as server:
        server.reply(reply, reply)
        send_with_sdk(key, server.base_url, call, ids, query, body, **config)
        send_with_builder(key, server.base_url, operation, ids, query, body, **config)
    sdk, ours = server.received
    return sdk, ours


def assert_same_request(sdk, ours, operation, body, compared_headers: tuple[str, ...]) -> None:
    """Method, path, query, JSON body (and its content type), the ``compared_headers`` and
    the key's header: ours as the SDK's."""
    assert ours.method == sdk.method == operation.method
    assert ours.path == sdk.path
    assert sorted(ours.query) == sorted(sdk.query)
    if body is None:
        assert ours.body == sdk.body == b""
    else:
        assert json.loads(ours.body) == json.loads(sdk.body) == body
        assert ours.headers.get("content-type") == sdk.headers.get("content-type")
    for header in compared_headers:
        assert ours.headers.get(header) == sdk.headers.get(header), header
    assert ours.headers["authorization"] == sdk.headers["authorization"]
