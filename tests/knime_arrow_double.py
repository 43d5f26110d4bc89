"""A stand-in for KNIME's Arrow table backend, for when ``knime._arrow`` is not importable.

Inside KNIME a node's tables go through ``knime._arrow`` (pyarrow). The unit-test backend of
``knime.extension.testing`` is far more lenient, so the suite installs KNIME's own backend
when its sources are importable (see ``knime_fidelity.py``) and this stand-in otherwise
(the test double, or the pixi environment whose ``knime-extension`` package lacks
``knime._arrow``). It is at least as strict as KNIME about declared vs actual types:

* ``knext.Table.from_pyarrow(t)`` (a table or, as KNIME's backend takes, a record batch)
  keeps a first ``<RowID>`` string column (else generates ``Row0``, ``Row1``, ...);
  ``from_pandas(df)`` converts with pyarrow and turns the index into the ``<RowID>``
  column. A RowID column that is not ``string`` is a TypeError.
* Every column must have an Arrow type KNIME can store: ``string``, ``int32``, ``int64``,
  ``double``, ``bool``, ``null`` (an all-missing column of unknown type: KNIME's *void*),
  ``large_binary``, timestamps (naive: Local Date Time, with a zone: Zoned Date Time, both
  only once their value factories are registered) and KNIME's logical types (an Arrow
  extension type named ``knime.logical_type`` carrying the Java value factory, e.g. a JSON
  column; see :class:`LogicalTypeExtensionType`). Anything else (e.g. pandas 3's
  ``large_string``) is a TypeError, as KNIME's conversion fails on it. A date-time column in
  a pandas frame whose cells are all missing is refused as KNIME's date&time converter
  refuses it ("Could not convert nan with type float: tried to convert to int64").
* ``table.schema`` is derived from the Arrow types exactly (``null`` stays ``null``), so a
  column that configure() declared as String but that came out all-missing as ``null``
  does not compare equal: the same check KNIME's downstream nodes make.
* ``create_sink()`` gives a sink that checks and records what is written.
"""

from __future__ import annotations

import knime.api.schema as ks
import knime.api.table as ktab

_ROW_ID = "<RowID>"


def _arrow_to_knime(dtype) -> ks.KnimeType:
    """The KNIME type of an Arrow column, or TypeError where KNIME's conversion fails."""
    import pyarrow as pa

    if isinstance(dtype, pa.ExtensionType) and dtype.extension_name == "knime.logical_type":
        storage = _arrow_to_knime(dtype.storage_type)
        return ks.LogicalType(dtype.__arrow_ext_serialize__().decode(), storage)
    simple = {
        pa.string(): ks.string(),
        pa.int32(): ks.int32(),
        pa.int64(): ks.int64(),
        pa.float64(): ks.double(),
        pa.bool_(): ks.bool_(),
        pa.null(): ks.null(),
        pa.large_binary(): ks.blob(),
    }
    if dtype in simple:
        return simple[dtype]
    if isinstance(dtype, pa.TimestampType):
        try:
            return ks.datetime(date=True, time=True, timezone=dtype.tz is not None)
        except ValueError:
            raise TypeError(
                f"Cannot convert PyArrow type {dtype} to KNIME type: the date&time value "
                "factories are not registered"
            ) from None
    raise TypeError(f"Cannot convert PyArrow type {dtype} to KNIME type")


def logical_type_extension_type():
    """The stand-in for ``knime._arrow._types.LogicalTypeExtensionType`` (same constructor:
    converter, storage type, Java value factory), defined on first use (pyarrow loads then)."""
    global _LogicalTypeExtensionType
    if _LogicalTypeExtensionType is None:
        import pyarrow as pa

        class LogicalTypeExtensionType(pa.ExtensionType):
            def __init__(self, converter, storage_type, java_value_factory: str) -> None:
                self._converter = converter
                self._logical_type = java_value_factory
                pa.ExtensionType.__init__(self, storage_type, "knime.logical_type")

            def __arrow_ext_serialize__(self) -> bytes:
                return self._logical_type.encode()

            def __hash__(self) -> int:
                return hash((self.extension_name, self._logical_type, str(self.storage_type)))

            @classmethod
            def __arrow_ext_deserialize__(cls, storage_type, serialized: bytes):
                return cls(None, storage_type, serialized.decode())

        _LogicalTypeExtensionType = LogicalTypeExtensionType
    return _LogicalTypeExtensionType


_LogicalTypeExtensionType = None


def _checked(data):
    """A pa.Table whose first column is the string RowID and whose types KNIME can store."""
    import pyarrow as pa

    if isinstance(data, pa.RecordBatch):  # KNIME's backend takes one as it is
        data = pa.Table.from_batches([data])
    if not isinstance(data, pa.Table):
        raise TypeError(
            f"Table.from_pyarrow expects a pyarrow.Table or RecordBatch, but got {type(data)}"
        )
    if data.num_columns == 0 or data.schema.names[0] != _ROW_ID:
        row_ids = pa.array([f"Row{i}" for i in range(data.num_rows)], pa.string())
        data = data.add_column(0, _ROW_ID, row_ids)
    if data.schema.types[0] != pa.string():
        raise TypeError(f"The RowID column must be of type string, but is {data.schema.types[0]}")
    for field in list(data.schema)[1:]:
        try:
            _arrow_to_knime(field.type)
        except TypeError as exc:
            raise TypeError(f"{exc} (column '{field.name}')") from None
    return data


def _from_pandas(df):
    import pandas as pd
    import pyarrow as pa

    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"Table.from_pandas expects a pandas.DataFrame, but got {type(df)}")
    for name in df.columns:
        column = df[name]
        if pd.api.types.is_datetime64_any_dtype(column.dtype) and column.isna().all():
            raise TypeError("Could not convert nan with type float: tried to convert to int64")
    index = df.index
    numbered = index.dtype.kind in "iu"
    row_ids = [f"Row{i}" if numbered else str(i) for i in index]
    frame = df.reset_index(drop=True)
    frame.columns = [str(c) for c in frame.columns]
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata(None)
    rid = pa.array(row_ids, pa.large_string() if _is_pandas3_string(index) else pa.string())
    return _checked(table.add_column(0, _ROW_ID, rid))


def _is_pandas3_string(index) -> bool:
    """pandas >= 3 stores text as its ``str`` dtype, which pyarrow maps to large_string."""
    return str(index.dtype) == "str"


class _ArrowLikeTable(ktab.Table):
    def __init__(self, data) -> None:
        self._table = data

    def batches(self):
        return iter([self])

    @property
    def num_batches(self) -> int:
        return 1

    @property
    def num_rows(self) -> int:
        return self._table.num_rows

    @property
    def num_columns(self) -> int:
        return self._table.num_columns - 1

    @property
    def column_names(self) -> list[str]:
        return self._table.schema.names[1:]

    @property
    def schema(self) -> ks.Schema:
        fields = list(self._table.schema)[1:]
        return ks.Schema.from_columns([ks.Column(_arrow_to_knime(f.type), f.name) for f in fields])

    def to_pandas(self, sentinel=None):
        if sentinel is not None:
            raise RuntimeError("Sentinels are not supported by the stand-in")
        import pandas as pd
        import pyarrow as pa

        # as KNIME: string columns come back as pandas' "string" dtype, missing cells as pd.NA
        # (not None), which code reading input tables must treat as missing too
        frame = self._table.to_pandas(types_mapper={pa.string(): pd.StringDtype()}.get)
        return frame.set_index(_ROW_ID).rename_axis(None)

    def to_pyarrow(self, sentinel=None):
        if sentinel is not None:
            raise RuntimeError("Sentinels are not supported by the stand-in")
        return self._table

    def _write_to_sink(self, sink) -> None:
        sink.write(self._table)

    def _select_columns(self, selection):
        raise RuntimeError("Column Selection not implemented for testing")

    def _select_rows(self, selection):
        raise RuntimeError("Row selection is not implemented for testing")

    def _append(self, other):
        raise NotImplementedError("append/insert for Arrow tables is not yet implemented")


class _RecordingSink:
    """Stands in for the file KNIME reads an output table from."""

    def __init__(self) -> None:
        self.tables: list = []
        self.closed = False

    def write(self, data) -> None:
        if self.closed:
            raise RuntimeError("The sink is closed")
        self.tables.append(_checked(data))

    def close(self) -> None:
        self.closed = True


class _BatchOutputTable(ktab.BatchOutputTable):
    def __init__(self) -> None:
        self._batches: list = []

    def append(self, batch) -> None:
        import pandas as pd

        if isinstance(batch, pd.DataFrame):
            batch = ktab.Table.from_pandas(batch)
        elif not isinstance(batch, ktab.Table):
            batch = ktab.Table.from_pyarrow(batch)
        if self._batches and batch.schema != self._batches[0].schema:
            raise ValueError("All batches of a table must have the same schema")
        self._batches.append(batch)

    def batches(self):
        return iter(self._batches)

    @property
    def num_batches(self) -> int:
        return len(self._batches)

    @property
    def num_rows(self) -> int:
        return sum(b.num_rows for b in self._batches)

    @property
    def column_names(self):
        return self._batches[0].column_names if self._batches else []

    @property
    def num_columns(self) -> int:
        return len(self.column_names)

    @property
    def schema(self):
        return self._batches[0].schema if self._batches else ks.Schema.from_columns([])

    def to_pandas(self, sentinel=None):
        import pandas as pd

        return pd.concat([b.to_pandas() for b in self._batches])


class ArrowLikeBackend(ktab._Backend):
    def create_table_from_pandas(self, data, sentinel=None, row_ids: str = "auto"):
        if sentinel is not None or row_ids != "auto":
            raise RuntimeError("Sentinels and RowId modes are not supported by the stand-in")
        return _ArrowLikeTable(_from_pandas(data))

    def create_table_from_pyarrow(self, data, sentinel=None, row_ids: str = "auto"):
        if sentinel is not None or row_ids != "auto":
            raise RuntimeError("Sentinels and RowId modes are not supported by the stand-in")
        return _ArrowLikeTable(_checked(data))

    def create_batch_output_table(self, row_ids: str = "keep"):
        return _BatchOutputTable()

    def create_sink(self) -> _RecordingSink:
        return _RecordingSink()

    def close(self) -> None:
        pass
