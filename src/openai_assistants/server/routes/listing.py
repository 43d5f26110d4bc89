"""Pages of lists that are filtered in Python (files by purpose, vector-store files by status).

The object store pages by insertion order; these lists need a filter it does not have, so the
matching objects are read (oldest first) and the page is cut here, with the same ``limit``,
``order``, ``after`` and ``before`` rules and errors as :func:`.http.page`.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from ..validation import RequestError
from .http import order_and_limit


def list_page(
    items: list[dict[str, Any]],
    request: Request,
    *,
    max_limit: int = 100,
    default_limit: int = 20,
) -> dict[str, Any]:
    """The API's list object for one page of ``items`` (given oldest first)."""
    query = request.query_params
    order, limit = order_and_limit(request, max_limit=max_limit, default_limit=default_limit)
    ordered = items if order == "asc" else list(reversed(items))
    ids = [item["id"] for item in ordered]
    start, end = 0, len(ordered)
    after, before = query.get("after") or None, query.get("before") or None
    for name, cursor in (("after", after), ("before", before)):
        if cursor is not None and cursor not in ids:
            raise RequestError(f"Invalid '{name}': no object with id '{cursor}'.", param=name)
    if after is not None:
        start = ids.index(after) + 1
    if before is not None:
        end = ids.index(before)
    window = ordered[start:end]
    if before is not None and after is None:
        chosen = window[-limit:]
        has_more = len(window) > limit
    else:
        chosen = window[:limit]
        has_more = len(window) > limit
    return {
        "object": "list",
        "data": chosen,
        "first_id": chosen[0]["id"] if chosen else None,
        "last_id": chosen[-1]["id"] if chosen else None,
        "has_more": has_more,
    }
