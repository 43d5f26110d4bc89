"""The OpenAI Configuration node and its port: where and how to reach the API, never the key.

    node.py         the OpenAI Configuration node (settings, checks, the connection check)
    port.py         the "OpenAI Configuration" port type every API node takes and passes on
    credentials.py  the key lookup through KNIME at send time

May import: the core's client configuration (``openai_assistants.client``), knime, and the
shell's shared modules (category, errors, reporting, migrations). Never the API nodes or tests.
"""
