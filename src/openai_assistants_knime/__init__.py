"""The KNIME shell: the nodes KNIME lists, reading dialogs and tables, calling the core.

    category.py       the node repository category every node lives in
    configuration/    the OpenAI Configuration node, its port type, the key lookup
    api_node/         what every API node shares: operation_node(...) and OperationNode, dialog
                      sections and descriptions built from operation data, table in and out,
                      the one place that calls the engine
    nodes/            the API nodes, one module per resource (assistants, threads, ...)
    migrations.py     settings saved by older versions, moved to today's keys
    errors.py         core errors and range checks as KNIME shows them
    reporting.py      warnings and progress as KNIME shows them

Nothing here decides what the core could decide: see ``openai_assistants``. KNIME imports the
node modules to list the nodes, so at module level they use only the operation data and the
connection settings; the engine (and with it httpx, jsonschema, pandas and pyarrow) loads when
a node is configured or executed.

May import: the core (``openai_assistants``) and knime. Never tests.
"""
