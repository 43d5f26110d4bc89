"""The node every Assistants API operation becomes: the factory and the base class.

Each node (``nodes/assistants.py``, ``nodes/threads.py``, ...) is a short class decorated with
:func:`operation_node`, which reads the operation's data (``openai_assistants.operations``)
and builds the node from it: dialog sections (:mod:`.sections`), description
(:mod:`.description`), ports and category (:func:`api_node`). configure() and execute()
(:class:`OperationNode`) are the same for every node: they read the dialog into plain values
and call the engine through :mod:`.engine_calls`, so a new node costs an operation entry plus
a few lines, and every node behaves alike.

Listing the nodes builds classes, dialogs and descriptions only: the engine is imported the
first time a node is configured or executed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import knime.extension as knext

from openai_assistants.operations import Operation, QueryKind, by_id
from openai_assistants.operations.choices import can_wait

from ..category import openai_assistants_category
from ..configuration.credentials import key_lookup
from ..configuration.port import (
    OpenAIConfigurationPortObject,
    OpenAIConfigurationSpec,
    openai_configuration_port_type,
)
from ..errors import settings_errors_as_invalid_parameters
from ..reporting import report_start, report_warning
from .description import description
from .options import INCLUDE_VALUES
from .sections import parameter_groups
from .table_input import column_choices, read_columns, tool_output_columns
from .table_output import knime_schema, knime_table

if TYPE_CHECKING:
    from .engine_calls import engine


def _engine_calls() -> Any:
    """The engine, loaded on first use (see :mod:`.engine_calls`)."""
    from . import engine_calls

    return engine_calls


class OperationNode:
    """configure() and execute() of every Assistants API node; see :func:`operation_node`."""

    operation: ClassVar[Operation]
    # the settings key of the optional input table's section (Create Run's is "runs_table")
    table_group: ClassVar[str] = "input_table"

    def _table_settings(self) -> Any:
        return getattr(self, self.table_group)

    def progress_message(self, count: int) -> str:
        """What the progress bar says when execution starts."""
        return f"{self.operation.node_name}: {count} request(s)"

    # --- the dialog as plain values ------------------------------------------------------

    def call_settings(self) -> engine.CallSettings:
        op = self.operation
        request = self.request
        query: dict[str, object] = {}
        for q in op.query_parameters:
            value = getattr(request, q.setting)
            if q.setting == "include":
                query["include"] = tuple(INCLUDE_VALUES[name] for name in value)
            elif q.setting == "order":
                query["order"] = str(value).lower()
            elif q.kind is QueryKind.INTEGER:
                query[q.setting] = int(value)
            else:
                query[q.setting] = str(value).strip()
        return _engine_calls().call_settings(
            op,
            path_values={name: str(getattr(request, name)).strip() for name in op.path_parameters},
            query_values=query,
            body=str(request.body) if op.has_body else None,
            allow_unknown_fields=bool(self.advanced.allow_unknown_fields) if op.has_body else False,
        )

    def call_options(self, with_table: bool = True) -> engine.OperationOptions:
        """The dialog's options. KNIME deep-copies a section on every attribute access of the
        node, so each section is read once, and the input table's only when one is connected
        (its concurrency is hidden and unused otherwise)."""
        calls = _engine_calls()
        result = self.result
        waiting = None
        if can_wait(self.operation):
            section = self.waiting
            if section.wait_for_completion:
                waiting = calls.Waiting(
                    poll_interval=float(section.poll_interval),
                    max_wait=float(section.max_wait),
                    # processing waits (a poll_operation) have no run to cancel: the
                    # processing goes on on the server
                    cancel_run_on_cancel=False
                    if self.operation.poll_operation
                    else bool(section.cancel_run_on_cancel),
                )
        extra: dict[str, Any] = {}
        if self.operation.pages:  # a list with cursors (a search answers one page)
            extra = {"all_pages": bool(result.all_pages), "max_items": int(result.max_items)}
        if with_table:
            extra["concurrency"] = int(self._table_settings().concurrency)
        return calls.call_options(
            on_error=str(self.errors.error_handling),
            result_format=str(result.result_format),
            include_headers=bool(result.include_headers),
            waiting=waiting,
            **extra,
        )

    def column_choices(self, schema: knext.Schema) -> dict[str, str]:
        """settings key (path parameter name or "body") -> the chosen input column."""
        return column_choices(self.operation, self._table_settings(), schema)

    def tool_output_columns(self, schema: knext.Schema) -> tuple[str, str] | None:
        """Submit Tool Outputs: the (tool_call_id, output) columns when the table has them."""
        return tool_output_columns(self.operation, self._table_settings(), schema)

    # --- KNIME's calls ---------------------------------------------------------------------

    def configure(
        self,
        config_context: knext.ConfigurationContext,
        spec: OpenAIConfigurationSpec,
        table_schema: knext.Schema | None = None,
    ) -> tuple[knext.Schema, OpenAIConfigurationSpec]:
        calls = _engine_calls()
        with settings_errors_as_invalid_parameters():
            options = self.call_options(with_table=table_schema is not None)
            settings = self.call_settings()
            from_columns: list[str] = []
            tool_outputs = False
            if table_schema is not None:
                from_columns = list(self.column_choices(table_schema))
                tool_outputs = self.tool_output_columns(table_schema) is not None
            warnings = calls.check(
                self.operation, settings, spec.connection, options, from_columns, tool_outputs
            )
        report_warning(config_context.set_warning, calls.warning_text(warnings))
        return knime_schema(calls.output_columns(self.operation, options)), spec

    def execute(
        self,
        exec_context: knext.ExecutionContext,
        configuration: OpenAIConfigurationPortObject,
        table: knext.Table | None = None,
    ) -> tuple[knext.Table, OpenAIConfigurationPortObject]:
        calls = _engine_calls()
        settings = self.call_settings()
        if table is None:
            inputs = calls.single_input(settings)
        else:
            inputs = self._inputs_from_table(calls, table, settings)
        report_start(exec_context.set_progress, self.progress_message(len(inputs)))
        connection = configuration.spec.connection
        outcome = calls.execute(
            self.operation,
            inputs,
            connection,
            self.call_options(with_table=table is not None),
            key_lookup(exec_context, connection),
            exec_context.is_canceled,
            exec_context.set_progress,
        )
        outcome = self.finish_outcome(outcome, inputs)
        report_warning(exec_context.set_warning, outcome.summary)
        return knime_table(outcome), configuration

    def finish_outcome(self, outcome: Any, inputs: list[engine.CallInput]) -> Any:
        """What a node does with the calls' outcome before it becomes the table (Get File
        Content writes the files' bytes to its folder); every other node: nothing."""
        return outcome

    def _inputs_from_table(
        self, calls: Any, table: knext.Table, settings: engine.CallSettings
    ) -> list[engine.CallInput]:
        schema = table.schema
        names = self.column_choices(schema)
        tool_columns = self.tool_output_columns(schema)
        if tool_columns is not None:
            names |= {"tool_call_id": tool_columns[0], "output": tool_columns[1]}
        row_ids, read = read_columns(table, names)
        tool_cells = None
        if tool_columns is not None:
            tool_cells = (read.pop("tool_call_id"), read.pop("output"))
        return calls.table_inputs(settings, row_ids, read, tool_cells, names)


def operation_node(
    operation_id: str,
    icon: str,
    keywords: Sequence[str] = (),
) -> Callable[[type], type]:
    """Make ``cls`` (a subclass of :class:`OperationNode` whose docstring holds the node's
    own details) the KNIME node for the operation: dialog sections, ports, name, category."""

    def register(cls: type) -> type:
        operation = by_id(operation_id)
        node_cls = node_class(
            cls, operation, description(operation, cls.__doc__ or ""), parameter_groups(operation)
        )
        return api_node(
            operation.node_name,
            icon,
            dict.fromkeys(["OpenAI", "Assistants", operation.group, "REST", *keywords]),
            "Input table",
            "Optional: one request per row. Path parameters and body come from the chosen "
            "columns; a missing ID cell falls back to the dialog's value, a row with a missing "
            'body cell is not sent (its output row holds the error "missing body").',
        )(node_cls)

    return register


def node_class(cls: type, operation: Operation, doc: str, groups: dict[str, Any]) -> Any:
    """``cls`` made the node class of ``operation``: a subclass under the same name and
    module (KNIME lists it by them) with the node description and the dialog sections."""
    attrs = {
        "__doc__": doc,
        "__module__": cls.__module__,
        "__qualname__": cls.__qualname__,
        "operation": operation,
        **groups,
    }
    return type(cls.__name__, (cls,), attrs)


def api_node(
    name: str,
    icon: str,
    keywords: Iterable[str],
    table_label: str,
    table_description: str,
) -> Callable[[type], type]:
    """What makes a class one of the Assistants API nodes in KNIME: its name, icon and
    category, the configuration port in and out (passed through for chaining), the optional
    input table and the result table."""

    def decorate(cls: Any) -> Any:
        cls = knext.output_port(
            "Configuration data",
            "Configuration data (this is the same as the input port; it is provided as "
            "passthrough for sequentially chaining nodes to declutter your workflow "
            "connections).",
            openai_configuration_port_type,
        )(cls)
        cls = knext.output_table(
            "Result", "Result of the request depending on the selected Result Format."
        )(cls)
        cls = knext.input_table(table_label, table_description, optional=True)(cls)
        cls = knext.input_port(
            "Configuration data",
            "The OpenAI configuration (from the OpenAI Configuration node or a previous API node).",
            openai_configuration_port_type,
        )(cls)
        return knext.node(
            name=name,
            node_type=knext.NodeType.MANIPULATOR,
            icon_path=icon,
            category=openai_assistants_category,
            keywords=list(keywords),
        )(cls)

    return decorate
