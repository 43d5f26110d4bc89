"""Arrow for a result table: each column with exactly its declared type.

The table is built directly as Arrow with the declared type per column, even when every cell
is missing: KNIME's conversion of an output table infers types from the data otherwise (an
all-missing column becomes Arrow ``null``, an all-missing date-time column a float column
KNIME cannot take), and then execute() disagrees with the schema configure() declared.
Building Arrow directly is also the fastest path (no pandas). pyarrow loads on first use.
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from .columns import ROW_ID, Columns

if TYPE_CHECKING:
    import pyarrow as pa


@cache
def arrow_types() -> dict[str, pa.DataType]:
    """The Arrow type of each column type name."""
    import pyarrow as pa

    return {
        "string": pa.string(),
        "int32": pa.int32(),
        "int64": pa.int64(),
        "double": pa.float64(),
        "bool": pa.bool_(),
        "datetime": pa.timestamp("us", tz="UTC"),
    }


@lru_cache(maxsize=64)  # a node's columns are the same on every execution
def arrow_schema(columns: Columns) -> pa.Schema:
    """The Arrow schema of a result table: the row IDs, then each declared column."""
    import pyarrow as pa

    types = arrow_types()
    return pa.schema([pa.field(ROW_ID, pa.string()), *(pa.field(n, types[k]) for n, k in columns)])


@lru_cache(maxsize=64)
def arrow_layout(columns: Columns) -> tuple[pa.Schema, tuple[pa.DataType, ...]]:
    """The schema of :func:`arrow_schema` and its column types (as the row IDs, then each
    declared column), worked out once per column set."""
    schema = arrow_schema(columns)
    return schema, tuple(schema.types)


def arrow_array(cells: list[Any], arrow_type: pa.DataType) -> pa.Array:
    """A column of the declared type. Arrow strings are UTF-8, so text holding lone surrogates
    (``\\ud800`` escapes in an answer) is kept readable as ``\\ud800`` instead of failing."""
    import pyarrow as pa

    try:
        return pa.array(cells, arrow_type)
    except UnicodeEncodeError:
        if arrow_type != pa.string():
            raise
        return pa.array([valid_utf8(c) for c in cells], arrow_type)


def valid_utf8(text: str | None) -> str | None:
    if text is None or text.isascii():
        return text
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
