"""Reading an answer: within the size limit, decoded once, an event stream parsed as it comes.

The body is read in the chunks it arrives in, counted against ``max_response_mib``, decoded
with the declared charset (UTF-8 when Python has no such text encoding), and, when the answer
is an event stream (the one media-type check, :func:`.exchange.is_event_stream`), parsed
while it is read and not read past ``data: [DONE]``.
"""

from __future__ import annotations

import codecs
from functools import lru_cache
from typing import Any

import httpx

from ..errors import ResponseFormatError
from .attempt_outcomes import SentError, maybe_created
from .connection import ConnectionConfig
from .events import EventStreamParser
from .exchange import ApiRequest, ApiResponse, is_event_stream
from .httpx_internals import ResponseStream


def read_answer(
    response: httpx.Response, request: ApiRequest, config: ConnectionConfig
) -> ApiResponse:
    """The body, within the size limit; an event stream is parsed while read, up to [DONE]."""
    where = request.where
    status = response.status_code
    headers = tuple(response.headers.items())
    limit = config.max_response_bytes
    content_type = response.headers.get("content-type") or ""
    decoder = codecs.getincrementaldecoder(_charset(_declared_charset(content_type)))(
        errors="replace"
    )
    parser = EventStreamParser() if is_event_stream(content_type) else None
    parts: list[str] = []
    raw: list[bytes] | None = [] if request.raw_answer else None  # a file's bytes, kept
    size = 0
    chunks: Any = response.iter_bytes()
    if type(response.stream) is ResponseStream and "content-encoding" not in response.headers:
        # a routed answer without Content-Encoding: iter_bytes() would pass the bytes through
        # unchanged at ~15 µs of set-up per answer; its stream raises httpx's errors itself
        chunks = response.stream
    try:
        for chunk in chunks:  # as received: a stream is seen at once
            size += len(chunk)
            if size > limit:
                raise ResponseFormatError(
                    f"The answer to {where} (HTTP {status}) is larger than the maximum response "
                    f"size of {config.max_response_mib} MiB (setting max_response_mib). "
                    + maybe_created(request),
                    request=request,
                )
            if raw is not None:
                raw.append(chunk)
            text = decoder.decode(chunk)
            parts.append(text)
            if parser is not None:
                parser.feed(text)
                if parser.done:
                    break  # [DONE]: whatever the server sends after it is not read
        else:
            parts.append(decoder.decode(b"", final=True))
    except httpx.TimeoutException:
        raise SentError(
            f"{where} answered HTTP {status} but then sent nothing for {config.timeout:g} s."
        ) from None
    except httpx.DecodingError as exc:
        encoding = response.headers.get("content-encoding", "")
        raise ResponseFormatError(
            f"The answer to {where} (HTTP {status}) could not be decoded as its "
            f"Content-Encoding {encoding!r} says ({exc}). " + maybe_created(request),
            request=request,
        ) from None
    except (httpx.TransportError, httpx.StreamError) as exc:
        raise SentError(
            f"The connection was cut while reading the answer to {where} (HTTP "
            f"{status}; {exc or type(exc).__name__})."
        ) from None
    if parser is not None and parser.done and not request.keep_stream_text and 200 <= status < 300:
        parts.clear()  # the events hold the whole stream; nobody asked for its text
        return ApiResponse(status=status, headers=headers, text="", events=tuple(parser.events))
    text = "".join(parts)
    parts.clear()
    events = None
    if parser is not None:
        if parser.done and parser.consumed < len(text):
            text = text[: parser.consumed]
        else:
            parser.close()
        events = tuple(parser.events)
    content = None if raw is None else b"".join(raw)
    return ApiResponse(status=status, headers=headers, text=text, events=events, content=content)


@lru_cache(maxsize=64)
def _declared_charset(content_type: str) -> str | None:
    """The charset parameter of a Content-Type, as httpx reads it (cached: it parses the
    header with the email package)."""
    if not content_type:
        return None
    return httpx.Response(200, headers={"content-type": content_type}).charset_encoding


@lru_cache(maxsize=64)
def _charset(declared: str | None) -> str:
    """The declared charset when Python has it as a text encoding, else UTF-8 (the API's)."""
    try:
        info = codecs.lookup(declared or "utf-8")
    except (LookupError, TypeError, ValueError):
        return "utf-8"
    if not getattr(info, "_is_text_encoding", True):
        return "utf-8"  # e.g. charset=base64 or rot13: codecs that are not text encodings
    return info.name
