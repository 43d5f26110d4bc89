"""How fast Create Run is, measured on the paths issue 10 names. Prints a table of ratios.

    python benchmarks/create_run_speed.py [--requests 300] [--rows 2000] [--latency-ms 50]
                                          [--concurrency 32] [--starts 9] [--only a,b,c,d]

On KNIME's real API (see tests/README.md for the PYTHONPATH, e.g.
``PYTHONPATH=$K/org.knime.python3/src/main/python:... /work/knime-venv/bin/python
benchmarks/create_run_speed.py``) the per-request figure is taken through the Create Run
node's ``execute``; without ``knime.extension`` it falls back to the core's execute path and
says so. This checkout's ``src`` always comes first on the path.

Every HTTP figure is taken against ``canned_server.py``: a loopback server in its own process
that answers every request with the same canned bytes and does no work of its own (no
validation, no state), so the ratios show the client's cost, and the client's CPU time
holds none of the server's.

(a) per request, paired per iteration (each iteration times every contender once, in turn,
    and the ratio is the median of the per-iteration ratios): a bare pooled
    ``httpx.Client().post()``; ``ApiClient.send`` alone; the core's execute path (command
    line); the node's ``execute`` (Raw, Structured) with KNIME's contexts; the node plus
    KNIME writing its output table (when ``knime._arrow`` is importable); KNIME's part alone
    (what any node with these sections costs in KNIME, without a request); the official SDK
    when installed.
(b) --rows runs at --latency-ms server latency, --concurrency at once, through the core's
    execute path: wall time vs. the ideal rows * latency / concurrency, and CPU time vs. a
    plain thread pool sharing one ``httpx.Client`` doing the same POSTs.
(c) Events: one execution receiving a 10 MiB event stream and building the Events table:
    the peak of Python (tracemalloc) plus Arrow memory (an upper bound, see ``_peak``), as
    a multiple of the stream's size; through the node too on KNIME's API.
(d) cold start: wall time of one ``python -m openai_assistants create-run`` process against
    the server, once per output (printed to stdout, ``--output`` .csv, .json, .parquet), vs.
    ``python -c 'import httpx; httpx.post(...)'``, median of --starts; all from cached
    bytecode, as installed packages run (PYTHONDONTWRITEBYTECODE is dropped). The goal is
    2.5x the bare process for every output. CPU time (user + system) of the processes is
    printed beside the wall time: on a loaded machine it varies less.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

import httpx  # noqa: E402
import pyarrow as pa  # noqa: E402

from openai_assistants.client.client import ApiClient  # noqa: E402
from openai_assistants.client.connection import ConnectionConfig  # noqa: E402
from openai_assistants.engine.execute import (  # noqa: E402
    CallInput,
    CallSettings,
    OperationOptions,
    OperationOutcome,
    execute_operation,
    prepare_call,
)
from openai_assistants.operations import by_id  # noqa: E402
from openai_assistants.tables.results import ResultFormat  # noqa: E402

KEY = "sk-benchmark-not-a-real-key"
ENV = {"OPENAI_API_KEY": KEY}
CREATE_RUN = by_id("createRun")


def run_settings(thread_id: str, body: str) -> CallSettings:
    """Create Run's settings as the engine takes them (as the command line makes them)."""
    return CallSettings(
        path_values={"thread_id": thread_id}, query_values={"include": ()}, body=body
    )


def create_runs(
    inputs: list[CallInput], config: ConnectionConfig, options: OperationOptions | None = None
) -> OperationOutcome:
    """What ``openai-assistants create-run`` does per execution: one client, the engine."""
    client = ApiClient.connect(config, environ=ENV)
    return execute_operation(CREATE_RUN, inputs, client, options=options)


CREDENTIALS = {"openai": KEY}
BODY = '{"assistant_id": "asst_1"}'
STREAM_BODY = '{"assistant_id": "asst_1", "stream": true}'
BARE = "bare pooled httpx POST"


class CannedServer:
    """``canned_server.py`` in its own process; closed by closing its stdin."""

    def __init__(self, answer: bytes | None = None, content_type: str = "application/json",
                 latency_ms: float = 0.0) -> None:  # fmt: skip
        command = [sys.executable, str(Path(__file__).with_name("canned_server.py")),
                   "--latency-ms", str(latency_ms), "--content-type", content_type]  # fmt: skip
        self._file = ""
        if answer is not None:
            with tempfile.NamedTemporaryFile(suffix=".answer", delete=False) as file:
                file.write(answer)
            self._file = file.name
            command += ["--answer", self._file]
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        port = self.process.stdout.readline().strip()  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}/v1"

    def close(self) -> None:
        self.process.stdin.close()  # type: ignore[union-attr]
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self._file:
            os.unlink(self._file)

    def __enter__(self) -> CannedServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Knime:
    """KNIME's API when importable: the node, its contexts and KNIME's output writing."""

    def __init__(self) -> None:
        import knime.extension as knext
        import knime.extension.testing  # noqa: F401
        from knime_fidelity import (
            install_knime_arrow_backend,
            register_date_time_types,
            write_output,
        )

        register_date_time_types()
        self.backend = install_knime_arrow_backend()
        self.real_arrow = self.backend == "KNIME's knime._arrow"
        self.write_output = write_output
        self.api = knext.__file__

    def node_call(self, base_url: str, **settings: object) -> Callable[[], object]:
        from knime_contexts import ExecutionContext
        from node_factories import configuration_port, create_run_node

        port = configuration_port(base_url, credentials="openai")
        node = create_run_node(**settings)

        def call() -> object:
            return node.execute(ExecutionContext(CREDENTIALS), port)[0]

        return call

    def knime_part(self) -> Callable[[], object]:
        """What any node with the Create Run node's sections hands KNIME, and nothing else:
        read its five sections (KNIME copies each on access) and the settings an execute
        reads, and give KNIME a 1-row, 3-column record batch; no request, no engine."""
        import knime.extension as knext
        from node_factories import create_run_node

        node = create_run_node()
        schema = pa.schema(
            [("<RowID>", pa.string()), ("body", pa.string()), ("status", pa.int32())]
        )

        def call() -> object:
            request = node.request
            _ = (request.thread_id, request.include, request.body)
            _ = node.advanced.allow_unknown_fields
            result = node.result
            _ = (result.result_format, result.include_headers, node.errors.error_handling)
            _ = node.waiting.wait_for_completion
            arrays = [pa.array(["Row0"], pa.string()), pa.array(['{"id": "run_1"}'], pa.string()),
                      pa.array([200], pa.int32())]  # fmt: skip
            return knext.Table.from_pyarrow(pa.RecordBatch.from_arrays(arrays, schema=schema))

        return call


def load_knime() -> Knime | None:
    try:
        return Knime()
    except ImportError:
        return None


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def per_request(requests: int, knime: Knime | None) -> list[tuple[str, str]]:
    server = CannedServer()
    settings = run_settings(thread_id="thread_1", body=BODY)
    config = ConnectionConfig(base_url=server.base_url)
    request = prepare_call(CREATE_RUN, settings, config).request
    bare = httpx.Client()
    headers = [*request.headers, ("Authorization", f"Bearer {KEY}")]
    client = ApiClient(config, KEY, is_canceled=lambda: False)
    contenders: dict[str, Callable[[], object]] = {
        BARE: lambda: bare.post(request.url, headers=headers, content=request.body),
        "ApiClient.send alone (no table)": lambda: client.send(request),
        "core execute, Raw (command line: rows, no Arrow table)": lambda: create_runs(
            [CallInput("Row0", settings)], config),
    }  # fmt: skip
    if knime is not None:
        raw_node = knime.node_call(server.base_url)
        contenders["node execute, Raw (KNIME's API)"] = raw_node
        contenders["node execute, Structured (KNIME's API)"] = knime.node_call(
            server.base_url, result_format="STRUCTURED"
        )
        if knime.real_arrow:
            contenders["node execute, Raw, + KNIME writes the output table"] = lambda: (
                knime.write_output(raw_node())
            )
        contenders[
            "KNIME's part alone: 5 sections read, a 1-row batch handed over (no request)"
        ] = knime.knime_part()
    try:
        import openai

        sdk = openai.OpenAI(api_key=KEY, base_url=server.base_url, max_retries=0)

        def sdk_call() -> None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                sdk.beta.threads.runs.create("thread_1", assistant_id="asst_1")

        contenders["official openai SDK"] = sdk_call
    except ImportError:
        pass
    timings: dict[str, list[float]] = {name: [] for name in contenders}
    for call in contenders.values():  # warm-up: imports, validator, connections
        for _ in range(20):
            call()
    for _ in range(requests):  # paired: every contender once per iteration
        for name, call in contenders.items():
            started = time.perf_counter()
            call()
            timings[name].append(time.perf_counter() - started)
    bare.close()
    server.close()
    rows = []
    for name, samples in timings.items():
        ratio = statistics.median(t / b for t, b in zip(samples, timings[BARE], strict=True))
        rows.append(
            (f"(a) {name}, median of {requests}",
             f"{_median_ms(samples):.3f} ms ({ratio:.2f}x bare)")
        )  # fmt: skip
    return rows


def batch(rows: int, latency_ms: int, concurrency: int) -> list[tuple[str, str]]:
    server = CannedServer(latency_ms=latency_ms)
    config = ConnectionConfig(base_url=server.base_url)
    inputs = [
        CallInput(f"Row{i}", run_settings(thread_id=f"thread_{i}", body=BODY)) for i in range(rows)
    ]
    options = OperationOptions(concurrency=concurrency)
    # warm-up: connections, and the first table build's one-time imports (pyarrow loads
    # pandas on its first array; KNIME's process has it loaded anyway)
    warm = create_runs(inputs[:concurrency], config, options)
    assert warm.table.num_rows == concurrency
    wall, cpu = time.perf_counter(), time.process_time()
    outcome = create_runs(inputs, config, options)
    assert outcome.table.num_rows == rows  # the Arrow table KNIME gets, built within the time
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert len(outcome.rows) == rows and all(r.response.status == 200 for r in outcome.rows)
    requests = [prepare_call(CREATE_RUN, i.settings, config).request for i in inputs]
    with httpx.Client(limits=httpx.Limits(max_connections=64)) as client:

        def post(request) -> int:
            headers = [*request.headers, ("Authorization", f"Bearer {KEY}")]
            return client.post(request.url, headers=headers, content=request.body).status_code

        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(post, requests[:concurrency]))
            pool_wall, pool_cpu = time.perf_counter(), time.process_time()
            assert set(pool.map(post, requests)) == {200}
            pool_wall = time.perf_counter() - pool_wall
            pool_cpu = time.process_time() - pool_cpu
    server.close()
    ideal = rows * latency_ms / 1000 / concurrency
    return [
        (f"(b) {rows} rows, {latency_ms} ms latency, concurrency {concurrency} (core): wall",
         f"{wall:.2f} s ({wall / ideal:.2f}x the ideal {ideal:.2f} s; thread pool "
         f"{pool_wall:.2f} s = {pool_wall / ideal:.2f}x)"),
        ("(b) the same: CPU of this process", f"{cpu:.2f} s ({cpu / pool_cpu:.2f}x a thread "
         f"pool's {pool_cpu:.2f} s)"),
    ]  # fmt: skip


def _peak(call: Callable[[], object]) -> tuple[int, object]:
    """The peak of Python plus Arrow memory while ``call`` runs (an upper bound).

    tracemalloc sees Python's allocations only; Arrow's own (the table's buffers) are counted
    with ``pa.total_allocated_bytes``. Arrow allocates only once the result table is built
    (``ResultRows.to_arrow_batch``), so the Python peak is taken apart before and from then on:
    the peak is the larger of the Python peak before the table and the Python peak after it
    plus Arrow's bytes.
    """
    try:
        from openai_assistants.tables.results import ResultRows as owner
    except ImportError:  # an older checkout, measured for comparison: one eager table function
        import openai_assistants.engine as owner  # type: ignore[no-redef]
    name = next(n for n in ("to_arrow_batch", "to_arrow", "result_table") if hasattr(owner, n))
    build = getattr(owner, name)
    before: list[int] = []

    def measured_build(*args: object, **kwargs: object) -> object:
        before.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.reset_peak()
        return build(*args, **kwargs)

    setattr(owner, name, measured_build)
    arrow_before = pa.total_allocated_bytes()
    tracemalloc.start()
    try:
        result = call()
        after = tracemalloc.get_traced_memory()[1] + pa.total_allocated_bytes() - arrow_before
    finally:
        tracemalloc.stop()
        setattr(owner, name, build)
    return max([*before, after]), result


def events_memory(knime: Knime | None, size_mib: int = 10) -> list[tuple[str, str]]:
    event = "event: thread.message.delta\ndata: " + json.dumps({"d": "x" * 1000}) + "\n\n"
    count = size_mib * 1024 * 1024 // len(event)
    stream = (event * count + "event: done\ndata: [DONE]\n\n").encode()
    server = CannedServer(stream, "text/event-stream")
    settings = run_settings(thread_id="thread_1", body=STREAM_BODY)
    config = ConnectionConfig(base_url=server.base_url)
    options = OperationOptions(result_format=ResultFormat.EVENTS)

    def core() -> object:
        return create_runs([CallInput("Row0", settings)], config, options).table

    contenders = {"core execute": core}
    if knime is not None:
        contenders["node execute (KNIME's API)"] = knime.node_call(
            server.base_url, body=STREAM_BODY, result_format="EVENTS"
        )
    rows = []
    mib = len(stream) / 2**20
    for name, call in contenders.items():
        call()  # warm-up
        peak, table = _peak(call)
        assert table is not None
        del table
        rows.append(
            (f"(c) Events, {name}: peak Python + Arrow memory, one {mib:.0f} MiB stream",
             f"{peak / 2**20:.1f} MiB ({peak / len(stream):.2f}x the stream)")
        )  # fmt: skip
    server.close()
    return rows


COLD_START_OUTPUTS = ("stdout", ".csv", ".json", ".parquet")  # every --output format
COLD_START_GOAL = 2.5  # times a bare httpx process (issue 10)


def cold_start(starts: int) -> list[tuple[str, str]]:
    """One ``create-run`` process per output: printed, and each ``--output`` file format."""
    server = CannedServer()
    path = os.pathsep.join(p for p in (str(ROOT / "src"), os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "OPENAI_API_KEY": KEY, "NO_PROXY": "127.0.0.1", "PYTHONPATH": path}
    # as an installed package runs: from its cached bytecode (pip compiles on install), so
    # the warm-up writes it; with PYTHONDONTWRITEBYTECODE every start would compile the source
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    cli = [sys.executable, "-m", "openai_assistants", "create-run", "--base-url",
           server.base_url, "--thread-id", "thread_1", "--body", BODY]  # fmt: skip
    bare = [sys.executable, "-c",
            f"import httpx; httpx.post('{server.base_url}/threads/thread_1/runs', "
            f"content=b'{BODY}')"]  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        commands = {"bare": bare}
        for output in COLD_START_OUTPUTS:
            extra = [] if output == "stdout" else ["--output", str(Path(folder) / f"run{output}")]
            commands[output] = cli + extra
        times: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        for command in commands.values():  # warm the file cache and the bytecode
            subprocess.run(command, env=env, check=True, capture_output=True)
        for _ in range(starts):
            for name, command in commands.items():
                used = _children_cpu()
                started = time.perf_counter()
                subprocess.run(command, env=env, check=True, capture_output=True)
                times[name].append(time.perf_counter() - started)
                cpu[name].append(_children_cpu() - used)
    server.close()
    bare_ms, bare_cpu = _median_ms(times["bare"]), _median_ms(cpu["bare"])
    rows = []
    for output in COLD_START_OUTPUTS:
        ms, cpu_ms = _median_ms(times[output]), _median_ms(cpu[output])
        where = "to stdout" if output == "stdout" else f"--output run{output}"
        verdict = "meets" if ms <= COLD_START_GOAL * bare_ms else "misses"
        rows.append(
            (f"(d) cold start, one create-run process {where}, median of {starts}",
             f"{ms:.0f} ms = {ms / bare_ms:.2f}x the bare httpx process ({bare_ms:.0f} ms), "
             f"{verdict} the goal {COLD_START_GOAL}x; CPU {cpu_ms:.0f} ms = "
             f"{cpu_ms / bare_cpu:.2f}x ({bare_cpu:.0f} ms)")
        )  # fmt: skip
    return rows


def _children_cpu() -> float:
    """CPU seconds (user + system) of the finished child processes so far: on a shared
    machine steadier than wall time, which waits for the other processes' turns."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--starts", type=int, default=9)
    parser.add_argument("--only", default="a,b,c,d", help="which measurements, e.g. a,d")
    args = parser.parse_args()
    only = set(args.only.split(","))
    knime = load_knime()
    rows: list[tuple[str, str]] = []
    if "a" in only:
        rows += per_request(args.requests, knime)
    if "b" in only:
        rows += batch(args.rows, args.latency_ms, args.concurrency)
    if "c" in only:
        rows += events_memory(knime)
    if "d" in only:
        rows += cold_start(args.starts)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{sys.version.split()[0]}, httpx {httpx.__version__}, pyarrow {pa.__version__}"
    )
    if knime is None:
        print("knime.extension not importable: (a) and (c) measure the core's execute path only")
    else:
        print(f"knime.extension: {knime.api}; output tables: {knime.backend}")
    print("| measurement | result |")
    print("|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
