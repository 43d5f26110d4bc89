"""Hostile input and faults (issue 10): no traceback, no duplicate run, no hang, nothing lost.

One section per class of failure; each test fails on the code before the fix. Servers are
byte-level fakes on 127.0.0.1 (``raw_server``) or the scripted stub (``http_stub``).
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from http_stub import Reply, StubServer
from node_factories import SENTINEL_KEY
from raw_server import RawServer, http_head
from run_calls import create_many_runs, create_one_run, run_settings

from openai_assistants.cli import main as cli
from openai_assistants.cli import operation_commands
from openai_assistants.client.connection import ConnectionConfig
from openai_assistants.client.events import parse_event_stream
from openai_assistants.engine.execute import CallInput, ErrorHandling, OperationOptions
from openai_assistants.engine.run_polling import WaitOptions
from openai_assistants.errors import (
    AmbiguousSendError,
    CancelledError,
    HttpStatusError,
    InvalidBodyError,
    InvalidSettingsError,
    MissingApiKeyError,
    OpenAIAssistantsError,
    ResponseFormatError,
    TransportError,
)
from openai_assistants.tables.results import ResultFormat

ENV = {"OPENAI_API_KEY": SENTINEL_KEY}
BODY = '{"assistant_id": "asst_1"}'
ROOT = Path(__file__).resolve().parent.parent


def run(url: str, *, body: str = BODY, options: OperationOptions | None = None, **config):
    config.setdefault("max_retries", 0)
    return create_one_run(
        run_settings(thread_id="thread_1", body=body),
        ConnectionConfig(base_url=url, **config),
        options=options,
        environ=ENV,
    )


def run_object(status: str = "queued", run_id: str = "run_1") -> str:
    return json.dumps({"id": run_id, "object": "thread.run", "status": status})


def exchange_threads() -> set[str]:
    return {
        t.name for t in threading.enumerate() if t.name.startswith(("openai-exchange", "create-"))
    }


# --- 2. cancel means stop, now --------------------------------------------------------------


def never_answer(conn, server: RawServer) -> None:
    server.read_request(conn)
    server.hold(conn)


def test_cancel_while_waiting_for_headers_ends_within_2_s_and_closes_the_connection() -> None:
    before = threading.active_count()
    with RawServer(never_answer) as server:
        cancel_at = [float("inf")]

        def is_canceled() -> bool:
            if server.received.is_set() and cancel_at[0] == float("inf"):
                cancel_at[0] = time.monotonic() + 0.2
            return time.monotonic() > cancel_at[0]

        with pytest.raises(CancelledError, match="may have been created"):
            create_one_run(
                run_settings(thread_id="thread_1", body=BODY),
                ConnectionConfig(base_url=server.base_url, timeout=30),
                environ=ENV,
                is_canceled=is_canceled,
            )
        assert time.monotonic() - cancel_at[0] < 2.0
        assert server.closed_by_client.wait(2)  # the socket was closed, not abandoned
    assert not exchange_threads()
    assert threading.active_count() <= before  # nothing left blocked in recv


def test_ctrl_c_while_waiting_for_headers_exits_130_within_2_s() -> None:
    with RawServer(never_answer) as server:
        env = {**os.environ, "OPENAI_API_KEY": SENTINEL_KEY, "PYTHONPATH": str(ROOT / "src")}
        process = subprocess.Popen(
            [sys.executable, "-m", "openai_assistants", "create-run", "--base-url",
             server.base_url, "--thread-id", "thread_1", "--body", BODY, "--timeout", "30"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            assert server.received.wait(10)
            time.sleep(0.2)
            interrupted = time.monotonic()
            process.send_signal(signal.SIGINT)
            _, err = process.communicate(timeout=5)
        finally:
            process.kill()
        assert time.monotonic() - interrupted < 2.0
    assert process.returncode == 130
    assert "thread 'thread_1' may have been created" in err
    assert "Traceback" not in err and SENTINEL_KEY not in err


def test_cancelled_table_of_runs_names_every_thread_in_flight() -> None:
    with RawServer(never_answer) as server:
        cancel_at = time.monotonic() + 0.5
        with pytest.raises(CancelledError) as caught:
            create_many_runs(
                [
                    CallInput(f"R{i}", run_settings(thread_id=f"thread_{i}", body=BODY))
                    for i in range(4)
                ],
                ConnectionConfig(base_url=server.base_url, timeout=30),
                options=OperationOptions(concurrency=2),
                environ=ENV,
                is_canceled=lambda: time.monotonic() > cancel_at,
            )
        assert time.monotonic() - cancel_at < 2.0
    message = str(caught.value)
    assert "thread 'thread_0' (R0)" in message and "thread 'thread_1' (R1)" in message
    assert "thread_2" not in message and len(server.requests) == 2
    assert not exchange_threads()


# --- 3. bounded -----------------------------------------------------------------------------


def trickle(conn, server: RawServer) -> None:
    server.read_request(conn)
    conn.sendall(http_head(200, {"Content-Type": "application/json", "Content-Length": "999"}))
    server.send_slowly(conn, b'{"id": "run_1", ' + b" " * 900, pause=0.2)


def test_a_trickling_server_hits_the_total_time_limit() -> None:
    with RawServer(trickle) as server:
        started = time.monotonic()
        with pytest.raises(AmbiguousSendError, match="total time limit of 1 s") as caught:
            run(server.base_url, timeout=3, total_timeout=1)
    assert time.monotonic() - started < 2.0
    assert "total_timeout" in str(caught.value)
    assert "may have been created" in str(caught.value)


def endless(conn, server: RawServer) -> None:
    server.read_request(conn)
    conn.sendall(http_head(200, {"Content-Type": "application/json"}))  # no length: until close
    chunk = b"[" * 65536
    end = time.monotonic() + 5
    while time.monotonic() < end:
        conn.sendall(chunk)


def test_an_endless_body_stops_at_the_maximum_response_size() -> None:
    with RawServer(endless) as server, pytest.raises(ResponseFormatError) as caught:
        run(server.base_url, max_response_mib=1)
    assert "maximum response size of 1 MiB (setting max_response_mib)" in str(caught.value)
    assert caught.value.request.method == "POST"


# --- 4. server-sent events per the specification --------------------------------------------


def sse(*events: tuple[str, str]) -> str:
    return "".join(f"event: {name}\ndata: {data}\n\n" for name, data in events)


def test_sse_lines_end_only_at_cr_lf_or_crlf() -> None:
    text = 'event: thread.run.completed\r\ndata: {"a": "x\u2028y\x85z"}\r\rdata: [DONE]\n\n'
    events = parse_event_stream(text)
    assert events[0].data == '{"a": "x\u2028y\x85z"}'
    assert events[-1].data == "[DONE]"


def stream_then_stay_open(conn, server: RawServer) -> None:
    server.read_request(conn)
    body = sse(
        ("thread.run.created", run_object("queued")),
        ("thread.run.completed", run_object("completed")),
        ("done", "[DONE]"),
    ).encode()
    conn.sendall(http_head(200, {"Content-Type": "Text/Event-Stream; Charset=UTF-8"}) + body)
    server.send_slowly(conn, b"event: x\ndata: after done\n\n", pause=0.5)
    server.hold(conn)


def test_a_stream_ends_at_done_although_the_server_keeps_sending() -> None:
    with RawServer(stream_then_stay_open) as server:
        started = time.monotonic()
        outcome = run(server.base_url, body='{"assistant_id": "asst_1", "stream": true}', timeout=5)
    assert time.monotonic() - started < 2.0
    assert outcome.warnings == []  # a whole stream, although its media type is in odd case
    assert outcome.response.text.endswith("data: [DONE]\n\n")
    assert "after done" not in outcome.response.text
    names = [event.event for event in outcome.response.events]
    assert names == ["thread.run.created", "thread.run.completed", "done"]


def test_an_error_event_fails_with_the_servers_message() -> None:
    stream = sse(
        ("thread.run.created", run_object()),
        ("error", json.dumps({"error": {"message": "The model is overloaded"}})),
        ("done", "[DONE]"),
    )
    with StubServer() as server:
        server.reply(Reply(200, stream, headers={"Content-Type": "text/event-stream"}))
        with pytest.raises(ResponseFormatError, match="reported an error: The model is overloaded"):
            run(server.base_url, body='{"assistant_id": "asst_1", "stream": true}')


# --- 5. nothing invalid is sent -------------------------------------------------------------

DEEP = '{"assistant_id": "a", "metadata": ' + "[" * 100_000 + "]" * 100_000 + "}"
INVALID_BODIES = {
    "1e400": ('{"assistant_id": "a", "temperature": 1e400}', "too large for JSON"),
    "lone surrogate": ('{"assistant_id": "\\ud800"}', "lone surrogate"),
    "lone surrogate in the text": ('{"assistant_id": "\ud800"}', "lone surrogate"),
    "nested 100,000 deep": (DEEP, "nested more than 64 levels"),
    "NaN": ('{"assistant_id": "a", "temperature": NaN}', "NaN is not allowed"),
}


@pytest.mark.parametrize("name", list(INVALID_BODIES))
def test_invalid_bodies_are_refused_before_sending(name: str) -> None:
    body, expected = INVALID_BODIES[name]
    with StubServer() as server:
        with pytest.raises(InvalidSettingsError, match=expected) as caught:
            run(server.base_url, body=body)
        assert server.received == []
    assert caught.value.setting == "body"


INVALID_CONFIGS = {
    "organization with CR/LF": (dict(organization="org\r\nX-Evil: 1"), "organization"),
    "project with non-ASCII": (dict(project="projé"), "project"),
    "beta header with LF": (dict(beta_header="assistants=v2\nX: y"), "beta_header"),
    "beta header non-ASCII": (dict(beta_header="assistants=v2é"), "beta_header"),
    "api version with CR": (dict(api_version="2024\r"), "api_version"),
    "empty host label": (dict(base_url="https://api..openai.com/v1"), "base_url"),
    "leading dot": (dict(base_url="https://.openai.com/v1"), "base_url"),
    "tab in host": (dict(base_url="https://api.open\tai.com/v1"), "base_url"),
    "label too long": (dict(base_url=f"https://{'a' * 64}.com/v1"), "base_url"),
    "bad IDNA": (dict(base_url="https://xn--zz\u00e9.com/v1"), "base_url"),
    "infinite timeout": (dict(timeout=float("inf")), "timeout"),
    "NaN timeout": (dict(timeout=float("nan")), "timeout"),
    "absurd timeout": (dict(timeout=1e12), "timeout"),
    "negative total": (dict(total_timeout=-1.0), "total_timeout"),
    "zero response size": (dict(max_response_mib=0), "max_response_mib"),
}


@pytest.mark.parametrize("name", list(INVALID_CONFIGS))
def test_invalid_settings_are_refused_before_sending(name: str) -> None:
    values, setting = INVALID_CONFIGS[name]
    values = {"base_url": "", **values}
    with StubServer() as server:
        values["base_url"] = values["base_url"] or server.base_url
        with pytest.raises(InvalidSettingsError) as caught:
            run(**{"url": values.pop("base_url")}, **values)
        assert server.received == []
    assert caught.value.setting == setting


@pytest.mark.parametrize("key", [f"{SENTINEL_KEY}\r\nX: y", f"{SENTINEL_KEY}é", "sk-\x00abc"])
def test_a_key_that_cannot_be_a_header_is_refused_without_showing_it(key: str) -> None:
    with StubServer() as server:
        with pytest.raises(MissingApiKeyError) as caught:
            create_one_run(
                run_settings(thread_id="thread_1", body=BODY),
                ConnectionConfig(base_url=server.base_url),
                environ={"OPENAI_API_KEY": key},
            )
        assert server.received == []
    error = caught.value
    assert isinstance(error, InvalidSettingsError)  # one tree: a settings error
    for shown in (str(error), repr(error), repr(error.args)):
        assert key.strip() not in shown and SENTINEL_KEY not in shown


def test_cli_refuses_undecodable_body_file_and_absurd_numbers(tmp_path, capsys) -> None:
    body = tmp_path / "body.json"
    body.write_bytes(b'{"assistant_id": "\xff\xfe"}')
    args = ["create-run", "--thread-id", "t", "--base-url", "http://127.0.0.1:9/v1"]
    assert cli.main([*args, "--body", f"@{body}"]) == 2
    assert "is not UTF-8" in capsys.readouterr().err
    for flag, value in [("--timeout", "inf"), ("--timeout", "nan"), ("--total-timeout", "0")]:
        assert cli.main([*args, "--body", BODY, flag, value]) == 2
        assert "error:" in capsys.readouterr().err
    for flag in ("--poll-interval", "--max-wait"):
        assert cli.main([*args, "--body", BODY, "--wait", flag, "inf"]) == 2
        capsys.readouterr()


# --- 6. nothing lost ------------------------------------------------------------------------


def test_cli_output_that_is_a_folder_is_refused_before_sending(tmp_path, capsys) -> None:
    folder = tmp_path / "out.csv"
    folder.mkdir()
    with StubServer() as server:
        code = cli.main(
            ["create-run", "--thread-id", "t", "--body", BODY, "--base-url", server.base_url,
             "--output", str(folder)]
        )  # fmt: skip
        assert server.received == []
    assert code == 2 and "is a folder" in capsys.readouterr().err


def test_a_table_that_stops_on_an_error_lists_the_runs_already_created() -> None:
    error = '{"error": {"message": "No thread"}}'
    with StubServer() as server:
        server.reply(Reply(200, run_object(run_id="run_a")), Reply(404, error), Reply(200))
        with pytest.raises(HttpStatusError) as caught:
            create_many_runs(
                [
                    CallInput(f"R{i}", run_settings(thread_id=f"thread_{i}", body=BODY))
                    for i in range(3)
                ],
                ConnectionConfig(base_url=server.base_url, max_retries=0),
                options=OperationOptions(concurrency=1),
                environ=ENV,
            )
        assert len(server.received) == 2  # R2 was not sent after the stop was decided
    assert "No thread" in str(caught.value)
    assert "Runs already created: run_a (R0, thread 'thread_0')" in str(caught.value)


def test_output_write_failure_is_not_a_failed_request(tmp_path, capsys, monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(operation_commands, "write_table", refuse)
    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL_KEY)
    with StubServer() as server:
        server.reply(Reply(200, run_object(run_id="run_w")))
        code = cli.main(
            ["create-run", "--thread-id", "t", "--body", BODY, "--base-url", server.base_url,
             "--output", str(tmp_path / "out.csv")]
        )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1 and "No space left on device" in err and "Row0: run_w" in err


# --- 7. strange answers are explained -------------------------------------------------------

STRANGE = {
    "array": (b"[1, 2]", {}, "the body is an array"),
    "error object": (b'{"error": {"message": "quota"}}', {}, "the body is an error: 'quota'"),
    "no id": (b'{"object": "thread.run"}', {}, "it has no id"),
    "other object": (b'{"id": "x", "object": "list"}', {}, "its object is 'list'"),
    "nested 100,000 deep": (b"[" * 100_000 + b"]" * 100_000, {}, "nested too deeply"),
    "broken gzip": (b"not gzip at all", {"Content-Encoding": "gzip"}, "Content-Encoding 'gzip'"),
}


@pytest.mark.parametrize("name", list(STRANGE))
def test_strange_success_answers_fail_with_one_clear_message(name: str) -> None:
    body, headers, expected = STRANGE[name]
    with StubServer() as server:
        server.reply(Reply(200, body, headers={"Content-Type": "application/json", **headers}))
        with pytest.raises(ResponseFormatError) as caught:
            run(server.base_url)
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 600


@pytest.mark.parametrize("charset", ["x-unknown-charset", "base64", "rot13", "utf-8'"])
def test_unknown_or_non_text_charsets_fall_back_to_utf8(charset: str) -> None:
    with StubServer() as server:
        server.reply(
            Reply(
                200, run_object(), headers={"Content-Type": f"application/json; charset={charset}"}
            )
        )
        outcome = run(server.base_url)
    assert json.loads(outcome.response.text)["id"] == "run_1"


def test_gzip_answers_are_decoded() -> None:
    with StubServer() as server:
        server.reply(
            Reply(
                200,
                gzip.compress(run_object().encode()),
                headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
            )
        )
        assert run(server.base_url).response.status == 200


def test_wait_without_a_run_id_in_the_answer_is_explained() -> None:
    with StubServer() as server:
        server.reply(Reply(200, '{"object": "thread.run", "status": "queued"}'))
        with pytest.raises(ResponseFormatError, match="it has no id"):
            run(server.base_url, options=OperationOptions(wait=WaitOptions(poll_interval=0.01)))
        assert len(server.received) == 1


def test_polls_answering_html_are_explained_naming_the_run() -> None:
    html = Reply(200, "<html>maintenance</html>", headers={"Content-Type": "text/html"})
    with StubServer() as server:
        server.reply(Reply(200, run_object("queued", "run_9")), html)
        with pytest.raises(ResponseFormatError) as caught:
            run(server.base_url, options=OperationOptions(wait=WaitOptions(poll_interval=0.01)))
    message = str(caught.value)
    assert "Run 'run_9' on thread 'thread_1' was created" in message and "maintenance" in message
    assert caught.value.request.method == "GET"


def test_strange_answers_become_rows_with_output_error_responses() -> None:
    with StubServer() as server:
        server.reply(Reply(200, b"[1]"))
        outcome = run(server.base_url, options=OperationOptions(on_error=ErrorHandling.OUTPUT))
    assert (
        outcome.rows[0].error.startswith("POST ")
        and "the body is an array" in outcome.rows[0].error
    )
    assert outcome.warnings == [outcome.rows[0].error]


# --- stream + wait (issue 9, item 9) -----------------------------------------------------


def test_stream_with_wait_outputs_the_streams_final_run_without_polling() -> None:
    stream = sse(
        ("thread.run.created", run_object("queued")),
        ("thread.run.completed", run_object("completed")),
        ("done", "[DONE]"),
    )
    with StubServer() as server:
        server.reply(Reply(200, stream, headers={"Content-Type": "text/event-stream"}))
        outcome = run(
            server.base_url,
            body='{"assistant_id": "asst_1", "stream": true}',
            options=OperationOptions(
                result_format=ResultFormat.STRUCTURED, wait=WaitOptions(poll_interval=0.01)
            ),
        )
        assert len(server.received) == 1
    assert outcome.table["status"].to_pylist()[0] == "completed"


def test_stream_that_ends_before_the_run_does_is_waited_for() -> None:
    stream = sse(("thread.run.in_progress", run_object("in_progress")), ("done", "[DONE]"))
    with StubServer() as server:
        server.reply(
            Reply(200, stream, headers={"Content-Type": "text/event-stream"}),
            Reply(200, run_object("completed")),
        )
        outcome = run(
            server.base_url,
            body='{"assistant_id": "asst_1", "stream": true}',
            options=OperationOptions(
                result_format=ResultFormat.STRUCTURED, wait=WaitOptions(poll_interval=0.01)
            ),
        )
        assert [r.method for r in server.received] == ["POST", "GET"]
        assert server.received[1].path == "/v1/threads/thread_1/runs/run_1"
    assert outcome.table["status"].to_pylist()[0] == "completed"


# --- one error tree ---------------------------------------------------------------------------


def test_row_body_errors_keep_their_violations_in_a_table() -> None:
    runs = [
        CallInput("R0", run_settings(thread_id="t", body=BODY)),
        CallInput("R1", run_settings(thread_id="t", body='{"assistant_id": "a", "top_p": 9}')),
    ]
    with pytest.raises(InvalidBodyError) as caught:
        create_many_runs(runs, ConnectionConfig(base_url="http://127.0.0.1:9/v1"), environ=ENV)
    assert str(caught.value).startswith("R1: The JSON body is invalid")
    assert caught.value.violations == ["top_p: 9 is greater than the maximum of 1"]


def test_every_failure_carries_its_request_and_belongs_to_the_tree() -> None:
    with StubServer() as server:
        server.reply(Reply(404, '{"error": {"message": "nope"}}'))
        with pytest.raises(HttpStatusError) as caught:
            run(server.base_url)
    assert isinstance(caught.value, OpenAIAssistantsError)
    assert caught.value.request.url == f"{server.base_url}/threads/thread_1/runs"
    with pytest.raises(TransportError) as refused:
        run("http://127.0.0.1:9/v1")
    assert refused.value.request.method == "POST"


@pytest.mark.parametrize(
    "field", [{"created_at": 10**20}, {"usage": {"total_tokens": 10**30}}, {"created_at": False}]
)
def test_values_out_of_range_for_the_table_are_explained_with_the_run_id(field) -> None:
    with StubServer() as server:
        server.reply(Reply(200, json.dumps({"id": "run_big", "object": "thread.run", **field})))
        try:
            outcome = run(
                server.base_url, options=OperationOptions(result_format=ResultFormat.STRUCTURED)
            )
        except ResponseFormatError as exc:
            assert "Row0: run_big" in str(exc) and "Raw Response" in str(exc)
        else:  # a table that can hold it is fine too, as long as the run is there
            assert outcome.table["id"].to_pylist()[0] == "run_big"


@pytest.mark.parametrize("suffix", [".csv", ".json", ".parquet"])
def test_lone_surrogates_in_an_answer_are_written_to_every_output_format(
    suffix, tmp_path, capsys, monkeypatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL_KEY)
    answer = '{"id": "run_s", "object": "thread.run", "instructions": "a\\ud800b"}'
    output = tmp_path / f"out{suffix}"
    with StubServer() as server:
        server.reply(Reply(200, answer))
        code = cli.main(
            ["create-run", "--thread-id", "t", "--body", BODY, "--base-url", server.base_url,
             "--format", "structured", "--output", str(output)]
        )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0, err
    assert output.stat().st_size > 0 and "Traceback" not in err


def test_lone_surrogates_in_an_answer_are_printed(capsys, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL_KEY)
    answer = '{"id": "run_s", "object": "thread.run", "instructions": "a\\ud800b"}'
    with StubServer() as server:
        server.reply(Reply(200, answer))
        code = cli.main(
            ["create-run", "--thread-id", "t", "--body", BODY, "--base-url", server.base_url,
             "--format", "structured"]
        )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0 and "instructions: a\\ud800b" in out


@pytest.mark.parametrize(
    ("wait", "setting"),
    [
        (WaitOptions(poll_interval=float("nan")), "poll_interval"),
        (WaitOptions(poll_interval=0), "poll_interval"),
        (WaitOptions(max_wait=float("inf")), "max_wait"),
        (WaitOptions(max_wait=1e12), "max_wait"),
    ],
)
def test_absurd_wait_settings_are_refused_before_sending(wait, setting) -> None:
    with StubServer() as server:
        with pytest.raises(InvalidSettingsError) as caught:
            run(server.base_url, options=OperationOptions(wait=wait))
        assert server.received == []
    assert caught.value.setting == setting


def test_retries_stop_at_the_total_time_limit_without_claiming_a_run_exists() -> None:
    busy = Reply(503, '{"error": {"message": "busy"}}', headers={"Retry-After": "5"})
    with StubServer() as server:
        server.reply(busy, busy)
        started = time.monotonic()
        with pytest.raises(TransportError) as caught:
            run(server.base_url, max_retries=3, total_timeout=1)
        assert len(server.received) == 1
    assert time.monotonic() - started < 1.0  # a 5 s Retry-After cannot fit: no waiting
    assert not isinstance(caught.value, AmbiguousSendError)
    assert "total time limit of 1 s" in str(caught.value) and "HTTP 503" in str(caught.value)
