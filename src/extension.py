"""KNIME's entry point for the OpenAI Assistants extension (knime.yml: extension_module).

KNIME imports this module to list the nodes, so it only imports the node modules.
"""

from openai_assistants_knime import (  # noqa: F401
    assistant_nodes,
    configuration_node,
    create_run_node,
    file_nodes,
    message_nodes,
    run_nodes,
    run_step_nodes,
    thread_nodes,
    vector_store_nodes,
)
