"""Upload File's request body: ``multipart/form-data`` as ``client.files.create`` writes it,
with the file's bytes streamed from disk.

Why a body of our own instead of httpx's ``files=``: the client sends one prepared
:class:`ApiRequest` (retries, cancel, the 429 gate, the watched socket), whose body must be
known before sending (its length goes into ``Content-Length``) and must be sendable again
after a connection that never reached the server. :class:`UploadBody` is that: an iterable
that opens the file afresh each time it is iterated and yields it in 64 KiB pieces, so a
512 MB upload never sits in memory, with a length worked out from the file's size.

The layout is the SDK's (RFC 7578): the form fields first, in the body's order (``purpose``,
then ``expires_after`` flattened as ``expires_after[anchor]``, ``expires_after[seconds]``),
then the file part with its base name as ``filename`` and a ``Content-Type`` guessed from
that name (``application/octet-stream`` when unknown); a random 32-hex-digit boundary.
"""

from __future__ import annotations

import mimetypes
import os
import re
import secrets
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ..errors import InvalidSettingsError, RequestFailedError

CHUNK_BYTES = 65_536
_ESCAPED = re.compile(r'["\\\x00-\x1a\x1c-\x1f]')  # as browsers write form-data names


class UploadReadError(RequestFailedError):
    """The file could not be read (or changed) while it was being sent."""


def _escape(value: str) -> str:
    def replace(match: re.Match[str]) -> str:
        char = match.group(0)
        return "\\\\" if char == "\\" else f"%{ord(char):02X}"

    return _ESCAPED.sub(replace, value)


def _utf8(text: str) -> bytes:
    """Text as sent: UTF-8; a name the file system gave as undecodable bytes (surrogate
    escapes) as those bytes; any other lone surrogate kept rather than failing."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        try:
            return text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            return text.encode("utf-8", "surrogatepass")


def form_fields(body: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """The form fields of a JSON body as the SDK writes them: nested objects as
    ``name[key]``, arrays as repeated ``name[]``, ``true``/``false``, numbers as text, null
    left out."""
    fields: list[tuple[str, str]] = []
    for key, value in body.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        fields += _field_values(name, value)
    return fields


def _field_values(name: str, value: Any) -> list[tuple[str, str]]:
    if value is None:
        return []
    if isinstance(value, Mapping):
        return form_fields(value, name)
    if isinstance(value, (list, tuple)):
        return [pair for item in value for pair in _field_values(f"{name}[]", item)]
    if isinstance(value, bool):
        return [(name, "true" if value else "false")]
    return [(name, str(value))]


class UploadBody:
    """A multipart body whose file part is read from disk each time it is sent."""

    __slots__ = ("_head", "_tail", "boundary", "path", "size")

    def __init__(
        self,
        fields: list[tuple[str, str]],
        file_field: str,
        path: Path,
        size: int,
        boundary: str | None = None,
    ) -> None:
        self.boundary = boundary or secrets.token_hex(16)
        self.path = path
        self.size = size
        dash = f"--{self.boundary}\r\n".encode("ascii")
        head = [
            dash + _utf8(f'Content-Disposition: form-data; name="{_escape(name)}"\r\n\r\n')
            + _utf8(value) + b"\r\n"
            for name, value in fields
        ]  # fmt: skip
        filename = path.name
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        head.append(
            dash
            + _utf8(
                f'Content-Disposition: form-data; name="{_escape(file_field)}"; '
                f'filename="{_escape(filename)}"\r\nContent-Type: {content_type}\r\n\r\n'
            )
        )
        self._head = b"".join(head)
        self._tail = f"\r\n--{self.boundary}--\r\n".encode("ascii")

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return len(self._head) + self.size + len(self._tail)

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"UploadBody(path={str(self.path)!r}, size={self.size})"

    def __iter__(self) -> Iterator[bytes]:
        yield self._head
        sent = 0
        try:
            with open(self.path, "rb") as handle:
                while chunk := handle.read(CHUNK_BYTES):
                    sent += len(chunk)
                    if sent > self.size:
                        break
                    yield chunk
        except OSError as exc:
            raise UploadReadError(
                f"Upload of '{self.path}' stopped: the file could not be read "
                f"({exc.strerror or type(exc).__name__}); the upload was not completed."
            ) from None
        if sent != self.size:
            raise UploadReadError(
                f"Upload of '{self.path}' stopped: the file changed while it was sent "
                f"({self.size} bytes when checked); the upload was not completed. Execute "
                "again once the file is complete."
            )
        yield self._tail


def no_file_error(file_field: str) -> InvalidSettingsError:
    """The error of an upload that names no file (the dialog's Local file left empty)."""
    return InvalidSettingsError(
        f"No file to upload: set the local path of the file ({file_field}).", setting=file_field
    )


def upload_body(
    body: Mapping[str, Any], file_field: str, order: tuple[str, ...] = ()
) -> UploadBody:
    """The multipart body of an upload whose ``body[file_field]`` names a local file.

    ``order``: the schema's field order (the SDK's); unknown fields follow in the body's
    order. Raises :class:`InvalidSettingsError` (setting ``file_field``) naming the path when
    it is not a readable file."""
    location = body.get(file_field)
    if not isinstance(location, str) or not location.strip():
        raise no_file_error(file_field)
    path = Path(location.strip()).expanduser()
    try:
        if path.is_dir():
            raise InvalidSettingsError(
                f"'{path}' is a folder, not a file: choose the file to upload.",
                setting=file_field,
            )
        size = os.stat(path).st_size
        with open(path, "rb"):
            pass  # readable now: a missing permission is reported before anything is sent
    except ValueError:  # a NUL character, or text the file system cannot encode
        raise InvalidSettingsError(
            f"{location.strip()!r} is not a usable file path. Check the path ({file_field}).",
            setting=file_field,
        ) from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InvalidSettingsError(
            f"Cannot read the file to upload '{path}': {reason}. Check the path ({file_field}).",
            setting=file_field,
        ) from None
    rest = {k: v for k, v in body.items() if k != file_field}
    ordered = {k: rest[k] for k in order if k in rest} | rest
    return UploadBody(form_fields(ordered), file_field, path, size)
