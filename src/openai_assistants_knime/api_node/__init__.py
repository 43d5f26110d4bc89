"""What every Assistants API node shares: one operation's data in, one KNIME node out.

    node.py          operation_node(...) (the factory) and OperationNode (the base class)
    sections.py      the dialog sections, built from the operation's data
    options.py       the dialog's choice lists (result formats, error handling, include, order)
    description.py   the node description, as KNIME renders it
    table_input.py   the optional input table: column choices, cells as text
    table_output.py  declared columns and the engine's Arrow result as KNIME's table
    engine_calls.py  every call into the core engine (loaded when a node first runs)
    documents.py     document_node(...) and DocumentNode: what the Files and Vector Stores
                     nodes add (body fields with settings of their own, waiting until
                     processing ends, the header they send)

May import: the core (``openai_assistants``: operation data at module level, the engine only
in ``engine_calls``), knime, and the shell's shared modules (category, configuration, errors,
reporting). Never ``nodes`` (which builds on this package) or tests.
"""

from .node import OperationNode, api_node, operation_node

__all__ = ["OperationNode", "api_node", "operation_node"]
