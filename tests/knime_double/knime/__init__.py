"""Test double of KNIME's Python extension API (the ``knime`` package).

Only ``knime.extension`` (the "knext" API), ``knime.extension.testing`` and the parts of
``knime.api.schema`` / ``knime.api.table`` that they expose are provided. The double mirrors
the *observable* behaviour of the real API as it runs in unit tests (i.e. after
``import knime.extension.testing``), including its inconvenient corners. It is put on
``sys.path`` by the test suite only when the real ``knime.extension`` cannot be imported
(it ships with KNIME, not on PyPI). It is an independent, MIT-licensed implementation.
"""
