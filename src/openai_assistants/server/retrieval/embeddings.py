"""Embeddings from the model endpoint's ``/embeddings``, requested in batches.

With ``serve --embedding-model NAME`` every chunk is embedded when its file is ingested and
every query when it is searched; the hybrid ranking fuses these with BM25 (:mod:`.fusion`).
Batches of :data:`BATCH_SIZE` inputs go out at most :data:`CONCURRENCY` at a time; a 429 is
waited out (``retry-after``, else a growing pause) a bounded number of times, and every other
failure is a :class:`~.errors.RetrievalError` with ``server_error`` naming the endpoint (never
the key), which fails the file rather than the server.
"""

from __future__ import annotations

import asyncio
import math
from array import array
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from .errors import SERVER_ERROR, RetrievalError

BATCH_SIZE = 64
CONCURRENCY = 4
MAX_RATE_LIMIT_WAITS = 5


class Embedder:
    """Turns texts into vectors with one model of an OpenAI-compatible endpoint."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        auth: str = "bearer",
        api_version: str | None = None,
        timeout: float = 120.0,
        transport: httpx.AsyncBaseTransport | None = None,
        batch_size: int = BATCH_SIZE,
        concurrency: int = CONCURRENCY,
    ) -> None:
        parts = urlsplit(base_url.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"the model base URL must be an http(s) URL, not {base_url!r}")
        self.url = urlunsplit(
            (parts.scheme, parts.netloc, parts.path.rstrip("/") + "/embeddings", "", "")
        )
        self.model = model
        self.batch_size = max(1, batch_size)
        self._gate = asyncio.Semaphore(max(1, concurrency))
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if api_key:
            headers["Authorization" if auth == "bearer" else "api-key"] = (
                f"Bearer {api_key}" if auth == "bearer" else api_key
            )
        self._params = {"api-version": api_version} if api_version else {}
        self._client = httpx.AsyncClient(
            headers=headers, timeout=timeout, transport=transport, follow_redirects=False
        )

    def __repr__(self) -> str:
        return f"Embedder(url={self.url!r}, model={self.model!r})"

    async def aclose(self) -> None:
        await self._client.aclose()

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in order."""
        batches = [
            list(texts[start : start + self.batch_size])
            for start in range(0, len(texts), self.batch_size)
        ]
        results = await asyncio.gather(*(self._batch(batch) for batch in batches))
        return [vector for batch in results for vector in batch]

    async def _batch(self, texts: list[str]) -> list[list[float]]:
        body = {"model": self.model, "input": texts, "encoding_format": "float"}
        async with self._gate:
            for attempt in range(MAX_RATE_LIMIT_WAITS + 1):
                try:
                    response = await self._client.post(self.url, params=self._params, json=body)
                except httpx.HTTPError as exc:
                    raise RetrievalError(
                        SERVER_ERROR, f"The embeddings endpoint {self.url} failed: {exc}"
                    ) from None
                if response.status_code == 429 and attempt < MAX_RATE_LIMIT_WAITS:
                    await asyncio.sleep(_retry_after(response, attempt))
                    continue
                return _vectors(response, len(texts), self.url)
        raise RetrievalError(
            SERVER_ERROR, f"The embeddings endpoint {self.url} kept refusing (429)."
        )


def _retry_after(response: httpx.Response, attempt: int) -> float:
    try:
        return min(30.0, max(0.0, float(response.headers.get("retry-after", ""))))
    except ValueError:
        return min(30.0, 0.5 * 2**attempt)


def _vectors(response: httpx.Response, count: int, url: str) -> list[list[float]]:
    if response.status_code != 200:
        message = ""
        try:
            message = str(response.json().get("error", {}).get("message", ""))[:200]
        except (ValueError, AttributeError):
            pass
        raise RetrievalError(
            SERVER_ERROR,
            f"The embeddings endpoint {url} answered HTTP {response.status_code}"
            + (f": {message}" if message else "."),
        )
    try:
        data: Any = response.json()["data"]
        ordered = sorted(data, key=lambda item: item.get("index", 0))
        vectors = [[float(x) for x in item["embedding"]] for item in ordered]
    except (ValueError, KeyError, TypeError, AttributeError):
        raise RetrievalError(
            SERVER_ERROR, f"The embeddings endpoint {url} sent no embeddings in the OpenAI shape."
        ) from None
    if len(vectors) != count:
        raise RetrievalError(
            SERVER_ERROR,
            f"The embeddings endpoint {url} sent {len(vectors)} embeddings for {count} inputs.",
        )
    return vectors


def pack(vector: Sequence[float]) -> bytes:
    """A vector as normalised ``float32`` bytes, as the index stores it."""
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return array("f", (x / norm for x in vector)).tobytes()
