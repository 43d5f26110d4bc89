"""OpenAI Assistants API (v2) for KNIME: the core, free of any KNIME import.

Its packages are its layers, each importing only those above it in this list:

- :mod:`.errors`: the one error tree; :mod:`.memo`: bounded memos of pure checks;
- :mod:`.operations`: every API operation as data, with the request body schemas;
- :mod:`.client`: configuration, the HTTP exchange, retries, cancellation, events;
- :mod:`.tables`: answers turned into typed result tables;
- :mod:`.engine`: settings and rows -> validated requests -> exchanges -> follow-ups -> table;
- :mod:`.cli`: the ``openai-assistants`` command line over the engine;
- :mod:`.server`: ``openai-assistants serve``, an Assistants v2 server on Chat Completions;
- :mod:`.sandbox`: the embedded server and the offline demo.

The KNIME nodes (``openai_assistants_knime``), the command line and the demo all make one
:class:`openai_assistants.client.client.ApiClient` per execution and call
:func:`openai_assistants.engine.execute.execute_operation` with it: one execute path.
``tests/test_layers.py`` keeps the layers and finds any import circle.
"""

__version__ = "0.1.0"
