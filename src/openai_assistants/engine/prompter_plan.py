"""The Assistant Prompter's plan: settings, rows, which rows share a thread, and the bodies.

Plain data and pure functions (no I/O, no KNIME), shared by the node and ``prompt``
subcommand. A table of prompts becomes *lanes*: the rows that must run one after another
because they share a thread (a group's conversation, or the rows naming the same existing
thread). Lanes run concurrently, rows within a lane in table order, so two runs never meet
on one thread (the API refuses a run on a thread that has an active run).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from ..errors import InvalidSettingsError
from ..operations.choices import PROMPTER_MIN_MAX_WAIT as MIN_MAX_WAIT
from ..operations.choices import PROMPTER_MIN_POLL_INTERVAL as MIN_POLL_INTERVAL
from ..operations.choices import PROMPTER_RESPONSE_COLUMN as DEFAULT_RESPONSE_COLUMN
from .options import MAX_CONCURRENCY, ErrorHandling

# the columns appended after the input's, in order, with their kinds (besides the response)
FIXED_COLUMNS: tuple[tuple[str, str], ...] = (
    ("thread_id", "string"),
    ("run_id", "string"),
    ("status", "string"),
    ("prompt_tokens", "int64"),
    ("completion_tokens", "int64"),
    ("total_tokens", "int64"),
    ("citations", "string"),  # JSON text: [{"file_id", "filename", "quote"}, ...]
    ("required_action", "string"),  # JSON text: the run's required_action object
    ("error", "string"),
)


class ThreadMode(str, Enum):
    """Which thread a row's question is asked on."""

    NEW_PER_ROW = "new_per_row"  # a new thread for every row
    PER_GROUP = "per_group"  # one new thread per value of the group column, a conversation
    FROM_COLUMN = "from_column"  # the existing thread named in the thread ID column


@dataclass(frozen=True)
class PrompterSettings:
    """The dialog's (or the command line's) settings as plain data."""

    assistant_id: str = ""
    instructions: str = ""  # sent as the run's additional_instructions
    thread_mode: ThreadMode = ThreadMode.NEW_PER_ROW
    vector_store_id: str = ""  # new threads: tool_resources.file_search.vector_store_ids
    response_column: str = DEFAULT_RESPONSE_COLUMN
    concurrency: int = 4
    on_error: ErrorHandling = ErrorHandling.FAIL
    poll_interval: float = 1.0  # the longest pause between two polls (when a stream breaks)
    max_wait: float = 600.0  # per run; then the run is cancelled on the server


@dataclass(frozen=True)
class PromptRow:
    """One input row: its RowID, its prompt and, as the settings ask, its own values.

    ``prompt``: None for a missing cell (no request), text, or a parsed JSON value (a
    content array or a message object). ``group``: the PER_GROUP key (None: missing cell,
    itself a group as in KNIME's GroupBy). ``thread_id``: FROM_COLUMN's thread.
    ``prompt_is_json``: a text prompt is JSON text (a JSON column's cell), read when the
    row's request is checked, so a cell that does not parse is that row's error.
    """

    row_id: str
    prompt: str | list | dict | None
    assistant_id: str | None = None
    group: str | None = None
    thread_id: str | None = None
    prompt_is_json: bool = False


def check_settings(
    settings: PrompterSettings,
    *,
    assistant_from_column: bool = False,
) -> list[str]:
    """configure(): the settings' own problems (raises naming the setting); warnings."""
    warnings: list[str] = []
    if not settings.assistant_id.strip() and not assistant_from_column:
        raise InvalidSettingsError(
            "Set the Assistant ID (e.g. asst_abc123) or choose an assistant ID column.",
            setting="assistant_id",
        )
    concurrency = settings.concurrency
    if isinstance(concurrency, bool) or not isinstance(concurrency, int):
        concurrency = -1
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise InvalidSettingsError(
            f"Concurrency must be between 1 and {MAX_CONCURRENCY}, not {settings.concurrency}.",
            setting="concurrency",
        )
    if not settings.poll_interval >= MIN_POLL_INTERVAL:  # NaN fails too
        raise InvalidSettingsError(
            f"The poll interval must be at least {MIN_POLL_INTERVAL:g} s, not "
            f"{settings.poll_interval:g}.",
            setting="poll_interval",
        )
    if not settings.max_wait >= MIN_MAX_WAIT:
        raise InvalidSettingsError(
            f"The maximum wait must be at least {MIN_MAX_WAIT:g} s, not {settings.max_wait:g}.",
            setting="max_wait",
        )
    if not settings.response_column.strip():
        raise InvalidSettingsError(
            "The response column needs a name (e.g. Response).", setting="response_column"
        )
    if settings.vector_store_id.strip() and settings.thread_mode is ThreadMode.FROM_COLUMN:
        warnings.append(
            "The vector store ID applies to new threads only; with threads from a column it "
            "is not sent (the threads keep their own tool resources)."
        )
    return warnings


def output_columns(
    settings: PrompterSettings, input_columns: Sequence[str] = ()
) -> tuple[tuple[str, str], ...]:
    """The appended (name, kind) columns, in order. A name an input column already has gets
    KNIME's suffix `` (#1)``, `` (#2)``…, so no input column is ever replaced."""
    taken = set(input_columns)
    columns = []
    for name, kind in (
        (settings.response_column.strip() or DEFAULT_RESPONSE_COLUMN, "string"),
        *FIXED_COLUMNS,
    ):
        unique, n = name, 0
        while unique in taken:
            n += 1
            unique = f"{name} (#{n})"
        taken.add(unique)
        columns.append((unique, kind))
    return tuple(columns)


def plan_lanes(rows: Sequence[PromptRow], mode: ThreadMode) -> list[list[int]]:
    """Row indices grouped into lanes (each lane one thread, rows in table order); lanes
    ordered by their first row. Rows without a prompt send nothing and are in no lane."""
    if mode is ThreadMode.NEW_PER_ROW:
        return [[i] for i, row in enumerate(rows) if row.prompt is not None]
    lanes: dict[Any, list[int]] = {}
    for i, row in enumerate(rows):
        if row.prompt is None:
            continue
        if mode is ThreadMode.PER_GROUP:
            key: Any = ("group", row.group)
        else:
            thread = (row.thread_id or "").strip()
            key = ("thread", thread) if thread else ("row", i)  # a missing ID fails alone
        lanes.setdefault(key, []).append(i)
    return list(lanes.values())


def row_message(row: PromptRow) -> dict[str, Any]:
    """The message a row sends (its prompt read as JSON first where it is JSON text)."""
    prompt = row.prompt
    if row.prompt_is_json and isinstance(prompt, str):
        prompt = parse_json_prompt(prompt)
    if prompt is None:
        raise InvalidSettingsError("The prompt cell is missing.", setting="prompt_column")
    return user_message(prompt)


def user_message(prompt: str | list | dict) -> dict[str, Any]:
    """The message a prompt cell sends: text as the user's text, a content array as the
    user's content, a message object as it is (validated with the run's body)."""
    if isinstance(prompt, str):
        if not prompt.strip():
            raise InvalidSettingsError(
                "The prompt is empty; a missing cell sends nothing, an empty one is refused.",
                setting="prompt_column",
            )
        return {"role": "user", "content": prompt}
    if isinstance(prompt, list):
        return {"role": "user", "content": prompt}
    if isinstance(prompt, dict):
        if "role" in prompt or "content" in prompt:
            return dict(prompt)
        if "type" in prompt:  # one content part
            return {"role": "user", "content": [prompt]}
    raise InvalidSettingsError(
        'A JSON prompt must be text, a message content array ([{"type": "text", ...}]) or '
        f'a message object ({{"role": "user", "content": ...}}), not {_kind(prompt)}.',
        setting="prompt_column",
    )


def parse_json_prompt(text: str) -> str | list | dict:
    """A JSON cell's text as the value it holds (a JSON string is its text)."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise InvalidSettingsError(
            f"The prompt cell is not valid JSON ({exc}).", setting="prompt_column"
        ) from None
    if isinstance(value, (str, list, dict)):
        return value
    raise InvalidSettingsError(
        "A JSON prompt must be text, a message content array or a message object, not "
        f"{_kind(value)}.",
        setting="prompt_column",
    )


def run_body(settings: PrompterSettings, row: PromptRow, message: dict[str, Any]) -> dict[str, Any]:
    """The Create Run body: the assistant, the question as an additional message, the extra
    instructions, and ``"stream": true`` so the answer arrives the moment the run ends."""
    assistant = (row.assistant_id or "").strip() or settings.assistant_id.strip()
    body: dict[str, Any] = {"assistant_id": assistant, "additional_messages": [message]}
    if settings.instructions.strip():
        body["additional_instructions"] = settings.instructions
    body["stream"] = True
    return body


def thread_body(settings: PrompterSettings) -> dict[str, Any]:
    """The Create Thread body of a new thread: its vector store, if one is set."""
    store = settings.vector_store_id.strip()
    if not store:
        return {}
    return {"tool_resources": {"file_search": {"vector_store_ids": [store]}}}


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return type(value).__name__
