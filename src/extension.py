"""KNIME's entry point for the OpenAI Assistants extension (knime.yml: extension_module).

KNIME imports this module to list the nodes, so it only imports the node modules; they build
their dialogs and descriptions from the operation data and load the engine when a node first
runs.
"""

from openai_assistants_knime.configuration import node as configuration_node  # noqa: F401
from openai_assistants_knime.nodes import (  # noqa: F401
    assistants,
    create_run,
    files,
    messages,
    prompter,
    run_steps,
    runs,
    threads,
    vector_stores,
)
