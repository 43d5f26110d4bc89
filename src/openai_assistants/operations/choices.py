"""What a caller may choose for an operation, known from the operation's data alone.

Describing a node (KNIME lists every node by importing the extension, before anything runs)
needs the result formats an operation offers, whether it can wait for a run, the labels of its
query parameters, the bounds of concurrency and of items fetched, and the body a dialog starts
from. None of that needs HTTP, schemas or tables, so it lives here, beside the operations, and
importing it costs no more than the operation data: the engine (``openai_assistants.engine``)
is loaded only when a node is configured or executed.

The engine reads these facts from here (one definition each), so a dialog offers exactly what
execution enforces.
"""

from __future__ import annotations

from .model import Operation
from .runs import CREATE_RUN_DEFAULT_BODY as CREATE_RUN_DEFAULT_BODY

# Names of ``openai_assistants.tables.results.ResultFormat`` members (importing that enum
# loads the event and exchange modules of the client).
RAW, STRUCTURED, EVENTS = "RAW", "STRUCTURED", "EVENTS"

# The operations that answer with a run that goes on, so "Wait until the run ends" applies.
WAITING_OPERATIONS = frozenset(
    {"createRun", "createThreadAndRun", "getRun", "submitToolOuputsToRun"}
)

MAX_CONCURRENCY = 32  # rows sent at the same time (one shared 429 back-off above that)
MAX_ITEMS_LIMIT = 100_000  # items one "all pages" list may gather

# The Assistant Prompter's dialog (engine.prompter_plan checks the same bounds)
PROMPTER_RESPONSE_COLUMN = "Response"  # the default name of the reply's column
PROMPTER_MIN_POLL_INTERVAL = 0.1  # seconds
PROMPTER_MIN_MAX_WAIT = 1.0  # seconds

# A query parameter's label in dialogs and messages, by its settings key.
QUERY_LABELS = {
    "limit": "Limit",
    "order": "Order",
    "after": "After",
    "before": "Before",
    "run_id": "Run ID",
    "include": "Include[]",
    "purpose": "Purpose",
    "filter": "Filter",
}


def path_id_label(name: str) -> str:
    """A path parameter's label as dialogs show it: ``thread_id`` -> ``Thread ID``,
    ``vector_store_id`` -> ``Vector Store ID``."""
    words = name.removesuffix("_id").replace("_", " ").title()
    return f"{words} ID" if name.endswith("_id") else words


def result_format_names(operation: Operation) -> tuple[str, ...]:
    """RAW and STRUCTURED for every operation, EVENTS too where the operation can stream."""
    if operation.can_stream:
        return (RAW, STRUCTURED, EVENTS)
    return (RAW, STRUCTURED)


def can_wait(operation: Operation) -> bool:
    """Whether 'Wait until the run ends' applies (Create Run, Create Thread and Run, Get Run,
    Submit Tool Outputs to Run), or 'Wait until processing ends' (Create Vector Store, ...
    File, ... File Batch: the operations with a ``poll_operation``)."""
    return operation.operation_id in WAITING_OPERATIONS or bool(operation.poll_operation)
