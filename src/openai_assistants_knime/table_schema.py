"""The core's column types (plain names) as KNIME column types."""

from __future__ import annotations

import knime.extension as knext

_KNIME_TYPES = {
    "string": knext.string,
    "int32": knext.int32,
    "int64": knext.int64,
    "double": knext.double,
    "bool": knext.bool_,
    # UTC date-times: KNIME's "Date&time (Zoned)"
    "datetime": lambda: knext.datetime(date=True, time=True, timezone=True),
}


def knime_schema(columns: tuple[tuple[str, str], ...]) -> knext.Schema:
    """``(("body", "string"), ("status", "int32"))`` -> the matching ``knext.Schema``."""
    return knext.Schema.from_columns(
        [knext.Column(_KNIME_TYPES[kind](), name) for name, kind in columns]
    )
