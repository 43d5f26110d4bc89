"""How close the Assistant Prompter comes to the ideal wall time. Prints a table.

    python benchmarks/prompter_speed.py [--rows 1000] [--concurrency 8] [--run-duration 0.5]
                                        [--modes new_per_row,per_group] [--in-process]

The sandbox (``openai-assistants sandbox``: the real server with the echo backend, whose runs
take ``--run-duration`` seconds) runs in its own process, so the client's wall time holds
none of the server's CPU; ``--in-process`` starts it on a thread of this process instead.
Each mode asks ``--rows`` questions with the core's execute path (what the node and the
``prompt`` subcommand call) at ``--concurrency``, with the node's default waiting settings,
and is compared with the ideal: rows x run duration / concurrency (every run back to back, no
time between them). Issue 17's goal: at most 1.15 x the ideal for 1,000 rows at
concurrency 8 and 0.5 s runs. PER_GROUP uses ``--concurrency`` groups, so its lanes are as
many as the workers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src")]

from openai_assistants.client.client import ApiClient  # noqa: E402
from openai_assistants.client.connection import ConnectionConfig  # noqa: E402
from openai_assistants.engine.prompter import prompt_rows  # noqa: E402
from openai_assistants.engine.prompter_plan import (  # noqa: E402
    PrompterSettings,
    PromptRow,
    ThreadMode,
)

GOAL = 1.15
KEY = {"OPENAI_API_KEY": "sk-benchmark"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--run-duration", type=float, default=0.5)
    parser.add_argument("--modes", default="new_per_row,per_group")
    parser.add_argument("--in-process", action="store_true")
    args = parser.parse_args()
    with _sandbox(args.run_duration, args.in_process) as base_url:
        assistant = _post(base_url, "/assistants", {"model": "echo", "name": "benchmark"})["id"]
        config = ConnectionConfig(base_url=base_url)
        ideal = args.rows * args.run_duration / args.concurrency
        print(
            f"Assistant Prompter: {args.rows} rows, concurrency {args.concurrency}, runs of "
            f"{args.run_duration:g} s ({'in-process' if args.in_process else 'separate-process'} "
            f"sandbox); Python {platform.python_version()}, {os.cpu_count()} CPUs, load "
            f"{os.getloadavg()[0]:.2f}"
        )
        print(f"{'mode':<13} {'wall s':>8} {'ideal s':>8} {'ratio':>6} {'failed':>7}  goal")
        worst = 0.0
        for mode in args.modes.split(","):
            thread_mode = ThreadMode(mode.strip())
            rows = [
                PromptRow(f"Row{i}", f"Question {i}?", group=f"g{i % args.concurrency}")
                for i in range(args.rows)
            ]
            settings = PrompterSettings(
                assistant_id=assistant, thread_mode=thread_mode, concurrency=args.concurrency
            )
            started = time.perf_counter()
            outcome = prompt_rows(rows, settings, ApiClient.connect(config, environ=KEY))
            wall = time.perf_counter() - started
            failed = sum(1 for a in outcome.answers if a.error or a.response is None)
            ratio = wall / ideal
            worst = max(worst, ratio)
            verdict = "met" if ratio <= GOAL else "MISSED"
            print(
                f"{mode:<13} {wall:>8.2f} {ideal:>8.2f} {ratio:>6.3f} {failed:>7}  "
                f"<= {GOAL} {verdict}"
            )
    return 0 if worst <= GOAL else 1


class _sandbox:
    """The sandbox in its own process (or on a thread): its base URL while in use."""

    def __init__(self, run_duration: float, in_process: bool) -> None:
        self.run_duration = run_duration
        self.in_process = in_process

    def __enter__(self) -> str:
        if self.in_process:
            from openai_assistants.sandbox import start_sandbox

            self.server = start_sandbox(run_duration=self.run_duration)
            return self.server.base_url
        command = [sys.executable, "-m", "openai_assistants", "sandbox", "--port", "0"]
        command += ["--run-duration", str(self.run_duration), "--quiet"]
        env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
        )
        line = self.process.stdout.readline().strip() if self.process.stdout else ""
        if not line.startswith("http"):
            self.process.kill()
            raise SystemExit(f"the sandbox did not start (said: {line!r})")
        return line

    def __exit__(self, *exc: object) -> None:
        if self.in_process:
            self.server.stop()
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _post(base_url: str, path: str, body: dict) -> dict:
    request = urllib.request.Request(
        base_url + path,
        data=json.dumps(body).encode(),
        headers={
            "Authorization": f"Bearer {KEY['OPENAI_API_KEY']}",
            "OpenAI-Beta": "assistants=v2",
            "Content-Type": "application/json",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


if __name__ == "__main__":
    raise SystemExit(main())
