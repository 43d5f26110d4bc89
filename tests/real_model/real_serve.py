"""The two servers of the real-model tests as processes on 127.0.0.1: llama.cpp's server with
SmolLM2-135M (:mod:`real_model_server`), and ``openai-assistants serve --backend
chat-completions`` in front of it. Each start is bounded in time; :func:`end` stops a process
(SIGTERM, then SIGKILL) and closes its pipes, so no test leaves one running.
"""

from __future__ import annotations

import ctypes
import os
import re
import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import openai

HERE = Path(__file__).resolve().parent
MODEL_STARTUP_SECONDS = 120  # loading the GGUF takes seconds; a loaded 2-core machine, more
SERVE_STARTUP_SECONDS = 30
MODEL = "smollm2-135m"
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child, before it runs: SIGTERM when the test process ends, however it ends
    (Linux; elsewhere the fixtures' own teardown stops the child)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def first_line(process: subprocess.Popen, seconds: float, what: str) -> str:
    ready, _, _ = select.select([process.stdout], [], [], seconds)
    if not ready:
        raise RuntimeError(f"{what} printed nothing within {seconds:.0f} s")
    return process.stdout.readline().strip()


def end(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    for stream in (process.stdin, process.stdout, process.stderr):
        if stream is not None:
            stream.close()


def start_model_server(log: Path, context_tokens: int) -> tuple[subprocess.Popen, str]:
    """The model server process and its ``/v1`` URL; its log goes to ``log``."""
    with open(log, "wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, str(HERE / "real_model_server.py"), str(context_tokens)],
            stdin=subprocess.PIPE,  # closed when this process ends: the server then stops
            stdout=subprocess.PIPE,
            stderr=log_file,
            text=True,
            preexec_fn=_die_with_parent,
        )
    started = time.monotonic()
    try:
        line = first_line(process, MODEL_STARTUP_SECONDS, "the model server")
        if not line.startswith("ready http://127.0.0.1:"):
            raise RuntimeError(f"the model server did not start: {line!r}; see {log}")
    except BaseException:
        end(process)
        raise
    sys.stderr.write(f"\nmodel server up in {time.monotonic() - started:.1f} s\n")
    return process, line.split(" ", 1)[1] + "/v1"


@dataclass
class Serve:
    process: subprocess.Popen
    url: str

    def client(self) -> openai.OpenAI:
        return openai.OpenAI(base_url=self.url, api_key="sk-local", max_retries=0, timeout=300)


def start_serve(model_base_url: str, *options: str) -> Serve:
    """``serve`` on any free port in front of the model server, with ``options`` added."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "openai_assistants",
            "serve",
            "--port",
            "0",
            "--quiet",
            "--backend",
            "chat-completions",
            "--model-base-url",
            model_base_url,
            "--default-model",
            MODEL,
            *options,
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_PROXY": "127.0.0.1,localhost"},
        preexec_fn=_die_with_parent,
    )
    try:
        url = first_line(process, SERVE_STARTUP_SECONDS, "serve")
        if not re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", url):
            raise RuntimeError(f"serve did not start: {url!r} {process.stderr.read()}")
    except BaseException:
        end(process)
        raise
    return Serve(process, url)
