"""The "OpenAI Configuration" port type: where and how to reach the API, never the key."""

from __future__ import annotations

import json
from typing import Any

import knime.extension as knext

from openai_assistants.client.connection import ConnectionConfig

PORT_TYPE_ID = "org.knime.community.openai_assistants.OpenAIConfiguration"
_FORMAT_VERSION = 1


class OpenAIConfigurationSpec(knext.PortObjectSpec):
    """The configuration as plain data, so downstream nodes can configure before execution."""

    def __init__(self, connection: ConnectionConfig) -> None:
        self._connection = connection

    @property
    def connection(self) -> ConnectionConfig:
        return self._connection

    def serialize(self) -> dict:
        return {"format_version": _FORMAT_VERSION, "connection": self._connection.to_dict()}

    @classmethod
    def deserialize(cls, data: dict, java_callback: Any = None) -> OpenAIConfigurationSpec:
        return cls(ConnectionConfig.from_dict(data.get("connection", {})))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OpenAIConfigurationSpec) and other.connection == self.connection

    def __hash__(self) -> int:
        return hash(self._connection)

    def __repr__(self) -> str:
        return f"OpenAIConfigurationSpec({self._connection!r})"


class OpenAIConfigurationPortObject(knext.PortObject):
    """Carries the same data as its spec; stored as JSON so a saved workflow reloads it."""

    def __init__(self, spec: OpenAIConfigurationSpec) -> None:
        super().__init__(spec)

    @property
    def connection(self) -> ConnectionConfig:
        return self.spec.connection

    def serialize(self) -> bytes:
        return json.dumps(self.spec.serialize()).encode("utf-8")

    @classmethod
    def deserialize(
        cls, spec: OpenAIConfigurationSpec, storage: bytes
    ) -> OpenAIConfigurationPortObject:
        return cls(OpenAIConfigurationSpec.deserialize(json.loads(storage.decode("utf-8"))))

    def __repr__(self) -> str:
        return f"OpenAIConfigurationPortObject({self.spec.connection!r})"


openai_configuration_port_type = knext.port_type(
    "OpenAI Configuration",
    OpenAIConfigurationPortObject,
    OpenAIConfigurationSpec,
    id=PORT_TYPE_ID,
)
