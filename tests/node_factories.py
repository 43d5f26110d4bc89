"""Nodes set up as a KNIME user would set them in the dialog."""

from __future__ import annotations

from openai_assistants_knime.configuration.node import OpenAIConfigurationNode
from openai_assistants_knime.configuration.port import (
    OpenAIConfigurationPortObject,
    OpenAIConfigurationSpec,
)
from openai_assistants_knime.nodes.create_run import PARAMETER_GROUPS, CreateRunNode

SENTINEL_KEY = "sk-SENTINEL-7f3a9c-never-print-me"


def configuration_node(base_url: str, **settings: object) -> OpenAIConfigurationNode:
    node = OpenAIConfigurationNode()
    node.base_url = base_url
    node.max_retries = 0
    node.check_connection = False  # on for new nodes; the tests of other behaviour send nothing
    if settings.get("credentials") and "key_source" not in settings:
        node.key_source = "CREDENTIALS"  # naming credentials means using them
    for name, value in settings.items():
        setattr(node, name, value)
    return node


def configuration_port(base_url: str, **settings: object) -> OpenAIConfigurationPortObject:
    node = configuration_node(base_url, **settings)
    return OpenAIConfigurationPortObject(OpenAIConfigurationSpec(node.connection()))


def create_run_node(
    thread_id: str = "thread_1", body: str = '{"assistant_id": "asst_1"}', **settings: object
) -> CreateRunNode:
    node = CreateRunNode()
    for name, value in {"thread_id": thread_id, "body": body, **settings}.items():
        setattr(getattr(node, PARAMETER_GROUPS[name]), name, value)  # the dialog's section
    return node
