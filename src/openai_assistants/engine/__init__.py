"""The engine: settings and table rows in, requests out, answers and follow-ups back.

Every operation, Create Run included, takes the one path of :func:`.execute.execute_operation`
(``execute_operation(operation, inputs, client, *, options=None, progress=None)``), the entry
point every node, subcommand and the demo call; :mod:`.execute` also re-exports the names a
caller needs beside it, so a caller imports one module.

One job per module:

- what a caller hands in: :mod:`.inputs` (``CallSettings``, ``CallInput``, rows from a
  table), :mod:`.body_fields` (body fields with a setting or column of their own: a file to
  upload, a search query, a file batch's IDs), :mod:`.options` (``OperationOptions``,
  ``ErrorHandling``, limits);
- before execution: :mod:`.configure` (formats, columns, the checks configure() runs),
  :mod:`.prepare` (every row validated into its request before anything is sent),
  :mod:`.request_builder` and :mod:`.request_parts` (settings -> the request the SDK sends);
- execution: :mod:`.execute` (one row's call and its follow-ups, the table), :mod:`.batch`
  (rows sent concurrently, what exists when a table stops), :mod:`.gc_pause`;
- follow-ups: :mod:`.follow_ups` (wait or page after the first answer), :mod:`.run_polling`
  (polling a run until it ends), :mod:`.processing_wait` (polling a vector store, its file
  or file batch until processed), :mod:`.pagination` (cursor pages, pure);
- the result: :mod:`.outcome` (rows -> KNIME's table on first use), :mod:`.file_content`
  (Get File Content's bytes written into a folder).

Requests go through the :class:`~openai_assistants.client.client.ApiClient` the caller made:
the engine never sees the key.

May import: :mod:`openai_assistants.operations`, :mod:`openai_assistants.client`,
:mod:`openai_assistants.tables`, :mod:`openai_assistants.errors`, :mod:`openai_assistants.memo`.
Never the command line, the server, the sandbox or KNIME.
"""
