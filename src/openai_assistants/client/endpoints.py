"""URLs and headers shared by every Assistants API call (create, poll, cancel).

Path parameters are percent-encoded as single RFC 3986 segments, exactly as the official SDK
does, so no ID can change the path or add a query. The key is not here: the transport adds
the authentication header when it sends.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote, urlencode

from .. import __version__
from .connection import ConnectionConfig
from .exchange import EVENT_STREAM

USER_AGENT = f"knime-openai-assistants/{__version__}"
PATH_SEGMENT_SAFE = "!$&'()*+,;=:@"


def path_segment(value: str) -> str:
    """``value`` as one path segment: ``/ ? # %`` and spaces encoded; sub-delimiters, ``:``
    and ``@`` kept, as the official SDK does."""
    return quote(value, safe=PATH_SEGMENT_SAFE)


def api_url(
    config: ConnectionConfig,
    *segments: str,
    query: Sequence[tuple[str, str]] = (),
    raw_path: str = "",
) -> str:
    """``{base_url}/{raw_path}/{segment}/…?{query}``; segments are encoded, ``raw_path`` not."""
    pairs = list(query)
    if config.api_version:
        pairs.append(("api-version", config.api_version))
    path = "/".join([p for p in (raw_path.strip("/"),) if p] + [path_segment(s) for s in segments])
    url = f"{config.base_url.strip().rstrip('/')}/{path}"
    return f"{url}?{urlencode(pairs)}" if pairs else url


def request_headers(
    config: ConnectionConfig,
    *,
    stream: bool = False,
    json_body: bool = True,
    beta: bool = True,
    accept: str = "",
) -> tuple[tuple[str, str], ...]:
    """Every header but the key. ``beta``: send ``OpenAI-Beta`` (the SDK sends none for
    ``/files``); ``accept``: an Accept of the operation's own (``application/binary``)."""
    headers = [("Accept", accept or (EVENT_STREAM if stream else "application/json"))]
    if json_body:
        headers.append(("Content-Type", "application/json"))
    if beta:
        headers.append(("OpenAI-Beta", config.beta_header.strip()))
    headers.append(("User-Agent", USER_AGENT))
    if config.organization.strip():
        headers.append(("OpenAI-Organization", config.organization.strip()))
    if config.project.strip():
        headers.append(("OpenAI-Project", config.project.strip()))
    return tuple(headers)
