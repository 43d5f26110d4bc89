"""The data of one HTTP exchange: what we send and what came back.

Plain values with no behaviour, so every step around them (building, sending, shaping) is a
function that can be tested alone. A request never holds the API key: the transport adds the
authentication header at the moment of sending.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ApiRequest:
    """A fully validated request, ready to send (minus the key)."""

    method: str
    url: str  # absolute, query included, safe to show to users
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""
    stream: bool = False  # the body asked for server-sent events
    thread_id: str = ""  # for messages that must name the thread

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), None)


@dataclass(frozen=True)
class ApiResponse:
    """What the server answered: status, headers and the body as received, decoded once.

    The body is kept only as text (UTF-8, as the API sends it; undecodable bytes replaced,
    not dropped): the output table needs text, and holding bytes beside it would double the
    memory a large answer takes.
    """

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    text: str = ""
    attempts: int = 1  # how many sends it took (1 = no retry)
    retry_reasons: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), None)
