"""What an Assistants API operation is, as plain data: the engine reads it, nothing runs here.

A new operation is one :class:`Operation` value in its group's module (``assistants.py``,
``threads.py``, ...), not edits across the transport, the result shaping and the nodes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from functools import cached_property
from typing import Any

INCLUDE_FILE_SEARCH_CONTENT = "step_details.tool_calls[*].file_search.results[*].content"
LIST_LIMIT_MIN = 1
LIST_LIMIT_MAX = 100  # the reference's documented range of ``limit`` for every list


class ResultKind(str, Enum):
    """The object an operation answers with (or lists, see :attr:`Operation.returns_list`)."""

    ASSISTANT = "assistant"
    THREAD = "thread"
    MESSAGE = "message"
    RUN = "run"
    RUN_STEP = "run_step"
    DELETION = "deletion"
    FILE = "file"
    FILE_CONTENT = "file_content"  # a file's bytes, not JSON
    VECTOR_STORE = "vector_store"
    VECTOR_STORE_FILE = "vector_store_file"
    VECTOR_STORE_FILE_BATCH = "vector_store_file_batch"
    VECTOR_STORE_FILE_CONTENT = "vector_store_file_content"  # its pages' data: text parts
    SEARCH_RESULT = "search_result"


class QueryKind(str, Enum):
    """How a query value is written: one ``name=value`` pair, or one pair per list item."""

    INTEGER = "integer"
    STRING = "string"
    REPEATED = "repeated"  # ``include[]=a&include[]=b``


@dataclass(frozen=True)
class QueryParameter:
    """A query parameter; ``setting``: its settings key (``include`` for ``include[]``)."""

    name: str
    setting: str
    kind: QueryKind
    allowed: tuple[str, ...] = ()  # empty: any value
    default: int | str | None = None  # the API's default when the parameter is not sent
    minimum: int | None = None
    maximum: int | None = None
    description: str = ""  # the reference's wording; values as code (KNIME's Markdown)


@dataclass(frozen=True)
class Operation:
    """One Assistants API v2 operation.

    ``path`` is the reference's template (``/threads/{thread_id}/runs``); each ``{name}`` is
    one percent-encoded path segment. ``body_schema`` names the packaged request schema
    (``schemas/<name>.json``) or is ``None`` for operations without a body, which send none.
    ``may_create`` says a POST can leave something behind (a run, a message), so the error of
    an ambiguous send names what to check; no POST is re-sent once it may have been processed,
    while GET and DELETE are idempotent and retried.
    """

    operation_id: str
    node_name: str
    group: str
    method: str
    path: str
    query_parameters: tuple[QueryParameter, ...]
    body_schema: str | None
    result_kind: ResultKind
    returns_list: bool = False
    may_create: bool = False
    can_stream: bool = False
    subject: str = ""  # what a POST acts on, e.g. "a run on thread '{thread_id}'"
    summary: str = ""  # the reference's summary, for node descriptions and --help
    # Files and vector stores (see files.py, vector_stores.py):
    beta_header: bool = True  # the SDK sends ``OpenAI-Beta`` (not for /files)
    answer_object: str = ""  # the ``object`` of a success answer when not the kind's usual
    list_object: str = "list"  # the ``object`` of a list answer's pages
    upload_field: str = ""  # multipart: the body field holding the local path to stream
    raw_answer: bool = False  # the answer is the bytes of a file, not JSON
    accept: str = ""  # an Accept header of its own (Get File Content: application/binary)
    # settings keys of body fields that also have a dialog setting and a column of their own
    # (Upload File's ``file`` and ``purpose``, Search's ``query``)
    field_settings: tuple[str, ...] = ()
    # a body list filled from a column, one item per row, the rows of one request's path
    # values grouped into one request: (list field, the column's setting), e.g. a file batch's
    # ``("file_ids", "file_id")``
    row_list: tuple[str, str] | tuple[()] = ()
    # waiting until processing ends: the operation that reads the created object again,
    # and the path parameter its ``id`` fills (``getVectorStore``, ``vector_store_id``)
    poll_operation: str = ""
    poll_id: str = ""

    @cached_property  # read for every row of a table
    def path_parameters(self) -> tuple[str, ...]:
        """The API names of the path parameters, in path order."""
        return tuple(re.findall(r"\{(\w+)\}", self.path))

    @property
    def cli_name(self) -> str:
        """The subcommand: the node name in kebab case (``create-thread-and-run``)."""
        return "-".join(self.node_name.lower().split())

    @property
    def idempotent(self) -> bool:
        """GET and DELETE may be re-sent after a failure; a POST may not (no duplicates)."""
        return self.method in ("GET", "DELETE")

    @property
    def has_body(self) -> bool:
        return self.body_schema is not None

    @property
    def column_settings(self) -> tuple[str, ...]:
        """The settings besides path IDs and body that may come from a column (``file``,
        ``purpose``, ``query``, ``file_id``): each has a ``<name>_column``."""
        return (*self.field_settings, *self.row_list[1:])

    @property
    def pages(self) -> bool:
        """A list that can be followed page by page (``after`` cursors); a search answers
        one page of results only."""
        return self.returns_list and any(q.setting == "after" for q in self.query_parameters)

    @property
    def settings_keys(self) -> tuple[str, ...]:
        """The KNIME settings keys of the request: path parameters, query, ``body``."""
        keys = [*self.path_parameters, *(q.setting for q in self.query_parameters)]
        return (*keys, "body") if self.has_body else tuple(keys)

    def query_parameter(self, setting: str) -> QueryParameter | None:
        return next((q for q in self.query_parameters if q.setting == setting), None)

    def describe_subject(self, path_values: dict[str, Any]) -> str:
        """The subject with the IDs filled in, for messages about this request."""
        return self.subject.format(**{k: path_values.get(k, "") for k in self.path_parameters})


INCLUDE = QueryParameter(
    "include[]",
    "include",
    QueryKind.REPEATED,
    allowed=(INCLUDE_FILE_SEARCH_CONTENT,),
    description="Additional fields to include in the response, sent as `include[]`. The only "
    f"supported value is `{INCLUDE_FILE_SEARCH_CONTENT}`: the content of file search results.",
)
PAGINATION = (
    QueryParameter(
        "limit",
        "limit",
        QueryKind.INTEGER,
        default=20,
        minimum=LIST_LIMIT_MIN,
        maximum=LIST_LIMIT_MAX,
        description="How many objects one request returns, 1 to 100 (the API's default: 20).",
    ),
    QueryParameter(
        "order",
        "order",
        QueryKind.STRING,
        allowed=("asc", "desc"),
        default="desc",
        description="Sort order by `created_at`: `asc` ascending, `desc` descending.",
    ),
    QueryParameter(
        "after",
        "after",
        QueryKind.STRING,
        description="A cursor: the ID of the object after which the list starts.",
    ),
    QueryParameter(
        "before",
        "before",
        QueryKind.STRING,
        description="A cursor: the ID of the object before which the list ends.",
    ),
)
