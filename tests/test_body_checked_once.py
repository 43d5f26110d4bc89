"""Rows that share a body share its check (issue 10, batch speed): a 2,000-row table with one
body and 2,000 thread IDs parses and validates that body once, yet every row is still sent
exactly what it would be sent alone, and a bad body is reported every time."""

from __future__ import annotations

import json

import pytest

import openai_assistants.engine.request_builder as request_builder
from openai_assistants.client.connection import ConnectionConfig
from openai_assistants.engine.request_builder import build_request
from openai_assistants.errors import InvalidBodyError
from openai_assistants.memo import clear_all
from openai_assistants.operations import by_id

CREATE_RUN = by_id("createRun")
CONFIG = ConnectionConfig(base_url="http://127.0.0.1:9/v1")


@pytest.fixture(autouse=True)
def _forget() -> None:
    clear_all()


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    checked: list[str] = []
    validate = request_builder.validate_body

    def counting(operation, body, allow_unknown_fields=False):
        checked.append(json.dumps(body))
        return validate(operation, body, allow_unknown_fields)

    monkeypatch.setattr(request_builder, "validate_body", counting)
    return checked


def test_a_body_shared_by_many_rows_is_checked_once(monkeypatch: pytest.MonkeyPatch) -> None:
    checked = _counting(monkeypatch)
    body = '{"assistant_id": "asst_1", "metadata": {"k": "v"}}'
    built = [
        build_request(CREATE_RUN, {"thread_id": f"thread_{n}"}, {}, body, CONFIG) for n in range(50)
    ]
    assert len(checked) == 1
    assert {b.request.body for b in built} == {b'{"assistant_id":"asst_1","metadata":{"k":"v"}}'}
    assert [b.path_values["thread_id"] for b in built] == [f"thread_{n}" for n in range(50)]
    assert built[7].request.url.endswith("/threads/thread_7/runs")


def test_a_thread_id_in_a_shared_body_is_taken_out_for_every_row() -> None:
    body = '{"assistant_id": "asst_1", "thread_id": "thread_body"}'
    for _ in range(3):
        built = build_request(CREATE_RUN, {"thread_id": ""}, {}, body, CONFIG)
        assert built.path_values == {"thread_id": "thread_body"}
        assert json.loads(built.request.body) == {"assistant_id": "asst_1"}


def test_warnings_of_a_shared_body_are_given_to_every_row() -> None:
    body = '{"assistant_id": "asst_1", "future_field": 1}'
    warnings = [
        build_request(CREATE_RUN, {"thread_id": f"t{n}"}, {}, body, CONFIG,
                      allow_unknown_fields=True).warnings
        for n in range(3)
    ]  # fmt: skip
    assert warnings[0] == warnings[1] == warnings[2] and "future_field" in warnings[0][0]
    with pytest.raises(InvalidBodyError, match="future_field"):
        build_request(CREATE_RUN, {"thread_id": "t9"}, {}, body, CONFIG)  # not allowed here


def test_a_bad_body_is_reported_for_every_row(monkeypatch: pytest.MonkeyPatch) -> None:
    checked = _counting(monkeypatch)
    body = '{"assistant_id": "asst_1", "temperature": 5}'
    for n in range(3):
        with pytest.raises(InvalidBodyError, match="temperature"):
            build_request(CREATE_RUN, {"thread_id": f"thread_{n}"}, {}, body, CONFIG)
    assert len(checked) == 3


def test_a_large_body_is_not_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    checked = _counting(monkeypatch)
    body = json.dumps({"assistant_id": "asst_1", "instructions": "x" * 100_000})
    for n in range(2):
        build_request(CREATE_RUN, {"thread_id": f"thread_{n}"}, {}, body, CONFIG)
    assert len(checked) == 2
