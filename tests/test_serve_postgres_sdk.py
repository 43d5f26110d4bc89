"""The SDK tests of :mod:`test_serve_sdk`, every one, on PostgreSQL with run leases.

The same test functions run here with the application's store a
:class:`~openai_assistants.server.store.postgres.PostgresStore` on a real PostgreSQL (started
by the suite, :mod:`postgres_server`) and the engine holding run leases, as each of several
``serve`` instances on one database does: whatever the SDK relies on with SQLite holds there
too. Each test starts on an empty database.
"""

from __future__ import annotations

import functools

import pytest
import test_serve_sdk
from test_serve_sdk import *  # noqa: F403  (the SDK tests, collected again here)

from openai_assistants.server.runs import Engine
from openai_assistants.server.store.postgres import PostgresStore
from openai_assistants.server.store.postgres_leases import RunLeases

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def sdk_database(postgres_server) -> str:
    return postgres_server.new_database("sdk_tests")


@pytest.fixture(autouse=True)
def _on_postgres(sdk_database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """``serving()`` of the SDK tests gets an emptied PostgreSQL store and leases."""
    emptied = PostgresStore(sdk_database, pool_size=2)
    emptied.execute("TRUNCATE objects")
    emptied.close()

    def store() -> PostgresStore:
        return PostgresStore(sdk_database, pool_size=4, timeout=5)

    def engine(store: PostgresStore, backend, **options) -> Engine:
        return Engine(store, backend, leases=RunLeases(store, lease_seconds=3), **options)

    monkeypatch.setattr(test_serve_sdk, "SqliteStore", store)
    monkeypatch.setattr(test_serve_sdk, "Engine", functools.wraps(Engine)(engine))


def test_the_sdk_tests_here_run_on_postgresql(sdk_database: str) -> None:
    async def check() -> None:
        async with test_serve_sdk.serving() as (client, engine):
            assert isinstance(engine.store, PostgresStore) and engine.leases is not None
            assistant = await client.beta.assistants.create(model="m", name="on postgres")
            look = PostgresStore(sdk_database, pool_size=1)
            try:
                rows = look.execute(
                    "SELECT data->>'name' FROM objects WHERE id = %s", (assistant.id,)
                )
            finally:
                look.close()
            assert rows == [("on postgres",)]

    test_serve_sdk.run(check)
