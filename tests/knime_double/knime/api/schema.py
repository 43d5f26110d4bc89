"""Column types, ``Column``, ``Schema`` and port object specs (test double of ``knime.api.schema``).

Mirrors the real module's observable behaviour in unit tests: primitive types are
singletons, slicing/appending a ``Schema`` gives a lazy view (``.get()`` materialises it),
``Schema.serialize()`` produces KNIME's dict with a leading RowKey column, and no logical
(extension) types are registered until a test registers them (``knime.api.types``), so
``logical()`` and ``datetime()`` fail as they do in tests until then.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from enum import Enum, unique
from typing import Any, ClassVar

LOGGER = logging.getLogger(__name__)


class KnimeType:
    """Base of all column types; not to be instantiated itself."""

    def __init__(self) -> None:
        if type(self) is KnimeType:
            raise TypeError(f"{type(self)} is not supposed to be created directly")

    def __repr__(self) -> str:
        return str(self)


@unique
class PrimitiveTypeId(Enum):
    INT = "Number (Integer)"
    LONG = "Number (Long Integer)"
    STRING = "String"
    DOUBLE = "Number (Float)"
    BOOL = "Boolean"
    BLOB = "blob"
    NULL = "null"


@unique
class DictEncodingKeyType(Enum):
    INT = "INT_KEY"
    LONG = "LONG_KEY"
    BYTE = "BYTE_KEY"


class PrimitiveType(KnimeType):
    """One shared instance per (type id, dictionary-encoding key type)."""

    _instances: ClassVar[dict[tuple, PrimitiveType]] = {}

    def __new__(cls, type_id: PrimitiveTypeId, key_type: DictEncodingKeyType | None = None):
        key = (type_id, key_type)
        if key in cls._instances:
            return cls._instances[key]
        if not isinstance(type_id, PrimitiveTypeId):
            raise TypeError(
                f"{cls.__name__} expected a {PrimitiveTypeId} instance but got {type_id}"
            )
        if key_type is not None and not isinstance(key_type, DictEncodingKeyType):
            raise TypeError(f"key_type must be a valid DictEncodingKeyType, got {key_type}")
        if key_type is not None and type_id not in (PrimitiveTypeId.STRING, PrimitiveTypeId.BLOB):
            raise TypeError(
                f"Dictionary only works for strings and binary blobs, not {type_id.value}"
            )
        instance = super().__new__(cls)
        instance._type_id = type_id
        instance._key_type = key_type
        cls._instances[key] = instance
        return instance

    def __init__(self, type_id: PrimitiveTypeId, key_type: DictEncodingKeyType | None = None):
        pass  # all set up once in __new__

    @property
    def dict_encoding_key_type(self) -> DictEncodingKeyType | None:
        return self._key_type

    @property
    def plain_type(self) -> PrimitiveType:
        return PrimitiveType(self._type_id)

    def __str__(self) -> str:
        if self._key_type is None:
            return self._type_id.value
        return f"{self._type_id.value}[dict_encoding={self._key_type.value}]"


class ListType(KnimeType):
    def __init__(self, inner_type: KnimeType):
        if not isinstance(inner_type, KnimeType):
            raise TypeError(
                f"Cannot create list type with inner type {inner_type}, must be a KnimeType"
            )
        self._inner_type = inner_type

    @property
    def inner_type(self) -> KnimeType:
        return self._inner_type

    def __eq__(self, other: object) -> bool:
        return other.__class__ == self.__class__ and self._inner_type == other._inner_type

    def __hash__(self) -> int:
        return hash(str(self))

    def __str__(self) -> str:
        return f"List (Collection of: {self._inner_type})"


class StructType(KnimeType):
    def __init__(self, inner_types):
        for t in inner_types:
            if not isinstance(t, KnimeType):
                raise TypeError(
                    f"Cannot create struct type with inner type {t}, must be a KnimeType"
                )
        self._inner_types = inner_types

    @property
    def inner_types(self):
        return self._inner_types

    def __eq__(self, other: object) -> bool:
        # like the real one: compares pairwise, so struct<a> == struct<a, b>
        return other.__class__ == self.__class__ and all(
            a == b for a, b in zip(self._inner_types, other._inner_types, strict=False)
        )

    def __hash__(self) -> int:
        return hash(str(self))

    def __str__(self) -> str:
        return f"struct<{', '.join(str(t) for t in self._inner_types)}>"


class LogicalType(KnimeType):
    """A storage type with a KNIME value-factory meaning attached (JSON string)."""

    def __init__(
        self, logical_type: str, storage_type: KnimeType, proxy_type_converter: Any = None
    ):
        self._logical_type = logical_type
        self._storage_type = storage_type
        self._proxy_type_converter = proxy_type_converter

    @property
    def logical_type(self) -> str:
        return self._logical_type

    @property
    def storage_type(self) -> KnimeType:
        return self._storage_type

    @property
    def proxy_type(self):
        conv = self._proxy_type_converter
        return conv.compatible_type if conv else None

    def __eq__(self, other: object) -> bool:
        return (
            other.__class__ == self.__class__
            and other.logical_type == self.logical_type
            and other.storage_type == self.storage_type
            and other.proxy_type == self.proxy_type
        )

    def __hash__(self) -> int:
        return hash(str(self))

    def __str__(self) -> str:
        # no Python value factories are registered in tests
        return f"extension<logical={self._logical_type}, storage={self._storage_type}>"


def int32() -> PrimitiveType:
    return PrimitiveType(PrimitiveTypeId.INT)


def int64() -> PrimitiveType:
    return PrimitiveType(PrimitiveTypeId.LONG)


def double() -> PrimitiveType:
    return PrimitiveType(PrimitiveTypeId.DOUBLE)


def bool_() -> PrimitiveType:
    return PrimitiveType(PrimitiveTypeId.BOOL)


def null() -> PrimitiveType:
    return PrimitiveType(PrimitiveTypeId.NULL)


def string(dict_encoding_key_type: DictEncodingKeyType | None = None) -> PrimitiveType:
    return PrimitiveType(PrimitiveTypeId.STRING, dict_encoding_key_type)


def blob(dict_encoding_key_type: DictEncodingKeyType | None = None) -> PrimitiveType:
    return PrimitiveType(PrimitiveTypeId.BLOB, dict_encoding_key_type)


def list_(inner_type: KnimeType) -> ListType:
    return ListType(inner_type)


def struct(*inner_types: KnimeType) -> StructType:
    return StructType(inner_types)


def logical(value_type) -> LogicalType:
    """No Python value factories are registered in unit tests, so this always fails."""
    raise TypeError(
        f"Could not find registered KNIME extension type for Python logical type {value_type}."
    )


def datetime(date: bool = True, time: bool = True, timezone: bool = False) -> LogicalType:
    """A date/time type; a ValueError until its value factory is registered (as in KNIME)."""
    import knime.api.types as kt

    if not date and not time:
        raise ValueError("Either date or time must be True")
    if timezone and not time:
        raise ValueError("Timezone is only supported if time is True")
    if date and time:
        factory = "ZonedDateTimeValueFactory2" if timezone else "LocalDateTimeValueFactory"
    else:
        factory = "LocalDateValueFactory" if date else "LocalTimeValueFactory"
    logical_type = _datetime_factory(factory)
    if logical_type not in kt._java_value_factory_to_bundle:
        raise ValueError(
            f"Could not find registered KNIME extension type for datetime format {logical_type}."
        )
    return LogicalType(logical_type, _DATETIME_STORAGE[factory])


def _datetime_factory(name: str) -> str:
    return '{"value_factory_class":"org.knime.core.data.v2.time.' + name + '"}'


_DATETIME_STORAGE = {
    "LocalTimeValueFactory": int64(),
    "LocalDateValueFactory": int64(),
    "LocalDateTimeValueFactory": StructType([int64(), int64()]),
    "ZonedDateTimeValueFactory2": StructType([int64(), int64(), int32(), string()]),
}


# ---------------------------------------------------------------------------------------
# Port object specs
# ---------------------------------------------------------------------------------------


class PortObjectSpec(ABC):
    """A port's spec: converts to/from a JSON-able dict."""

    @abstractmethod
    def serialize(self) -> dict: ...

    @classmethod
    @abstractmethod
    def deserialize(cls, data: dict, java_callback=None): ...


class BinaryPortObjectSpec(PortObjectSpec):
    def __init__(self, id: str) -> None:
        self._id = id

    @property
    def id(self) -> str:
        return self._id

    def serialize(self) -> dict:
        return {"id": self._id}

    @classmethod
    def deserialize(cls, data):
        return cls(data["id"])


class ImagePortObjectSpec(PortObjectSpec):
    def __init__(self, format) -> None:
        self._format = format if isinstance(format, str) else format.value

    @property
    def format(self) -> str:
        return self._format

    def serialize(self) -> dict:
        return {"format": self._format}

    @classmethod
    def deserialize(cls, data):
        return cls(data["format"])


class CredentialPortObjectSpec(PortObjectSpec):
    """Holds KNIME's opaque credential XML; its properties need KNIME (a Java callback)."""

    _java_callback = None

    def __init__(self, xml_data: str | None) -> None:
        self._xml_data = xml_data

    @property
    def auth_schema(self) -> str:
        return self._java_callback.get_auth_schema(self._xml_data)

    @property
    def auth_parameters(self) -> str:
        return self._java_callback.get_auth_parameters(self._xml_data)

    def serialize(self) -> dict:
        return {"data": self._xml_data}

    @classmethod
    def deserialize(cls, data: dict, java_callback=None):
        return cls(data.get("data"))


# ---------------------------------------------------------------------------------------
# Columns, schemas and lazy views
# ---------------------------------------------------------------------------------------


class Column:
    """A column of a schema: KNIME type, non-empty name and optional metadata."""

    def __init__(self, ktype, name: str, metadata: dict | None = None):
        if not isinstance(ktype, KnimeType):
            try:
                ktype = logical(ktype)
            except TypeError as e:
                raise TypeError(
                    f"Could not create column with type {ktype}, "
                    "please use a supported column type",
                    e,
                ) from None
        if not isinstance(name, str):
            raise TypeError(f"Column name must be of type string, but got {type(name)}")
        if not name.strip():
            raise ValueError("Column name may not be empty")
        self.ktype = ktype
        self.name = name
        self.metadata = metadata

    def __str__(self) -> str:
        meta = "" if self.metadata is None else f", {self.metadata}"
        return f"{type(self).__name__}<'{self.name}', {self.ktype}{meta}>"

    def __eq__(self, other) -> bool:  # no isinstance check, like the real one
        return (
            self.ktype == other.ktype
            and self.name == other.name
            and self.metadata == other.metadata
        )

    __hash__ = None  # type: ignore[assignment]


class _Columnar(ABC):
    """Things with columns (schemas, tables): slicing, appending, inserting, removing."""

    @property
    @abstractmethod
    def num_columns(self) -> int: ...

    @property
    @abstractmethod
    def column_names(self) -> list: ...

    @abstractmethod
    def _select_columns(self, selection): ...

    @abstractmethod
    def _append(self, other): ...

    def __getitem__(self, slicing) -> _ColumnarView:
        if isinstance(slicing, int) and slicing >= self.num_columns:
            raise IndexError(
                f"Index {slicing} is too large for {type(self).__name__} "
                f"with {self.num_columns} columns"
            )
        return _ColumnarView(self, _SelectColumns(slicing))

    def append(self, other) -> _ColumnarView:
        return _ColumnarView(self, _Append(other))

    def insert(self, other, at: int) -> _ColumnarView:
        n = self.num_columns
        added = 1 if isinstance(other, Column) else other.num_columns
        order = list(range(n))
        order[at:at] = list(range(n, n + added))
        return self.append(other)[order]

    def remove(self, slicing) -> _ColumnarView:
        names = self.column_names
        if isinstance(slicing, list):
            if any(s not in names for s in slicing):
                raise ValueError(f"Some of {slicing} did not match any column in {type(self)}")
            keep = [c for c in names if c not in slicing]
        elif isinstance(slicing, int):
            if not 0 <= slicing < len(names):
                raise IndexError(f"Index out of bounds. Choose an index between 0,{len(names)}.")
            keep = names[:slicing] + names[slicing + 1 :]
        elif isinstance(slicing, str):
            keep = list(names)
            keep.remove(slicing)  # ValueError if absent, as in the real API
        else:
            raise TypeError(f"Could not match input type {type(slicing)}.")
        return _ColumnarView(self, _SelectColumns(keep))


class _SelectColumns:
    def __init__(self, selection) -> None:
        self.selection = selection

    def apply(self, target):
        return target._select_columns(self.selection)

    def __str__(self) -> str:
        return f"ColumnSlicingOp({self.selection})"


class _Append:
    def __init__(self, other) -> None:
        self.other = other

    def apply(self, target):
        other = self.other.get() if isinstance(self.other, _ColumnarView) else self.other
        return target._append(other)

    def __str__(self) -> str:
        return f"AppendOp({self.other})"


class _ColumnarView(_Columnar):
    """A lazily applied operation on a schema or table; ``get()`` gives the result."""

    def __init__(self, delegate: _Columnar, operation) -> None:
        self._delegate = delegate
        self._operation = operation
        self._cache = None

    @property
    def delegate(self) -> _Columnar:
        return self._delegate

    @property
    def operation(self):
        return self._operation

    def get(self, cache: bool = True):
        if self._cache is not None:
            return self._cache
        source = self._delegate
        if isinstance(source, _ColumnarView):
            source = source.get(cache=False)
        result = self._operation.apply(source)
        if cache:
            self._cache = result
        return result

    @property
    def num_columns(self) -> int:
        return self.get().num_columns

    @property
    def column_names(self) -> list:
        return self.get().column_names

    def _select_columns(self, selection):
        raise NotImplementedError(
            "Cannot execute column selection on a view, do that on real data instead!"
        )

    def _append(self, other):
        raise NotImplementedError(
            "Cannot execute 'append' on a view, do that on real data instead!"
        )

    def __getattr__(self, name: str):
        return getattr(self.get(), name)

    def __eq__(self, other) -> bool:
        if isinstance(other, _ColumnarView):
            other = other.get()
        return self.get() == other

    __hash__ = None  # type: ignore[assignment]

    def __str__(self) -> str:
        return f"ColumnarView<delegate={self._delegate}, op={self._operation}>"


class Schema(_Columnar, PortObjectSpec):
    """Names, types and metadata of a table's columns (without the RowID)."""

    @classmethod
    def from_columns(cls, columns) -> Schema:
        if isinstance(columns, Column):
            columns = [columns]
        try:
            bad = [c for c in iter(columns) if not isinstance(c, Column)]
        except TypeError:
            raise TypeError(f"Columns needs to be an iterable, but is {type(columns)}") from None
        if bad:
            raise TypeError(f"Can only instantiate a schema from columns, not {type(bad[0])}")
        columns = list(columns)
        return cls(
            [c.ktype for c in columns], [c.name for c in columns], [c.metadata for c in columns]
        )

    @classmethod
    def from_types(cls, ktypes, names, metadata=None) -> Schema:
        return cls(ktypes, names, metadata)

    def __init__(self, ktypes, names, metadata=None) -> None:
        if not isinstance(ktypes, Sequence) or not all(isinstance(t, KnimeType) for t in ktypes):
            raise TypeError(
                "Schema expected types to be a sequence of KNIME types or types known to KNIME, "
                f"but got {type(ktypes)}: {ktypes}."
            )
        if not isinstance(names, list | tuple) or not all(isinstance(n, str) for n in names):
            raise TypeError(
                f"Schema expected names to be a sequence of strings, but got {type(names)}"
            )
        if len(ktypes) != len(names):
            raise ValueError(
                f"Number of types must match number of names, but {len(ktypes)} != {len(names)}"
            )
        if metadata is None:
            metadata = [None] * len(ktypes)
        elif not isinstance(metadata, Sequence):
            raise TypeError("Schema expected Metadata to be None or a sequence of strings or Nones")
        elif len(metadata) != len(ktypes):
            raise ValueError(
                "Number of types must match number of metadata fields, "
                f"but {len(ktypes)} != {len(metadata)}"
            )
        self._columns = [Column(t, n, m) for t, n, m in zip(ktypes, names, metadata, strict=True)]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self._columns]

    @property
    def num_columns(self) -> int:
        return len(self._columns)

    def __iter__(self) -> Iterator[Column]:
        return iter(list(self._columns))

    def __contains__(self, key) -> bool:
        if isinstance(key, Column):
            key = key.name
        return isinstance(key, str) and key in self.column_names

    def __eq__(self, other) -> bool:
        # note: a view (e.g. from append) is never equal here; compare ``view.get()``
        return other.__class__ == self.__class__ and self._columns == other._columns

    __hash__ = None  # type: ignore[assignment]

    def _select_columns(self, index):
        cols = self._columns
        if isinstance(index, int):
            while index < 0:
                index += len(cols)
            if index >= len(cols):
                raise IndexError(
                    f"Index {index} does not exist in schema with {self.num_columns} columns"
                )
            return cols[index]
        if isinstance(index, str):
            for c in cols:
                if c.name == index:
                    return c
            raise IndexError(f"Schema has no column named '{index}'")
        if isinstance(index, slice):
            return type(self).from_columns(cols[index])
        if isinstance(index, list):
            picked = []
            for key in index:
                if isinstance(key, str):
                    if key not in self.column_names:
                        raise IndexError(
                            f"Invalid column selection, '{key}' is not available in {self}"
                        )
                    picked.append(self.column_names.index(key))
                elif isinstance(key, int):
                    if not 0 <= key < len(cols):
                        raise IndexError(f"Column index {key} out of bounds")
                    picked.append(key)
                else:
                    raise IndexError(f"Invalid column index {key}")
            return type(self).from_columns([cols[i] for i in picked])
        raise TypeError(
            f"{type(self).__name__} can only be indexed by int, string, slice, list of int, "
            f"or list of string, not {type(index)}"
        )

    def _append(self, other) -> Schema:
        cols = list(self._columns)
        if isinstance(other, _ColumnarView):
            other = other.get()
        if isinstance(other, type(self)):
            cols.extend(other._columns)
        elif isinstance(other, Column):
            cols.append(other)
        elif isinstance(other, Sequence):
            for c in other:
                if not isinstance(c, Column):
                    raise TypeError(
                        f"A column list to append can only contain columns, not {type(c)}"
                    )
            cols.extend(other)
        else:
            raise TypeError(
                "Can only append columns, column lists or schemas to this schema, "
                f"not {type(other)}"
            )
        return type(self).from_columns(cols)

    def __str__(self) -> str:
        body = ",\n\t".join(str(c) for c in self._columns)
        return f"{type(self).__name__}<\n\t{body}>"

    __repr__ = __str__

    def serialize(self) -> dict:
        """KNIME's table spec dict: primitive types wrapped in value factories, RowKey first."""
        names = self.column_names
        if len(names) != len(set(names)):
            raise RuntimeError(
                "Duplicate column names detected, please make sure all columns have unique names"
            )
        columns = [Column(LogicalType(_ROW_KEY, string()), "RowKey")]
        columns += [Column(_wrap(c.ktype), c.name, c.metadata) for c in self._columns]
        specs, traits = zip(*[_type_to_dict(c.ktype) for c in columns], strict=True)
        return {
            "schema": {"specs": specs, "traits": traits},
            "columnNames": [c.name for c in columns],
            "columnMetaData": [c.metadata for c in columns],
        }

    @classmethod
    def deserialize(cls, table_schema: dict) -> Schema:
        schema = table_schema["schema"]
        ktypes = [
            _dict_to_type(s, t) for s, t in zip(schema["specs"], schema["traits"], strict=False)
        ]
        names = table_schema["columnNames"]
        metadata = table_schema["columnMetaData"]
        if ktypes and ktypes[0] == LogicalType(_ROW_KEY, string()):
            ktypes, names, metadata = ktypes[1:], names[1:], metadata[1:]
        else:
            LOGGER.warning("Did not find RowKey column when creating Schema from KNIME dict")
        return cls([_unwrap(t) for t in ktypes], names, metadata)


# --- (de)serialisation helpers: KNIME's value factories for the primitive types ---


def _value_factory(name: str) -> str:
    return '{"value_factory_class":"org.knime.core.data.v2.value.' + name + '"}'


_ROW_KEY = _value_factory("DefaultRowKeyValueFactory")
_LIST = _value_factory("ListValueFactory")
_FACTORIES = {
    int32(): _value_factory("IntValueFactory"),
    int64(): _value_factory("LongValueFactory"),
    string(): _value_factory("StringValueFactory"),
    bool_(): _value_factory("BooleanValueFactory"),
    double(): _value_factory("DoubleValueFactory"),
    null(): _value_factory("VoidValueFactory"),
    list_(int32()): _value_factory("IntListValueFactory"),
    list_(int64()): _value_factory("LongListValueFactory"),
    list_(string()): _value_factory("StringListValueFactory"),
    list_(bool_()): _value_factory("BooleanListValueFactory"),
    list_(double()): _value_factory("DoubleListValueFactory"),
}
_TYPES_BY_FACTORY = {f: t for t, f in _FACTORIES.items()}
_STORAGE_IDS = {
    int32(): "int",
    int64(): "long",
    string(): "string",
    bool_(): "boolean",
    double(): "double",
    blob(): "variable_width_binary",
    null(): "void",
}
_TYPES_BY_STORAGE_ID = {i: t for t, i in _STORAGE_IDS.items()}


def _wrap(ktype: KnimeType) -> KnimeType:
    if ktype in _FACTORIES:
        return LogicalType(_FACTORIES[ktype], ktype)
    if isinstance(ktype, ListType):
        return LogicalType(_LIST, list_(_wrap(ktype.inner_type)))
    return ktype


def _unwrap(ktype: KnimeType) -> KnimeType:
    if isinstance(ktype, LogicalType):
        if ktype.logical_type in _TYPES_BY_FACTORY:
            return _TYPES_BY_FACTORY[ktype.logical_type]
        if ktype.logical_type == _LIST and isinstance(ktype.storage_type, ListType):
            return list_(_unwrap(ktype.storage_type.inner_type))
    return ktype


def _type_to_dict(ktype: KnimeType) -> tuple[Any, dict]:
    traits: dict[str, Any] = {"traits": {}}
    if isinstance(ktype, LogicalType):
        traits["traits"] = {"logical_type": ktype.logical_type}
        ktype = ktype.storage_type
    if isinstance(ktype, ListType):
        inner_spec, inner_traits = _type_to_dict(ktype.inner_type)
        traits.update(type="list", inner=inner_traits)
        return {"type": "list", "inner_type": inner_spec}, traits
    if isinstance(ktype, StructType):
        inner = [_type_to_dict(t) for t in ktype.inner_types]
        traits.update(type="struct", inner=[t for _, t in inner])
        return {"type": "struct", "inner_types": [s for s, _ in inner]}, traits
    traits["type"] = "simple"
    if isinstance(ktype, PrimitiveType) and ktype.dict_encoding_key_type is not None:
        traits["traits"]["dict_encoding"] = ktype.dict_encoding_key_type.value
        ktype = ktype.plain_type
    if ktype not in _STORAGE_IDS:
        raise KeyError(f"Could not find spec for type: {ktype}")
    return _STORAGE_IDS[ktype], traits


def _dict_to_type(spec, traits: dict) -> KnimeType:
    kind = traits["type"]
    inner_traits = traits.get("traits", {})
    if kind == "simple":
        if "dict_encoding" in inner_traits and spec in ("string", "variable_width_binary"):
            key = DictEncodingKeyType(inner_traits["dict_encoding"])
            return string(key) if spec == "string" else blob(key)
        storage = _TYPES_BY_STORAGE_ID.get(spec)
    elif kind == "list":
        storage = list_(_dict_to_type(spec["inner_type"], traits["inner"]))
    else:
        storage = struct(
            *(
                _dict_to_type(s, t)
                for s, t in zip(spec["inner_types"], traits["inner"], strict=False)
            )
        )
    if "logical_type" in inner_traits:
        return LogicalType(inner_traits["logical_type"], storage)
    return storage
