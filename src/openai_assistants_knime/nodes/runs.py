"""The Runs nodes besides Create Run: list, get, modify, cancel runs and submit tool outputs."""

from __future__ import annotations

from ..api_node import OperationNode, operation_node

ICON = "icons/run.png"


@operation_node("listRuns", ICON, ["list"])
class ListRunsNode(OperationNode):
    """In the Structured format, one row per run of the thread."""


@operation_node("getRun", ICON, ["retrieve", "status", "poll"])
class GetRunNode(OperationNode):
    """**Thread ID** and **Run ID**: the run to retrieve.

    **Wait until the run ends**: poll the run until it is completed, failed, cancelled,
    expired or incomplete (or requires action) and output the final run."""


@operation_node("modifyRun", ICON, ["update", "metadata"])
class ModifyRunNode(OperationNode):
    """**Body**: the `metadata` to set on the run."""


@operation_node("cancelRun", ICON, ["stop", "abort"])
class CancelRunNode(OperationNode):
    """Sends no body. The output is the run, usually in the status `cancelling`."""


@operation_node("submitToolOuputsToRun", ICON, ["function", "tool call", "requires_action"])
class SubmitToolOutputsToRunNode(OperationNode):
    """**Body**: `tool_outputs`, a list of `{"tool_call_id": ..., "output": ...}`, and
    optionally `"stream": true`.

    **From a table**: connect a table with `tool_call_id` and `output` string columns (or
    choose them under *Input table*): the rows of one run (its Thread ID and Run ID from the
    dialog or from columns) become one request whose `tool_outputs` are the rows' pairs, in
    row order, added to the dialog's body; the output row keeps the first row's RowID.

    **Wait until the run ends**: as Get Run, output the run once it ends (or requires the
    next action)."""
