"""One media-type check for every path that reads an answer (issue 18, "Also noticed").

Media types are compared without regard to case (RFC 9110 8.3.1): a stream sent as
``Text/Event-Stream`` is a stream for the transport that reads it, for the checks of the answer
and for the result table alike. A stream that yields no run is an error, never a row of
missing values.
"""

from __future__ import annotations

import json

import httpx
import pytest

from openai_assistants import operations
from openai_assistants.client.client import ApiClient
from openai_assistants.client.connection import ConnectionConfig
from openai_assistants.client.exchange import ApiResponse, is_event_stream
from openai_assistants.engine.execute import (
    CallInput,
    CallSettings,
    ErrorHandling,
    OperationOptions,
    execute_operation,
)
from openai_assistants.errors import ResponseFormatError
from openai_assistants.tables.results import ResultFormat

RUN = {"id": "run_cased", "object": "thread.run", "status": "completed", "thread_id": "t"}
STREAM = (
    f"event: thread.run.created\ndata: {json.dumps({**RUN, 'status': 'queued'})}\n\n"
    f"event: thread.run.completed\ndata: {json.dumps(RUN)}\n\n"
    "event: done\ndata: [DONE]\n\n"
)
NO_RUN = 'event: thread.message.created\ndata: {"id": "msg_1"}\n\nevent: done\ndata: [DONE]\n\n'
ENV = {"OPENAI_API_KEY": "sk-media-type-test"}
CASES = ["Text/Event-Stream", "TEXT/EVENT-STREAM; charset=utf-8", "text/event-stream"]


def create_run(
    content_type: str, body: str, result_format: ResultFormat, on_error=ErrorHandling.FAIL
):
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Type": content_type}, content=body)

    settings = CallSettings(
        path_values={"thread_id": "t"}, body='{"assistant_id": "a", "stream": true}'
    )
    with httpx.Client(transport=httpx.MockTransport(answer)) as http:
        return execute_operation(
            operations.by_id("createRun"),
            [CallInput("Row0", settings)],
            ApiClient.connect(
                ConnectionConfig(base_url="https://api.example.test/v1", max_retries=0),
                environ=ENV,
                http=http,
            ),
            options=OperationOptions(result_format=result_format, on_error=on_error),
        )


@pytest.mark.parametrize("content_type", CASES)
def test_a_structured_stream_is_read_whatever_the_case_of_its_media_type(content_type) -> None:
    outcome = create_run(content_type, STREAM, ResultFormat.STRUCTURED)
    row = outcome.table.to_pylist()[0]
    assert (row["id"], row["status"], row["error"]) == ("run_cased", "completed", None)


@pytest.mark.parametrize("content_type", CASES)
def test_events_of_a_stream_whatever_the_case_of_its_media_type(content_type) -> None:
    outcome = create_run(content_type, STREAM, ResultFormat.EVENTS)
    assert [row["event"] for row in outcome.table.to_pylist()] == [
        "thread.run.created",
        "thread.run.completed",
        "done",
    ]


@pytest.mark.parametrize("content_type", CASES)
def test_a_stream_that_yields_no_run_is_an_error_not_an_empty_row(content_type) -> None:
    with pytest.raises(ResponseFormatError, match="no run"):
        create_run(content_type, NO_RUN, ResultFormat.STRUCTURED)
    outcome = create_run(content_type, NO_RUN, ResultFormat.STRUCTURED, ErrorHandling.OUTPUT)
    row = outcome.table.to_pylist()[0]
    assert "no run" in row["error"] and outcome.warnings


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Text/Event-Stream", True),
        (" text/EVENT-stream ;charset=utf-8", True),
        ("application/json", False),
        ("text/event-streams", False),
        ("application/json; note=text/event-stream", False),
        (None, False),
    ],
)
def test_one_check_of_the_media_type(header, expected) -> None:
    assert is_event_stream(header) is expected
    headers = () if header is None else (("Content-Type", header),)
    assert ApiResponse(200, headers).is_event_stream is expected
