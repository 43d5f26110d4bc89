"""One short warning for a whole execution, as KNIME shows one warning per node.

Every row's message stays in the log and (for failures) in the row's own output; the node's
warning only has to say *that* rows failed, how many, the first reason and where to look:
``37 of 200 rows failed; first: Row3: HTTP 404 …; see the `error` column.`` Other warnings
(unknown body fields, retries) are grouped by their text, so the same note on 200 rows is
one line naming a few of them, and the whole text stays bounded however large the table.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..tables.results import ResultFormat, RowResult

FIRST_FAILURE_CHARS = 300  # the first failure's message, shortened beyond this
NOTE_CHARS = 240  # each other warning's text
SINGLE_CALL_CHARS = 2000  # one call: its whole message matters (e.g. every body violation)
MAX_GROUPS = 3  # distinct other warnings shown; the rest are counted
ROWS_NAMED = 3  # rows named for a warning shared by many


def summarize_warnings(
    warnings: Sequence[str],
    rows: Sequence[RowResult] = (),
    result_format: ResultFormat | None = None,
) -> str:
    """The node's one warning: failed rows counted with the first reason, then the other
    warnings grouped by text; "" when there is nothing to say. ``warnings`` are the
    execution's (a table's prefixed with their row ID), ``rows`` its results in input order.
    """
    total = len(rows)
    if total <= 1:
        return _shorten(" | ".join(dict.fromkeys(warnings)), SINGLE_CALL_CHARS)
    failed = [row for row in rows if row.error]
    failure_texts = {f"{row.row_id}: {row.error}" for row in failed}
    parts = []
    if failed:
        first = failed[0]
        head = f"{len(failed)} of {total} rows failed"
        reason = _shorten(f"{first.row_id}: {first.error}", FIRST_FAILURE_CHARS)
        joint = ": " if len(failed) == 1 else "; first: "
        parts.append(f"{head}{joint}{reason.rstrip('.')}; see {_where(result_format)}.")
    others = [w for w in dict.fromkeys(warnings) if w not in failure_texts]
    parts += _grouped(others, {row.row_id for row in rows})
    return " | ".join(parts)


def _where(result_format: ResultFormat | None) -> str:
    """Where each failed row's message is in the output table."""
    if result_format is ResultFormat.RAW:
        return "the `status` and `body` columns (the log has every message)"
    if result_format is ResultFormat.EVENTS:
        return "the rows whose `event` is `error`"
    return "the `error` column"


def _grouped(warnings: Sequence[str], row_ids: set[str]) -> list[str]:
    """``Row0, Row1, Row2 and 197 more rows: <text>`` per distinct text, a few of them."""
    groups: dict[str, list[str]] = {}
    for warning in warnings:
        row_id, sep, text = warning.partition(": ")
        if not sep or row_id not in row_ids:
            row_id, text = "", warning
        groups.setdefault(text, [])
        if row_id:
            groups[text].append(row_id)
    lines = []
    for text, named in list(groups.items())[:MAX_GROUPS]:
        text = _shorten(text, NOTE_CHARS)
        if not named:
            lines.append(text)
            continue
        shown = ", ".join(named[:ROWS_NAMED])
        more = len(named) - ROWS_NAMED
        if more > 0:
            shown += f" and {more} more row{'s' if more > 1 else ''}"
        lines.append(f"{shown}: {text}")
    hidden = len(groups) - MAX_GROUPS
    if hidden > 0:
        lines.append(f"{hidden} more warning{'s' if hidden > 1 else ''} in the log")
    return lines


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
