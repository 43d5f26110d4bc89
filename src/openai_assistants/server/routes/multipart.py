"""Reading a ``multipart/form-data`` upload as it streams in, with memory bounded.

``POST /v1/files`` is the one operation with a form body. The file part goes piece by piece
into a sink (the blob store's writer), so memory stays at one network chunk plus the boundary,
whatever the file's size; the other fields are small text (at most :data:`MAX_FIELD_BYTES`).
Starlette's own form parser needs the python-multipart package and spools to temporary
files; this one does the one job the route needs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from email.message import Message

from ..validation import RequestError

MAX_FIELD_BYTES = 64 * 1024
MAX_HEADER_BYTES = 16 * 1024


@dataclass
class Form:
    """The text fields of a form and the upload's file name and declared type."""

    fields: dict[str, str] = field(default_factory=dict)
    filename: str | None = None
    content_type: str | None = None


def boundary_of(content_type: str) -> bytes:
    message = Message()
    message["content-type"] = content_type
    if message.get_content_type() != "multipart/form-data":
        raise RequestError(
            "Expected a multipart/form-data request body with the fields 'file' and 'purpose'."
        )
    boundary = message.get_param("boundary")
    if not isinstance(boundary, str) or not boundary or len(boundary) > 200:
        raise RequestError("The multipart/form-data body has no boundary in its Content-Type.")
    return boundary.encode("latin-1")


def _part_headers(raw: bytes) -> tuple[str | None, str | None, str | None]:
    """``(field name, file name, content type)`` of a part's headers."""
    message = Message()
    for line in raw.decode("utf-8", "replace").split("\r\n"):
        name, sep, value = line.partition(":")
        if sep:
            message[name.strip()] = value.strip()
    disposition = Message()
    disposition["content-type"] = (
        "x/x; " + (message.get("content-disposition", "").partition(";")[2])
    )
    name = disposition.get_param("name")
    filename = disposition.get_param("filename")
    declared = message.get("content-type")
    return (
        name if isinstance(name, str) else None,
        filename if isinstance(filename, str) else None,
        declared,
    )


async def read_form(
    chunks: AsyncIterator[bytes],
    content_type: str,
    file_sink: Callable[[bytes], Awaitable[None] | None],
    file_field: str = "file",
) -> Form:
    """Parse the stream; the bytes of ``file_field`` go to ``file_sink``, the rest in the form."""
    boundary = boundary_of(content_type)
    delimiter = b"\r\n--" + boundary
    form = Form()
    buffer = b"\r\n"  # the first delimiter has no CRLF before it
    state = "preamble"
    current: str | None = None
    value = bytearray()
    seen_file = False
    async for chunk in chunks:
        buffer += chunk
        while True:
            if state == "preamble" or state == "boundary":
                at = buffer.find(delimiter)
                if at < 0:
                    buffer = buffer[-len(delimiter) :]
                    break
                buffer = buffer[at + len(delimiter) :]
                state = "after_boundary"
            if state == "after_boundary":
                if len(buffer) < 2:
                    break
                if buffer.startswith(b"--"):
                    state = "done"
                    break
                state = "headers"
            if state == "headers":
                end = buffer.find(b"\r\n\r\n")
                if end < 0:
                    if len(buffer) > MAX_HEADER_BYTES:
                        raise RequestError("A multipart part has too large headers.")
                    break
                current, filename, declared = _part_headers(buffer[:end].lstrip(b"\r\n"))
                buffer = buffer[end + 4 :]
                if current == file_field:
                    if seen_file:
                        raise RequestError("The form has more than one 'file' field.", param="file")
                    seen_file = True
                    form.filename = filename
                    form.content_type = declared
                value = bytearray()
                state = "body"
            if state == "body":
                at = buffer.find(delimiter)
                ready = buffer if at < 0 else buffer[:at]
                if at < 0:
                    keep = len(delimiter)
                    ready, buffer = buffer[:-keep] if len(buffer) > keep else b"", buffer[-keep:]
                else:
                    buffer = buffer[at:]
                if current == file_field:
                    if ready:
                        pending = file_sink(bytes(ready))
                        if pending is not None:  # the sink writes in a worker thread
                            await pending
                else:
                    value += ready
                    if len(value) > MAX_FIELD_BYTES:
                        raise RequestError(f"The form field '{current}' is too large.")
                if at < 0:
                    break
                if current and current != file_field:
                    form.fields[current] = value.decode("utf-8", "replace")
                state = "boundary"
            if state == "done":
                break
        if state == "done":
            break
    if state != "done":
        raise RequestError("The multipart/form-data body ended before its closing boundary.")
    if not seen_file:
        raise RequestError("Missing required parameter: 'file'.", param="file")
    return form
