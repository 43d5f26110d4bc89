"""Result tables: answers turned into typed columns (Raw Response, Structured per object
kind, Events), built as Arrow with exactly the types configure() declares.

May import: :mod:`openai_assistants.client` (answer values, events), pandas/pyarrow lazily
(:mod:`.lazy_imports`). Never the engine, the command line, the server or KNIME.
"""
