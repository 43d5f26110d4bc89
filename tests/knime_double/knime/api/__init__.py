"""Table and schema part of the KNIME API test double (see the ``knime`` package docstring)."""
