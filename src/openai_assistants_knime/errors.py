"""Turning core errors into what KNIME shows in the node status."""

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


def report_warnings(warn: Callable[[str], None], warnings: list[str]) -> None:
    """KNIME shows one warning per node: join them, most important first."""
    if warnings:
        warn(" | ".join(warnings))
