"""The HTTP client: how one request reaches the API and how its answer comes back.

Holds the connection configuration (:mod:`.connection`: base URL, auth style, limits; the key
is resolved here and never stored), the request and answer values (:mod:`.exchange`), URLs and
headers (:mod:`.endpoints`), the wire (:mod:`.transport`: httpx, cancellation that really
stops, the 429 gate), the pure retry policy (:mod:`.retry_policy`), server-sent events
(:mod:`.events`) and the checks of an answer (:mod:`.response_checks`).

May import: :mod:`openai_assistants.errors`, :mod:`openai_assistants.memo`, httpx. Never the
engine, the tables, the command line, the server or KNIME.
"""
