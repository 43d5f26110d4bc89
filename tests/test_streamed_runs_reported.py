"""Runs created by a streamed Create Run are named like plain ones when a table stops.

A completed stream shown as Events or Structured keeps only its events (not its text), so the
run's ID must come from the stream's run events, or a stopped table would leave a created run
unreported.
"""

from __future__ import annotations

import pytest
from http_stub import Reply, StubServer
from run_calls import create_many_runs, run_settings

from openai_assistants.client.connection import ConnectionConfig
from openai_assistants.engine.execute import CallInput, OperationOptions
from openai_assistants.errors import HttpStatusError
from openai_assistants.tables.results import ResultFormat

RUN = '{"id": "run_streamed", "object": "thread.run", "status": "completed", "created_at": 1}'
STREAM = (
    f"event: thread.run.created\ndata: {RUN}\n\n"
    f"event: thread.run.completed\ndata: {RUN}\n\n"
    "event: done\ndata: [DONE]\n\n"
)
BODY = '{"assistant_id": "asst_1", "stream": true}'


@pytest.mark.parametrize("result_format", [ResultFormat.EVENTS, ResultFormat.STRUCTURED])
def test_a_stopped_table_names_the_run_a_stream_created(result_format: ResultFormat) -> None:
    with StubServer() as server:
        server.reply(
            Reply(200, STREAM, headers={"Content-Type": "text/event-stream"}),
            Reply(404, '{"error": {"message": "No thread"}}'),
        )
        with pytest.raises(HttpStatusError) as caught:
            create_many_runs(
                [
                    CallInput(f"R{i}", run_settings(thread_id=f"thread_{i}", body=BODY))
                    for i in range(2)
                ],
                ConnectionConfig(base_url=server.base_url, max_retries=0),
                options=OperationOptions(concurrency=1, result_format=result_format),
                environ={"OPENAI_API_KEY": "sk-stream-test"},
            )
    assert "Runs already created: run_streamed (R0, thread 'thread_0')" in str(caught.value)
