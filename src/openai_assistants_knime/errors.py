"""Core errors as KNIME shows them: an unusable setting marks the node as not configured
with the reason; a numeric setting out of range names the setting."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import knime.extension as knext

from openai_assistants.errors import InvalidSettingsError, MissingApiKeyError


@contextmanager
def settings_errors_as_invalid_parameters() -> Iterator[None]:
    """configure(): an unusable setting marks the node as not configured, with the reason."""
    try:
        yield
    except (InvalidSettingsError, MissingApiKeyError) as exc:
        raise knext.InvalidParametersError(str(exc)) from None


def in_range(label: str, minimum: float, maximum: float | None = None) -> Callable[[float], None]:
    """A numeric setting's range check whose message names the setting, e.g.
    "Concurrent requests: 0 is below the minimum 1." (KNIME's built-in one does not)."""

    def check(value: float) -> None:
        if value < minimum:
            raise ValueError(f"{label}: {value} is below the minimum {minimum}.")
        if maximum is not None and value > maximum:
            raise ValueError(f"{label}: {value} is above the maximum {maximum}.")

    return check
