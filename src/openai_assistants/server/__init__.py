"""``openai-assistants serve``: an Assistants API v2 server that runs on any Chat Completions
endpoint (or, offline, on the echo backend the sandbox uses).

Layers, each replaceable, each importing only the ones listed after it:

- :mod:`.cli` (the ``serve`` command) and :mod:`.runner` (uvicorn, sockets);
- :mod:`.app` (the Starlette application: :mod:`.access` checks, then an operation);
- :mod:`.routes` (the HTTP operations, one module per resource; shared HTTP pieces);
- :mod:`.runs` (the run executor: lifecycle, turns, steps, tools, stream events);
- :mod:`.validation` (request bodies as the API checks them, :class:`RequestError`),
  :mod:`.store` (storage behind the :class:`~.store.Store` interface; SQLite here) and
  :mod:`.backends` (where answers come from); these three import nothing of the server
  but :mod:`.redaction` (keys cut out of answers and logs), which imports nothing.
"""
