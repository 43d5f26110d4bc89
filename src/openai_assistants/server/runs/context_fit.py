"""Keeping a run's prompt inside a token budget: the model's context, ``max_prompt_tokens``.

``serve`` has no tokenizer for the model behind it (it can be any model), so it estimates a
prompt's size on the safe side (about 3 bytes of JSON a token, where English text runs about
4) and drops the thread's *oldest* messages until the estimate fits, as the API's
``truncation_strategy`` ``auto`` does. The last thread message (the question) and the run's
own turns (tool calls and their outputs) are always kept. When the endpoint still refuses the
prompt as too long, the run asks again with a smaller budget (:func:`smaller_budget`).
"""

from __future__ import annotations

import json
from typing import Any

BYTES_PER_TOKEN = 3
TOKENS_PER_MESSAGE = 4  # the role and the chat template's markers around each message
ANSWER_SHARE = 4  # without a completion budget, a quarter of the context is left for the answer
SHRINK = 0.7  # each retry after a context-length error asks for 70 % of the last estimate


IMAGE_TOKENS = 1_105  # a high-detail 1024 x 1024 image, as OpenAI counts it


def estimate_tokens(messages: list[dict[str, Any]]) -> int:
    """A prompt's size in tokens, estimated high rather than low; an image counts as an
    image (not as the size of its base64 data URL)."""
    total = 0
    for message in messages:
        content = message.get("content")
        images = 0
        if isinstance(content, list):
            images = sum(1 for p in content if isinstance(p, dict) and p.get("type") == "image_url")
            if images:
                rest = [p for p in content if not (isinstance(p, dict) and "image_url" in p)]
                message = {**message, "content": rest}
        size = len(json.dumps(message, ensure_ascii=False).encode("utf-8"))
        total += -(-size // BYTES_PER_TOKEN) + TOKENS_PER_MESSAGE + images * IMAGE_TOKENS
    return total


def fit(
    head: list[dict[str, Any]],
    thread: list[dict[str, Any]],
    tail: list[dict[str, Any]],
    budget: int | None,
) -> list[dict[str, Any]]:
    """The newest thread messages such that ``head + kept + tail`` fits ``budget`` (estimated);
    at least the last thread message is kept, so the model always has the question."""
    if budget is None or not thread:
        return thread
    fixed = estimate_tokens(head) + estimate_tokens(tail)
    kept: list[dict[str, Any]] = []
    used = fixed
    for message in reversed(thread):
        cost = estimate_tokens([message])
        if kept and used + cost > budget:
            break
        kept.append(message)
        used += cost
    kept.reverse()
    return kept


def prompt_budget(
    context_tokens: int | None, completion_tokens: int | None, prompt_tokens_left: int | None
) -> int | None:
    """The most prompt tokens the next model call may use: the context less room for the
    answer, and what is left of the run's ``max_prompt_tokens``; None: no limit known."""
    limits = []
    if context_tokens:
        answer = completion_tokens or context_tokens // ANSWER_SHARE
        limits.append(max(context_tokens - min(answer, context_tokens // 2), 1))
    if prompt_tokens_left is not None:
        limits.append(prompt_tokens_left)
    return min(limits) if limits else None


def smaller_budget(
    messages: list[dict[str, Any]], budget: int | None, context_tokens: int | None
) -> int:
    """The budget for the next try after the endpoint refused ``messages`` as too long."""
    estimate = estimate_tokens(messages)
    limits = [int(estimate * SHRINK)]
    if budget is not None:
        limits.append(int(budget * SHRINK))
    if context_tokens:
        limits.append(prompt_budget(context_tokens, None, None) or 1)
    return max(min(limits), 1)
