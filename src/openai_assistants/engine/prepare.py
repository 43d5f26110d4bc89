"""Every row validated before anything is sent: one row's settings -> its request.

The same settings give the same request, so a node executed again is not validated again
(valid requests are remembered by everything they depend on, each value with its type; rows
of a table that share a body share its check, see ``request_builder``). A row's own problem
becomes its row when errors are output; a problem of every row (the configuration) raises.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..client.connection import ConnectionConfig, config_key
from ..client.exchange import ApiRequest
from ..errors import InvalidBodyError, InvalidSettingsError, MissingApiKeyError
from ..memo import Memo, typed
from ..operations.model import Operation
from ..tables.results import ResultFormat, RowResult
from .configure import checked_object
from .inputs import CallInput, CallSettings
from .options import ErrorHandling, OperationOptions


@dataclass(frozen=True)
class PreparedCall:
    """One row's validated request, what it acts on, and the warnings the user should see."""

    row_id: str
    request: ApiRequest
    path_values: dict[str, str]
    query_values: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


def prepare_call(
    operation: Operation, settings: CallSettings, config: ConnectionConfig, row_id: str = "Row0"
) -> PreparedCall:
    """Validate one call's settings with the configuration and build its request (no I/O);
    raise :class:`InvalidSettingsError` naming the setting when anything is wrong."""
    return _prepare(operation, CallInput(row_id, settings), config)


def _row_settings(operation: Operation) -> tuple[str, ...]:
    """The settings a row's own values can get wrong (the rest concern every row)."""
    return (
        *operation.path_parameters,
        *(q.setting for q in operation.query_parameters),
        *operation.column_settings,  # Upload File's file, Search's query: one row's own
        "body",
    )


def prepare_rows(
    operation: Operation,
    inputs: Sequence[CallInput],
    config: ConnectionConfig,
    options: OperationOptions,
) -> tuple[dict[int, RowResult], dict[int, PreparedCall], list[str]]:
    """Validate every row before anything is sent.

    Returns the rows that already failed (only when errors are output), the requests to
    send, and the warnings so far. A problem with the configuration concerns every row and
    always raises; so does a row's problem when errors fail the node. Only Raw shows a
    stream's text; the other formats show its events, so the text is not kept.
    """
    on_error = options.on_error
    drop_stream_text = options.result_format is not ResultFormat.RAW
    total = len(inputs)
    row_settings = _row_settings(operation)
    failed: dict[int, RowResult] = {}
    ready: dict[int, PreparedCall] = {}
    warnings: list[str] = []
    for i, item in enumerate(inputs):
        if item.problem:  # the row's table cells cannot make a request (a missing body)
            named = f"{item.row_id}: {item.problem}"  # named even in a table of one row
            if on_error is ErrorHandling.FAIL:
                raise InvalidSettingsError(named, setting="body_column")
            failed[i] = RowResult(item.row_id, None, item.problem)
            warnings.append(named)
            continue
        try:
            prepared = _prepare(operation, item, config)
        except InvalidSettingsError as exc:
            if on_error is ErrorHandling.FAIL or exc.setting not in row_settings:
                raise _in_row(exc, item.row_id, total, row_settings) from None
            failed[i] = RowResult(item.row_id, None, str(exc))
            warnings.append(prefixed(item.row_id, total, str(exc)))
            continue
        if drop_stream_text and prepared.request.stream:
            prepared = replace(prepared, request=replace(prepared.request, keep_stream_text=False))
        ready[i] = prepared
        warnings += [prefixed(item.row_id, total, w) for w in prepared.warnings]
    return failed, ready, warnings


def _prepare(operation: Operation, item: CallInput, config: ConnectionConfig) -> PreparedCall:
    """One row's request, built as every operation's is (``request_builder``, the SDK's
    request). The same settings give the same request, so a node executed again is not
    validated again (rows of a table that share a body share its check, see
    ``request_builder``)."""
    settings = item.settings
    query = dict(settings.query_values)
    key = (  # values with their types (True == 1); dicts in another order only miss it
        operation,
        typed(settings.path_values),
        typed(query),
        typed(settings.body),
        typed(settings.allow_unknown_fields),
        config_key(config),
    )
    known = None if operation.upload_field else _BUILT.get(key)
    if known is None:  # an upload is built anew: its file's size may have changed
        known = _build(operation, settings, query, config)
        if not operation.upload_field:
            _BUILT.put(key, known, size=len(known[0].body))
    request, path_values, warnings = known
    return PreparedCall(item.row_id, request, dict(path_values), query, list(warnings))


# built requests of valid settings, by everything they depend on (invalid ones are reported
# every time); large bodies are not kept
_BUILT: Memo[tuple[ApiRequest, dict[str, str], list[str]]] = Memo(
    "built requests", 512, max_size=64 * 1024
)


def _build(
    operation: Operation, settings: CallSettings, query: dict[str, Any], config: ConnectionConfig
) -> tuple[ApiRequest, dict[str, str], list[str]]:
    from .request_builder import build_request

    body = settings.body
    if body is None and operation.operation_id == "createRun":
        body = "{}"  # Create Run always sends a body: the schema then names what is missing
    built = build_request(
        operation,
        settings.path_values,
        query,
        body,
        config,
        allow_unknown_fields=settings.allow_unknown_fields,
        expect_object=checked_object(operation),
    )
    return built.request, built.path_values, built.warnings


def prefixed(row_id: str, total: int, message: str) -> str:
    return message if total == 1 else f"{row_id}: {message}"


def _in_row(
    error: InvalidSettingsError, row_id: str, total: int, row_settings: Collection[str]
) -> InvalidSettingsError:
    """With several rows, say which row's values are wrong (keeping the error's kind)."""
    if total == 1 or error.setting not in row_settings or isinstance(error, MissingApiKeyError):
        return error
    if isinstance(error, InvalidBodyError):
        return InvalidBodyError(error.violations, prefix=f"{row_id}: ")
    return InvalidSettingsError(f"{row_id}: {error}", setting=error.setting)
