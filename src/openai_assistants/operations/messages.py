"""Messages: ``/threads/{thread_id}/messages[/{message_id}]``."""

from __future__ import annotations

from .model import PAGINATION, Operation, QueryKind, QueryParameter, ResultKind

GROUP = "Messages"
MESSAGES = "/threads/{thread_id}/messages"
MESSAGE = "/threads/{thread_id}/messages/{message_id}"
RUN_FILTER = QueryParameter(
    "run_id",
    "run_id",
    QueryKind.STRING,
    description="Only the messages the run with this ID created.",
)

OPERATIONS = (
    Operation(
        "createMessage",
        "Create Message",
        GROUP,
        "POST",
        MESSAGES,
        (),
        "CreateMessageRequest",
        ResultKind.MESSAGE,
        may_create=True,
        subject="a message on thread '{thread_id}'",
        summary="Create a message.",
    ),
    Operation(
        "listMessages",
        "List Messages",
        GROUP,
        "GET",
        MESSAGES,
        (*PAGINATION, RUN_FILTER),
        None,
        ResultKind.MESSAGE,
        returns_list=True,
        summary="Returns a list of messages for a given thread.",
    ),
    Operation(
        "getMessage",
        "Get Message",
        GROUP,
        "GET",
        MESSAGE,
        (),
        None,
        ResultKind.MESSAGE,
        summary="Retrieve a message.",
    ),
    Operation(
        "modifyMessage",
        "Modify Message",
        GROUP,
        "POST",
        MESSAGE,
        (),
        "ModifyMessageRequest",
        ResultKind.MESSAGE,
        subject="message '{message_id}' on thread '{thread_id}'",
        summary="Modifies a message.",
    ),
    Operation(
        "deleteMessage",
        "Delete Message",
        GROUP,
        "DELETE",
        MESSAGE,
        (),
        None,
        ResultKind.DELETION,
        summary="Deletes a message.",
    ),
)
