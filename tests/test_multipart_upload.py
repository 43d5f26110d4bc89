"""The streamed ``multipart/form-data`` reader of ``POST /v1/files``: the file's bytes come
out exactly however the stream is cut, and malformed forms are 400s, not crashes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openai_assistants.server.routes.multipart import Form, read_form
from openai_assistants.server.validation import RequestError


def encoded(fields: dict, files: dict) -> tuple[bytes, str]:
    """A form exactly as httpx (and so the openai SDK) encodes it."""
    request = httpx.Request("POST", "http://x/", data=fields, files=files)
    return request.read(), request.headers["content-type"]


def parse(body: bytes, content_type: str, cuts: list[int] | None = None) -> tuple[Form, bytes]:
    received = bytearray()
    points = sorted({c % (len(body) + 1) for c in cuts or []})

    async def stream() -> AsyncIterator[bytes]:
        start = 0
        for point in [*points, len(body)]:
            yield body[start:point]
            start = point

    form = asyncio.run(read_form(stream(), content_type, received.extend))
    return form, bytes(received)


@settings(max_examples=60, deadline=None)
@given(
    data=st.binary(max_size=3000),
    cuts=st.lists(st.integers(min_value=0, max_value=4000), max_size=12),
)
def test_the_file_comes_out_exactly_however_the_stream_is_cut(data: bytes, cuts: list[int]) -> None:
    body, content_type = encoded({"purpose": "assistants"}, {"file": ("a.bin", data)})
    form, received = parse(body, content_type, cuts)
    assert received == data
    assert form.fields == {"purpose": "assistants"} and form.filename == "a.bin"


def test_a_file_containing_boundary_like_bytes_is_kept_whole() -> None:
    tricky = b"--\r\n--notaboundary\r\n\r\n--" * 50
    body, content_type = encoded({"purpose": "batch"}, {"file": ("t.txt", tricky, "text/plain")})
    form, received = parse(body, content_type, [1, 7, 100, 101])
    assert received == tricky and form.content_type == "text/plain"


@pytest.mark.parametrize(
    ("body", "content_type", "words"),
    [
        (b"{}", "application/json", "multipart/form-data"),
        (b"--x\r\n", "multipart/form-data", "no boundary"),
        (
            b'--b\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nabc',
            "multipart/form-data; boundary=b",
            "ended before",
        ),
        (
            b'--b\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nx\r\n--b--\r\n',
            "multipart/form-data; boundary=b",
            "'file'",
        ),
        (b"--b\r\n" + b"X" * 20000, "multipart/form-data; boundary=b", "too large headers"),
    ],
)
def test_malformed_forms_are_400s(body: bytes, content_type: str, words: str) -> None:
    with pytest.raises(RequestError) as caught:
        parse(body, content_type)
    assert caught.value.status == 400 and words in caught.value.message
