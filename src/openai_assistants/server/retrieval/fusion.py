"""Reciprocal-rank fusion: one ranking out of the lexical and the embedding rankings.

BM25 scores and cosine similarities are on different scales, so the hybrid ranking (the API's
``auto`` ranker with ``--embedding-model``) fuses ranks, not scores: each chunk earns
``1 / (K + rank)`` from every list it is in. The fused score is divided by what a chunk first in
every list would earn, so it stays in 0..1 and the best possible chunk scores 1.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TypeVar

K = 60  # the constant of the original RRF paper (Cormack et al., 2009)

Item = TypeVar("Item", bound=Hashable)


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[Item]], k: int = K
) -> list[tuple[Item, float]]:
    """Items of all ``rankings`` (each best first) with fused scores in 0..1, best first.

    Ties keep the order in which the items first appear (the first list's order first).
    """
    if not rankings:
        return []
    scores: dict[Item, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    best = len(rankings) / (k + 1)
    ordered = sorted(scores.items(), key=lambda pair: -pair[1])
    return [(item, score / best) for item, score in ordered]
