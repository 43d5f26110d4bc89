"""``openai-assistants serve``: an Assistants API v2 server that runs on any Chat Completions
endpoint (or, offline, on the echo backend the sandbox uses).

Layers, each replaceable, each importing only the ones listed after it:

- :mod:`.cli` (the ``serve`` command) and :mod:`.runner` (uvicorn, sockets, header timeout);
- :mod:`.app` (the Starlette application: :mod:`.access` checks the key, the beta header and
  the ``Host``, then an operation runs; keys are redacted from every answer);
- :mod:`.routes` (the HTTP operations, one module per resource; shared HTTP pieces);
- :mod:`.body_check` (every body against its operation's schema from the package);
- :mod:`.runs` (the run executor: lifecycle, turns, steps, tools, stream events);
- :mod:`.validation` (request bodies read as the API reads them, :class:`RequestError`),
  :mod:`.store` (storage behind the :class:`~.store.Store` interface: SQLite, one owner
  per database file, or PostgreSQL shared by several servers) and :mod:`.backends` (where
  answers come from); these three import nothing of the server but :mod:`.redaction`
  (keys cut out of answers and logs), which imports nothing.
"""
