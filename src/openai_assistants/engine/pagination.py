"""List operations: the items of one page, and the query of the next page.

The list answers of the Assistants API are cursor pages (``{"object": "list", "data": [...],
"first_id", "last_id", "has_more"}``). A node outputs one row per item and may fetch every
page; the next page is asked for exactly as the official SDK does it: the same query with
``after`` set to the ID of the last item, as long as ``has_more`` is not false. Pure: the
engine sends the requests.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ResponseFormatError


@dataclass(frozen=True)
class Page:
    """One page of a list answer."""

    items: list[Any]
    has_more: bool

    @property
    def last_id(self) -> str | None:
        last = self.items[-1] if self.items else None
        value = last.get("id") if isinstance(last, dict) else None
        return value if isinstance(value, str) and value else None


def parse_page(body: str | Mapping[str, Any]) -> Page:
    """The items and ``has_more`` of a list answer; a body that is no list page is an error."""
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            raise ResponseFormatError(
                "The list answer is not JSON; expected an object with a data array."
            ) from None
    data = body.get("data") if isinstance(body, Mapping) else None
    if not isinstance(data, list):
        raise ResponseFormatError(
            "The list answer has no data array; expected "
            '{"object": "list", "data": [...], "has_more": ...}.'
        )
    return Page(items=data, has_more=body.get("has_more") is not False)


def next_page_query(query_values: Mapping[str, Any], page: Page) -> dict[str, Any] | None:
    """The query values of the page after ``page``; ``None`` when it was the last one.

    As the SDK: stop when ``has_more`` is false, the page is empty, or its last item has no
    ID; otherwise ask for the items ``after`` the last one, keeping every other value.
    """
    if not page.has_more or page.last_id is None:
        return None
    return {**query_values, "after": page.last_id}
