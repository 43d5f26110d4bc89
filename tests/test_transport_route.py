"""The transport's direct route to httpx's connection pool sends what httpx would send.

For its own clients the transport skips ``httpx.Client.send`` (issue 10, per-request
overhead) and hands the request to the same connection pool. These tests pin that a user
cannot tell: the bytes on the wire equal httpx's own, byte for byte, and cookies a server
sets are sent back as httpx sends them back.
"""

from __future__ import annotations

import gzip
import socket

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from raw_server import RawServer, http_head

from openai_assistants.client import pools, routes
from openai_assistants.client.client import ApiClient
from openai_assistants.client.connection import AuthStyle, ConnectionConfig
from openai_assistants.client.endpoints import api_url, path_segment
from openai_assistants.client.exchange import ApiRequest

KEY = "sk-route-test"
RUN = b'{"id": "run_1", "object": "thread.run"}'


def _answer(cookie: bool):
    def script(conn: socket.socket, server: RawServer) -> None:
        while server.read_request(conn):
            headers = {"Content-Type": "application/json", "Content-Length": str(len(RUN))}
            if cookie:
                headers["Set-Cookie"] = "session=abc; Path=/"
            conn.sendall(http_head(200, headers) + RUN)

    return script


def _requests(base_url: str) -> list[ApiRequest]:
    common = (("Content-Type", "application/json"), ("OpenAI-Beta", "assistants=v2"))
    return [
        ApiRequest("POST", f"{base_url}/threads/thread_1/runs?include%5B%5D=x", common,
                   b'{"assistant_id": "asst_1"}', subject="a run"),
        ApiRequest("GET", f"{base_url}/threads/thread_1/runs/run_1", common[1:]),
        ApiRequest("POST", f"{base_url}/threads/thread_1/runs", common, b"{}"),
        ApiRequest("POST", f"{base_url}/threads/{path_segment('th r/e@d:1')}/runs", common,
                   b"{}"),
        ApiRequest("GET", f"{base_url}/threads/thread_2/runs/run_9?after=run%2B1", common[1:]),
    ]  # fmt: skip


def _sent(routed: bool, config: ConnectionConfig, cookie: bool = False) -> list[bytes]:
    with RawServer(_answer(cookie)) as server:
        client = pools.new_client(config)
        if not routed:
            routes._OURS.discard(client)  # as an injected client: httpx's own send
        try:
            for request in _requests(server.base_url):
                response = ApiClient(config, KEY, http=client).send(request)
                assert response.status == 200 and response.text == RUN.decode()
                assert (routes.route(client, request) is not None) == (routed and not cookie)
        finally:
            client.close()
    return server.requests


@pytest.mark.parametrize("auth_style", list(AuthStyle))
def test_the_bytes_on_the_wire_are_the_ones_httpx_sends(auth_style: AuthStyle) -> None:
    config = ConnectionConfig(base_url="http://127.0.0.1/v1", auth_style=auth_style)
    routed, by_httpx = _sent(True, config), _sent(False, config)
    ports = [r.split(b"Host: 127.0.0.1:")[1].split(b"\r\n")[0] for r in routed + by_httpx]
    normalise = [r.replace(port, b"PORT") for r, port in zip(routed + by_httpx, ports, strict=True)]
    assert normalise[:5] == normalise[5:]
    assert KEY.encode() in routed[0]


def test_cookies_a_server_sets_are_sent_back_as_httpx_does() -> None:
    config = ConnectionConfig(base_url="http://127.0.0.1/v1")
    routed = _sent(True, config, cookie=True)
    assert b"Cookie: session=abc" not in routed[0]
    assert all(b"Cookie: session=abc" in request for request in routed[1:])


def test_a_foreign_client_takes_httpx_own_path() -> None:
    client = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    with client:
        assert routes.route(client, _requests("http://127.0.0.1:9/v1")[0]) is None


@pytest.mark.parametrize(
    ("headers", "body", "text"),
    [
        ({"Content-Encoding": "gzip"}, gzip.compress(RUN), RUN.decode()),
        ({"Content-Type": "application/json; charset=latin-1"}, '{"x": "é"}'.encode("latin-1"),
         '{"x": "é"}'),
        ({"Content-Type": "application/json; charset=rot13"}, b'{"x": "\\u00e9"}',
         '{"x": "\\u00e9"}'),
    ],
)  # fmt: skip
def test_a_routed_answer_is_decoded_as_httpx_decodes_it(
    headers: dict[str, str], body: bytes, text: str
) -> None:
    def script(conn: socket.socket, server: RawServer) -> None:
        server.read_request(conn)
        answer = {"Content-Type": "application/json", **headers, "Content-Length": str(len(body))}
        conn.sendall(http_head(200, answer) + body)

    config = ConnectionConfig(base_url="http://127.0.0.1/v1")
    with RawServer(script) as server:
        client = pools.new_client(config)
        try:
            request = _requests(server.base_url)[1]
            assert routes.route(client, request) is not None
            response = ApiClient(config, KEY, http=client).send(request)
        finally:
            client.close()
    assert response.text == text


def test_one_route_serves_every_thread_on_an_origin() -> None:
    """A table whose rows name different threads works out its route once, not per row."""
    config = ConnectionConfig(base_url="http://127.0.0.1:9/v1")
    client = pools.new_client(config)
    try:
        first, other = (
            ApiRequest("POST", f"http://127.0.0.1:9/v1/threads/{thread}/runs", (), b"{}")
            for thread in ("thread_1", "thread_2")
        )
        (route, target), (same, other_target) = (
            routes.route(client, first),
            routes.route(client, other),
        )
        assert same is route
        assert (target, other_target) == (
            b"/v1/threads/thread_1/runs",
            b"/v1/threads/thread_2/runs",
        )
    finally:
        client.close()


_ANY_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


@given(
    base_path=_ANY_TEXT,
    segments=st.lists(_ANY_TEXT.filter(lambda s: s not in ("", ".", "..")), max_size=3),
    query=st.lists(st.tuples(_ANY_TEXT, _ANY_TEXT), max_size=3),
)
def test_a_target_taken_as_written_is_the_one_httpx_sends(
    base_path: str, segments: list[str], query: list[tuple[str, str]]
) -> None:
    """Whatever the base URL's path, the IDs and the query: when the route takes a URL's
    target as written, httpx would have sent exactly that target."""
    config = ConnectionConfig(base_url=f"http://127.0.0.1:9/{base_path}")
    url = api_url(config, *segments, query=query)
    split = routes._split_target(url)
    try:
        by_httpx = httpx.URL(url)
    except httpx.InvalidURL:
        assert split is None
        return
    if split is not None:
        origin, target = split
        assert target == by_httpx.raw_path
        assert httpx.URL(origin + "/").netloc == by_httpx.netloc


def test_ids_built_by_the_request_builder_are_taken_as_written() -> None:
    config = ConnectionConfig(base_url="https://api.example.com/v1")
    url = api_url(config, "threads", "th r/e@d", "runs", query=[("include[]", "a[*].b")])
    assert routes._split_target(url) == (
        "https://api.example.com",
        b"/v1/threads/th%20r%2Fe@d/runs?include%5B%5D=a%5B%2A%5D.b",
    )
