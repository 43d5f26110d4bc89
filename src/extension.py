"""KNIME's entry point for the OpenAI Assistants extension (knime.yml: extension_module).

KNIME imports this module to list the nodes, so it only imports the node modules.
"""

from openai_assistants_knime import configuration_node, create_run_node  # noqa: F401
