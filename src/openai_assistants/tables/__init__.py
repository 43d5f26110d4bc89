"""Result tables: answers turned into typed columns (Raw Response, Structured per object
kind, Events), built as Arrow with exactly the types configure() declares.

One job per module: :mod:`.columns` (the formats and the columns configure() declares),
:mod:`.object_columns` (each object kind's fields as typed cells), :mod:`.results` (answers ->
rows, one per input row, event, item or page; it also re-exports the names callers use),
:mod:`.arrow_build` (those rows as Arrow, each column of its declared type),
:mod:`.lazy_imports` (pandas/pyarrow loaded only when a table is built).

May import: :mod:`openai_assistants.client` (answer values, events), pandas/pyarrow lazily.
Never the operations, the engine, the command line, the server, the sandbox or KNIME.
"""
