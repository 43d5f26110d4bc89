"""Cutting text into overlapping chunks, with the API's ``auto`` and ``static`` strategies.

``auto`` is what the API documents for it: chunks of 800 tokens overlapping by 400.
``static`` takes ``max_chunk_size_tokens`` (100-4096) and ``chunk_overlap_tokens`` (0 up to
half the chunk size); anything else is refused with a 400 naming the field, as the API does,
rather than adjusted. Tokens are counted with :mod:`.tokens`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import InvalidParameterError
from .tokens import token_starts

AUTO_MAX_TOKENS = 800
AUTO_OVERLAP_TOKENS = 400
MIN_CHUNK_TOKENS = 100
MAX_CHUNK_TOKENS = 4096


@dataclass(frozen=True)
class ChunkingStrategy:
    """A resolved strategy: ``auto`` becomes the static sizes it stands for."""

    max_chunk_size_tokens: int = AUTO_MAX_TOKENS
    chunk_overlap_tokens: int = AUTO_OVERLAP_TOKENS

    def as_response(self) -> dict[str, Any]:
        """The ``chunking_strategy`` of a vector-store file, as the API answers it."""
        return {
            "type": "static",
            "static": {
                "max_chunk_size_tokens": self.max_chunk_size_tokens,
                "chunk_overlap_tokens": self.chunk_overlap_tokens,
            },
        }

    @classmethod
    def from_response(cls, value: dict[str, Any] | None) -> ChunkingStrategy:
        """Back from :meth:`as_response` (a stored object); anything else is ``auto``."""
        static = (value or {}).get("static") or {}
        try:
            return cls(int(static["max_chunk_size_tokens"]), int(static["chunk_overlap_tokens"]))
        except (KeyError, TypeError, ValueError):
            return cls()


def parse_chunking_strategy(value: Any, param: str = "chunking_strategy") -> ChunkingStrategy:
    """Check a request's ``chunking_strategy`` (absent or ``null`` is ``auto``)."""
    if value is None:
        return ChunkingStrategy()
    if not isinstance(value, dict):
        raise InvalidParameterError(f"Invalid type for '{param}': expected an object.", param)
    kind = value.get("type")
    if kind == "auto":
        extra = sorted(set(value) - {"type"})
        if extra:
            raise InvalidParameterError(
                f"Unrecognized request argument supplied: {param}.{extra[0]}", f"{param}.{extra[0]}"
            )
        return ChunkingStrategy()
    if kind != "static":
        raise InvalidParameterError(
            f"Invalid value for '{param}.type': expected one of 'auto' or 'static', got {kind!r}.",
            f"{param}.type",
        )
    static = value.get("static")
    if not isinstance(static, dict):
        raise InvalidParameterError(
            f"Missing required parameter: '{param}.static'.", f"{param}.static"
        )
    size = _integer(static, "max_chunk_size_tokens", f"{param}.static")
    overlap = _integer(static, "chunk_overlap_tokens", f"{param}.static")
    if not MIN_CHUNK_TOKENS <= size <= MAX_CHUNK_TOKENS:
        raise InvalidParameterError(
            f"Invalid '{param}.static.max_chunk_size_tokens': {size}. It must be between "
            f"{MIN_CHUNK_TOKENS} and {MAX_CHUNK_TOKENS}.",
            f"{param}.static.max_chunk_size_tokens",
        )
    if overlap < 0 or overlap > size // 2:
        raise InvalidParameterError(
            f"Invalid '{param}.static.chunk_overlap_tokens': {overlap}. It must be at least 0 "
            f"and must not exceed half of max_chunk_size_tokens ({size // 2}).",
            f"{param}.static.chunk_overlap_tokens",
        )
    return ChunkingStrategy(size, overlap)


def _integer(container: dict[str, Any], key: str, where: str) -> int:
    if key not in container:
        raise InvalidParameterError(
            f"Missing required parameter: '{where}.{key}'.", f"{where}.{key}"
        )
    value = container[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidParameterError(
            f"Invalid type for '{where}.{key}': expected an integer, but got {value!r}.",
            f"{where}.{key}",
        )
    return value


def chunk_text(text: str, strategy: ChunkingStrategy) -> list[str]:
    """``text`` cut into chunks of at most ``max_chunk_size_tokens`` tokens.

    Consecutive chunks share ``chunk_overlap_tokens`` tokens; the last chunk ends with the text.
    Chunks that are only whitespace are left out, the others keep their text exactly (cut at
    token boundaries, so no word is split unless it is longer than a token).
    """
    starts = token_starts(text)
    total = len(starts)
    if total == 0:
        return []
    starts.append(len(text))
    size = strategy.max_chunk_size_tokens
    step = size - strategy.chunk_overlap_tokens
    chunks = []
    first = 0
    while True:
        last = min(first + size, total)
        piece = text[starts[first] : starts[last]]
        if piece.strip():
            chunks.append(piece)
        if last == total:
            return chunks
        first += step
