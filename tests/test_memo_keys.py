"""A remembered result is never handed to settings that only compare equal: ``True == 1``
in Python, but ``limit=True`` or ``timeout=True`` is refused where ``1`` is accepted, also
right after the valid value was remembered (the memos key each value with its type)."""

from __future__ import annotations

import httpx
import pytest
from run_calls import prepare_run, run_settings

from openai_assistants import operations
from openai_assistants.client.client import ApiClient
from openai_assistants.client.connection import ConnectionConfig
from openai_assistants.engine.execute import CallInput, CallSettings, execute_operation
from openai_assistants.errors import InvalidSettingsError
from openai_assistants.memo import clear_all, typed

ENV = {"OPENAI_API_KEY": "sk-memo-test"}
LIST_MESSAGES = operations.by_id("listMessages")


@pytest.fixture(autouse=True)
def _forget() -> None:
    clear_all()


def _list(limit: object, config: ConnectionConfig) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"object": "list", "data": [], "has_more": False})

    settings = CallSettings(path_values={"thread_id": "thread_1"}, query_values={"limit": limit})
    with httpx.Client(transport=httpx.MockTransport(answer)) as client:
        execute_operation(
            LIST_MESSAGES,
            [CallInput("Row0", settings)],
            ApiClient.connect(config, environ=ENV, http=client),
        )


def test_a_query_value_equal_to_a_remembered_one_is_still_checked() -> None:
    config = ConnectionConfig(base_url="https://api.example.test/v1", max_retries=0)
    _list(1, config)
    with pytest.raises(InvalidSettingsError) as refused:
        _list(True, config)
    assert refused.value.setting == "limit"


def test_a_configuration_equal_to_a_remembered_one_is_still_checked() -> None:
    _list(1, ConnectionConfig(base_url="https://api.example.test/v1", timeout=1))
    with pytest.raises(InvalidSettingsError) as refused:
        _list(1, ConnectionConfig(base_url="https://api.example.test/v1", timeout=True))
    assert refused.value.setting == "timeout"


def test_create_run_settings_equal_to_remembered_ones_are_still_checked() -> None:
    settings = run_settings(thread_id="thread_1", body='{"assistant_id": "asst_1"}')
    prepare_run(settings, ConnectionConfig(timeout=1))
    with pytest.raises(InvalidSettingsError) as refused:
        prepare_run(settings, ConnectionConfig(timeout=True))
    assert refused.value.setting == "timeout"


def test_typed_keys_part_equal_values_of_other_types() -> None:
    assert True == 1 == 1.0 and len({typed(True), typed(1), typed(1.0)}) == 3
    assert typed([1, "a"]) != typed((1, "a")) and typed({"k": [1]}) == typed({"k": [1]})
