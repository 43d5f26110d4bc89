"""The engine: settings and table rows in, requests out, answers and follow-ups back.

settings (+ rows) -> validated requests (:mod:`.request_builder`, :mod:`.request_parts`;
every row checked before anything is sent) -> exchanges through the client, concurrently for
a table (:mod:`.batch`) -> follow-ups: wait until a run ends (:mod:`.run_polling`), follow
pages (:mod:`.pagination`, :mod:`.follow_ups`) -> one result table. :mod:`.execute` is the
one entry point every node, subcommand and the demo call.

May import: :mod:`openai_assistants.operations`, :mod:`openai_assistants.client`,
:mod:`openai_assistants.tables`, :mod:`openai_assistants.errors`, :mod:`openai_assistants.memo`.
Never the command line, the server or KNIME.
"""
