"""Create Run settings -> a validated ``POST /threads/{thread_id}/runs`` request.

The plain settings of the Create Run dialog and command line, built into a request by
:func:`request_builder.build_request` from the ``createRun`` operation, as every operation's
request is. Everything is checked before anything is sent, and all problems are reported
together. The request matches what the official ``openai`` Python SDK sends for the same
inputs (``client.beta.threads.runs.create(thread_id, include=[...], **body)``): method, path,
one ``include[]`` query pair per value, JSON body and the OpenAI headers.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..client.connection import ConnectionConfig, config_key
from ..client.exchange import ApiRequest
from ..memo import Memo, typed
from ..operations import by_id
from ..operations.model import INCLUDE_FILE_SEARCH_CONTENT as INCLUDE_FILE_SEARCH_CONTENT
from .execute import check_format_fits_body as check_format_fits_body
from .request_parts import ALLOWED_INCLUDE_VALUES as ALLOWED_INCLUDE_VALUES
from .request_parts import MAX_BODY_BYTES as MAX_BODY_BYTES
from .request_parts import parse_body as parse_body
from .request_parts import validate_include as validate_include

RUN_OBJECT = "thread.run"
DEFAULT_BODY = '{\n  "assistant_id": ""\n}'


@dataclass(frozen=True)
class CreateRunSettings:
    """The Create Run dialog, as plain data (keys match the KNIME settings)."""

    thread_id: str = ""
    include: tuple[str, ...] = ()
    body: str = DEFAULT_BODY
    allow_unknown_fields: bool = False


@dataclass(frozen=True)
class PreparedRequest:
    """A request that passed validation, and the warnings the user should still see."""

    request: ApiRequest
    warnings: list[str] = field(default_factory=list)
    thread_id: str = ""


def prepare_create_run(settings: CreateRunSettings, config: ConnectionConfig) -> PreparedRequest:
    """Validate settings and configuration and build the request; raise if anything is wrong.

    The same settings and configuration give the same request, so the result is remembered:
    the same settings are validated once.
    """
    key = (typed(vars(settings)), config_key(config))
    prepared = _PREPARED.get(key)
    if prepared is None:
        prepared = _prepare(settings, config)
        _PREPARED.put(key, prepared, size=len(prepared.request.body))
    return PreparedRequest(prepared.request, list(prepared.warnings), prepared.thread_id)


# prepared requests of valid settings, each value with its type (True == 1, but only one of
# them is a valid setting); large bodies are not kept
_PREPARED: Memo[PreparedRequest] = Memo("prepared Create Run requests", 256, max_size=64 * 1024)


def _prepare(settings: CreateRunSettings, config: ConnectionConfig) -> PreparedRequest:
    from .request_builder import build_request

    built = build_request(
        by_id("createRun"),
        {"thread_id": settings.thread_id},
        {"include": settings.include},
        settings.body,
        config,
        allow_unknown_fields=settings.allow_unknown_fields,
    )
    request = replace(built.request, expect_object=RUN_OBJECT)
    return PreparedRequest(request, built.warnings, built.path_values["thread_id"])
