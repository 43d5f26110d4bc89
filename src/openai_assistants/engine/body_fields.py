"""Body fields with a setting and a column of their own (``Operation.field_settings``).

Upload File's ``file`` (the local path) and ``purpose``, Search Vector Store's ``query``:
each is a field of the operation's body, but a user sets it in the dialog (or a
command-line flag) or takes it from a table column, one value per row, rather than editing
JSON. These functions write such values into the body text, so everything after (checks
against the schema, errors by JSON path, the request) is the body's as for any operation.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace

from ..errors import InvalidSettingsError
from .execute import CallInput, CallSettings


def with_fields(body: str | None, values: Mapping[str, str | None]) -> str | None:
    """``body`` with each non-empty value set as a top-level field (replacing the body's).

    A body that is not a JSON object is returned as it is: its check then reports the
    syntax error with line and column, as for any body."""
    chosen = {k: v.strip() for k, v in values.items() if isinstance(v, str) and v.strip()}
    if not chosen:
        return body
    text = body if body is not None and body.strip() else "{}"
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        return body
    if not isinstance(parsed, dict):
        return body
    return json.dumps({**parsed, **chosen}, indent=2, ensure_ascii=False)


def settings_with_fields(settings: CallSettings, values: Mapping[str, str | None]) -> CallSettings:
    """The dialog's settings with its field settings written into the body."""
    body = with_fields(settings.body, values)
    return settings if body is settings.body else replace(settings, body=body)


def inputs_with_field_columns(
    inputs: Sequence[CallInput], columns: Mapping[str, Sequence[str | None]]
) -> list[CallInput]:
    """One value per row from each field's column (a missing cell keeps the dialog's)."""
    for key, cells in columns.items():
        if len(cells) != len(inputs):
            raise InvalidSettingsError(
                f"The column for '{key}' has {len(cells)} cells for {len(inputs)} rows.",
                setting=f"{key}_column",
            )
    if not columns:
        return list(inputs)
    return [
        CallInput(
            item.row_id,
            settings_with_fields(item.settings, {key: cells[n] for key, cells in columns.items()}),
        )
        for n, item in enumerate(inputs)
    ]
