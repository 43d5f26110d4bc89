"""The data of one HTTP exchange: what we send and what came back.

Plain values with no behaviour, so every step around them (building, sending, shaping) is a
function that can be tested alone. A request never holds the API key: the transport adds the
authentication header at the moment of sending.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .events import ServerEvent

EVENT_STREAM = "text/event-stream"
NOT_JSON: Any = object()  # ApiResponse.json of a body that is not JSON
TOO_DEEP: Any = object()  # ApiResponse.json of JSON nested too deeply to read
_UNREAD: Any = object()


@dataclass(frozen=True)
class ApiRequest:
    """A fully validated request, ready to send (minus the key).

    ``subject`` says what a POST may have created, for messages when its outcome is unknown
    (e.g. "a run on thread 'thread_1'"); ``expect_object`` is the ``object`` value a success
    answer must carry (e.g. "thread.run"), empty when any JSON answer will do.
    """

    method: str
    url: str  # absolute, query included, safe to show to users
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""
    stream: bool = False  # the body asked for server-sent events
    subject: str = ""
    expect_object: str = ""
    # False: a 2xx event stream that reaches [DONE] is answered with its events only (text
    # ""), the text dropped as soon as it was read. The engine asks so when the output shows
    # the events (Events, Structured), not the text (Raw): a long stream is held once, not twice.
    keep_stream_text: bool = True
    # True: the answer is a file's bytes (Get File Content), kept as ``ApiResponse.content``
    # and not checked as JSON. ``body`` may also be an upload streamed from disk
    # (``multipart.UploadBody``: iterable, with a length), never read whole into memory.
    raw_answer: bool = False

    @property
    def idempotent(self) -> bool:
        """GET, HEAD, PUT, DELETE, OPTIONS: sending twice has the effect of sending once."""
        return self.method.upper() in ("GET", "HEAD", "PUT", "DELETE", "OPTIONS")

    @property
    def where(self) -> str:
        """``POST https://…/runs``: how messages name the request (the URL has no secret)."""
        return f"{self.method} {self.url}"

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), None)


@dataclass(frozen=True)
class ApiResponse:
    """What the server answered: status, headers and the body as received, decoded once.

    The body is kept only as text (UTF-8, as the API sends it; undecodable bytes replaced,
    not dropped): the output table needs text, and holding bytes beside it would double the
    memory a large answer takes. For an event stream, ``events`` holds the events parsed while
    it was read (up to ``data: [DONE]``), so nothing parses it a second time; ``text`` is then
    empty if the request did not ask to keep it (``ApiRequest.keep_stream_text``).
    """

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    text: str = ""
    attempts: int = 1  # how many sends it took (1 = no retry)
    retry_reasons: tuple[str, ...] = field(default=())
    events: tuple[ServerEvent, ...] | None = None
    content: bytes | None = None  # the bytes as received, for a request with raw_answer

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), None)

    @property
    def json(self) -> Any:
        """The body parsed as JSON, once however many checks read it; :data:`NOT_JSON` or
        :data:`TOO_DEEP` when it cannot be read. (Kept in the instance's ``__dict__``, not a
        ``cached_property``, whose lock Python 3.11 shares among all instances and threads.)"""
        known = self.__dict__.get("_json", _UNREAD)
        if known is _UNREAD:
            try:
                known = json.loads(self.text)
            except RecursionError:
                known = TOO_DEEP
            except ValueError:
                known = NOT_JSON
            self.__dict__["_json"] = known
        return known

    @property
    def json_or_none(self) -> Any:
        """:attr:`json`, or None when the body cannot be read as JSON."""
        value = self.json
        return None if value is NOT_JSON or value is TOO_DEEP else value

    @property
    def media_type(self) -> str:
        """The Content-Type without parameters, lower-case (media types ignore case)."""
        return media_type(self.header("content-type"))

    @property
    def is_event_stream(self) -> bool:
        """Whether the answer is server-sent events (see :func:`is_event_stream`)."""
        return is_event_stream(self.header("content-type"))


def media_type(content_type: str | None) -> str:
    """A Content-Type's media type without parameters, in lower case: media types compare
    without regard to case (RFC 9110 8.3.1), so ``Text/Event-Stream`` is a stream."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_event_stream(content_type: str | None) -> bool:
    """The one check whether an answer is an event stream, shared by every path that reads
    one (the transport that parses it, the answer's checks, the result tables)."""
    return media_type(content_type) == EVENT_STREAM
