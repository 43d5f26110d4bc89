"""The README's main job: one Create Run against the embedded sandbox, watched to the end.

It runs the node's own execute path (:func:`~openai_assistants.execution.execute_create_run`)
against a sandbox on a free loopback port, with a throwaway key in a private environment
mapping, so it needs no network, no real key and no money. Given a Chat Completions model
(``demo --model-base-url``), the same server answers with that model instead of the echo.
The set-up (an assistant, a thread with one user message) goes through the core's
transport, and the wait for the run's end is the core's own polling
(:func:`~openai_assistants.run_polling.wait_for_run`).
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from typing import Any

from ..connection import DEFAULT_API_KEY_ENV, ConnectionConfig
from ..create_run import CreateRunSettings
from ..endpoints import api_url, request_headers
from ..errors import HttpStatusError, ResponseFormatError
from ..exchange import ApiRequest, ApiResponse
from ..execution import CreateRunOutcome, execute_create_run
from ..response_checks import http_error_message
from ..run_polling import WaitOptions, get_run_request, wait_for_run
from ..server.backends import Backend
from ..server.backends.chat_completions import ChatCompletionsBackend
from .server import start_sandbox

DEFAULT_MESSAGE = "Hello from KNIME!"
POLL = WaitOptions(poll_interval=0.05, max_wait=120.0)


@dataclass(frozen=True)
class DemoResult:
    """Everything the demo did, for the command line to print."""

    base_url: str
    assistant_id: str
    thread_id: str
    outcome: CreateRunOutcome  # the Create Run node's output for the new run
    run_id: str
    statuses: tuple[str, ...]  # every status the run was seen in, in order
    reply: str


def model_backend(base_url: str, api_key_env: str | None) -> ChatCompletionsBackend:
    """A Chat Completions model for the demo's server; the key from the named variable."""
    api_key = None
    if api_key_env:
        api_key = os.environ.get(api_key_env, "").strip()
        if not api_key:
            raise ValueError(
                f"--model-api-key-env: the environment variable {api_key_env} is empty"
            )
    try:
        return ChatCompletionsBackend(base_url, api_key=api_key, timeout=120.0)
    except ValueError as exc:
        raise ValueError(f"--model-base-url: {exc}") from None


def run_demo(
    message: str = DEFAULT_MESSAGE,
    run_duration: float = 0.3,
    *,
    model: Backend | None = None,
    model_name: str = "gpt-4o",
) -> DemoResult:
    """Create a run on a fresh sandbox thread via the node's execute path; wait for the reply.

    With ``model`` (a Chat Completions backend), the same server answers with that model
    instead of the echo: the whole chain is the one a user runs against ``serve``.
    """
    from ..transport import send

    api_key = f"sk-sandbox-{secrets.token_hex(16)}"  # throwaway: never a real key
    environ = {DEFAULT_API_KEY_ENV: api_key}
    instructions = "Echo the user." if model is None else "Answer in one short sentence."
    with start_sandbox(api_key=api_key, run_duration=run_duration, backend=model) as server:
        config = ConnectionConfig(base_url=server.base_url, timeout=10.0, max_retries=0)
        assistant = api_call(
            config,
            api_key,
            "POST",
            ("assistants",),
            {"model": model_name, "name": "KNIME sandbox demo", "instructions": instructions},
        )
        first_message = {"role": "user", "content": message}
        thread = api_call(config, api_key, "POST", ("threads",), {"messages": [first_message]})
        settings = CreateRunSettings(
            thread_id=thread["id"], body=json.dumps({"assistant_id": assistant["id"]}, indent=2)
        )
        outcome = execute_create_run(settings, config, environ=environ)
        created = outcome.rows[0].response
        assert created is not None  # execute_create_run raises when there is no answer
        statuses: list[str] = []

        def seen(status: str) -> None:
            if not statuses or statuses[-1] != status:
                statuses.append(status)

        def transmit(request: ApiRequest, *, cancellable: bool = True) -> ApiResponse:
            return send(request, config, api_key)

        run_id = json.loads(created.text)["id"]
        final = wait_for_run(created, config, thread["id"], POLL, transmit, on_status=seen)
        if not final.ok:
            request = get_run_request(config, thread["id"], run_id)
            raise HttpStatusError(http_error_message(request, final), final)
        replies = api_call(
            config,
            api_key,
            "GET",
            ("threads", thread["id"], "messages"),
            query={"run_id": run_id, "order": "asc"},
        )["data"]
        reply = "\n".join(
            part["text"]["value"]
            for m in replies
            for part in m["content"]
            if part["type"] == "text"
        )
        return DemoResult(
            base_url=server.base_url,
            assistant_id=assistant["id"],
            thread_id=thread["id"],
            outcome=outcome,
            run_id=run_id,
            statuses=tuple(statuses),
            reply=reply,
        )


def api_call(
    config: ConnectionConfig,
    api_key: str,
    method: str,
    segments: tuple[str, ...],
    body: Any = None,
    *,
    query: dict[str, str] | None = None,
) -> Any:
    """One Assistants API call through the core's transport; the answer's JSON, or raise.

    ``segments`` are the path below the base URL, each encoded as one segment.
    """
    from ..transport import send

    url = api_url(config, *segments, query=tuple((query or {}).items()))
    request = ApiRequest(
        method=method,
        url=url,
        headers=request_headers(config, json_body=body is not None),
        body=b"" if body is None else json.dumps(body).encode("utf-8"),
    )
    response = send(request, config, api_key)
    if not response.ok:
        raise HttpStatusError(http_error_message(request, response), response)
    try:
        return json.loads(response.text)
    except ValueError:
        raise ResponseFormatError(
            f"{method} {url} answered with a body that is not JSON."
        ) from None
