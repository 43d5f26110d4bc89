"""Nodes, ports, port objects and contexts (test double of ``knime.extension.nodes``).

Behaviour mirrored from the real API:

* ``@knext.node(...)`` returns a *factory function*, not the class: ``MyNode()`` still
  creates an instance, but ``MyNode`` has no class attributes and ``isinstance(x, MyNode)``
  fails. Decorating instantiates the class three times (to look up ports and the view),
  so ``__init__`` must work without arguments and abstract methods fail at decoration.
  Instances get ``input_ports``/``output_ports``/``output_view`` attributes, and their
  ``configure``/``execute`` return lists instead of tuples and materialised schema views.
* Port decorators collect ``Port`` objects in class attributes ``input_ports`` /
  ``output_ports`` (in declaration order); table ports have type ``PortType.TABLE``,
  which is the string ``"PortType.TABLE"``.
* ``knext.port_type(...)`` returns whatever the backend returns; under
  ``knime.extension.testing`` that is ``None`` (and without any backend it fails with an
  AttributeError on ``None``).
* ``knext.category(...)`` returns the category path string.
* ``get_credentials`` returns a ``Credential`` (defined here; not re-exported by knext).
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any

import knime.api.table as kt
import knime.extension.parameter as kp
from knime.api.schema import PortObjectSpec, _ColumnarView

# ---------------------------------------------------------------------------------------
# Port objects and port types
# ---------------------------------------------------------------------------------------


class PortObject(ABC):
    """Data passed along a custom port; serialises to bytes, with a spec."""

    def __init__(self, spec: PortObjectSpec) -> None:
        self._spec = spec

    @property
    def spec(self) -> PortObjectSpec:
        return self._spec

    @abstractmethod
    def serialize(self) -> bytes: ...

    @classmethod
    @abstractmethod
    def deserialize(cls, spec: PortObjectSpec, storage: bytes) -> PortObject: ...


class ConnectionPortObject(PortObject):
    """A port object handed downstream as a live Python object instead of bytes."""

    def serialize(self):
        raise NotImplementedError("A connection port object cannot be serialized")

    @classmethod
    def deserialize(cls, spec, storage):
        raise NotImplementedError("A connection port object cannot be deserialized")

    @abstractmethod
    def to_connection_data(self) -> Any: ...

    @classmethod
    @abstractmethod
    def from_connection_data(cls, spec: PortObjectSpec, data: Any) -> ConnectionPortObject: ...


@dataclass
class PortType:
    """A registered port type; the built-in ones are plain strings (``PortType.TABLE``)."""

    id: str
    name: str
    object_class: type
    spec_class: type

    def is_super_type_of(self, port_type: PortType) -> bool:
        return issubclass(port_type.spec_class, self.spec_class) and issubclass(
            port_type.object_class, self.object_class
        )


for _builtin in (
    "BINARY",
    "CONNECTION",
    "TABLE",
    "IMAGE",
    "CREDENTIAL",
    "WORKFLOW",
    "HUB_AUTHENTICATION",
):
    setattr(PortType, _builtin, f"PortType.{_builtin}")


class ImageFormat(Enum):
    PNG = "png"
    SVG = "svg"


class _KnimeNodeBackend(ABC):
    """What a node backend provides (the testing one lives in knime.extension.testing)."""

    @abstractmethod
    def register_port_type(
        self, name: str, object_class: type, spec_class: type, id: str | None = None
    ): ...

    @abstractmethod
    def get_port_type_for_spec_type(self, spec_type: type) -> PortType: ...

    @abstractmethod
    def get_port_type_for_id(self, id: str) -> PortType: ...

    @abstractmethod
    def has_port_type_for_id(self, id: str) -> bool: ...


_backend: _KnimeNodeBackend | None = None


def port_type(name: str, object_class: type, spec_class: type, id: str | None = None):
    """Register a port type. Returns the backend's answer: ``None`` in unit tests."""
    return _backend.register_port_type(name, object_class, spec_class, id)


def get_port_type_for_spec_type(spec_type: type) -> PortType:
    return _backend.get_port_type_for_spec_type(spec_type)


def get_port_type_for_id(id: str) -> PortType:
    return _backend.get_port_type_for_id(id)


def has_port_type_for_id(id: str) -> bool:
    return _backend.has_port_type_for_id(id)


@dataclass
class Port:
    type: Any
    name: str
    description: str
    id: str | None = None
    optional: bool | None = False

    def __post_init__(self) -> None:
        if self.type in (PortType.BINARY, PortType.CONNECTION) and self.id is None:
            raise TypeError(
                f"{type(self)}s of type BINARY or CONNECTION must have a unique 'id' set"
            )


@dataclass
class ViewDeclaration:
    name: str
    description: str
    static_resources: str | None = None
    index_html_path: str | None = None


@dataclass(frozen=True)
class Credential:
    """What ``context.get_credentials(name)`` returns."""

    username: str
    password: str
    credential_name: str


# ---------------------------------------------------------------------------------------
# Contexts (backed by KNIME's Java side, ``java_ctx``)
# ---------------------------------------------------------------------------------------


class _BaseContext:
    def __init__(self, java_ctx, flow_variables) -> None:
        self._java_ctx = java_ctx
        self._flow_variables = flow_variables

    @property
    def flow_variables(self) -> dict[str, Any]:
        return self._flow_variables

    def get_credential_names(self) -> list[str]:
        return list(self._java_ctx.get_credential_names())

    def get_credentials(self, identifier: str) -> Credential:
        try:
            from py4j.protocol import Py4JJavaError
        except ImportError:  # the double does not need py4j

            class Py4JJavaError(Exception):  # type: ignore[no-redef]
                pass

        try:
            values = list(self._java_ctx.get_credentials(identifier))
        except Py4JJavaError:
            raise KeyError(f"Error retrieving credentials for identifier: {identifier}") from None
        return Credential(values[0], values[1], values[2])


class DialogCreationContext(_BaseContext):
    """Passed to dynamic ``choices`` callables when KNIME builds a node's dialog."""

    def __init__(self, java_ctx, flow_variables, specs_to_python_converter) -> None:
        super().__init__(java_ctx, flow_variables)
        port_map = {k: list(v) for k, v in self._java_ctx.get_input_port_map().items()}
        self._python_specs = specs_to_python_converter(self._java_ctx.get_input_specs(), port_map)

    def get_input_specs(self) -> list:
        return self._python_specs

    def get_flow_variables(self) -> dict[str, Any]:
        return self._flow_variables


class ConfigurationContext(_BaseContext):
    def __init__(self, java_ctx, flow_variables, input_ports=None, output_ports=None) -> None:
        super().__init__(java_ctx, flow_variables)
        self._input_ports = input_ports
        self._output_ports = output_ports

    def get_connected_input_port_numbers(self) -> list[int]:
        assert self._input_ports is not None
        dict(self._java_ctx.get_input_port_map())  # only port groups (not mirrored) use it
        return [1 for _ in self._input_ports]

    def get_connected_output_port_numbers(self) -> list[int]:
        assert self._output_ports is not None
        dict(self._java_ctx.get_output_port_map())
        return [1 for _ in self._output_ports]

    def set_warning(self, message: str) -> None:
        self._java_ctx.set_warning(str(message))


class ExecutionContext(ConfigurationContext):
    def set_progress(self, progress: float, message: str | None = None) -> None:
        if isinstance(progress, int):
            progress = float(progress)
        if not isinstance(progress, float):
            raise TypeError(f"progress must be of type float. Got {type(progress)}.")
        if not -0.0001 <= progress <= 1.0001:
            raise ValueError("progress must be between 0.0 and 1.0.")
        progress = min(1.0, max(0.0, progress))
        if message is None:
            self._java_ctx.set_progress(progress)
        elif not isinstance(message, str):
            raise TypeError("message must be a str or None.")
        else:
            self._java_ctx.set_progress(progress, message)

    def is_canceled(self) -> bool:
        return self._java_ctx.is_canceled()

    def get_workflow_temp_dir(self) -> str:
        return self._java_ctx.get_workflow_temp_dir()

    def get_workflow_data_area_dir(self) -> str:
        return os.path.join(self._java_ctx.get_workflow_dir(), "data")

    def get_knime_home_dir(self) -> str:
        return self._java_ctx.get_knime_home_dir()


# ---------------------------------------------------------------------------------------
# Nodes
# ---------------------------------------------------------------------------------------


class PythonNode(ABC):
    """Optional base class of nodes (the decorators work on any class)."""

    input_ports: list[Port] | None = None
    output_ports: list[Port] | None = None
    output_view: ViewDeclaration | None = None

    @abstractmethod
    def configure(self, config_context: ConfigurationContext, *inputs): ...

    @abstractmethod
    def execute(self, exec_context: ExecutionContext, *inputs): ...


class NodeType(Enum):
    SOURCE = "Source"
    SINK = "Sink"
    LEARNER = "Learner"
    PREDICTOR = "Predictor"
    MANIPULATOR = "Manipulator"
    VISUALIZER = "Visualizer"
    OTHER = "Other"


class InvalidParametersError(Exception):
    """Raise from ``configure`` when the settings can't work."""

    def __init__(self, message) -> None:
        super().__init__(message)


class WorkflowExecutionError(RuntimeError):
    def __init__(self, message) -> None:
        super().__init__(message)


_categories: list[dict] = []


def category(
    path: str,
    level_id: str,
    name: str,
    description: str,
    icon: str,
    after: str = "",
    locked: bool = True,
) -> str:
    """Register a category; returns its full path (``path/level_id``) for ``node(category=...)``."""
    _categories.append(
        dict(
            path=path,
            level_id=level_id,
            name=name,
            description=description,
            icon=icon,
            after=after,
            locked=locked,
        )
    )
    return path + level_id if path.endswith("/") else f"{path}/{level_id}"


class _Node:
    """What the ``node`` decorator registers (private, as in the real API)."""

    def __init__(self, factory, node_id: str, **info) -> None:
        self.id = node_id
        self.__dict__.update(info)
        self.input_ports = _lookup(factory, "input_ports") or []
        self.output_ports = _lookup(factory, "output_ports") or []
        self.views = [_lookup(factory, "output_view")]

        def create_node(*args, **kwargs):
            instance = factory(*args, **kwargs)
            if any(isinstance(v, kp._BaseParameter) for v in vars(instance).values()):
                raise AttributeError(
                    "Only parameter group composition is allowed at the node-level. Individual "
                    "parameters need to be defined at the class-level or in a parameter group."
                )
            instance.input_ports = self.input_ports
            instance.output_ports = self.output_ports
            instance.output_view = self.views[0]
            instance.execute = _materialised(instance.execute)
            instance.configure = _materialised(instance.configure)
            return instance

        self.node_factory = create_node

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "node_type": self.node_type,
            "is_deprecated": self.is_deprecated,
            "is_hidden": self.is_hidden,
            "icon_path": self.icon_path,
            "category": self.category,
            "after": self.after,
            "keywords": self.keywords if self.keywords is not None else [],
            "input_port_specifier": _port_specifiers(self.input_ports),
            "output_port_specifier": _port_specifiers(self.output_ports),
            "views": [asdict(v) for v in self.views if v is not None],
        }


_nodes: dict[str, _Node] = {}


def _lookup(factory, attr: str):
    """An attribute of a fresh instance, else of the factory (as the real API: instantiates)."""
    value = getattr(factory(), attr, None)
    return value if value is not None else getattr(factory, attr, None)


def _port_specifiers(ports: list[Port]) -> list[dict]:
    result, index = [], 0
    for port in ports:
        if port.type == PortType.BINARY:
            type_string = str(port.type)
        elif isinstance(getattr(port.type, "object_class", None), type) and issubclass(
            port.type.object_class, ConnectionPortObject
        ):
            type_string = "Connection" + str(port.type)
        elif isinstance(port.type, PortType):
            type_string = port.type.id
        else:
            type_string = str(port.type)
        result.append(
            dict(
                name=port.name,
                type_string=type_string,
                description=port.description,
                description_index=index,
                group=False,
                optional=port.optional,
            )
        )
        if not port.optional:
            index += 1
    return result


def _materialised(method: Callable) -> Callable:
    """Wrap configure/execute: lists for tuples, ``.get()`` for lazy schema/table views."""

    def wrapper(*args, **kwargs):
        result = method(*args, **kwargs)
        if isinstance(result, list | tuple):
            return [r.get() if isinstance(r, _ColumnarView) else r for r in result]
        if isinstance(result, _ColumnarView):
            return result.get()
        return result

    return wrapper


def node(
    name: str,
    node_type: NodeType,
    icon_path: str,
    category: str,
    after: str | None = None,
    keywords: list[str] | None = None,
    id: str | None = None,
    is_deprecated: bool = False,
    is_hidden: bool = False,
) -> Callable:
    """Class decorator registering a node; returns a factory *function* (see module doc)."""

    def register(factory):
        node_id = id if id is not None else factory.__name__
        registered = _Node(
            factory,
            node_id,
            name=name,
            node_type=node_type.value if isinstance(node_type, NodeType) else "Unknown",
            is_deprecated=is_deprecated,
            is_hidden=is_hidden,
            icon_path=icon_path,
            category=category,
            after=after,
            keywords=keywords,
        )
        _nodes[node_id] = registered
        return registered.node_factory

    return register


_ADDED_MARK = "_knext_double_added_"


def _add_port(factory, slot: str, port: Port):
    if getattr(factory, slot, None) is None:
        setattr(factory, slot, [])
        setattr(factory, _ADDED_MARK + slot, True)
    elif not hasattr(factory, _ADDED_MARK + slot):
        raise ValueError(
            f"Cannot use '{slot}' decorator on object which has an attribute '{slot}' already"
        )
    getattr(factory, slot).insert(0, port)  # decorators run bottom-up
    return factory


def input_table(name: str, description: str, optional: bool | None = False):
    return lambda factory: _add_port(
        factory, "input_ports", Port(PortType.TABLE, name, description, optional=optional)
    )


def input_binary(name: str, description: str, id: str, optional: bool | None = False):
    return lambda factory: _add_port(
        factory, "input_ports", Port(PortType.BINARY, name, description, id, optional=optional)
    )


def input_port(name: str, description: str, port_type, optional: bool | None = False):
    return lambda factory: _add_port(
        factory, "input_ports", Port(port_type, name, description, optional=optional)
    )


def output_table(name: str, description: str):
    return lambda factory: _add_port(
        factory, "output_ports", Port(PortType.TABLE, name, description)
    )


def output_binary(name: str, description: str, id: str):
    return lambda factory: _add_port(
        factory, "output_ports", Port(PortType.BINARY, name, description, id)
    )


def output_image(name: str, description: str):
    return lambda factory: _add_port(
        factory, "output_ports", Port(PortType.IMAGE, name, description)
    )


def output_port(name: str, description: str, port_type):
    return lambda factory: _add_port(factory, "output_ports", Port(port_type, name, description))


def output_view(
    name: str,
    description: str,
    static_resources: str | None = None,
    index_html_path: str | None = None,
):
    def add_view(factory):
        factory.output_view = ViewDeclaration(name, description, static_resources, index_html_path)
        return factory

    return add_view


# the real module re-exports these too
IntParameter = kp.IntParameter
DoubleParameter = kp.DoubleParameter
BoolParameter = kp.BoolParameter
StringParameter = kp.StringParameter
MultilineStringParameter = kp.MultilineStringParameter
parameter_group = kp.parameter_group
Table = kt.Table
BatchOutputTable = kt.BatchOutputTable
