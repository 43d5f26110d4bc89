"""How the command line shows and writes a result table: ``name: value`` blocks on the
terminal, or a ``.csv``, ``.json`` or ``.parquet`` file. Takes the Arrow table or the plain
rows the engine builds it from, so printing a result never needs pyarrow."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..tables.results import ROW_ID

if TYPE_CHECKING:
    import pyarrow as pa

    from ..tables.results import ResultRows

OUTPUT_FORMATS = (".csv", ".json", ".parquet")
LONG_COLUMNS = ("body",)  # printed last, on their own lines


def format_table(table: pa.Table | ResultRows, with_row_ids: bool = False) -> str:
    """Each row as ``name: value`` lines (missing values left out), the body last.

    A raw row reads ``status: 200`` then ``body:`` and the body as received; an events row
    reads like the event stream itself. Rows are separated by a blank line.
    """
    blocks = []
    listed = table.to_pylist()
    for row_id, row in zip(_row_ids(listed), _plain_rows(listed), strict=True):
        lines = [f"row: {row_id}"] if with_row_ids else []
        lines += [
            f"{name}: {value}"
            for name, value in row.items()
            if value is not None and name not in LONG_COLUMNS
        ]
        for name in LONG_COLUMNS:
            if row.get(name) is not None:
                lines += [f"{name}:", str(row[name]).rstrip("\n")]
        blocks.append("\n".join(lines) + "\n")
    return _printable("\n".join(blocks))


def table_rows(table: pa.Table | ResultRows) -> list[dict[str, Any]]:
    """The table as plain JSON-ready rows (without the row IDs): missing -> None, times ->
    ISO 8601. ``table``: Arrow, or the plain rows the engine builds it from (no pyarrow)."""
    return _plain_rows(table.to_pylist())


def _plain_rows(listed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {name: _plain(value) for name, value in row.items() if name != ROW_ID} for row in listed
    ]


def write_table(table: pa.Table | ResultRows, path: Path, with_row_ids: bool = False) -> None:
    """By extension: ``.csv``, ``.json`` (a list of row objects) or ``.parquet``.

    With an input table the row IDs come first as a ``row_id`` column, so each result can
    be matched to its input row.
    """
    suffix = path.suffix.lower()
    if suffix == ".json":
        listed = table.to_pylist()
        rows = _plain_rows(listed)
        if with_row_ids:
            rows = [{"row_id": rid, **row} for rid, row in zip(_row_ids(listed), rows, strict=True)]
        text = json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
        path.write_text(text, "utf-8", errors="backslashreplace")
        return
    if suffix not in (".csv", ".parquet"):  # _check_output_path refuses this before sending
        raise ValueError(f"unsupported output format {suffix!r}")
    frame = table.to_pandas()  # pandas only for the file formats it writes
    if with_row_ids:
        frame = frame.rename(columns={ROW_ID: "row_id"})
    else:
        frame = frame.drop(columns=[ROW_ID])
    if suffix == ".csv":
        frame.to_csv(path, index=False, errors="backslashreplace")
    else:
        for column in frame.columns:  # Parquet strings must be valid UTF-8
            if frame[column].dtype == object:
                frame[column] = frame[column].map(
                    lambda v: _printable(v) if isinstance(v, str) else v
                )
        frame.to_parquet(path, index=False)


def _row_ids(listed: list[dict[str, Any]]) -> list[str]:
    return [row[ROW_ID] for row in listed]


def _printable(text: str) -> str:
    """Lone surrogates (from ``\\ud800`` escapes in an answer) as ``\\ud800`` text: files and
    terminals take only valid Unicode."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return value
