"""The command line ``openai-assistants``: one subcommand per operation, generated from
:mod:`openai_assistants.operations`, plus ``demo``, ``sandbox`` and ``serve``.

- :mod:`.main` the entry point (console script): builds the parser, runs a subcommand, turns
  a failure into a one-line message and an exit code (:mod:`.exit_codes`)
- :mod:`.operation_arguments` every operation subcommand's flags, generated from the
  operation data; :mod:`.argument_types` the values a flag may take;
  :mod:`.document_options` the Files and Vector Stores flags beyond the generated ones
  (``--file``, ``--purpose``, ``--query``, ``--file-id``, their columns, ``--folder``)
- :mod:`.operation_commands` the run of an operation subcommand: flags -> settings and rows
  -> the engine -> the table; :mod:`.engine_calls` its only calls into the engine (the
  execute path the KNIME nodes call) and the connection they get
- :mod:`.local_servers` ``demo`` and ``sandbox`` (``serve`` comes from ``server.cli``)
- :mod:`.terminal` lines on stdout/stderr, retry notices, Ctrl+C and SIGTERM
- :mod:`.table_output` the result table printed, or written as CSV, JSON or Parquet

May import every core package. Nothing else imports it (but ``__main__``). A one-shot
process imports what its output needs: printing, CSV and JSON never load pandas or pyarrow.
"""
