"""The Threads nodes: create (optionally with a run), get, modify and delete threads."""

from __future__ import annotations

from ..api_node import OperationNode, operation_node

ICON = "icons/thread.png"


@operation_node("createThread", ICON, ["create", "conversation"])
class CreateThreadNode(OperationNode):
    """**Body**: optional `messages` to start the thread with, `tool_resources` and
    `metadata`; `{}` creates an empty thread. The Structured output's `id` is the thread ID
    that Create Message and Create Run need."""


@operation_node("createThreadAndRun", ICON, ["run", "stream"])
class CreateThreadAndRunNode(OperationNode):
    """**Body**: `assistant_id` (required), `thread` (its `messages`), and the run's fields
    as in Create Run. With `"stream": true` the response is an event stream, output as
    received up to `data: [DONE]` (or one row per event in the *Events* format).

    **Wait until the run ends**: poll the new run until it ends and output the final run."""


@operation_node("getThread", ICON, ["retrieve"])
class GetThreadNode(OperationNode):
    """**Thread ID**: the thread to retrieve, e.g. `thread_abc123`."""


@operation_node("modifyThread", ICON, ["update", "metadata"])
class ModifyThreadNode(OperationNode):
    """**Body**: `tool_resources` and/or `metadata` to set on the thread."""


@operation_node("deleteThread", ICON, ["remove"])
class DeleteThreadNode(OperationNode):
    """The Structured output is the deletion status: `id`, `object` and `deleted`."""
