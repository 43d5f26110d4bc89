"""The Create Run node: ``POST /threads/{thread_id}/runs`` from a KNIME workflow."""

from __future__ import annotations

import knime.extension as knext

from openai_assistants.create_run import (
    DEFAULT_BODY,
    INCLUDE_FILE_SEARCH_CONTENT,
    CreateRunSettings,
    prepare_create_run,
)
from openai_assistants.results import ResultFormat, result_columns

from .category import openai_assistants_category
from .configuration_port import (
    OpenAIConfigurationPortObject,
    OpenAIConfigurationSpec,
    openai_configuration_port_type,
)
from .errors import report_warnings, settings_errors_as_invalid_parameters
from .table_schema import knime_schema


class IncludeOptions(knext.EnumParameterOptions):
    FILE_SEARCH_RESULT_CONTENT = (
        INCLUDE_FILE_SEARCH_CONTENT,
        "Fetch the content of file search results "
        "(include[]=step_details.tool_calls[*].file_search.results[*].content).",
    )


_INCLUDE_VALUES = {"FILE_SEARCH_RESULT_CONTENT": INCLUDE_FILE_SEARCH_CONTENT}


class ResultFormatOptions(knext.EnumParameterOptions):
    RAW = (
        "Raw Response",
        "One row with the columns body (the response body exactly as received) and status "
        "(the HTTP status code).",
    )


_RESULT_FORMATS = {"RAW": ResultFormat.RAW}


class ErrorHandlingOptions(knext.EnumParameterOptions):
    FAIL = ("Fail the node", "An error response (HTTP 4xx/5xx) fails the node with its message.")
    OUTPUT = (
        "Output error responses",
        "An error response becomes the output row (body and status) and the node shows a "
        "warning instead of failing.",
    )


@knext.node(
    name="Create Run",
    node_type=knext.NodeType.MANIPULATOR,
    icon_path="icons/create-run.png",
    category=openai_assistants_category,
    keywords=["OpenAI", "Assistants", "run", "thread", "REST"],
)
@knext.input_port(
    "Configuration data",
    "The OpenAI configuration (from the OpenAI Configuration node or a previous API node).",
    openai_configuration_port_type,
)
@knext.output_table(
    "Result",
    "Result of the request depending on the selected Result Format.",
)
@knext.output_port(
    "Configuration data",
    "Configuration data (this is the same as the input port; it is provided as passthrough "
    "for sequentially chaining nodes to declutter your workflow connections).",
    openai_configuration_port_type,
)
class CreateRunNode:
    """Create a run.

    Starts a run of an assistant on a thread: `POST /threads/{thread_id}/runs` of the OpenAI
    Assistants API (v2). Every call sends the beta HTTP header `OpenAI-Beta: assistants=v2`,
    which the Assistants API requires (set in the OpenAI Configuration node).

    **Thread ID**: the thread to run. A `thread_id` in the body is used when this is empty.

    **Include[]**: additional fields to include in the response. Currently the only supported
    value is `step_details.tool_calls[*].file_search.results[*].content`, to fetch the file
    search result content.

    **Body**: the request body, a JSON object that must comply with the Create Run schema:
    `assistant_id` (required), `model`, `instructions`, `additional_instructions`,
    `additional_messages`, `tools`, `metadata`, `temperature`, `top_p`, `stream`,
    `max_prompt_tokens`, `max_completion_tokens`, `truncation_strategy`, `tool_choice`,
    `parallel_tool_calls` and `response_format`. The body is checked before anything is
    sent; every problem is listed with its JSON path, e.g.
    `temperature: 5 is greater than the maximum of 2`. With `"stream": true` the response is
    an event stream, output as received up to `data: [DONE]`.

    **Result Format** *Raw Response*: one row with the columns `body` (the response body)
    and `status` (the HTTP status code).
    """

    thread_id = knext.StringParameter(
        "Thread ID", "The ID of the thread to run, e.g. thread_abc123.", ""
    )
    include = knext.EnumSetParameter(
        "Include[]",
        "A list of additional fields to include in the response. Currently the only "
        "supported value is step_details.tool_calls[*].file_search.results[*].content to "
        "fetch the file search result content.",
        [],
        IncludeOptions,
    )
    body = knext.MultilineStringParameter(
        "Body",
        "Request body: a JSON object that must comply with the Create Run JSON Schema "
        "(assistant_id is required).",
        DEFAULT_BODY,
        number_of_lines=12,
    )
    result_format = knext.EnumParameter(
        "Result Format",
        "How the response is mapped to the output table.",
        ResultFormatOptions.RAW.name,
        ResultFormatOptions,
    )
    error_handling = knext.EnumParameter(
        "If the API answers with an error",
        "Fail the node (default), or output the error response as the result row.",
        ErrorHandlingOptions.FAIL.name,
        ErrorHandlingOptions,
    )
    allow_unknown_fields = knext.BoolParameter(
        "Allow unknown fields",
        "Send body fields that the schema does not define (e.g. fields newer than this "
        "node) as written, with a warning, instead of failing.",
        False,
        is_advanced=True,
    )

    def settings(self) -> CreateRunSettings:
        """The dialog as the core's plain settings."""
        return CreateRunSettings(
            thread_id=self.thread_id,
            include=tuple(_INCLUDE_VALUES[name] for name in self.include),
            body=self.body,
            allow_unknown_fields=bool(self.allow_unknown_fields),
        )

    def configure(
        self, config_context: knext.ConfigurationContext, spec: OpenAIConfigurationSpec
    ) -> tuple[knext.Schema, OpenAIConfigurationSpec]:
        with settings_errors_as_invalid_parameters():
            prepared = prepare_create_run(self.settings(), spec.connection)
        report_warnings(config_context.set_warning, prepared.warnings)
        return knime_schema(result_columns(_RESULT_FORMATS[self.result_format])), spec

    def execute(
        self, exec_context: knext.ExecutionContext, configuration: OpenAIConfigurationPortObject
    ) -> tuple[knext.Table, OpenAIConfigurationPortObject]:
        from openai_assistants.execution import ErrorHandling, execute_create_run

        exec_context.set_progress(0.1, "Sending the request")
        outcome = execute_create_run(
            self.settings(),
            configuration.spec.connection,
            credential_password=lambda name: exec_context.get_credentials(name).password,
            on_error=ErrorHandling[self.error_handling],
            result_format=_RESULT_FORMATS[self.result_format],
            is_canceled=exec_context.is_canceled,
        )
        report_warnings(exec_context.set_warning, outcome.warnings)
        exec_context.set_progress(1.0, f"HTTP {outcome.response.status}")
        return knext.Table.from_pandas(outcome.table), configuration
