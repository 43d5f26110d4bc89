"""Runs: ``/threads/{thread_id}/runs[/{run_id}[/cancel|/submit_tool_outputs]]``."""

from __future__ import annotations

from .model import INCLUDE, PAGINATION, Operation, ResultKind

GROUP = "Runs"
RUNS = "/threads/{thread_id}/runs"
RUN = "/threads/{thread_id}/runs/{run_id}"
# the body Create Run's dialog and ``openai-assistants create-run`` start from (since 0.1.0)
CREATE_RUN_DEFAULT_BODY = '{\n  "assistant_id": ""\n}'

OPERATIONS = (
    Operation(
        "createRun",
        "Create Run",
        GROUP,
        "POST",
        RUNS,
        (INCLUDE,),
        "CreateRunRequest",
        ResultKind.RUN,
        may_create=True,
        can_stream=True,
        subject="a run on thread '{thread_id}'",
        summary="Create a run.",
    ),
    Operation(
        "listRuns",
        "List Runs",
        GROUP,
        "GET",
        RUNS,
        PAGINATION,
        None,
        ResultKind.RUN,
        returns_list=True,
        summary="Returns a list of runs belonging to a thread.",
    ),
    Operation(
        "getRun",
        "Get Run",
        GROUP,
        "GET",
        RUN,
        (),
        None,
        ResultKind.RUN,
        summary="Retrieves a run.",
    ),
    Operation(
        "modifyRun",
        "Modify Run",
        GROUP,
        "POST",
        RUN,
        (),
        "ModifyRunRequest",
        ResultKind.RUN,
        subject="run '{run_id}' on thread '{thread_id}'",
        summary="Modifies a run.",
    ),
    Operation(
        "cancelRun",
        "Cancel Run",
        GROUP,
        "POST",
        RUN + "/cancel",
        (),
        None,
        ResultKind.RUN,
        subject="run '{run_id}' on thread '{thread_id}'",
        summary="Cancels a run that is `in_progress`.",
    ),
    Operation(
        "submitToolOuputsToRun",  # sic: the reference's operationId
        "Submit Tool Outputs to Run",
        GROUP,
        "POST",
        RUN + "/submit_tool_outputs",
        (),
        "SubmitToolOutputsRunRequest",
        ResultKind.RUN,
        may_create=True,  # the run goes on and writes messages
        can_stream=True,
        subject="tool outputs for run '{run_id}' on thread '{thread_id}'",
        summary=(
            'When a run has the `status: "requires_action"` and `required_action.type` is '
            "`submit_tool_outputs`, submits the outputs from the tool calls once they are all "
            "completed. All outputs must be submitted in a single request."
        ),
    ),
)
