"""Assistants: ``/assistants`` and ``/assistants/{assistant_id}``."""

from __future__ import annotations

from .model import PAGINATION, Operation, ResultKind

GROUP = "Assistants"
ASSISTANT = "/assistants/{assistant_id}"

OPERATIONS = (
    Operation(
        "createAssistant",
        "Create Assistant",
        GROUP,
        "POST",
        "/assistants",
        (),
        "CreateAssistantRequest",
        ResultKind.ASSISTANT,
        may_create=True,
        subject="an assistant",
        summary="Create an assistant with a model and instructions.",
    ),
    Operation(
        "listAssistants",
        "List Assistants",
        GROUP,
        "GET",
        "/assistants",
        PAGINATION,
        None,
        ResultKind.ASSISTANT,
        returns_list=True,
        summary="Returns a list of assistants.",
    ),
    Operation(
        "getAssistant",
        "Get Assistant",
        GROUP,
        "GET",
        ASSISTANT,
        (),
        None,
        ResultKind.ASSISTANT,
        summary="Retrieves an assistant.",
    ),
    Operation(
        "modifyAssistant",
        "Modify Assistant",
        GROUP,
        "POST",
        ASSISTANT,
        (),
        "ModifyAssistantRequest",
        ResultKind.ASSISTANT,
        subject="assistant '{assistant_id}'",
        summary="Modifies an assistant.",
    ),
    Operation(
        "deleteAssistant",
        "Delete Assistant",
        GROUP,
        "DELETE",
        ASSISTANT,
        (),
        None,
        ResultKind.DELETION,
        summary="Delete an assistant.",
    ),
)
