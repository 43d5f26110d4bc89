"""Retrieval for ``serve``: files into text, text into chunks, chunks into a ranked search.

Pure parts, each in its own module, with no HTTP in them: :mod:`.extraction` (bytes and a file
name to text), :mod:`.tokens` (an offline token count), :mod:`.chunking` (the API's ``auto``
and ``static`` strategies), :mod:`.filters` (attribute filters), :mod:`.index` (SQLite FTS5
with BM25, scores in 0..1), :mod:`.embeddings` (the model endpoint's ``/embeddings``, batched)
and :mod:`.fusion` (reciprocal-rank fusion for the hybrid ranking). The server's routes and the
run engine use them; a bad file or a bad query is a :class:`~.errors.RetrievalError` value with
the API's codes, never a crash.
"""
