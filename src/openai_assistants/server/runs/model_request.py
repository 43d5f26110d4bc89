"""The Chat Completions request for a run's next model call.

Built from the run (instructions, tools, sampling options), the thread's messages (after the
run's ``truncation_strategy``, and within the prompt budget the turn gives), and the run's
transcript of tool calls and outputs.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from ..backends import Backend, ModelRequest
from ..store import Store
from ..validation import text_of
from .context_fit import fit
from .file_search import CITE_NOTE, MAX_SEARCHES, chat_tool, chat_tool_choice, search_tool
from .tools import function_tools, load_transcript

MAX_IMAGE_BYTES = 20 * 1024 * 1024  # what Chat Completions accepts per image
IMAGE_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
}


@dataclass
class Prompt:
    """A model call's request; ``kept``/``dropped``: thread messages in it / left out to fit
    the budget."""

    request: ModelRequest
    transcript: dict[str, Any]
    kept: int
    dropped: int


def model_request(
    store: Store,
    backend: Backend,
    run: dict[str, Any],
    *,
    stream: bool,
    max_completion_tokens: int | None = None,
    prompt_budget: int | None = None,
    library: Any = None,
) -> Prompt:
    """The request for the run's next model call.

    ``max_completion_tokens``: what is left of the run's completion budget (the run's own
    value when None); ``prompt_budget``: the estimated prompt size the oldest thread messages
    are dropped to fit (``truncation_strategy`` ``auto`` only; ``last_messages`` keeps what
    it names). ``library``: the stored files ``image_file`` parts are read from.
    """
    limit = getattr(backend, "history_limit", None)
    if limit is None:
        history = store.all("message", thread_id=run["thread_id"])
    else:  # a backend that reads only the latest messages need not load the whole thread
        page = store.page("message", thread_id=run["thread_id"], limit=limit)
        history = list(reversed(page.items))
    thread_messages = [m for m in history if m["run_id"] != run["id"]]
    strategy = run.get("truncation_strategy") or {}
    last = strategy.get("last_messages")
    if strategy.get("type") == "last_messages" and isinstance(last, int) and last >= 0:
        thread_messages = thread_messages[-last:] if last else []
    transcript = load_transcript(store, run["id"])
    searches = transcript.get("searches", 0)
    searching = search_tool(run) is not None and searches < MAX_SEARCHES
    head: list[dict[str, Any]] = []
    if run.get("instructions"):
        head.append({"role": "system", "content": run["instructions"]})
    if searching:
        head.append({"role": "system", "content": CITE_NOTE})
    thread = [{"role": m["role"], "content": chat_content(m, library)} for m in thread_messages]
    if strategy.get("type", "auto") == "auto":
        kept = fit(head, thread, transcript["turns"], prompt_budget)
    else:
        kept = thread
    tools = function_tools(run) + ([chat_tool()] if searching else [])
    choice = chat_tool_choice(run.get("tool_choice"))
    if searches and choice != "none" and choice != "auto" and choice is not None:
        choice = "auto"  # a forced search is made once; then the model may answer
    request = ModelRequest(
        model=run["model"],
        messages=head + kept + transcript["turns"],
        tools=tools,
        tool_choice=choice if tools else None,
        parallel_tool_calls=run.get("parallel_tool_calls") if tools else None,
        # 1 is the API's default for both; left out, as reasoning models refuse them
        temperature=_unless_default(run.get("temperature")),
        top_p=_unless_default(run.get("top_p")),
        reasoning_effort=_reasoning_effort(store, run),
        max_completion_tokens=(
            run.get("max_completion_tokens")
            if max_completion_tokens is None
            else max_completion_tokens
        ),
        response_format=run.get("response_format"),
        stream=stream,
    )
    return Prompt(request, transcript, len(kept), len(thread) - len(kept))


def _reasoning_effort(store: Store, run: dict[str, Any]) -> str | None:
    """The assistant's ``reasoning_effort`` (not a field of the run object)."""
    assistant = store.get("assistant", run["assistant_id"]) or {}
    return assistant.get("reasoning_effort")


def _unless_default(value: Any) -> Any:
    return None if value == 1 else value


def chat_content(message: dict[str, Any], library: Any = None) -> Any:
    """A stored message's content as Chat Completions content (text, or parts with images;
    an ``image_file`` is sent as a data URL of the stored file's bytes)."""
    parts = message["content"]
    if all(p["type"] == "text" for p in parts):
        return text_of(message)
    chat: list[dict[str, Any]] = []
    for part in parts:
        if part["type"] == "text":
            chat.append({"type": "text", "text": part["text"]["value"]})
        elif part["type"] == "image_url":
            chat.append({"type": "image_url", "image_url": part["image_url"]})
        else:
            chat.append(image_file_part(part.get("image_file") or {}, library))
    return chat


def image_file_part(image: dict[str, Any], library: Any) -> dict[str, Any]:
    """An ``image_file`` as the model sees it: the stored file as a ``data:`` URL, or a note
    that says why not (deleted, too large, not an image) so the model is not left guessing."""
    file_id = image.get("file_id")
    readable = library is not None and isinstance(file_id, str)
    file = library.readable_file(file_id) if readable else None
    if file is None:
        return {"type": "text", "text": f"[image file {file_id} not available]"}
    kind = _image_type(file)
    if kind is None:
        return {"type": "text", "text": f"[file {file_id} is not a PNG, JPEG, GIF or WebP image]"}
    if (file.get("bytes") or 0) > MAX_IMAGE_BYTES:
        return {"type": "text", "text": f"[image file {file_id} is larger than 20 MiB]"}
    data = library.blobs.read(file_id)
    if data is None:
        return {"type": "text", "text": f"[image file {file_id} not available]"}
    url = f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"
    shown: dict[str, Any] = {"url": url}
    if image.get("detail"):
        shown["detail"] = image["detail"]
    return {"type": "image_url", "image_url": shown}


def _image_type(file: dict[str, Any]) -> str | None:
    """The image's media type, from the upload's content type or the file name."""
    declared = (file.get("content_type") or "").split(";")[0].strip().lower()
    if declared in IMAGE_TYPES.values():
        return declared
    name = (file.get("filename") or "").lower()
    return IMAGE_TYPES.get(name.rsplit(".", 1)[-1]) if "." in name else None
