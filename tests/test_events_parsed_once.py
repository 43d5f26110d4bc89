"""A streamed answer is parsed once, while it is received (issue 10, Events memory)."""

from __future__ import annotations

import httpx
import pytest
from run_calls import create_one_run, run_settings

import openai_assistants.client.events as events_module
import openai_assistants.tables.results as results
from openai_assistants.client.connection import ConnectionConfig
from openai_assistants.engine.execute import ErrorHandling, OperationOptions
from openai_assistants.tables.results import ResultFormat

RUN = '{"id": "run_1", "object": "thread.run", "status": "completed", "created_at": 1}'
STREAM = (
    f"event: thread.run.created\ndata: {RUN}\n\n"
    'event: thread.message.delta\ndata: {"delta": "a\\u2028b"}\n\n'
    f"event: thread.run.completed\ndata: {RUN}\n\n"
    "event: done\ndata: [DONE]\n\n"
)
SETTINGS = run_settings(thread_id="thread_1", body='{"assistant_id": "a", "stream": true}')
CONFIG = ConnectionConfig(base_url="http://127.0.0.1:9/v1", max_retries=0)


def _execute(body: str, result_format: ResultFormat, on_error: str = "fail"):
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, text=body)

    client = httpx.Client(transport=httpx.MockTransport(answer))
    options = OperationOptions(result_format=result_format, on_error=ErrorHandling(on_error))
    with client:
        return create_one_run(
            SETTINGS, CONFIG, environ={"OPENAI_API_KEY": "sk-test"}, client=client,
            options=options,
        )  # fmt: skip


@pytest.mark.parametrize("result_format", [ResultFormat.EVENTS, ResultFormat.STRUCTURED])
def test_a_whole_stream_is_not_parsed_again_for_the_table(
    monkeypatch: pytest.MonkeyPatch, result_format: ResultFormat
) -> None:
    parsed_again: list[str] = []
    parse = events_module.parse_event_stream

    def counting(text: str):
        parsed_again.append(text)
        return parse(text)

    monkeypatch.setattr(results, "parse_event_stream", counting)
    outcome = _execute(STREAM, result_format)
    assert parsed_again == []
    rows = outcome.table.to_pylist()
    if result_format is ResultFormat.EVENTS:
        assert [row["event"] for row in rows] == [
            "thread.run.created", "thread.message.delta", "thread.run.completed", "done"
        ]  # fmt: skip
        assert rows[1]["data"] == '{"delta": "a\\u2028b"}'
    else:
        assert rows[0]["id"] == "run_1" and rows[0]["status"] == "completed"


def test_a_cut_stream_still_shows_its_last_unfinished_event() -> None:
    cut = (
        STREAM.split("event: thread.run.completed")[0] + f"event: thread.run.completed\ndata: {RUN}"
    )
    outcome = _execute(cut, ResultFormat.EVENTS, on_error="output")  # cut: an error row
    assert "cut off" in outcome.warnings[0]
    rows = outcome.table.to_pylist()
    assert [row["event"] for row in rows][-1] == "thread.run.completed"


@pytest.mark.parametrize("result_format", list(ResultFormat))
def test_a_whole_stream_is_held_once_unless_the_raw_format_shows_its_text(
    result_format: ResultFormat,
) -> None:
    """Events and Structured show the events, so the stream's text is dropped once read (a
    long stream would otherwise be in memory twice); Raw shows the text as received."""
    outcome = _execute(STREAM, result_format)
    response = outcome.response
    assert response is not None and len(response.events) == 4
    if result_format is ResultFormat.RAW:
        assert response.text == STREAM
        assert outcome.table.to_pylist()[0]["body"] == STREAM
    else:
        assert response.text == ""
        assert outcome.table.num_rows == (4 if result_format is ResultFormat.EVENTS else 1)


def test_a_cut_stream_keeps_its_text_to_show_what_arrived() -> None:
    cut = STREAM.split("event: done")[0]
    outcome = _execute(cut, ResultFormat.EVENTS, on_error="output")
    assert outcome.response is not None and outcome.response.text == cut
