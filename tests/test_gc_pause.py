"""While a table's requests run, a full garbage collection walks only what the table made
(issue 10, batch speed): the process's other objects are frozen for that time and given back
afterwards, also when the table stops on an error; a freeze someone else made is left alone."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator

import httpx
import pytest

from openai_assistants import operations
from openai_assistants.client.client import ApiClient
from openai_assistants.client.connection import ConnectionConfig
from openai_assistants.engine.execute import (
    CallInput,
    CallSettings,
    OperationOptions,
    execute_operation,
)
from openai_assistants.errors import HttpStatusError

ENV = {"OPENAI_API_KEY": "sk-gc-test"}
CONFIG = ConnectionConfig(base_url="https://api.example.test/v1", max_retries=0)
GET_THREAD = operations.by_id("getThread")


@pytest.fixture(autouse=True)
def _nothing_frozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def _run(rows: int, status: int = 200) -> list[int]:
    """Execute Get Thread for ``rows`` rows; the freeze count each request saw."""
    seen: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(gc.get_freeze_count())
        thread = request.url.path.rsplit("/", 1)[-1]
        return httpx.Response(status, json={"id": thread, "object": "thread"})

    inputs = [
        CallInput(f"Row{n}", CallSettings(path_values={"thread_id": f"thread_{n}"}))
        for n in range(rows)
    ]
    with httpx.Client(transport=httpx.MockTransport(answer)) as client:
        outcome = execute_operation(
            GET_THREAD, inputs, ApiClient.connect(CONFIG, environ=ENV, http=client),
            options=OperationOptions(concurrency=2),
        )  # fmt: skip
    assert [json.loads(r.response.text)["id"] for r in outcome.rows] == [
        f"thread_{n}" for n in range(rows)
    ]
    return seen


def test_a_table_runs_with_the_existing_objects_frozen_and_gives_them_back() -> None:
    before = len(gc.get_objects())
    seen = _run(5)
    assert len(seen) == 5 and all(count >= before * 0.9 for count in seen)
    assert gc.get_freeze_count() == 0


def test_a_single_call_changes_nothing() -> None:
    assert _run(1) == [0]


def test_a_table_that_stops_on_an_error_gives_the_objects_back() -> None:
    with pytest.raises(HttpStatusError):
        _run(3, status=404)
    assert gc.get_freeze_count() == 0


def test_a_freeze_made_by_someone_else_is_left_alone() -> None:
    gc.freeze()
    frozen = gc.get_freeze_count()
    _run(3)
    assert gc.get_freeze_count() == frozen > 0
