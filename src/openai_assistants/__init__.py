"""OpenAI Assistants API (v2) for KNIME: the core, free of any KNIME import.

The KNIME nodes (``openai_assistants_knime``) and the command line (``openai_assistants.cli``)
both call :func:`openai_assistants.execution.execute_create_run`: one execute path.
"""

__version__ = "0.1.0"
