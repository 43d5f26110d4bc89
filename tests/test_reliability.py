"""Create Run against a misbehaving server: retries, timeouts, cancellation, bad answers.

The matrix, one line per behaviour a batch workflow relies on (server on 127.0.0.1):

| server does                                   | Create Run does                          | sends |
|-----------------------------------------------|------------------------------------------|-------|
| 408/409/429/500/502/503/504, then 200         | retries, succeeds, warns "after 1 retry" | 2     |
| 400/401/403/404/422                           | fails at once                            | 1     |
| 429 on every try                              | gives up after max_retries, fails        | 1+n   |
| nothing listens (connection refused)          | retries, then "Could not connect"        | -     |
| answers after the read timeout                | fails, says the run may exist; no retry  | 1     |
| drops the connection after the request        | fails, says the run may exist; no retry  | 1     |
| cuts the body short                           | fails, says the run may exist; no retry  | 1     |
| sends headers, then stalls the body           | fails after the read timeout             | 1     |
| redirects elsewhere                           | fails, not followed; key not sent on     | 1     |
| HTML error page                               | fails quoting a short excerpt            | 1     |
| 200 with an empty body / non-JSON body        | fails (or a row + warning if chosen)     | 1     |
| user cancels during back-off / a slow answer  | stops within 1 s                         | 1     |
| custom CA bundle that does not exist          | fails before sending                     | 0     |
| TLS certificate unknown / in the CA bundle    | refused, not retried / trusted           | 0 / 1 |
| HTTP_PROXY, NO_PROXY (KNIME sets them)        | goes through the proxy                   | 1     |
"""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import time

import pytest
from http_stub import Reply, StubServer
from knime_contexts import ExecutionContext
from node_factories import SENTINEL_KEY, configuration_port, create_run_node
from run_calls import create_one_run, run_settings

from openai_assistants.client import pools, watched_io
from openai_assistants.client.connection import ConnectionConfig
from openai_assistants.engine.execute import ErrorHandling
from openai_assistants.errors import (
    AmbiguousSendError,
    CancelledError,
    HttpStatusError,
    InvalidSettingsError,
    ResponseFormatError,
    TransportError,
)

OK = Reply(200, '{"id": "run_1", "object": "thread.run", "status": "queued"}')
ERROR = '{"error": {"message": "try later", "type": "x", "param": null, "code": null}}'
FAST_RETRY = {"Retry-After": "0.01", "Content-Type": "application/json"}
ENV = {"OPENAI_API_KEY": SENTINEL_KEY}


def create_run(
    base_url: str, *, is_canceled=None, on_error=ErrorHandling.FAIL, client=None, **config
):
    config.setdefault("max_retries", 2)
    return create_one_run(
        run_settings(thread_id="thread_1", body='{"assistant_id": "asst_1"}'),
        ConnectionConfig(base_url=base_url, **config),
        environ=ENV,
        on_error=on_error,
        is_canceled=is_canceled,
        client=client,
    )


@pytest.mark.parametrize("status", [408, 409, 429, 503])
def test_status_that_created_nothing_is_retried_then_succeeds(status: int) -> None:
    with StubServer() as server:
        server.reply(Reply(status, ERROR, headers=FAST_RETRY), OK)
        outcome = create_run(server.base_url)
    assert outcome.response.status == 200
    assert len(server.received) == 2
    assert outcome.warnings == [f"Succeeded after 1 retry (HTTP {status})."]


@pytest.mark.parametrize("status", [500, 502, 504, 520])
def test_server_error_to_a_post_is_never_sent_again(status: int) -> None:
    with StubServer() as server:
        server.reply(Reply(status, ERROR, headers=FAST_RETRY), OK)
        with pytest.raises(HttpStatusError) as caught:
            create_run(server.base_url, max_retries=3)
    assert len(server.received) == 1  # the run may exist: a second POST could start another
    assert "A run on thread 'thread_1' may have been created" in str(caught.value)
    assert caught.value.request.method == "POST"
    assert caught.value.request.url == f"{server.base_url}/threads/thread_1/runs"


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_are_not_retried(status: int) -> None:
    with StubServer() as server:
        server.reply(Reply(status, ERROR), OK)
        with pytest.raises(HttpStatusError) as caught:
            create_run(server.base_url)
    assert len(server.received) == 1
    assert caught.value.response.status == status


def test_persistent_rate_limit_gives_up_after_max_retries() -> None:
    with StubServer() as server:
        server.reply(*[Reply(429, ERROR, headers=FAST_RETRY)] * 4)
        with pytest.raises(HttpStatusError, match="HTTP 429 Too Many Requests: try later"):
            create_run(server.base_url, max_retries=2)
    assert len(server.received) == 3


def test_zero_retries_sends_once() -> None:
    with StubServer() as server:
        server.reply(Reply(503, ERROR, headers=FAST_RETRY), OK)
        with pytest.raises(HttpStatusError):
            create_run(server.base_url, max_retries=0)
    assert len(server.received) == 1


def test_retry_waits_as_long_as_retry_after_says() -> None:
    with StubServer() as server:
        server.reply(Reply(429, ERROR, headers={"retry-after-ms": "400"}), OK)
        started = time.monotonic()
        create_run(server.base_url)
    assert 0.4 <= time.monotonic() - started < 2.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_refused_connection_is_retried_then_reported(caplog: pytest.LogCaptureFixture) -> None:
    url = f"http://127.0.0.1:{_free_port()}/v1"
    with pytest.raises(TransportError, match="Could not connect to POST") as caught:
        create_run(url, max_retries=1)
    assert not isinstance(caught.value, AmbiguousSendError)
    retries = [r.getMessage() for r in caplog.records if "Retrying" in r.getMessage()]
    assert len(retries) == 1 and "attempt 2 of 2" in retries[0]


def test_read_timeout_is_not_retried_and_names_the_thread() -> None:
    with StubServer() as server:
        server.reply(Reply(delay=1.5), OK)
        started = time.monotonic()
        with pytest.raises(AmbiguousSendError) as caught:
            create_run(server.base_url, timeout=0.5)
    assert time.monotonic() - started < 1.4
    assert len(server.received) == 1
    assert "within 0.5 s" in str(caught.value)
    assert "thread 'thread_1'" in str(caught.value)
    assert "not sent again" in str(caught.value)


def test_connection_dropped_after_sending_is_not_retried() -> None:
    with StubServer() as server:
        server.reply(Reply(drop=True), OK)
        with pytest.raises(AmbiguousSendError, match="may have been created"):
            create_run(server.base_url)
    assert len(server.received) == 1


def test_connection_cut_mid_body_is_not_retried() -> None:
    with StubServer() as server:
        server.reply(Reply(200, '{"id": "run_1", "status": "queued"}', cut_after=10), OK)
        with pytest.raises(AmbiguousSendError, match="cut while reading the answer"):
            create_run(server.base_url)
    assert len(server.received) == 1


def test_stalled_body_times_out() -> None:
    with StubServer() as server:
        server.reply(Reply(200, "{}", body_delay=1.5))
        started = time.monotonic()
        with pytest.raises(AmbiguousSendError, match=r"sent nothing for 0\.5 s"):
            create_run(server.base_url, timeout=0.5)
    assert time.monotonic() - started < 1.4


def test_redirect_is_not_followed_and_the_key_goes_nowhere_else() -> None:
    with StubServer() as elsewhere, StubServer() as server:
        server.reply(Reply(307, "", headers={"Location": f"{elsewhere.base_url}/threads/x/runs"}))
        with pytest.raises(HttpStatusError, match="redirects are not followed") as caught:
            create_run(server.base_url)
    assert elsewhere.received == []
    assert SENTINEL_KEY not in str(caught.value)


def test_html_error_page_is_quoted_as_a_short_excerpt() -> None:
    page = "<html><body>" + "Bad gateway. " * 200 + "</body></html>"
    with StubServer() as server:
        server.reply(Reply(502, page, headers={"Content-Type": "text/html"}))
        with pytest.raises(HttpStatusError) as caught:
            create_run(server.base_url, max_retries=0)
    message = str(caught.value)
    assert "HTTP 502 Bad Gateway: unexpected response: '<html><body>Bad gateway." in message
    quoted = message.split("unexpected response: '", 1)[1].split("'", 1)[0]
    assert len(quoted) <= 200 and quoted.endswith("…")
    assert len(server.received) == 1


@pytest.mark.parametrize(
    ("body", "expected"), [("", "with an empty body"), ("<html>", "a body that is not JSON")]
)
def test_malformed_success_fails(body: str, expected: str) -> None:
    with StubServer() as server:
        server.reply(Reply(200, body))
        with pytest.raises(ResponseFormatError, match=expected):
            create_run(server.base_url)


def test_malformed_success_becomes_a_row_when_errors_are_output() -> None:
    with StubServer() as server:
        server.reply(Reply(200, "not json"))
        outcome = create_run(server.base_url, on_error=ErrorHandling.OUTPUT)
    assert outcome.table["body"].to_pylist() == ["not json"]
    assert "not JSON" in outcome.warnings[0]


def test_cancel_during_back_off_stops_within_a_second() -> None:
    with StubServer() as server:
        server.reply(Reply(429, ERROR, headers={"Retry-After": "30"}), OK)
        cancel_at = time.monotonic() + 0.3
        with pytest.raises(CancelledError):
            create_run(server.base_url, is_canceled=lambda: time.monotonic() > cancel_at)
        assert time.monotonic() - cancel_at < 1.0
    assert len(server.received) == 1


def test_cancel_while_waiting_for_the_answer_stops_within_a_second() -> None:
    with StubServer() as server:
        server.reply(Reply(delay=3))
        cancel_at = time.monotonic() + 0.3
        with pytest.raises(CancelledError, match="thread 'thread_1' may have been created"):
            create_run(server.base_url, is_canceled=lambda: time.monotonic() > cancel_at)
        assert time.monotonic() - cancel_at < 1.0


def test_knime_cancel_stops_the_node() -> None:
    with StubServer() as server:
        server.reply(Reply(429, ERROR, headers={"Retry-After": "30"}))
        port = configuration_port(server.base_url, credentials="openai", max_retries=2)
        context = ExecutionContext({"openai": SENTINEL_KEY}, cancel_after=3)
        started = time.monotonic()
        with pytest.raises(CancelledError):
            create_run_node().execute(context, port)
    assert time.monotonic() - started < 1.5


def test_missing_ca_bundle_is_refused_before_sending(tmp_path) -> None:
    with StubServer() as server, pytest.raises(InvalidSettingsError, match="CA bundle file"):
        create_run(server.base_url, ca_bundle=str(tmp_path / "missing.pem"))
    assert server.received == []


def test_client_is_reused_across_executions() -> None:
    config = ConnectionConfig()
    assert pools.shared_client(config) is pools.shared_client(config)
    with StubServer() as server:
        server.reply(OK, OK)
        create_run(server.base_url)
        create_run(server.base_url)
    first, second = server.received
    assert first.client_port == second.client_port  # one kept-alive connection


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory) -> tuple[str, str]:
    """A certificate for 127.0.0.1 that no default trust store knows."""
    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = str(folder / "cert.pem"), str(folder / "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", key, "-out", cert, "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def _tls_server(cert: str, key: str) -> StubServer:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return StubServer(tls=context)


def test_unknown_certificate_is_refused_by_default(self_signed) -> None:
    with (
        _tls_server(*self_signed) as server,
        pools.new_client(ConnectionConfig()) as client,  # a client as the node makes it
    ):
        server.reply(OK)
        with pytest.raises(TransportError, match="TLS certificate check failed"):
            create_run(server.base_url, max_retries=0, client=client)
    assert server.received == []


def test_custom_ca_bundle_is_trusted(self_signed) -> None:
    cert, _ = self_signed
    with _tls_server(*self_signed) as server:
        server.reply(OK)
        outcome = create_run(server.base_url, ca_bundle=cert)
    assert outcome.response.status == 200
    assert server.received[0].headers["authorization"] == f"Bearer {SENTINEL_KEY}"


def test_a_slow_tls_answer_survives_the_cancel_check_steps(self_signed) -> None:
    """Reads are cut into 0.1 s steps for cancel checks; over TLS they must resume intact."""
    cert, _ = self_signed
    body = json.dumps({"id": "run_1", "object": "thread.run", "pad": "x" * 200_000})
    with _tls_server(*self_signed) as server:
        server.reply(Reply(200, body, delay=0.35, body_delay=0.25))
        outcome = create_run(server.base_url, ca_bundle=cert, is_canceled=lambda: False)
    assert outcome.response.text == body


def test_every_connection_pool_of_the_client_is_watched(monkeypatch) -> None:
    """Cancel and the total time limit rely on the watched network backend (httpx internals:
    this test notices when an httpx upgrade moves them)."""
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    with pools.new_client(ConnectionConfig()) as client:
        found = [client._transport._pool] + [m._pool for m in client._mounts.values() if m]
        assert len(found) >= 2
        assert all(isinstance(p._network_backend, watched_io.WatchedBackend) for p in found)


def test_proxy_environment_variables_are_honoured(monkeypatch) -> None:
    with StubServer() as proxy:
        proxy.reply(OK)
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.base_url.split(':')[2][:-3]}")
        monkeypatch.setenv("NO_PROXY", "")
        # the proxy is read when a client is created: a new one, as the node makes it
        with pools.new_client(ConnectionConfig()) as client:
            create_run("http://api.example.test/v1", max_retries=0, client=client)
    (received,) = proxy.received
    assert received.headers["host"] == "api.example.test"
    assert received.path == "/v1/threads/thread_1/runs"


def test_cancel_while_reading_a_slow_body_stops_within_a_second() -> None:
    with StubServer() as server:
        server.reply(Reply(200, '{"id": "run_1"}', body_delay=3))
        cancel_at = time.monotonic() + 0.3
        with pytest.raises(CancelledError):
            create_run(server.base_url, is_canceled=lambda: time.monotonic() > cancel_at)
        assert time.monotonic() - cancel_at < 1.0


def test_a_connection_closed_by_another_thread_as_a_request_starts_is_retried(monkeypatch):
    # httpcore's pool closes a connection it found expired outside its lock: another thread
    # may have just taken that connection for its request (a race seen as a stray
    # "OSError: [Errno 9] Bad file descriptor"). Nothing was sent: it is sent again.
    write = watched_io.WatchedStream.write
    closed_under: list[int] = []

    def closed_by_the_pool_first(self, buffer: bytes, timeout: float | None = None) -> None:
        if not closed_under:  # the pool's clean-up in the other thread wins the race
            closed_under.append(1)
            self.close()
        write(self, buffer, timeout)

    with StubServer() as server:
        server.reply(OK, OK)
        create_run(server.base_url)  # a kept-alive connection in the pool
        monkeypatch.setattr(watched_io.WatchedStream, "write", closed_by_the_pool_first)
        outcome = create_run(server.base_url)
    assert closed_under == [1]
    assert outcome.rows[0].response.status == 200
    assert len(server.received) == 2  # the first request, and the second sent once
