"""A list whose server keeps answering has_more with the same cursor ends, with a warning.

Following pages is bounded by Maximum items anyway, but a server that repeats its page would
otherwise fill the table with copies of the same items and send up to Maximum items requests.
"""

from __future__ import annotations

import json

from http_stub import Reply, StubServer

from openai_assistants import operations
from openai_assistants.client.client import ApiClient
from openai_assistants.client.connection import ConnectionConfig
from openai_assistants.engine.execute import (
    CallInput,
    CallSettings,
    OperationOptions,
    execute_operation,
)
from openai_assistants.tables.results import ResultFormat

ENV = {"OPENAI_API_KEY": "sk-pages-test"}


def page(*ids: str, has_more: bool = True) -> Reply:
    items = [{"id": i, "object": "assistant", "created_at": 1} for i in ids]
    return Reply(200, json.dumps({"object": "list", "data": items, "has_more": has_more}))


def list_assistants(base_url: str) -> object:
    return execute_operation(
        operations.by_id("listAssistants"),
        [CallInput("Row0", CallSettings())],
        ApiClient.connect(ConnectionConfig(base_url=base_url, max_retries=0), environ=ENV),
        options=OperationOptions(
            result_format=ResultFormat.STRUCTURED, all_pages=True, max_items=1000
        ),
    )


def test_a_repeated_cursor_stops_the_paging_with_a_warning() -> None:
    with StubServer() as server:
        server.reply(page("a", "b"), page("c"), page("c"), page("c"))
        outcome = list_assistants(server.base_url)
    assert [r.query for r in server.received] == [
        [],
        [("after", "b")],
        [("after", "c")],
    ]  # the third answer repeats the cursor 'c': no fourth request
    assert outcome.table["id"].to_pylist() == ["a", "b", "c", "c"]
    assert any("again; stopped following pages" in w for w in outcome.warnings)


def test_pages_that_advance_are_all_followed() -> None:
    with StubServer() as server:
        server.reply(page("a"), page("b"), page("c", has_more=False))
        outcome = list_assistants(server.base_url)
    assert len(server.received) == 3
    assert outcome.table["id"].to_pylist() == ["a", "b", "c"]
    assert not outcome.warnings


def test_list_items_that_are_no_objects_are_reported() -> None:
    body = json.dumps({"object": "list", "data": [1, "x", {"id": "a"}], "has_more": False})
    with StubServer() as server:
        server.reply(Reply(200, body))
        outcome = list_assistants(server.base_url)
    assert outcome.table["id"].to_pylist() == [None, None, "a"]
    assert any("2 item(s) that are no objects" in w for w in outcome.warnings)
