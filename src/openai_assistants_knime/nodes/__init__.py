"""The Assistants API nodes, one module per API resource (as the API reference groups them):
assistants, threads, messages, runs (Create Run in its own module: its dialog and settings
keys predate the family), run steps; and the Files and Vector Stores nodes (files,
vector_stores). Each node is a short class decorated with ``api_node.operation_node`` (or
``api_node.documents.document_node``), its docstring the node's own details. ``prompter``: the
Assistant Prompter, a node of its own (a question per row, several operations per row) on the
same configuration port and shared modules.

May import: ``openai_assistants_knime.api_node``, the shell's shared modules, the core's
operation data, and knime. Never the engine at module level, never tests.
"""
