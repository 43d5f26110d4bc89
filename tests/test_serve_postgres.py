"""Several ``serve`` instances on one PostgreSQL database behave as one server.

Real ``openai-assistants serve`` processes (echo backend) on a real PostgreSQL started by the
suite (:mod:`postgres_server`): runs round-robin over two instances with identical lists on
both, concurrent creates on one thread (the database lets exactly one through), cancel sent
to the instance that does not execute the run, streaming from either instance, kill -9 of
the executing instance (its run is failed with ``last_error`` once the lease runs out, and
an instance starting meanwhile leaves it alone), a database restart (503s meanwhile, then
service again), migrations applied once, and the password never shown.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import openai
import pytest
from postgres_server import APP_PASSWORD

from openai_assistants.cli.main import main
from openai_assistants.server.store import StoreUnavailable
from openai_assistants.server.store.postgres import MIGRATIONS, PostgresStore, migrate

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

LEASE = 1.5  # seconds: short, so a dead instance's runs are taken over quickly here
PASSWORD_ENV = "OA_TEST_PG_PASSWORD"
STARTUP_SECONDS = 30


class Instance:
    """One ``serve`` process: its URL, and everything it printed (checked for the password)."""

    def __init__(self, process: subprocess.Popen, url: str) -> None:
        self.process = process
        self.url = url
        self.output = ""

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


@contextmanager
def instances(url: str, count: int, *, run_duration: float) -> Iterator[list[Instance]]:
    """``count`` serve processes on the database at ``url`` (password from the environment);
    at the end each is stopped, and none may have printed the password."""
    started = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "openai_assistants",
                "serve",
                "--port",
                "0",
                "--backend",
                "echo",
                "--run-duration",
                str(run_duration),
                "--db",
                url,
                "--db-password-env",
                PASSWORD_ENV,
                "--lease-seconds",
                str(LEASE),
                "--db-timeout",
                "3",
                "--quiet",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, PASSWORD_ENV: APP_PASSWORD},
        )
        for _ in range(count)
    ]
    ready: list[Instance] = []
    try:
        for process in started:
            lines, _, _ = select.select([process.stdout], [], [], STARTUP_SECONDS)
            assert lines, "serve printed nothing"
            first = process.stdout.readline().strip()
            assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", first), first + (
                process.stderr.read() if process.poll() is not None else ""
            )
            ready.append(Instance(process, first))
        yield ready
    finally:
        for process in started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process, instance in zip(started, ready + [None] * len(started), strict=False):
            try:
                out, err = process.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                out, err = process.communicate(timeout=5)
            if instance is not None:
                instance.output = out + err
            assert APP_PASSWORD not in out + err


@pytest.fixture(scope="module")
def database(postgres_server) -> str:
    """The database the instances of this module share, its URL without the password."""
    postgres_server.new_database("instances")
    return postgres_server.url("instances", password=False)


def _run(test, timeout: float = 60) -> None:
    asyncio.run(asyncio.wait_for(test(), timeout))


async def _json(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()


async def _assistant(http: httpx.AsyncClient, base: str) -> str:
    body = {"model": "echo", "name": "echo"}
    return (await _json(await http.post(f"{base}/assistants", json=body)))["id"]


async def _wait_for(http: httpx.AsyncClient, base: str, thread: str, run: str, *statuses: str):
    for _ in range(400):
        found = await _json(await http.get(f"{base}/threads/{thread}/runs/{run}"))
        if found["status"] in statuses:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"run {run} stayed {found['status']}")


HEADERS = {"Authorization": "Bearer sk-test", "OpenAI-Beta": "assistants=v2"}


def test_200_runs_round_robin_over_two_instances_and_every_list_is_the_same_on_both(database):
    with instances(database, 2, run_duration=0) as (a, b):

        async def test() -> None:
            async with httpx.AsyncClient(headers=HEADERS, timeout=30) as http:
                assistant = await _assistant(http, a.url)
                gate = asyncio.Semaphore(20)

                async def one(i: int) -> tuple[str, str]:
                    here, there = (a, b) if i % 2 else (b, a)
                    async with gate:
                        body = {
                            "assistant_id": assistant,
                            "thread": {"messages": [{"role": "user", "content": f"run {i}"}]},
                        }
                        run = await _json(await http.post(f"{here.url}/threads/runs", json=body))
                        done = await _wait_for(
                            http, there.url, run["thread_id"], run["id"], "completed", "failed"
                        )
                        assert done["status"] == "completed", done
                        return run["thread_id"], f"run {i}"

                threads = await asyncio.gather(*(one(i) for i in range(200)))
                for thread, text in threads[:20]:
                    lists = [
                        await _json(await http.get(f"{inst.url}/threads/{thread}/messages"))
                        for inst in (a, b)
                    ]
                    assert lists[0] == lists[1]
                    replies = [m["content"][0]["text"]["value"] for m in lists[0]["data"]]
                    assert replies == [f"Echo: {text}", text]
                runs = [
                    await _json(await http.get(f"{inst.url}/threads/{threads[7][0]}/runs"))
                    for inst in (a, b)
                ]
                assert runs[0] == runs[1] and runs[0]["data"][0]["status"] == "completed"

        _run(test)


def test_concurrent_creates_on_one_thread_one_succeeds_the_other_gets_the_apis_400(database):
    with instances(database, 2, run_duration=1.5) as (a, b):

        async def test() -> None:
            async with httpx.AsyncClient(headers=HEADERS, timeout=30) as http:
                assistant = await _assistant(http, a.url)
                for _ in range(8):
                    thread = await _json(await http.post(f"{a.url}/threads", json={}))
                    body = {"assistant_id": assistant}
                    answers = await asyncio.gather(
                        *(
                            http.post(f"{inst.url}/threads/{thread['id']}/runs", json=body)
                            for inst in (a, b)
                        )
                    )
                    codes = sorted(answer.status_code for answer in answers)
                    assert codes == [200, 400], [answer.text for answer in answers]
                    refused = next(answer for answer in answers if answer.status_code == 400)
                    error = refused.json()["error"]
                    assert "already has an active run" in error["message"]
                    assert error["type"] == "invalid_request_error"
                    runs = await _json(await http.get(f"{b.url}/threads/{thread['id']}/runs"))
                    assert len(runs["data"]) == 1

        _run(test)


def test_cancel_sent_to_the_other_instance_ends_the_stream_on_the_executing_one(database):
    with instances(database, 2, run_duration=20) as (a, b):

        async def test() -> None:
            async with httpx.AsyncClient(headers=HEADERS, timeout=30) as http:
                assistant = await _assistant(http, b.url)
                body = {
                    "assistant_id": assistant,
                    "stream": True,
                    "thread": {"messages": [{"role": "user", "content": "a long answer"}]},
                }
                events: list[str] = []
                async with http.stream("POST", f"{a.url}/threads/runs", json=body) as stream:
                    lines = stream.aiter_lines()
                    run = None
                    async for line in lines:
                        if line.startswith("event: "):
                            events.append(line[7:])
                        elif line.startswith("data: {") and events[-1] == "thread.run.created":
                            run = json.loads(line[6:])
                        if events and events[-1] == "thread.run.queued":
                            break
                    assert run is not None
                    asked = time.monotonic()
                    cancel = f"{b.url}/threads/{run['thread_id']}/runs/{run['id']}/cancel"
                    cancelling = await _json(await http.post(cancel))
                    assert cancelling["status"] == "cancelling"
                    async for line in lines:
                        if line.startswith("event: "):
                            events.append(line[7:])
                    took = time.monotonic() - asked
                assert events[-2:] == ["thread.run.cancelled", "done"], events
                assert took < LEASE, f"the cancel took {took:.2f} s to reach the executing server"
                ended = await _json(
                    await http.get(f"{b.url}/threads/{run['thread_id']}/runs/{run['id']}")
                )
                assert ended["status"] == "cancelled" and ended["cancelled_at"] is not None

        _run(test)


def test_sdk_streams_from_the_instance_it_is_connected_to_on_a_thread_made_on_the_other(
    database,
):
    with instances(database, 2, run_duration=0.3) as (a, b):

        async def test() -> None:
            sdk = {"api_key": "sk-test", "max_retries": 0}
            on_a = openai.AsyncOpenAI(base_url=a.url, **sdk)
            on_b = openai.AsyncOpenAI(base_url=b.url, **sdk)
            assistant = await on_a.beta.assistants.create(model="echo")
            thread = await on_a.beta.threads.create(
                messages=[{"role": "user", "content": "hello from a"}]
            )
            async with on_b.beta.threads.runs.stream(
                thread_id=thread.id, assistant_id=assistant.id
            ) as stream:
                deltas = [
                    event.data.delta.content[0].text.value
                    async for event in stream
                    if event.event == "thread.message.delta"
                ]
                run = await stream.get_final_run()
            assert "".join(deltas) == "Echo: hello from a"
            assert run.status == "completed"
            listed = await on_a.beta.threads.messages.list(thread.id)
            assert listed.data[0].content[0].text.value == "Echo: hello from a"
            await on_a.close()
            await on_b.close()

        _run(test)


def test_kill_9_fails_the_run_after_its_lease_and_a_new_instance_leaves_live_runs_alone(
    database, postgres_server
):
    with instances(database, 1, run_duration=15) as (a,):  # queued 5 s, then answering 10 s

        async def start_run() -> tuple[str, str]:
            async with httpx.AsyncClient(headers=HEADERS, timeout=30) as http:
                assistant = await _assistant(http, a.url)
                body = {
                    "assistant_id": assistant,
                    "thread": {"messages": [{"role": "user", "content": "long"}]},
                }
                run = await _json(await http.post(f"{a.url}/threads/runs", json=body))
                return run["thread_id"], run["id"]

        thread, run_id = asyncio.run(start_run())
        # c starts while a holds the run: it must leave it alone, at start and later
        with instances(database, 1, run_duration=15) as (c,):

            async def test() -> None:
                async with httpx.AsyncClient(headers=HEADERS, timeout=30) as http:
                    await _wait_for(http, c.url, thread, run_id, "in_progress")
                    await asyncio.sleep(1.5 * LEASE)  # past a lease: a renews, c sweeps
                    alive = await _json(await http.get(f"{c.url}/threads/{thread}/runs/{run_id}"))
                    assert alive["status"] == "in_progress", alive
                    owner = PostgresStore(postgres_server.url("instances"), pool_size=1)
                    try:
                        rows = owner.execute("SELECT owner FROM objects WHERE id = %s", (run_id,))
                    finally:
                        owner.close()
                    assert rows[0][0].split(":")[1] == str(a.process.pid)
                    a.kill()
                    killed = time.monotonic()
                    ended = await _wait_for(http, c.url, thread, run_id, "failed")
                    took = time.monotonic() - killed
                    assert "lease ran out" in ended["last_error"]["message"]
                    assert ended["last_error"]["code"] == "server_error"
                    assert took < 2 * LEASE + 2, took
                    messages = await _json(await http.get(f"{c.url}/threads/{thread}/messages"))
                    statuses = [m["status"] for m in messages["data"]]
                    assert "in_progress" not in statuses
                    runs = await _json(
                        await http.post(
                            f"{c.url}/threads/{thread}/runs",
                            json={"assistant_id": ended["assistant_id"]},
                        )
                    )
                    assert runs["status"] == "queued"  # the thread is not blocked

            _run(test)


def test_migrations_are_applied_once_by_instances_starting_together(postgres_server):
    url = postgres_server.new_database("migrations")

    async def start_four() -> list[PostgresStore]:
        return await asyncio.gather(
            *(asyncio.to_thread(PostgresStore, url, pool_size=1) for _ in range(4))
        )

    stores = asyncio.run(start_four())
    try:
        rows = stores[0].execute("SELECT version FROM schema_migrations ORDER BY version")
        assert [row[0] for row in rows] == [version for version, _ in MIGRATIONS]
        with stores[1]._pool.connection() as conn:
            assert migrate(conn) == []  # nothing left to apply
    finally:
        for store in stores:
            store.close()


def test_a_database_restart_answers_503_meanwhile_then_serves_again(postgres_server):
    from openai_assistants.server.app import create_app
    from openai_assistants.server.backends.echo import EchoBackend
    from openai_assistants.server.runs import Engine

    url = postgres_server.new_database("restart")
    store = PostgresStore(url, pool_size=2, timeout=1)
    app = create_app(Engine(store, EchoBackend(0)))

    async def test() -> None:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url="http://127.0.0.1/v1",
                headers=HEADERS,
            ) as http,
        ):
            thread = await _json(await http.post("/threads", json={}))
            postgres_server.halt()
            try:
                started = time.monotonic()
                down = await http.get(f"/threads/{thread['id']}")
                took = time.monotonic() - started
                assert down.status_code == 503
                error = down.json()["error"]
                assert error["type"] == "server_error" and "try again" in error["message"]
                assert APP_PASSWORD not in down.text
                assert took < 5, took  # bounded by the store's timeout, never hung
                again = await http.get(f"/threads/{thread['id']}")  # fails fast now
                assert again.status_code == 503
            finally:
                postgres_server.start_again()
            for _ in range(50):
                back = await http.get(f"/threads/{thread['id']}")
                if back.status_code == 200:
                    break
                await asyncio.sleep(0.2)
            assert back.status_code == 200 and back.json()["id"] == thread["id"]

    _run(test)


def test_a_database_that_cannot_be_opened_is_named_with_the_password_masked(
    postgres_server, capsys
):
    wrong = f"postgresql://serve:{APP_PASSWORD}x@127.0.0.1:{postgres_server.port}/nothing"
    code = main(["serve", "--port", "0", "--backend", "echo", "--db", wrong, "--db-timeout", "3"])
    out, err = capsys.readouterr()
    assert code == 2
    assert APP_PASSWORD not in out + err
    assert f"--db postgresql://serve:***@127.0.0.1:{postgres_server.port}/nothing" in err


def test_store_errors_never_carry_the_password(postgres_server):
    url = postgres_server.new_database("masking")
    store = PostgresStore(url, pool_size=1, timeout=1)
    try:
        postgres_server.halt()
        with pytest.raises(StoreUnavailable) as caught:
            store.get("thread", "thread_x")
        assert APP_PASSWORD not in str(caught.value)
        assert f"postgresql://serve:***@127.0.0.1:{postgres_server.port}/masking" in str(
            caught.value
        )
    finally:
        postgres_server.start_again()
        store.close()


def test_leases_one_holder_renewal_keeps_it_and_only_a_run_out_lease_is_taken_over(
    postgres_server,
):
    from openai_assistants.server.store.postgres_leases import RunLeases

    url = postgres_server.new_database("leases")
    store = PostgresStore(url, pool_size=2)
    try:
        store.insert("thread", {"id": "thread_1"})
        run = {"id": "run_1", "status": "queued", "thread_id": "thread_1"}
        store.insert("run", run, thread_id="thread_1", run_id="run_1")
        first = RunLeases(store, lease_seconds=0.6, owner="first")
        second = RunLeases(store, lease_seconds=0.6, owner="second")
        assert first.claim("run_1")
        assert not second.claim("run_1")  # a live holder keeps it
        assert second.holder("run_1") == "first"
        for _ in range(3):  # renewed past two leases: never an orphan
            time.sleep(0.3)
            assert first.renew(["run_1"]) == {"run_1": "queued"}
            assert second.orphans() == []
            assert not second.take_over("run_1")
        time.sleep(0.8)  # the holder stopped renewing: the lease runs out
        assert second.orphans() == [("run_1", "queued")]
        assert second.take_over("run_1")
        assert not first.take_over("run_1")  # exactly one takes it over
        assert first.renew(["run_1"]) == {}  # the old holder learns it lost the run
        second.release("run_1")
        assert second.holder("run_1") is None
        store.patch("run", "run_1", {"status": "requires_action"})
        assert not first.claim("run_1")  # a run waiting for tool outputs is nobody's
    finally:
        store.close()


def test_a_cancel_whose_notification_was_lost_is_seen_at_the_next_lease_renewal(
    postgres_server,
):
    from openai_assistants.server.backends.echo import EchoBackend
    from openai_assistants.server.runs import Engine
    from openai_assistants.server.store.postgres_leases import RunLeases

    url = postgres_server.new_database("lost_notify")

    async def test() -> None:
        stores = [PostgresStore(url, pool_size=2) for _ in range(2)]
        # no start_background(): neither engine listens, so a NOTIFY reaches nobody
        a, b = (
            Engine(store, EchoBackend(20), leases=RunLeases(store, owner=name))
            for store, name in zip(stores, "ab", strict=True)
        )
        try:
            a.store.insert("assistant", {"id": "asst_1", "model": "echo", "tools": []})
            a.store.insert("thread", {"id": "thread_1", "metadata": {}})
            run, _ = a.create_run("thread_1", {"assistant_id": "asst_1"})
            await asyncio.sleep(0.1)
            assert a.active_tasks == 1
            cancelling = b.cancel_run("thread_1", run["id"])
            assert cancelling["status"] == "cancelling"
            await asyncio.sleep(0.1)
            assert a.active_tasks == 1  # the notification went nowhere
            a.renew_leases()
            for _ in range(100):
                if a.active_tasks == 0:
                    break
                await asyncio.sleep(0.02)
            ended = b.run("thread_1", run["id"])
            assert ended["status"] == "cancelled" and ended["cancelled_at"] is not None
        finally:
            for engine in (a, b):
                await engine.stop()
            for store in stores:
                store.close()

    _run(test, timeout=30)


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--db", "x.sqlite", "--db-password-env", "OA_TEST_PG_PASSWORD"], "needs --db postgresql"),
        (
            ["--db", "postgresql://serve@127.0.0.1:1/db", "--db-password-env", "OA_TEST_EMPTY"],
            "the environment variable OA_TEST_EMPTY is empty",
        ),
        (["--db", "postgresql://serve@127.0.0.1:1/db", "--lease-seconds", "0"], "--lease-seconds"),
    ],
)
def test_database_options_that_cannot_work_are_refused_naming_the_option(
    arguments, expected, capsys, monkeypatch
):
    monkeypatch.setenv("OA_TEST_EMPTY", "")
    code = main(["serve", "--port", "0", "--backend", "echo", *arguments])
    assert code == 2
    assert expected in capsys.readouterr().err


def test_a_queued_run_of_a_dead_instance_is_executed_by_the_one_that_takes_it_over(
    postgres_server,
):
    from openai_assistants.server.backends.echo import EchoBackend
    from openai_assistants.server.runs import Engine
    from openai_assistants.server.store.postgres_leases import RunLeases

    url = postgres_server.new_database("queued_orphan")

    async def test() -> None:
        dead_store, store = PostgresStore(url, pool_size=1), PostgresStore(url, pool_size=2)
        dead = Engine(dead_store, EchoBackend(0), leases=RunLeases(dead_store, owner="dead"))
        dead.store.insert("assistant", {"id": "asst_1", "model": "echo", "tools": []})
        dead.store.insert("thread", {"id": "thread_1", "metadata": {}})
        dead.add_message(
            "thread_1", "user", [{"type": "text", "text": {"value": "hi"}}], None, None
        )
        dead._start = lambda run_id, claimed=False: dead.leases.claim(run_id)  # dies at once
        run, _ = dead.create_run("thread_1", {"assistant_id": "asst_1"})
        dead_store.execute(  # its lease ran out
            "UPDATE objects SET lease_until = now() - interval '1 second' WHERE id = %s",
            (run["id"],),
        )
        taker = Engine(store, EchoBackend(0), leases=RunLeases(store, owner="taker"))
        try:
            assert taker.recover() == []  # taken over to be executed, not failed
            for _ in range(100):
                if taker.active_tasks == 0:
                    break
                await asyncio.sleep(0.02)
            done = taker.run("thread_1", run["id"])
            assert done["status"] == "completed", done
            messages = store.all("message", thread_id="thread_1")
            assert [m["role"] for m in messages] == ["user", "assistant"]
        finally:
            await taker.stop()
            dead_store.close()
            store.close()

    _run(test, timeout=30)


def test_a_url_holding_the_password_is_shown_masked_and_warned_about(database, postgres_server):
    url = postgres_server.url("instances")  # the module's database, password in the URL
    process = subprocess.Popen(
        [sys.executable, "-m", "openai_assistants", "serve", "--port", "0", "--quiet",
         "--backend", "echo", "--db", url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        lines, _, _ = select.select([process.stdout], [], [], STARTUP_SECONDS)
        assert lines, "serve printed nothing"
        base = process.stdout.readline().strip()
        storage = process.stdout.readline().strip()
        answer = httpx.get(f"{base}/assistants", headers=HEADERS, timeout=10)
        assert answer.status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=15)
    masked = f"postgresql://serve:***@127.0.0.1:{postgres_server.port}/instances"
    assert storage == f"Storage: {masked}"
    assert f"warning: --db {masked} holds a password" in err
    assert APP_PASSWORD not in storage + out + err
