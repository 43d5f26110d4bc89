"""Unit-test support (test double of ``knime.extension.testing``).

Importing it installs the testing backends (if none is installed yet), as the real module:

* ``knext.Table.from_pandas(df)`` keeps a *copy* of ``df``; ``to_pandas()`` returns that
  same stored frame each time. ``row_ids`` other than ``"auto"`` and sentinels raise
  RuntimeError, as do PyArrow, column/row selection and appending.
* ``table.schema`` is inferred: int32, int64 and float64 columns, and object columns whose
  first non-missing value is a ``str``. Anything else (bool, float32, pandas' ``str``/
  ``string`` dtype of pandas >= 3, nullable ints, dates) raises RuntimeError; an empty or
  all-missing object column raises IndexError.
* ``knext.port_type(...)`` returns ``None``.

``TestingConfigurationContext()`` / ``TestingExecutionContext()`` take no arguments, have
an editable ``flow_variables`` dict, ignore warnings and progress, are never canceled and
raise RuntimeError for credentials and directories. Subclass them to provide credentials.
"""

from __future__ import annotations

from typing import Any

import knime.api.schema as ks
import knime.api.table as ktab
import knime.extension.nodes as knodes

_NOT_AVAILABLE = "Not implemented for testing"
_NO_PYARROW = "PyArrow tables not supported for testing"


class _TestingTable(ktab.Table):
    def __init__(self, data) -> None:
        self._df = data.copy()

    def batches(self):
        return iter([_TestingTable(self._df)])

    @property
    def num_batches(self) -> int:
        return 1

    @property
    def num_rows(self) -> int:
        return len(self._df)

    @property
    def num_columns(self) -> int:
        return len(self._df.columns)

    @property
    def column_names(self):
        return self._df.columns  # a pandas Index, as in the real testing table

    @property
    def schema(self) -> ks.Schema:
        return ks.Schema.from_columns(
            [ks.Column(_infer_type(self._df[name]), name) for name in self._df.columns]
        )

    def to_pandas(self, sentinel=None):
        return self._df

    def to_pyarrow(self, sentinel=None):
        raise RuntimeError(_NO_PYARROW)

    def _select_columns(self, selection):
        raise RuntimeError("Column Selection not implemented for testing")

    def _select_rows(self, selection):
        raise RuntimeError("Row selection is not implemented for testing")

    def _append(self, other):
        raise RuntimeError("Appending tables is not implemented for testing")


def _infer_type(column) -> ks.KnimeType:
    import numpy as np
    from pandas.api.types import is_object_dtype

    dtype = column.dtype
    simple = {
        np.dtype("int32"): ks.int32(),
        np.dtype("int64"): ks.int64(),
        np.dtype("float64"): ks.double(),
    }
    if not is_object_dtype(dtype) and dtype in simple:
        return simple[dtype]
    if is_object_dtype(dtype):
        present = column.dropna()
        if len(present) == 0:
            raise IndexError("single positional indexer is out-of-bounds")
        first = present.iloc[0]
        if str(type(first)) in (
            "<class 'datetime.datetime'>",
            "<class 'pandas._libs.tslibs.timestamps.Timestamp'>",
        ) and all(getattr(v, "tzinfo", None) is None for v in present):
            raise RuntimeError("LocalDateTime not supported yet during testing")
        if isinstance(first, str):
            return ks.string()
    raise RuntimeError(f"Testing doesn't support type: {dtype} ({type(dtype)})")


class _TestingBatchOutputTable(ktab.BatchOutputTable):
    def __init__(self) -> None:
        self._batches: list = []

    def append(self, batch) -> None:
        import pandas as pd

        if isinstance(batch, pd.DataFrame):
            batch = ktab.Table.from_pandas(batch)
        elif not isinstance(batch, ktab.Table):
            raise RuntimeError("Creating Batches from PyArrow not supported in testing")
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
        # sic: the real testing table returns the column names here once it has batches
        return self._batches[0].column_names if self._batches else ks.Schema.from_columns([])

    def to_pandas(self, sentinel=None):
        import pandas as pd

        return pd.concat([b.to_pandas() for b in self._batches])


class _TestingBackend(ktab._Backend):
    def create_table_from_pandas(self, data, sentinel=None, row_ids: str = "auto"):
        if sentinel is not None or row_ids != "auto":
            raise RuntimeError("Sentinels and RowId modes not supported for testing")
        return _TestingTable(data)

    def create_table_from_pyarrow(self, data, sentinel=None, row_ids: str = "auto"):
        raise RuntimeError(_NO_PYARROW)

    def create_batch_output_table(self, row_ids: str = "keep"):
        return _TestingBatchOutputTable()

    def close(self) -> None:
        pass


class _TestingNodeBackend(knodes._KnimeNodeBackend):
    def register_port_type(self, name, object_class, spec_class, id=None):
        return None  # nothing to register in tests

    def get_port_type_for_spec_type(self, spec_type):
        raise RuntimeError("Port type retrieval not implemented for testing")

    def get_port_type_for_id(self, id):
        raise RuntimeError("Port type retrieval not implemented for testing")

    def has_port_type_for_id(self, id):
        raise RuntimeError("Port type retrieval not implemented for testing")


class _TestingBaseContext:
    def __init__(self) -> None:
        self._flow_variables: dict[str, Any] = {}

    @property
    def flow_variables(self) -> dict[str, Any]:
        return self._flow_variables

    def get_credential_names(self):
        raise RuntimeError(_NOT_AVAILABLE)

    def get_credentials(self, identifier: str):
        raise RuntimeError(_NOT_AVAILABLE)

    def set_warning(self, message: str) -> None:
        pass


class TestingConfigurationContext(_TestingBaseContext, knodes.ConfigurationContext):
    """A ``ConfigurationContext`` for calling ``node.configure`` in tests."""


class TestingExecutionContext(_TestingBaseContext, knodes.ExecutionContext):
    """An ``ExecutionContext`` for calling ``node.execute`` in tests."""

    def set_progress(self, progress: float, message: str | None = None) -> None:
        pass

    def is_canceled(self) -> bool:
        return False

    def get_workflow_temp_dir(self) -> str:
        raise RuntimeError(_NOT_AVAILABLE)

    def get_workflow_data_area_dir(self) -> str:
        raise RuntimeError(_NOT_AVAILABLE)

    def get_knime_home_dir(self) -> str:
        raise RuntimeError(_NOT_AVAILABLE)


if ktab._backend is None:
    ktab._backend = _TestingBackend()
if knodes._backend is None:
    knodes._backend = _TestingNodeBackend()
