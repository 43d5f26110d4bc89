"""Run steps: ``/threads/{thread_id}/runs/{run_id}/steps[/{step_id}]``."""

from __future__ import annotations

from .model import INCLUDE, PAGINATION, Operation, ResultKind

GROUP = "Run Steps"
STEPS = "/threads/{thread_id}/runs/{run_id}/steps"

OPERATIONS = (
    Operation(
        "listRunSteps",
        "List Run Steps",
        GROUP,
        "GET",
        STEPS,
        (*PAGINATION, INCLUDE),
        None,
        ResultKind.RUN_STEP,
        returns_list=True,
        summary="Returns a list of run steps belonging to a run.",
    ),
    Operation(
        "getRunStep",
        "Get Run Step",
        GROUP,
        "GET",
        STEPS + "/{step_id}",
        (INCLUDE,),
        None,
        ResultKind.RUN_STEP,
        summary="Retrieves a run step.",
    ),
)
