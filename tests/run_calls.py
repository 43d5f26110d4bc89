"""Create Run through the engine's one entry point, as many tests call it.

Create Run is an operation like the others: its settings are the engine's ``CallSettings``
(the ``thread_id`` path value, the ``include`` query, the body) and it runs through
``execute_operation`` with a client made once from the configuration and the key. These
helpers only spell that out, so a test names the run it makes in one line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from openai_assistants import operations
from openai_assistants.client.client import ApiClient
from openai_assistants.client.connection import ConnectionConfig
from openai_assistants.engine.execute import (
    CallInput,
    CallSettings,
    OperationOptions,
    OperationOutcome,
    PreparedCall,
    execute_operation,
    prepare_call,
)
from openai_assistants.operations.runs import CREATE_RUN_DEFAULT_BODY

CREATE_RUN = operations.by_id("createRun")


def run_settings(
    thread_id: str = "",
    include: Sequence[str] = (),
    body: str = CREATE_RUN_DEFAULT_BODY,
    allow_unknown_fields: bool = False,
) -> CallSettings:
    """Create Run's dialog as the engine's settings."""
    return CallSettings(
        path_values={"thread_id": thread_id},
        query_values={"include": tuple(include)},
        body=body,
        allow_unknown_fields=allow_unknown_fields,
    )


def prepare_run(settings: CallSettings, config: ConnectionConfig) -> PreparedCall:
    """Create Run's request for these settings, validated, nothing sent."""
    return prepare_call(CREATE_RUN, settings, config)


def create_many_runs(
    inputs: Sequence[CallInput],
    config: ConnectionConfig,
    *,
    options: OperationOptions | None = None,
    credential_password: Callable[[str], str | None] | None = None,
    environ: Mapping[str, str] | None = None,
    client: Any = None,
    is_canceled: Callable[[], bool] | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> OperationOutcome:
    """One run per input: a client made once (``client`` is an injected httpx client), then
    the engine's ``execute_operation``."""
    api = ApiClient.connect(
        config, credential_password, environ, http=client, is_canceled=is_canceled
    )
    return execute_operation(CREATE_RUN, inputs, api, options=options, progress=progress)


def create_one_run(
    settings: CallSettings,
    config: ConnectionConfig,
    *,
    options: OperationOptions | None = None,
    on_error: Any = None,
    result_format: Any = None,
    **kwargs: Any,
) -> OperationOutcome:
    """One run (row ``Row0``), as the Create Run node without an input table makes it."""
    options = options or OperationOptions()
    if on_error is not None:
        options = replace(options, on_error=on_error)
    if result_format is not None:
        options = replace(options, result_format=result_format)
    return create_many_runs([CallInput("Row0", settings)], config, options=options, **kwargs)
