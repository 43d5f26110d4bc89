"""The Assistant Prompter node: a question per row in, the same table with the answers out.

A thin shell over :mod:`openai_assistants.engine.prompter` (shared with the ``prompt``
subcommand): it reads the dialog and the table's cells, and writes the input table back as
it came (Arrow columns and RowIDs untouched) with the answer columns appended.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import knime.extension as knext

from openai_assistants.errors import InvalidSettingsError
from openai_assistants.operations.choices import (
    MAX_CONCURRENCY,
    PROMPTER_MIN_MAX_WAIT,
    PROMPTER_MIN_POLL_INTERVAL,
    PROMPTER_RESPONSE_COLUMN,
)

from ..api_node.table_input import (
    chosen,
    holds_json_text,
    is_json_column,
    is_string_column,
    require_column,
)
from ..api_node.table_output import knime_schema
from ..category import openai_assistants_category
from ..configuration.credentials import key_lookup
from ..configuration.port import (
    OpenAIConfigurationPortObject,
    OpenAIConfigurationSpec,
    openai_configuration_port_type,
)
from ..errors import in_range, settings_errors_as_invalid_parameters
from ..reporting import report_start, report_warnings

if TYPE_CHECKING:  # the engine loads when the node is configured, not when KNIME lists it
    from openai_assistants.engine.prompter_plan import PrompterSettings, PromptRow

TABLE_PORT = 1  # the data table's port (0: the configuration)


def _any_column(column: Any) -> bool:
    return True


class ThreadModeOptions(knext.EnumParameterOptions):
    NEW_PER_ROW = ("New thread per row", "Each row's question is asked on a thread of its own.")
    PER_GROUP = (
        "One thread per group",
        "One thread per value of the group column: the group's rows are asked in table order, "
        "each after the previous one's answer, so a conversation builds up.",
    )
    FROM_COLUMN = (
        "Threads from a column",
        "Continue the existing threads named in the thread ID column (rows naming the same "
        "thread are asked one after another).",
    )


class ErrorHandlingOptions(knext.EnumParameterOptions):
    FAIL = ("Fail the node", "The first row whose question fails fails the node.")
    OUTPUT = (
        "Output the error in the row",
        "A failed row keeps its input, gets a missing response and the message in the error "
        "column; one warning sums the failed rows up.",
    )


@knext.parameter_group("Assistant")
class AssistantSettings:
    """Which assistant answers, and what it is told besides its own instructions."""

    assistant_id = knext.StringParameter(
        "Assistant ID",
        "The assistant that answers, e.g. `asst_abc123`.",
        "",
    )
    assistant_id_column = knext.ColumnParameter(
        "Assistant ID column",
        "Optional: a string column whose cell names the row's assistant (a missing cell: the "
        "Assistant ID above).",
        port_index=TABLE_PORT,
        column_filter=is_string_column,
        include_none_column=True,
    )
    instructions = knext.MultilineStringParameter(
        "Additional instructions",
        "Optional: sent with every run as `additional_instructions`, appended to the "
        "assistant's own instructions for that run only.",
        "",
        number_of_lines=4,
    )


@knext.parameter_group("Prompt")
class PromptSettings:
    """Where the questions are and where the answers go."""

    prompt_column = knext.ColumnParameter(
        "Prompt column",
        "The String or JSON column holding each row's question. A text cell is the user's "
        "message; a JSON cell may be a message content array or a whole message object, sent "
        "as it is. A missing cell gives a missing response and sends nothing.",
        port_index=TABLE_PORT,
        column_filter=holds_json_text,
    )
    response_column = knext.StringParameter(
        "Response column",
        "The name of the column with the reply's text (its text parts joined by blank lines).",
        PROMPTER_RESPONSE_COLUMN,
    )


@knext.parameter_group("Threads")
class ThreadSettings:
    """On which thread each question is asked."""

    thread_mode = knext.EnumParameter(
        "Thread mode",
        "Where each row's question is asked.",
        ThreadModeOptions.NEW_PER_ROW.name,
        ThreadModeOptions,
    )
    group_column = knext.ColumnParameter(
        "Group column",
        "With one thread per group: the column whose value names the row's conversation "
        "(missing cells form a group of their own).",
        port_index=TABLE_PORT,
    ).rule(knext.OneOf(thread_mode, [ThreadModeOptions.PER_GROUP.name]), knext.Effect.SHOW)
    thread_id_column = knext.ColumnParameter(
        "Thread ID column",
        "With threads from a column: the string column holding each row's thread ID.",
        port_index=TABLE_PORT,
        column_filter=is_string_column,
    ).rule(knext.OneOf(thread_mode, [ThreadModeOptions.FROM_COLUMN.name]), knext.Effect.SHOW)
    vector_store_id = knext.StringParameter(
        "Vector store ID",
        "Optional: new threads search this vector store with file search "
        "(`tool_resources.file_search.vector_store_ids`), e.g. `vs_abc123`.",
        "",
    )


@knext.parameter_group("Error handling")
class ErrorSettings:
    """What a failed row does to the node."""

    error_handling = knext.EnumParameter(
        "If a row fails",
        "Fail the node (default), or output the error in the row's error column.",
        ErrorHandlingOptions.FAIL.name,
        ErrorHandlingOptions,
    )


@knext.parameter_group("Execution")
class ExecutionSettings:
    """How many questions are asked at once, and how long a run may take."""

    concurrency = knext.IntParameter(
        "Concurrency",
        "How many runs go on at the same time (threads and groups run concurrently, never "
        "two runs on one thread). A rate limit (429) pauses all of them.",
        4,
        min_value=1,
        max_value=MAX_CONCURRENCY,
    )
    poll_interval = knext.DoubleParameter(
        "Poll interval (seconds)",
        "A run's answer is read from its event stream the moment the run ends; only a stream "
        "that breaks off is polled, soon at first, then at most this far apart.",
        1.0,
        min_value=PROMPTER_MIN_POLL_INTERVAL,
        is_advanced=True,
    )
    max_wait = knext.DoubleParameter(
        "Maximum wait (seconds)",
        "How long one run may take; after that it is cancelled on the server and the row fails.",
        600.0,
        min_value=PROMPTER_MIN_MAX_WAIT,
        is_advanced=True,
    )
    concurrency.validator(in_range("Concurrency", 1, MAX_CONCURRENCY))
    poll_interval.validator(in_range("Poll interval (seconds)", PROMPTER_MIN_POLL_INTERVAL))
    max_wait.validator(in_range("Maximum wait (seconds)", PROMPTER_MIN_MAX_WAIT))


@knext.node(
    name="Assistant Prompter",
    node_type=knext.NodeType.PREDICTOR,
    icon_path="icons/assistant-prompter.png",
    category=openai_assistants_category,
    keywords=["OpenAI", "Assistants", "prompt", "LLM", "question", "answer", "thread", "run"],
)
@knext.input_port(
    "Configuration data",
    "The OpenAI configuration (from the OpenAI Configuration node or a previous API node).",
    openai_configuration_port_type,
)
@knext.input_table("Questions", "A table with a question per row in the prompt column.")
@knext.output_table(
    "Answers",
    "The input table (every column, in order, with its RowIDs) and the answer columns.",
)
@knext.output_port(
    "Configuration data",
    "The input configuration, passed through for chaining further nodes.",
    openai_configuration_port_type,
)
class AssistantPrompterNode:
    """Ask an assistant a question per row and get the answer in a column.

    Each row's prompt is sent to the assistant as a user message and the reply comes back
    in the **Response** column, next to the row's own columns: the input table is output
    unchanged (every column, in order, with its RowIDs), followed by `Response`,
    `thread_id`, `run_id`, `status`, `prompt_tokens`, `completion_tokens`, `total_tokens`,
    `citations`, `required_action` and `error`.

    Under the hood, a new thread is created where needed (Create Thread), then a run with the
    question (Create Run with `additional_messages`), whose event stream is read until the
    run ends; the same client as every node of the family sends each request (retries, one
    pause for all rows on a rate limit, cancel).

    **Thread mode**: a new thread per row (default); one thread per group, its rows asked in
    table order so that each sees the previous answers; or the existing threads named in a
    column. Different threads are asked at the same time (up to the concurrency), one
    thread never runs two questions at once.

    **citations** holds a JSON list of `{file_id, filename, quote}` when the reply cites
    files (file search), else a missing value. A run that ends `requires_action` (function
    tools) has a missing response and its pending tool calls in **required_action**, to
    answer with the Submit Tool Outputs to Run node.

    A missing prompt cell gives a missing response and sends nothing. Cancelling the node
    cancels the runs still going on, on the server too.
    """

    assistant = AssistantSettings()
    prompt = PromptSettings()
    threads = ThreadSettings()
    errors = ErrorSettings()
    execution = ExecutionSettings()

    # --- the dialog as the core's plain data ---------------------------------------------

    def settings(self) -> PrompterSettings:
        from openai_assistants.engine.options import ErrorHandling
        from openai_assistants.engine.prompter_plan import PrompterSettings, ThreadMode

        assistant, threads = self.assistant, self.threads
        execution = self.execution
        return PrompterSettings(
            assistant_id=str(assistant.assistant_id).strip(),
            instructions=str(assistant.instructions),
            thread_mode=ThreadMode[threads.thread_mode],
            vector_store_id=str(threads.vector_store_id).strip(),
            response_column=str(self.prompt.response_column),
            concurrency=int(execution.concurrency),
            on_error=ErrorHandling[self.errors.error_handling],
            poll_interval=float(execution.poll_interval),
            max_wait=float(execution.max_wait),
        )

    def columns(self, schema: knext.Schema, settings: PrompterSettings) -> dict[str, str]:
        """The chosen columns by role (prompt, assistant, group, thread), each checked."""
        from openai_assistants.engine.prompter_plan import ThreadMode

        found = {"prompt": chosen(self.prompt.prompt_column)}
        if not found["prompt"]:
            texts = [c.name for c in schema if holds_json_text(c)]
            if not texts:
                raise InvalidSettingsError(
                    "The input table has no String or JSON column to take the prompts from.",
                    setting="prompt_column",
                )
            found["prompt"] = texts[0]  # KNIME's habit: preselect the first fitting column
        _check_column(schema, found["prompt"], "prompt_column", holds_json_text, "String or JSON")
        assistant = chosen(self.assistant.assistant_id_column)
        if assistant:
            _check_column(schema, assistant, "assistant_id_column", is_string_column, "String")
            found["assistant"] = assistant
        if settings.thread_mode is ThreadMode.PER_GROUP:
            group = chosen(self.threads.group_column)
            if not group:
                raise InvalidSettingsError(
                    "One thread per group needs the group column.", setting="group_column"
                )
            _check_column(schema, group, "group_column", _any_column, "")
            found["group"] = group
        if settings.thread_mode is ThreadMode.FROM_COLUMN:
            thread = chosen(self.threads.thread_id_column)
            if not thread:
                raise InvalidSettingsError(
                    "Threads from a column need the thread ID column.",
                    setting="thread_id_column",
                )
            _check_column(schema, thread, "thread_id_column", is_string_column, "String")
            found["thread"] = thread
        return found

    # --- KNIME's calls ---------------------------------------------------------------------

    def configure(
        self,
        config_context: knext.ConfigurationContext,
        spec: OpenAIConfigurationSpec,
        table_schema: knext.Schema,
    ) -> tuple[knext.Schema, OpenAIConfigurationSpec]:
        from openai_assistants.engine.prompter_plan import check_settings, output_columns

        with settings_errors_as_invalid_parameters():
            settings = self.settings()
            found = self.columns(table_schema, settings)
            warnings = check_settings(settings, assistant_from_column="assistant" in found)
        report_warnings(config_context.set_warning, warnings)
        appended = knime_schema(output_columns(settings, table_schema.column_names))
        return knext.Schema.from_columns([*table_schema, *appended]), spec

    def execute(
        self,
        exec_context: knext.ExecutionContext,
        configuration: OpenAIConfigurationPortObject,
        table: knext.Table,
    ) -> tuple[knext.Table, OpenAIConfigurationPortObject]:
        from openai_assistants.client.client import ApiClient
        from openai_assistants.engine.prompter import prompt_rows
        from openai_assistants.tables.prompter_table import with_answers

        settings = self.settings()
        schema = table.schema
        found = self.columns(schema, settings)
        data = table.to_pyarrow()
        rows = _prompt_rows(data, found, is_json_column(schema[found["prompt"]]))
        report_start(exec_context.set_progress, f"Asking {len(rows)} question(s)")
        connection = configuration.spec.connection
        client = ApiClient.connect(
            connection,
            key_lookup(exec_context, connection),
            is_canceled=exec_context.is_canceled,
        )
        outcome = prompt_rows(
            rows,
            settings,
            client,
            input_columns=schema.column_names,
            assistant_from_column="assistant" in found,
            progress=exec_context.set_progress,
        )
        report_warnings(exec_context.set_warning, outcome.warnings)
        return knext.Table.from_pyarrow(with_answers(data, outcome)), configuration


def _prompt_rows(data: Any, found: dict[str, str], prompt_is_json: bool) -> list[PromptRow]:
    """The table's cells as the core's rows (JSON cells are read by the core, so one that
    does not parse is that row's error, or the node's, as the error handling says)."""
    from openai_assistants.engine.prompter_plan import PromptRow

    row_ids = [str(r) for r in data.column(0).to_pylist()]
    prompts = data.column(found["prompt"]).to_pylist()
    assistants = _texts(data, found.get("assistant"), len(row_ids))
    groups = _texts(data, found.get("group"), len(row_ids))
    threads = _texts(data, found.get("thread"), len(row_ids))
    return [
        PromptRow(row_id, prompts[n], assistants[n], groups[n], threads[n], prompt_is_json)
        for n, row_id in enumerate(row_ids)
    ]


def _texts(data: Any, column: str | None, count: int) -> list[str | None]:
    if not column:
        return [None] * count
    return [None if v is None else str(v) for v in data.column(column).to_pylist()]


def _check_column(schema: knext.Schema, name: str, setting: str, fits: Any, kind: str) -> None:
    require_column(schema, name, setting)
    if not fits(schema[name]):
        raise InvalidSettingsError(f"The column '{name}' must be a {kind} column.", setting=setting)
