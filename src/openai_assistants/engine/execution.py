"""Create Run's entry points, now thin wrappers over the one engine (:mod:`.engine`).

``execute_create_runs`` / ``execute_create_run`` keep the interface the Create Run node, the
command line and many tests have always used; each call goes through
:func:`engine.execute_operation` with the ``createRun`` operation, so there is one send,
batch and wait path for every operation. What both modules share (error handling, the
concurrency and wait limits) lives here, the lower layer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import Enum
from typing import TYPE_CHECKING

from ..errors import InvalidSettingsError
from ..tables.results import ResultFormat
from .run_polling import WaitOptions

if TYPE_CHECKING:  # loaded when a run is executed, not when a node module is imported
    from ..client.connection import ConnectionConfig
    from .create_run import CreateRunSettings
    from .execute import OperationOutcome

MAX_CONCURRENCY = 32
Progress = Callable[[float, str], None]


class ErrorHandling(str, Enum):
    """What an error answer does: fail the node, or become an output row plus a warning."""

    FAIL = "fail"
    OUTPUT = "output"


@dataclass(frozen=True)
class ExecutionOptions:
    on_error: ErrorHandling = ErrorHandling.FAIL
    result_format: ResultFormat = ResultFormat.RAW
    include_headers: bool = False
    wait: WaitOptions | None = None  # None: output the answer to the create call
    concurrency: int = 4


@dataclass(frozen=True)
class RunInput:
    """One run to create: the row it came from and its settings."""

    row_id: str
    settings: CreateRunSettings


def __getattr__(name: str) -> object:
    """``CreateRunOutcome`` is the engine's ``OperationOutcome`` (same fields, ``response``)."""
    if name == "CreateRunOutcome":
        from .execute import OperationOutcome

        return OperationOutcome
    raise AttributeError(name)


def execute_create_run(
    settings: CreateRunSettings,
    config: ConnectionConfig,
    *,
    options: ExecutionOptions | None = None,
    on_error: ErrorHandling | None = None,
    result_format: ResultFormat | None = None,
    credential_password: Callable[[str], str | None] | None = None,
    environ: Mapping[str, str] | None = None,
    client: object | None = None,
    is_canceled: Callable[[], bool] | None = None,
    progress: Progress | None = None,
) -> OperationOutcome:
    """Create one run (the dialog's settings); see :func:`execute_create_runs`."""
    options = options or ExecutionOptions()
    if on_error is not None:
        options = replace(options, on_error=on_error)
    if result_format is not None:
        options = replace(options, result_format=result_format)
    return execute_create_runs(
        [RunInput("Row0", settings)],
        config,
        options=options,
        credential_password=credential_password,
        environ=environ,
        client=client,
        is_canceled=is_canceled,
        progress=progress,
    )


def execute_create_runs(
    inputs: Sequence[RunInput],
    config: ConnectionConfig,
    *,
    options: ExecutionOptions | None = None,
    credential_password: Callable[[str], str | None] | None = None,
    environ: Mapping[str, str] | None = None,
    client: object | None = None,
    is_canceled: Callable[[], bool] | None = None,
    progress: Progress | None = None,
) -> OperationOutcome:
    """Create one run per input and return the result table, rows in input order.

    The engine's ``createRun`` with these settings: ``credential_password`` looks up a KNIME
    credentials name; ``environ`` replaces ``os.environ`` for the key variable (tests, CLI).
    ``is_canceled`` and ``progress`` are only called from the calling thread. With
    ``ErrorHandling.FAIL`` the first failure raises; with ``OUTPUT`` it becomes its row.
    """
    from .. import operations
    from ..client.client import ApiClient
    from . import execute as engine

    options = options or ExecutionOptions()
    calls = [
        engine.CallInput(
            item.row_id,
            engine.CallSettings(
                path_values={"thread_id": item.settings.thread_id},
                query_values={"include": tuple(item.settings.include)},
                body=item.settings.body,
                allow_unknown_fields=item.settings.allow_unknown_fields,
            ),
        )
        for item in inputs
    ]
    api = ApiClient.connect(
        config, credential_password, environ, http=client, is_canceled=is_canceled
    )
    return engine.execute_operation(
        operations.by_id("createRun"),
        calls,
        api,
        options=engine.OperationOptions(
            on_error=options.on_error,
            result_format=options.result_format,
            include_headers=options.include_headers,
            wait=options.wait,
            concurrency=options.concurrency,
        ),
        progress=progress,
    )


MAX_WAIT_SECONDS = 7 * 86_400.0


def check_wait(wait: WaitOptions | None) -> None:
    """Poll interval and maximum wait: finite, above 0, at most a week (else a typo)."""
    if wait is None:
        return
    for name, label, seconds in (
        ("poll_interval", "Poll interval", wait.poll_interval),
        ("max_wait", "Maximum wait", wait.max_wait),
    ):
        number = isinstance(seconds, (int, float)) and not isinstance(seconds, bool)
        if not (number and math.isfinite(seconds) and 0 < seconds <= MAX_WAIT_SECONDS):
            raise InvalidSettingsError(
                f"{label}: {seconds!r} s is not usable; enter a number of seconds greater than "
                f"0 and at most {MAX_WAIT_SECONDS:g}.",
                setting=name,
            )


_check_wait = check_wait  # the name older callers used
