"""'Wait until the run ends': polling to a final status, limits, cancel."""

from __future__ import annotations

import json
import time

import pytest
from http_stub import Reply, StubServer
from knime_contexts import ExecutionContext
from node_factories import SENTINEL_KEY, configuration_port, create_run_node
from run_calls import create_one_run, run_settings

from openai_assistants.client.connection import ConnectionConfig
from openai_assistants.engine.execute import OperationOptions
from openai_assistants.engine.run_polling import WaitOptions
from openai_assistants.errors import CancelledError, HttpStatusError, RunWaitTimeoutError


def run(status: str, **fields: object) -> Reply:
    body = {"id": "run_1", "object": "thread.run", "thread_id": "thread_1", "status": status}
    return Reply(200, json.dumps(body | fields))


def create(base_url: str, wait: WaitOptions, **kwargs):
    return create_one_run(
        run_settings(thread_id="thread_1", body='{"assistant_id": "asst_1"}'),
        ConnectionConfig(base_url=base_url, max_retries=1),
        options=OperationOptions(wait=wait),
        environ={"OPENAI_API_KEY": SENTINEL_KEY},
        **kwargs,
    )


FAST = WaitOptions(poll_interval=0.01, max_wait=5)


def test_polls_until_completed_and_outputs_the_final_run() -> None:
    with StubServer() as server:
        server.reply(run("queued"), run("in_progress"), run("in_progress"), run("completed"))
        seen: list[str] = []
        outcome = create(server.base_url, FAST, progress=lambda p, m: seen.append(m))
    assert [r.method for r in server.received] == ["POST", "GET", "GET", "GET"]
    assert {r.path for r in server.received[1:]} == {"/v1/threads/thread_1/runs/run_1"}
    assert all(r.headers["openai-beta"] == "assistants=v2" for r in server.received)
    assert json.loads(outcome.table["body"][0].as_py())["status"] == "completed"
    assert outcome.table["status"][0].as_py() == 200


@pytest.mark.parametrize(
    "final", ["failed", "cancelled", "expired", "incomplete", "requires_action"]
)
def test_any_final_status_ends_the_wait(final: str) -> None:
    with StubServer() as server:
        server.reply(run("queued"), run(final), run("completed"))
        outcome = create(server.base_url, FAST)
    assert len(server.received) == 2
    assert json.loads(outcome.rows[0].response.text)["status"] == final


def test_gives_up_after_the_maximum_wait() -> None:
    with StubServer() as server:
        server.reply(run("queued"), *[run("in_progress")] * 50)
        started = time.monotonic()
        with pytest.raises(RunWaitTimeoutError, match=r"still 'in_progress' after 0\.3 s"):
            create(server.base_url, WaitOptions(poll_interval=0.05, max_wait=0.3))
    assert time.monotonic() - started < 1.5


def test_a_failed_poll_is_retried_because_get_is_safe_to_repeat() -> None:
    with StubServer() as server:
        server.reply(run("queued"), Reply(drop=True), run("completed"))
        outcome = create(server.base_url, FAST)
    assert json.loads(outcome.rows[0].response.text)["status"] == "completed"
    assert [r.method for r in server.received] == ["POST", "GET", "GET"]


def test_cancel_while_waiting_can_cancel_the_run_on_the_server() -> None:
    with StubServer() as server:
        server.reply(run("queued"), *[run("in_progress")] * 30)
        server.replies.append(run("cancelling"))
        stop_at = time.monotonic() + 0.3
        options = WaitOptions(poll_interval=0.05, max_wait=10, cancel_run_on_abort=True)
        with pytest.raises(CancelledError, match="run 'run_1' was cancelled on the server"):
            create(server.base_url, options, is_canceled=lambda: time.monotonic() > stop_at)
        assert time.monotonic() - stop_at < 1.0
    cancel = [r for r in server.received if r.path.endswith("/cancel")]
    assert len(cancel) == 1 and cancel[0].method == "POST"
    assert cancel[0].path == "/v1/threads/thread_1/runs/run_1/cancel"


def test_cancel_while_waiting_leaves_the_run_alone_by_default() -> None:
    with StubServer() as server:
        server.reply(run("queued"), *[run("in_progress")] * 30)
        stop_at = time.monotonic() + 0.2
        with pytest.raises(CancelledError, match="goes on on the server"):
            options = WaitOptions(poll_interval=0.05, max_wait=10)
            create(server.base_url, options, is_canceled=lambda: time.monotonic() > stop_at)
    assert not any(r.path.endswith("/cancel") for r in server.received)


def test_node_waits_when_asked_and_reports_progress() -> None:
    with StubServer() as server:
        server.reply(run("queued"), run("completed"))
        port = configuration_port(server.base_url, credentials="openai")
        node = create_run_node(wait_for_completion=True, poll_interval=0.1)
        context = ExecutionContext({"openai": SENTINEL_KEY})
        table, _ = node.execute(context, port)
    assert json.loads(table.to_pandas()["body"].iloc[0])["status"] == "completed"
    assert context.progress[-1][0] == 1.0


def test_a_failed_poll_is_reported_with_the_poll_request() -> None:
    error = '{"error": {"message": "No run found", "type": "x", "param": null, "code": null}}'
    with StubServer() as server:
        server.reply(run("queued"), Reply(404, error))
        with pytest.raises(HttpStatusError) as caught:
            create(server.base_url, FAST)
    message = str(caught.value)
    assert f"GET {server.base_url}/threads/thread_1/runs/run_1 failed: HTTP 404" in message
    assert "No run found" in message


@pytest.mark.parametrize("operation_id", ["getRun", "cancelRun"])
def test_polls_and_cancels_are_the_get_run_and_cancel_run_nodes_requests(operation_id) -> None:
    """The wait sends what the Get Run / Cancel Run operations send (SDK-parity tested)."""
    from openai_assistants.engine.request_builder import build_request
    from openai_assistants.engine.run_polling import cancel_run_request, get_run_request
    from openai_assistants.operations import by_id

    config = ConnectionConfig(
        base_url="http://127.0.0.1:9/v1", organization="org-1", api_version="2024-05-01"
    )
    ids = {"thread_id": "thread/1?x", "run_id": "run_1"}
    node = build_request(by_id(operation_id), ids, config=config).request
    made = {"getRun": get_run_request, "cancelRun": cancel_run_request}[operation_id]
    ours = made(config, ids["thread_id"], ids["run_id"])
    assert (ours.method, ours.url, ours.headers, ours.body) == (
        node.method,
        node.url,
        node.headers,
        node.body,
    )
    assert ours.url.startswith("http://127.0.0.1:9/v1/threads/thread%2F1%3Fx/runs/run_1")
    assert ours.expect_object == "thread.run"
