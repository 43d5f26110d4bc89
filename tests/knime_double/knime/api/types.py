"""Registry of KNIME's Python value factories (test double of ``knime.api.types``).

KNIME registers its extension types (date&time among them) when its Python process starts;
unit tests must do the same (``register_python_value_factory``) before ``knext.datetime``
works. Only the registry is mirrored: the value factories themselves are not needed because
the double's table backend converts date-times with pyarrow.
"""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class PythonValueFactoryBundle:
    java_value_factory: str
    data_type: str
    data_spec_json: str
    data_traits: str
    python_module: str
    python_value_factory_name: str
    python_value_type_name: str


_java_value_factory_to_bundle: dict[str, PythonValueFactoryBundle] = {}


def register_python_value_factory(
    python_module: str,
    python_value_factory_name: str,
    data_type: str,
    data_spec_json: str,
    data_traits: str,
    python_value_type_name: str,
    is_default_python_representation: bool = True,
) -> None:
    """Record a value factory under its logical type (the JSON in the traits), as KNIME does."""
    logical_type = json.loads(data_traits)["traits"]["logical_type"]
    if is_default_python_representation:
        _java_value_factory_to_bundle[logical_type] = PythonValueFactoryBundle(
            logical_type,
            data_type,
            data_spec_json,
            data_traits,
            python_module,
            python_value_factory_name,
            python_value_type_name,
        )
