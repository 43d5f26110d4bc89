"""The HTTP client: how one request reaches the API and how its answer comes back.

:class:`.client.ApiClient` is the one way to the API: configuration and key enter it once
(``ApiClient.connect(config, credential_password, environ, http=..., is_canceled=...)``), and
every request of an execution (the call, its polls, its pages, a cancel of the run) goes
through :meth:`~.client.ApiClient.send` (retries, back-off, the 429 gate, cancel, the total
time limit). Nothing outside this package holds the key.

One job per module:

- the data: :mod:`.connection` (the configuration and its checks; no secret), :mod:`.api_key`
  (finding the key, the one header that carries it), :mod:`.exchange` (request and answer
  values, the one media-type check), :mod:`.endpoints` (URLs and headers), :mod:`.multipart`
  (an upload's form body, streamed from disk);
- sending: :mod:`.client` (the client and its retry loop), :mod:`.retry_policy` (what may be
  sent again, pure), :mod:`.rate_limit` (the 429 gate), :mod:`.attempt` (one attempt over
  httpx) and :mod:`.attempt_outcomes` (sent or not sent), :mod:`.answer_reading` (size
  limits, charsets, streams parsed while read);
- httpx underneath: :mod:`.pools` (the process's pooled httpx clients), :mod:`.routes` (the
  direct route to a pool), :mod:`.watched_io` (cancellation that stops a blocked socket),
  :mod:`.cancellation` (cancel-aware pauses), :mod:`.httpx_internals` (the private parts of
  httpx/httpcore used, version-pinned and checked at import);
- reading answers: :mod:`.events` (server-sent events), :mod:`.response_checks` (is it a
  success, and what to tell the user).

May import: :mod:`openai_assistants.errors`, :mod:`openai_assistants.memo`, httpx/httpcore
(only when something is sent: :mod:`.client` loads them at the first send). Never the
operations, the engine, the tables, the command line, the server or KNIME.
"""
