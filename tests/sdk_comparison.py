"""The two senders of the tests that hold our requests against the official SDK's.

``test_operations_match_official_sdk.py`` (Assistants API) and
``test_documents_match_official_sdk.py`` (Files and Vector Stores) send each operation once
through the extension (``build_request`` plus a plain httpx send) and once through the
``openai`` SDK to one recording server; these are the two sends, so both matrices compare
the same way. The SDK is imported by the caller (``pytest.importorskip``) before these run.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from typing import Any

import httpx

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
