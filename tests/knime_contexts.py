"""KNIME contexts for tests, built on ``knime.extension.testing`` (real API or double).

The testing contexts raise for credentials and ignore warnings; these subclasses hold
credentials like a workflow's flow variables would and record what the node reports.
"""

from __future__ import annotations

import knime.extension.testing as ktest
from knime.extension.nodes import Credential


class _Recording:
    def _setup(self, credentials: dict[str, str] | None, cancel_after: int | None) -> None:
        self.credentials = dict(credentials or {})
        self.warnings: list[str] = []
        self.progress: list[tuple[float, str | None]] = []
        self._cancel_after = cancel_after
        self._cancel_checks = 0

    def get_credential_names(self) -> list[str]:
        return list(self.credentials)

    def get_credentials(self, identifier: str):
        if identifier not in self.credentials:
            raise KeyError(f"Error retrieving credentials for identifier: {identifier}")
        return Credential("", self.credentials[identifier], identifier)

    def set_warning(self, message: str) -> None:
        self.warnings.append(message)


class ConfigurationContext(_Recording, ktest.TestingConfigurationContext):
    def __init__(self, credentials: dict[str, str] | None = None) -> None:
        super().__init__()
        self._setup(credentials, None)


class ExecutionContext(_Recording, ktest.TestingExecutionContext):
    def __init__(
        self, credentials: dict[str, str] | None = None, cancel_after: int | None = None
    ) -> None:
        """``cancel_after``: report "cancelled" from the n-th ``is_canceled()`` call on."""
        super().__init__()
        self._setup(credentials, cancel_after)

    def set_progress(self, progress: float, message: str | None = None) -> None:
        self.progress.append((progress, message))

    def is_canceled(self) -> bool:
        self._cancel_checks += 1
        return self._cancel_after is not None and self._cancel_checks > self._cancel_after
