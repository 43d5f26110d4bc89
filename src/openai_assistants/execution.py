"""The one execute path of Create Run, shared by the KNIME node and the command line.

settings + configuration -> validated request -> key -> HTTP exchange -> checked answer -> table.
Nothing is sent unless every setting is valid and a key was found.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum

import pandas as pd

from .connection import ConnectionConfig, resolve_api_key
from .create_run import CreateRunSettings, prepare_create_run
from .errors import HttpStatusError, ResponseFormatError
from .exchange import ApiResponse
from .response_checks import http_error_message, success_body_problem
from .results import ResultFormat, result_table

logger = logging.getLogger("openai_assistants.execution")


class ErrorHandling(str, Enum):
    """What an error answer does: fail the node, or become an output row plus a warning."""

    FAIL = "fail"
    OUTPUT = "output"


@dataclass(frozen=True)
class CreateRunOutcome:
    table: pd.DataFrame
    response: ApiResponse
    warnings: list[str] = field(default_factory=list)


def execute_create_run(
    settings: CreateRunSettings,
    config: ConnectionConfig,
    *,
    credential_password: Callable[[str], str | None] | None = None,
    environ: Mapping[str, str] | None = None,
    on_error: ErrorHandling = ErrorHandling.FAIL,
    result_format: ResultFormat = ResultFormat.RAW,
    client: object | None = None,
    is_canceled: Callable[[], bool] | None = None,
) -> CreateRunOutcome:
    """Create one run and return the result table; raise an ``OpenAIAssistantsError`` if not.

    ``credential_password`` looks up a KNIME credentials name (the node passes the context's
    lookup); ``environ`` replaces ``os.environ`` for the key variable (tests, CLI).
    """
    from .transport import send  # httpx is imported only when something is sent

    prepared = prepare_create_run(settings, config)
    api_key = resolve_api_key(config, credential_password, environ)
    request = prepared.request
    warnings = list(prepared.warnings)
    response = send(request, config, api_key, client=client, is_canceled=is_canceled)  # type: ignore[arg-type]
    if response.attempts > 1:
        retries = response.attempts - 1
        what = "Succeeded after" if response.ok else "Gave up after"
        plural = "retry" if retries == 1 else "retries"
        warnings.append(f"{what} {retries} {plural} ({', '.join(response.retry_reasons)}).")
    if not response.ok:
        message = http_error_message(request, response)
        if on_error is ErrorHandling.FAIL:
            raise HttpStatusError(message, response)
        warnings.append(message)
    else:
        problem = success_body_problem(request, response)
        if problem:
            if on_error is ErrorHandling.FAIL:
                raise ResponseFormatError(problem)
            warnings.append(problem)
    for warning in warnings:
        logger.warning(warning)
    return CreateRunOutcome(
        table=result_table([response], result_format), response=response, warnings=warnings
    )
