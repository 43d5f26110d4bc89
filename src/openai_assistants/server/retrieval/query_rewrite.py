"""``rewrite_query`` of a vector-store search: a natural-language question made a keyword query.

The hosted API has a model rewrite the query for its search and reports the result as
``search_query``. The embedded default of ``serve`` ranks lexically (BM25 over FTS5, see
:mod:`.index`) and needs no model, so its rewrite needs none either: it keeps the words that
carry the question's meaning and drops the ones every chunk has. In BM25 a question's "what",
"is", "the" and "of" still add to a chunk's score, so a chunk full of them can outrank the one
with the answer; without them the rare words decide. The rewrite is deterministic (same query,
same search): lower case, punctuation dropped, question words and common English stop words
dropped, each word once, in the order given. A query of stop words only is kept as it was
(searching for nothing would find nothing).
"""

from __future__ import annotations

import re
import unicodedata

from .index import words

_WORD = re.compile(r"[^\W_]+")

# Lucene's English stop words and a little more, by kind
_STOP_GROUPS = (
    "what which who whom whose when where why how whether",  # question words
    "is are was were be been being am do does did doing done have has had having",
    "can could would should will shall may might must ought",
    "i me my mine myself we us our ours ourselves you your yours yourself yourselves",
    "he him his himself she her hers herself it its itself they them their theirs themselves",
    "this that these those there here a an the",
    "and or but nor if then than so as such both either neither",
    "of in on at to for from by with about into onto over under between through during",
    "before after above below up down out off again further once",
    "all any each every few more most other some no not only own same too very just also",
    "please tell show give explain describe know let",  # the fillers of a request
    "s t d ll re ve m",  # what is left of a contraction: "what's" -> "what", "s"
)
STOP_WORDS = frozenset(word for group in _STOP_GROUPS for word in group.split())


def rewrite(query: str) -> str:
    """The keyword query for ``query``: its meaningful words, lower case, each once (by the
    index's own folding, so "Café" and "cafe" are one word); ``query`` itself when it has
    none."""
    kept: list[str] = []
    seen: set[str] = set()
    for word in _WORD.findall(unicodedata.normalize("NFC", query).lower()):
        key = " ".join(words(word))
        if word in STOP_WORDS or key in STOP_WORDS or key in seen:
            continue
        seen.add(key)
        kept.append(word)
    return " ".join(kept) if kept else query
