"""The command line ``openai-assistants``: one subcommand per operation, generated from
:mod:`openai_assistants.operations`, plus ``demo``, ``sandbox`` and ``serve``.

:mod:`.main` parses arguments and calls the engine's execute path (the one the KNIME nodes
call); :mod:`.table_output` prints or writes the result table.

May import every core package. Nothing else imports it (but ``__main__``).
"""
