"""Fetching every page of a list: the same requests as the official SDK's auto-pagination."""

from __future__ import annotations

import json
import warnings

import httpx
import pytest
from http_stub import Reply, StubServer

from openai_assistants import operations
from openai_assistants.client.connection import ConnectionConfig
from openai_assistants.engine.pagination import Page, next_page_query, parse_page
from openai_assistants.engine.request_builder import build_request
from openai_assistants.errors import ResponseFormatError

KEY = "sk-test-pages"
PAGES = [
    {"object": "list", "data": [{"id": "msg_1"}, {"id": "msg_2"}], "has_more": True},
    {"object": "list", "data": [{"id": "msg_3"}, {"id": "msg_4"}], "has_more": True},
    {"object": "list", "data": [{"id": "msg_5"}], "has_more": False},
]


def _replies() -> list[Reply]:
    return [Reply(body=json.dumps(page)) for page in PAGES]


def test_all_pages_are_asked_for_as_the_sdk_asks_for_them() -> None:
    openai = pytest.importorskip("openai")
    query = {"limit": 2, "order": "asc"}
    with StubServer() as server:
        server.reply(*_replies(), *_replies())
        client = openai.OpenAI(api_key=KEY, base_url=server.base_url, max_retries=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            sdk_ids = [m.id for m in client.beta.threads.messages.list("thread_1", **query)]
        ours: list[str] = []
        values: dict | None = dict(query)
        with httpx.Client(trust_env=False) as http:
            while values is not None:
                request = build_request(
                    operations.by_id("listMessages"),
                    {"thread_id": "thread_1"},
                    values,
                    None,
                    ConnectionConfig(base_url=server.base_url),
                ).request
                page = parse_page(http.get(request.url, headers=list(request.headers)).text)
                ours += [item["id"] for item in page.items]
                values = next_page_query(values, page)
    assert ours == sdk_ids == ["msg_1", "msg_2", "msg_3", "msg_4", "msg_5"]
    sdk_requests, our_requests = server.received[:3], server.received[3:]
    assert [sorted(r.query) for r in our_requests] == [sorted(r.query) for r in sdk_requests]
    assert ("after", "msg_2") in our_requests[1].query


def test_the_last_page_has_no_next_page() -> None:
    assert next_page_query({"limit": 2}, parse_page(PAGES[2])) is None
    assert next_page_query({}, Page(items=[], has_more=True)) is None
    assert next_page_query({}, Page(items=[{"no": "id"}], has_more=True)) is None


def test_the_next_page_keeps_every_other_query_value() -> None:
    page = parse_page(json.dumps(PAGES[0]))
    assert next_page_query({"limit": 2, "order": "desc", "after": "x"}, page) == {
        "limit": 2,
        "order": "desc",
        "after": "msg_2",
    }


@pytest.mark.parametrize("body", ["<html>", '{"object": "list"}', "[]", '{"data": {}}'])
def test_an_answer_that_is_no_list_page_is_a_clear_error(body: str) -> None:
    with pytest.raises(ResponseFormatError, match="list answer"):
        parse_page(body)
