"""The KNIME shell: node classes that read settings, call the core and hand back ports.

Nothing here decides anything the core could decide; see ``openai_assistants`` for that.
Modules are imported by KNIME when it lists nodes, so they import only light core modules at
module level (httpx and jsonschema load on first execution).
"""
