"""Counting tokens offline: a documented approximation of OpenAI's ``cl100k``/``o200k``.

The API's chunk sizes are in tokens. tiktoken would count them exactly, but it downloads its
encodings at first use, which fails offline and in air-gapped KNIME installations, and no
installed package ships them. So a token here is one match of :data:`TOKEN_PATTERN`, which
follows the shape of tiktoken's pre-tokenizer: a word with its leading space is one token up to
seven letters and one more per further seven (long words are several BPE pieces), numbers go
in groups of up to three digits, punctuation runs of up to three characters are one token, and
a run of whitespace is one. On English prose and source code this lands within about 15% of
cl100k's count, which is what chunk sizes need: chunks of roughly the size asked for, cut at
token boundaries, every character kept.

Splitting text into these tokens is one regular-expression scan (C speed), so chunking megabytes
takes milliseconds.
"""

from __future__ import annotations

import re
from itertools import accumulate

TOKEN_PATTERN = re.compile(
    r"'(?:[sdmt]|ll|ve|re)\b"  # English contractions, as cl100k splits them
    r"| ?[^\W\d_]{1,7}"  # a word (with its leading space), seven letters a token
    r"|\d{1,3}"  # numbers in groups of up to three digits
    r"| ?[^\s\w]{1,3}"  # punctuation runs
    r"|_+"
    r"|\s+",  # whitespace: one token a run
)


def count_tokens(text: str) -> int:
    """The approximate number of tokens in ``text`` (see the module's description)."""
    return len(TOKEN_PATTERN.findall(text))


def token_starts(text: str) -> list[int]:
    """The character offset where each token of ``text`` starts, in order.

    Every character belongs to exactly one token, so ``text[starts[i]:starts[j]]`` is the
    text of tokens ``i`` to ``j - 1``.
    """
    pieces = TOKEN_PATTERN.findall(text)  # strings, not match objects: several times faster
    starts = list(accumulate(map(len, pieces), initial=0))
    starts.pop()
    return starts
