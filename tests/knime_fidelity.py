"""Run the nodes' output through the same Arrow conversion KNIME performs.

Inside KNIME a node's output table is converted to Arrow (``knime._arrow``) and written to a
file that KNIME reads; the date&time value factories are registered when KNIME's Python
process starts. ``knime.extension.testing`` does neither, which hid two defects (an
all-missing date-time column and all-missing columns typed ``null``). The suite therefore:

* registers the date&time value factories through ``knime.api.types`` as KNIME does at
  start-up (real API and test double alike), and
* on the real API, installs KNIME's own Arrow table backend, with a stand-in for the Java
  side of the file sink (it records the columnar schema KNIME would receive), so
  ``knext.Table.from_pyarrow`` / ``from_pandas`` and writing the output run KNIME's code.

Without ``knime._arrow`` (the test double, or the pixi environment) an equally strict
stand-in is installed instead (``knime_arrow_double.py``).
"""

from __future__ import annotations

import json
import os
import tempfile
import zoneinfo
from typing import Any

import knime.api.table as ktab
import knime.api.types as kt

_DATE_TIME_FACTORIES = (
    # (Python class in knime.types.builtin, Java value factory, Python value type, name)
    ("LocalDateTimeValueFactory", "LocalDateTimeValueFactory", "datetime.datetime",
     "Local Date Time"),
    ("ZonedDateTimeValueFactory2", "ZonedDateTimeValueFactory2", "datetime.datetime",
     "Zoned Date Time"),
    ("DurationValueFactory", "DurationValueFactory", "datetime.timedelta", "Duration"),
    ("LocalTimeValueFactory", "LocalTimeValueFactory", "datetime.time", "Local Time"),
    ("LocalDateValueFactory", "LocalDateValueFactory", "datetime.date", "Local Date"),
)  # fmt: skip


def register_date_time_types() -> None:
    """Register the date&time value factories the way KNIME does when its process starts."""
    for python_class, java_class, value_type, name in _DATE_TIME_FACTORIES:
        logical_type = json.dumps(
            {"value_factory_class": f"org.knime.core.data.v2.time.{java_class}"},
            separators=(",", ":"),
        )
        traits = json.dumps({"type": "simple", "traits": {"logical_type": logical_type}})
        kt.register_python_value_factory(
            "knime.types.builtin",
            python_class,
            name,
            '{"type": "simple"}',
            traits,
            value_type,
            True,
        )


class _JavaStandIn:
    """Answers every call of the Java gateway with itself: KNIME's Python code builds the
    columnar schema it would send to Java (and fails there for an unsupported type). Java's
    time zones are the IANA zones, as Java knows them."""

    def __getattr__(self, name: str) -> Any:
        if name == "getSupportedTimeZones":
            return lambda: sorted(zoneinfo.available_timezones() | {"UTC"})
        return self

    def __call__(self, *args: Any) -> _JavaStandIn:
        return self

    def new_array(self, _cls: Any, size: int) -> list:
        return [None] * size


class _JavaDataSink:
    """The Java half of KNIME's output file sink: a temporary file and the reports."""

    def __init__(self) -> None:
        fd, self._path = tempfile.mkstemp(prefix="knime-sink-", suffix=".arrow")
        os.close(fd)
        self.batches = 0
        self.final_size: int | None = None

    def getAbsolutePath(self) -> str:  # the Java method names
        return self._path

    def reportBatchWritten(self, offset: int) -> None:
        self.batches += 1

    def setColumnarSchema(self, schema: Any) -> None:
        pass

    def setFinalSize(self, size: int) -> None:
        self.final_size = size
        os.unlink(self._path)


def install_knime_arrow_backend() -> str:
    """KNIME's Arrow table backend when its sources are importable, as inside KNIME; else
    the equally strict stand-in. Returns which one."""
    try:
        import knime._arrow._backend as kab
        import knime._arrow._table as kat
    except ImportError:
        from knime_arrow_double import ArrowLikeBackend

        ktab._backend = ArrowLikeBackend()
        return "stand-in for knime._arrow (tests/knime_arrow_double.py)"
    stand_in = _JavaStandIn()
    kab.gateway = lambda: stand_in
    ktab._backend = kat._ArrowBackend(lambda: kab.ArrowDataSink(_JavaDataSink()))
    return "KNIME's knime._arrow"


# KNIME's JSON cells (org.knime.core.data.json): a logical type whose storage is the JSON text
JSON_LOGICAL_TYPE = '{"value_factory_class":"org.knime.core.data.json.JSONValueFactory"}'


def json_column_table(columns: dict[str, list[str | None]], row_ids: list[str], json: set[str]):
    """A KNIME table (through the installed Arrow backend) whose ``json`` columns are KNIME
    JSON columns and the others string columns, as a JSON column arrives at a node."""
    import knime.extension as knext
    import pyarrow as pa

    try:
        import knime._arrow._types as katypes

        def json_type(storage: Any) -> Any:
            converter = kt.get_converter(JSON_LOGICAL_TYPE)
            return katypes.LogicalTypeExtensionType(converter, storage, JSON_LOGICAL_TYPE)
    except ImportError:
        from knime_arrow_double import logical_type_extension_type

        def json_type(storage: Any) -> Any:
            return logical_type_extension_type()(None, storage, JSON_LOGICAL_TYPE)

    arrays = {"<RowID>": pa.array(row_ids, pa.string())}
    for name, cells in columns.items():
        storage = pa.array(cells, pa.string())
        if name in json:
            arrays[name] = pa.ExtensionArray.from_storage(json_type(pa.string()), storage)
        else:
            arrays[name] = storage
    return knext.Table.from_pyarrow(pa.table(arrays))


def write_output(table: Any) -> None:
    """Write a node's output table as KNIME does after execute(); raises where KNIME fails."""
    sink = ktab._backend.create_sink()
    try:
        table._write_to_sink(sink)
    finally:
        sink.close()
