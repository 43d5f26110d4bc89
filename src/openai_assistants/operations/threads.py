"""Threads: ``/threads``, ``/threads/runs`` and ``/threads/{thread_id}``."""

from __future__ import annotations

from .model import Operation, ResultKind

GROUP = "Threads"
THREAD = "/threads/{thread_id}"

OPERATIONS = (
    Operation(
        "createThread",
        "Create Thread",
        GROUP,
        "POST",
        "/threads",
        (),
        "CreateThreadRequest",
        ResultKind.THREAD,
        may_create=True,
        subject="a thread",
        summary="Create a thread.",
    ),
    Operation(
        "createThreadAndRun",
        "Create Thread and Run",
        GROUP,
        "POST",
        "/threads/runs",
        (),
        "CreateThreadAndRunRequest",
        ResultKind.RUN,
        may_create=True,
        can_stream=True,
        subject="a thread and a run on it",
        summary="Create a thread and run it in one request.",
    ),
    Operation(
        "getThread",
        "Get Thread",
        GROUP,
        "GET",
        THREAD,
        (),
        None,
        ResultKind.THREAD,
        summary="Retrieves a thread.",
    ),
    Operation(
        "modifyThread",
        "Modify Thread",
        GROUP,
        "POST",
        THREAD,
        (),
        "ModifyThreadRequest",
        ResultKind.THREAD,
        subject="thread '{thread_id}'",
        summary="Modifies a thread.",
    ),
    Operation(
        "deleteThread",
        "Delete Thread",
        GROUP,
        "DELETE",
        THREAD,
        (),
        None,
        ResultKind.DELETION,
        summary="Delete a thread.",
    ),
)
