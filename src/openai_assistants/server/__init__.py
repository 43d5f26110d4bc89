"""``openai-assistants serve``: an Assistants API v2 server that runs on any Chat Completions
endpoint (or, offline, on the echo backend the sandbox uses).

Layers, each replaceable: :mod:`.app` (HTTP, the 23 operations, OpenAI error shapes),
:mod:`.engine` (the run lifecycle), :mod:`.store` (storage behind a small interface, SQLite
here), :mod:`.backends` (where answers come from), :mod:`.runner` (uvicorn), :mod:`.cli`.
"""
