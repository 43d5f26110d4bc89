"""Node parameters (test double of ``knime.extension.parameter``).

Parameters are descriptors declared on a node (or parameter group) class. Behaviour
mirrored from the real API:

* Reading a value never set gives the default; values are kept per instance.
* Assigning runs the parameter's validator at once (ValueError/TypeError) and keeps the
  old value on failure. The built-in validators check the type (and ``min_value`` /
  ``max_value`` of numbers); a custom ``validator`` (argument or ``@param.validator``)
  *replaces* them, except for ``EnumParameter`` / ``EnumSetParameter``, which keep
  checking the option names first. ``@param.validator`` returns ``None``.
* ``EnumParameter`` stores the option *name* (``"BEARER"``), ``EnumSetParameter`` a list
  of names. Passing ``validator=`` to ``EnumParameter``, or ``enum`` without a
  ``default_value``, raises AttributeError in the real API, and here too.
* ``StringParameter(enum=[...])`` does not restrict values; it only changes an empty
  default to the first entry.
* ``extract_parameters`` / ``inject_parameters`` / ``validate_parameters`` use the
  settings dict ``{"model": {name: value, group_name: {...}}}`` as KNIME saves it.
* Accessing a parameter group on the *class* raises AttributeError; assigning a group
  raises RuntimeError; group values live in the owning node instance.

Not mirrored: column, date/time, path and array parameters, and dialog/schema extraction.
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass
from enum import Enum
from typing import Any

from knime.extension.version import Version

_extension_version: Version | None = None


def set_extension_version(version: str) -> None:
    """Set by KNIME when it loads an extension; needed by callable defaults."""
    global _extension_version
    _extension_version = Version.parse_version(version)


def _current_extension_version() -> Version:
    if _extension_version is None:
        raise RuntimeError("The extension version has not been set by the backend.")
    return _extension_version


# ---------------------------------------------------------------------------------------
# Where values live
# ---------------------------------------------------------------------------------------

_STORE = "_knext_double_values"  # attribute holding an object's {name: value} dict


def _values_of(obj) -> dict:
    """The value dict of a node instance (created on demand) or of a group holder."""
    if isinstance(obj, _GroupHolder):
        return obj.__dict__[_STORE]
    if _STORE not in obj.__dict__:
        obj.__dict__[_STORE] = {}
    return obj.__dict__[_STORE]


def _is_parameter_like(value) -> bool:
    return isinstance(value, _BaseParameter | _GroupHolder)


def _parameters_of(obj) -> dict[str, Any]:
    """Class-level parameters/groups (most derived first), then instance-level ones."""
    found: dict[str, Any] = {}
    for cls in type(obj).__mro__[:-1]:
        for name, value in vars(cls).items():
            if _is_parameter_like(value) and name not in found:
                found[name] = value
    for name, value in vars(obj).items():
        if _is_parameter_like(value):
            found[name] = value
    return found


# ---------------------------------------------------------------------------------------
# Settings round trip
# ---------------------------------------------------------------------------------------


def extract_parameters(obj, for_dialog: bool = False) -> dict:
    """All current values as KNIME saves them: ``{"model": {...}}``."""
    return {"model": _extract(obj)}


def _extract(obj) -> dict:
    return {name: p._extract_value(obj, name) for name, p in _parameters_of(obj).items()}


def inject_parameters(
    obj, parameters: dict, parameters_version: str | None = None, exclude_validations: bool = False
) -> None:
    """Load saved settings; each value is validated as it is set (may stop half-way)."""
    _inject(obj, parameters["model"], Version.parse_version(parameters_version))


def _inject(obj, values: dict, version: Version) -> None:
    if hasattr(obj, "_modify_parameters"):
        values = obj._modify_parameters(values)
    for name, param in _parameters_of(obj).items():
        if name in values:
            param._inject(obj, values[name], name, version)
        elif param._since_version > version:
            # added after the settings were saved: use the default for that version
            param._set_default_for_version(obj, name, version)


def validate_parameters(obj, parameters: dict, saved_version: str | None = None) -> None:
    """Check saved settings without applying them; raises ValueError/TypeError."""
    _validate(obj, parameters["model"], Version.parse_version(saved_version))


def _validate(obj, values: dict, version: Version) -> None:
    for name, param in _parameters_of(obj).items():
        if param._since_version <= version:
            if name not in values:
                raise ValueError(f'Parameter missing for key "{name}".')
            param._validate(values[name], version)


# ---------------------------------------------------------------------------------------
# Visibility rules (stored only; they matter to the dialog, which the double lacks)
# ---------------------------------------------------------------------------------------


class Condition:
    """Base of the conditions used in ``param.rule(condition, effect)``."""


class OneOf(Condition):
    def __init__(self, subject, values: list) -> None:
        self._subject = subject
        self._values = values


class Contains(Condition):
    def __init__(self, subject, value) -> None:
        self._subject = subject
        self._value = value


class DialogContextCondition(Condition):
    """True when ``ctx_predicate(dialog_creation_context)`` holds as the dialog opens."""

    def __init__(self, ctx_predicate: Callable[[Any], bool]) -> None:
        self._ctx_predicate = ctx_predicate

    def holds(self, dialog_creation_context) -> bool:
        return bool(self._ctx_predicate(dialog_creation_context))


class And(Condition):
    def __init__(self, *conditions: Condition) -> None:
        if not conditions:
            raise ValueError("At least one condition is required in And condition.")
        self._conditions = conditions


class Or(Condition):
    def __init__(self, *conditions: Condition) -> None:
        if not conditions:
            raise ValueError("At least one condition is required in Or condition.")
        self._conditions = conditions


class Effect(Enum):
    SHOW = "SHOW"
    HIDE = "HIDE"
    ENABLE = "ENABLE"
    DISABLE = "DISABLE"


@dataclass
class Rule:
    condition: Condition
    effect: Effect


class LayoutDirection(Enum):
    VERTICAL = "VerticalLayout"
    HORIZONTAL = "HorizontalLayout"


# ---------------------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------------------


def _no_check(value) -> None:
    pass


class _BaseParameter:
    """A descriptor holding label, description (as ``__doc__``), default and validator."""

    def __init__(
        self,
        label: str | None,
        description: str | None,
        default_value: Any,
        validator: Callable[[Any], None] | None = None,
        since_version: str | Version | None = None,
        is_advanced: bool = False,
    ) -> None:
        self._label = label
        self.__doc__ = description if description is not None else ""
        self._default_value = default_value
        self._validator = validator if validator is not None else _no_check
        self._since_version = Version.parse_version(since_version)
        self._is_advanced = is_advanced
        self._rule: Rule | None = None

    def __set_name__(self, owner, name: str) -> None:
        self._name = name
        if self._label is None:
            self._label = name

    # --- descriptor protocol ---
    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        return self._get_value(obj, self._name)

    def __set__(self, obj, value) -> None:
        self._set_value(obj, value, self._name)

    # --- values ---
    def _default(self, version: Version | None = None):
        if callable(self._default_value):
            return self._default_value(
                version if version is not None else _current_extension_version()
            )
        return self._default_value

    def _get_value(self, obj, name: str):
        values = _values_of(obj)
        if name not in values:
            values[name] = self._default()
        return values[name]

    def _set_value(self, obj, value, name: str) -> None:
        self._validator(value)
        _values_of(obj)[name] = value

    def _extract_value(self, obj, name: str):
        return self._get_value(obj, name)

    def _inject(self, obj, value, name: str, version: Version | None = None) -> None:
        self._set_value(obj, value, name)

    def _set_default_for_version(self, obj, name: str, version: Version) -> None:
        self._set_value(obj, self._default(version), name)

    def _validate(self, value, version: Version | None = None) -> None:
        self._validator(value)

    # --- public decorators ---
    def validator(self, func: Callable[[Any], None]) -> None:
        """Decorator: *replaces* the validator (built-in checks included); returns None."""
        self._validator = func

    def rule(self, condition: Condition, effect: Effect):
        self._rule = Rule(condition, effect)
        return self

    def __str__(self) -> str:
        name = getattr(self, "_name", self._label)
        return f"\n\t - name: {name}\n\t - label: {self._label}\n\t"


class _NumericParameter(_BaseParameter):
    """Int and Double: a type check plus optional bounds; the default is the type's zero."""

    _zero: int | float = 0

    def __init__(
        self,
        label: str | None = None,
        description: str | None = None,
        default_value: Any = None,
        validator: Callable[[Any], None] | None = None,
        min_value: float | None = None,
        max_value: float | None = None,
        since_version: str | Version | None = None,
        is_advanced: bool = False,
    ) -> None:
        self.min_value = min_value
        self.max_value = max_value
        super().__init__(
            label,
            description,
            self._zero if default_value is None else default_value,
            validator if validator is not None else self._default_validator,
            since_version,
            is_advanced,
        )

    def _default_validator(self, value) -> None:
        self.check_type(value)
        self.check_range(value)

    def check_type(self, value) -> None:
        raise NotImplementedError

    def check_range(self, value) -> None:
        if self.min_value is not None and value < self.min_value:
            raise ValueError(f"{value} is smaller than the minimal value {self.min_value}")
        if self.max_value is not None and value > self.max_value:
            raise ValueError(f"{value} is > the max value {self.max_value}")


class IntParameter(_NumericParameter):
    """An int (bools pass the type check, as ``bool`` is an ``int``)."""

    _zero = 0

    def check_type(self, value) -> None:
        if not isinstance(value, int):
            raise TypeError(f"{value} is of type {type(value)}, but should be of type int.")


class DoubleParameter(_NumericParameter):
    """Any ``numbers.Number`` (ints are kept as ints)."""

    _zero = 0.0

    def check_type(self, value) -> None:
        if not isinstance(value, numbers.Number):
            raise TypeError(f"{value} is of type {type(value)}, but should be a number.")


def _check_str(value) -> None:
    if not isinstance(value, str):
        raise TypeError(f"{value} is of type {type(value)}, but should be of type string.")


class BoolParameter(_BaseParameter):
    def __init__(
        self,
        label: str | None = None,
        description: str | None = None,
        default_value: bool | Callable[[Version], bool] = False,
        validator: Callable[[bool], None] | None = None,
        since_version: str | Version | None = None,
        is_advanced: bool = False,
    ) -> None:
        super().__init__(
            label,
            description,
            default_value,
            validator if validator is not None else self._default_validator,
            since_version,
            is_advanced,
        )

    def _default_validator(self, value) -> None:
        if not isinstance(value, bool):
            raise TypeError(f"{value} is not a boolean")


class StringParameter(_BaseParameter):
    """A string; ``enum``/static ``choices`` only pick the default, they don't restrict."""

    @dataclass(frozen=True)
    class Choice:
        id: str
        label: str
        description: str = ""

        def __post_init__(self) -> None:
            if not self.id:
                raise ValueError("Choice id must be non-empty")
            if not all(isinstance(v, str) for v in (self.id, self.label, self.description)):
                raise TypeError("Choice id, label and description must be strings")

    def __init__(
        self,
        label: str | None = None,
        description: str | None = None,
        default_value: str | Callable[[Version], str] = "",
        enum: list[str] | None = None,
        validator: Callable[[str], None] | None = None,
        since_version: str | Version | None = None,
        is_advanced: bool = False,
        choices: Callable | list | tuple | None = None,
    ) -> None:
        if enum is not None and not isinstance(enum, list):
            raise TypeError("The enum parameter must be a list.")
        if enum and choices:
            kind = "a dynamic choices callable" if callable(choices) else "static choices sequence"
            raise ValueError(f"Cannot specify both enum and {kind}")
        self._enum = enum
        self._choices = None  # dynamic: called with a DialogCreationContext by KNIME
        static: list[StringParameter.Choice] | None = None
        if callable(choices):
            self._choices = choices
        elif choices is not None:
            if not isinstance(choices, list | tuple):
                raise TypeError("'choices' must be a callable, list, or tuple.")
            static = self._normalise(choices)
        elif enum is not None:
            static = [self.Choice(e, e) for e in enum]
        self._static_choices = static
        super().__init__(
            label,
            description,
            default_value,
            validator if validator is not None else _check_str,
            since_version,
            is_advanced,
        )
        if static and not self._default_value:
            self._default_value = static[0].id

    def _normalise(self, items) -> list[StringParameter.Choice]:
        result: list[StringParameter.Choice] = []
        for item in items:
            if isinstance(item, str):
                item = self.Choice(item, item)
            elif not isinstance(item, self.Choice):
                raise TypeError(
                    "Static 'choices' sequence elements must be str or StringParameter.Choice"
                )
            if any(c.id == item.id for c in result):
                raise ValueError(f"Duplicate choice id '{item.id}' in static choices")
            result.append(item)
        return result


class MultilineStringParameter(_BaseParameter):
    def __init__(
        self,
        label: str | None = None,
        description: str | None = None,
        default_value: str | Callable[[Version], str] = "",
        validator: Callable[[str], None] | None = None,
        since_version: str | Version | None = None,
        is_advanced: bool = False,
        number_of_lines: int = 3,
    ) -> None:
        if not isinstance(number_of_lines, int):
            raise TypeError(
                f"Number of lines is of type {type(number_of_lines)}, "
                "but should be of type integer."
            )
        if number_of_lines <= 0:
            raise ValueError("Number of lines should be of type positive integer.")
        self._number_of_lines = number_of_lines
        super().__init__(
            label,
            description,
            default_value,
            validator if validator is not None else _check_str,
            since_version,
            is_advanced,
        )


class ColumnParameter(_BaseParameter):
    """One column of an input table, chosen in the dialog; ``None`` when none is chosen.

    ``NONE`` is the value the dialog stores when the user picks "None" (KNIME 5.9+).
    Like the real one, it checks nothing when set: the column list exists only in a dialog.
    """

    NONE = "<none>"

    def __init__(
        self,
        label: str | None = None,
        description: str | None = None,
        port_index: int | tuple[int, int] = 0,
        column_filter: Callable[[Any], bool] | None = None,
        include_row_key: bool = False,
        include_none_column: bool = False,
        since_version: str | Version | None = None,
        is_advanced: bool = False,
        schema_provider: Callable[[Any], Any] | None = None,
        default_value: str | Callable[[Version], str] | None = None,
    ) -> None:
        super().__init__(label, description, default_value, None, since_version, is_advanced)
        self._port_index = port_index if schema_provider is None else None
        self._column_filter = column_filter or (lambda column: True)
        self._include_row_key = include_row_key
        self._include_none_column = include_none_column


class EnumParameterOptions(Enum):
    """Subclass with members ``NAME = ("Label", "Description")``; values are stored by name."""

    def __init__(self, label: str, description: str) -> None:
        self.label = label
        self.description = description

    @classmethod
    def get_all_options(cls) -> list[str]:
        """The option *names*."""
        return list(cls._member_names_)

    @classmethod
    def _get_default_option(cls):
        class DefaultEnumOption(EnumParameterOptions):
            DEFAULT_OPTION = (
                "Default",
                "This is the default option, since additional options have not been provided.",
            )

        return DefaultEnumOption


def _options_text(options: list[str]) -> str:
    return "'" + "', '".join(options) + "'"


class EnumParameter(_BaseParameter):
    """One option of an ``EnumParameterOptions`` subclass, stored as its name."""

    class Style(Enum):
        RADIO = "radio"
        VALUE_SWITCH = "valueSwitch"
        DROPDOWN = "string"

    def __init__(
        self,
        label: str | None = None,
        description: str | None = None,
        default_value: str | EnumParameterOptions | Callable | None = None,
        enum: type[EnumParameterOptions] | None = None,
        validator: Callable[[str], None] | None = None,
        since_version: str | Version | None = None,
        is_advanced: bool = False,
        style: EnumParameter.Style | None = None,
        hidden_choices: Callable | None = None,
    ) -> None:
        if validator is not None:
            # the real API breaks here too (it calls a helper EnumParameter lacks)
            raise AttributeError("'EnumParameter' object has no attribute '_add_default_validator'")
        if enum is None or not enum.get_all_options():
            self._enum = EnumParameterOptions._get_default_option()
            default_value = "DEFAULT_OPTION"
        else:
            self._enum = enum
            if default_value is None:
                # the real API fails the same way (it asks a name string for ``.name``)
                raise AttributeError("'str' object has no attribute 'name'")
            if hasattr(default_value, "name"):
                default_value = default_value.name
        self._style = style
        self._hidden_choices = hidden_choices
        super().__init__(
            label, description, default_value, self._default_validator, since_version, is_advanced
        )

    def _default_validator(self, value) -> None:
        options = self._enum.get_all_options()
        if value not in options:
            raise ValueError(
                f"The selection '{value}' for parameter '{self._label}' is not one of the "
                f"available options: {_options_text(options)}."
            )

    def validator(self, func: Callable[[str], None]) -> None:
        """Decorator: runs ``func`` after the built-in option check; returns None."""
        self._validator = _checked_first(self._default_validator, func)


class EnumSetParameter(_BaseParameter):
    """Several options of an ``EnumParameterOptions`` subclass, stored as a list of names."""

    def __init__(
        self,
        label: str | None = None,
        description: str | None = None,
        default_value: list[str] | Callable | None = None,
        enum: type[EnumParameterOptions] | None = None,
        validator: Callable[[list], None] | None = None,
        since_version: str | Version | None = None,
        is_advanced: bool = False,
    ) -> None:
        if enum is None or not enum.get_all_options():
            self._enum = EnumParameterOptions._get_default_option()
            default_value = ["DEFAULT_OPTION"]
        else:
            self._enum = enum
            if default_value is None:
                default_value = enum.get_all_options()
        check = self._default_validator
        if validator is not None:
            check = _checked_first(self._default_validator, validator)
        super().__init__(label, description, default_value, check, since_version, is_advanced)

    def _default_validator(self, value) -> None:
        if not isinstance(value, list):
            raise TypeError(f"The selection '{value}' for parameter '{self._label}' is not a list")
        options = self._enum.get_all_options()
        if not set(value).issubset(options):
            raise ValueError(
                f"The selection '{value}' for parameter '{self._label}' is not a subset of the "
                f"available options: {_options_text(options)}."
            )

    def validator(self, func: Callable[[list], None]) -> None:
        self._validator = _checked_first(self._default_validator, func)


def _checked_first(first: Callable, then: Callable) -> Callable:
    def check(value) -> None:
        first(value)
        then(value)

    return check


# ---------------------------------------------------------------------------------------
# Parameter groups
# ---------------------------------------------------------------------------------------


class _GroupHolder:
    """Mixin of every class decorated with ``@parameter_group``.

    Declared on a class, a group is a descriptor: ``node.group`` gives a fresh copy of the
    group bound to the node's own value dict, so values never leak between nodes.
    """

    def __set_name__(self, owner, name: str) -> None:
        self._name = name

    def __get__(self, obj, objtype=None):
        if obj is None:  # like the real API: a group can't be read from the class
            raise AttributeError("'NoneType' object has no attribute '__parameters__'")
        return self._bound_to(obj)

    def __set__(self, obj, value) -> None:
        raise RuntimeError("Cannot set parameter group values directly.")

    def _bound_to(self, obj):
        if not hasattr(self, "_name"):  # composed (an instance attribute): holds its own values
            return self
        copy = deepcopy(self)
        for name, child in _parameters_of(self).items():  # composed children stay shared
            if isinstance(child, _GroupHolder) and not hasattr(child, "_name"):
                copy.__dict__[name] = child
        owner_values = _values_of(obj)
        if self._name not in owner_values:  # values set in the group's __init__ act as defaults
            owner_values[self._name] = copy.__dict__[_STORE]
        copy.__dict__[_STORE] = owner_values[self._name]
        return copy

    def _extract_value(self, obj, name: str) -> dict:
        return _extract(self._bound_to(obj))

    def _inject(self, obj, values: dict, name: str, version: Version | None = None) -> None:
        _inject(self._bound_to(obj), values, version)

    def _set_default_for_version(self, obj, name: str, version: Version) -> None:
        holder = self._bound_to(obj)
        for child_name, child in _parameters_of(holder).items():
            child._set_default_for_version(holder, child_name, version)

    def _validate(self, values: dict, version: Version) -> None:
        _validate(self, values, version)
        if hasattr(self, "validate") and not self._override_internal_validator:
            self.validate(values)
        if self._validator is not None:
            self._validator(values)

    def validator(self, override=None):
        """``@group.validator`` (replaces ``validate``) or ``@group.validator(override=False)``."""
        if isinstance(override, bool):

            def set_validator(func) -> None:
                self._validator = func
                self._override_internal_validator = override

            return set_validator
        self._validator = override
        self._override_internal_validator = True
        return None

    def rule(self, condition: Condition, effect: Effect):
        self._rule = Rule(condition, effect)
        return self

    def __str__(self) -> str:
        return f"\tGroup name: {getattr(self, '_name', self._label)}\n\tGroup label: {self._label}"


_RESERVED_GROUP_KEYWORDS = {"since_version", "is_advanced", "validator"}


def parameter_group(
    label: str,
    since_version: str | Version | None = None,
    is_advanced: bool = False,
    layout_direction: LayoutDirection = LayoutDirection.VERTICAL,
):
    """Class decorator turning a class of parameters into a (nestable) parameter group.

    The constructor accepts ``since_version``, ``is_advanced`` and ``validator`` keyword
    arguments that override the decorator's; the class's own ``__init__`` may not declare them.
    Group-level checks: a ``validate(self, values)`` method and/or ``@group.validator``.
    """

    def decorate(original: type) -> type:
        def __init__(self, *args, **kwargs) -> None:
            declared = set(inspect.signature(original.__init__).parameters)
            if declared & _RESERVED_GROUP_KEYWORDS:
                raise SyntaxError(
                    "Please refrain from declaring reserved keyword arguments in the `__init__` "
                    "method of your parameter group class."
                )
            vars(self)[_STORE] = {}
            self._label = label
            self._since_version = Version.parse_version(kwargs.pop("since_version", since_version))
            self._is_advanced = kwargs.pop("is_advanced", is_advanced)
            self._validator = kwargs.pop("validator", None)
            self._override_internal_validator = False
            self._layout_direction = layout_direction.value
            self._rule = None
            self.__doc__ = original.__doc__
            original.__init__(self, *args, **kwargs)

        return type(
            "ParameterGroupHolder",
            (_GroupHolder, original),
            {"__init__": __init__, "__doc__": original.__doc__, "__module__": original.__module__},
        )

    return decorate
