"""A table's rows share one connection configuration, checked once (issue 10, batch speed)."""

from __future__ import annotations

from pathlib import Path

import pytest

import openai_assistants.client.connection as connection
from openai_assistants.client.connection import ConnectionConfig, validate_connection
from openai_assistants.errors import InvalidSettingsError


def test_a_configuration_that_passed_is_not_checked_again(monkeypatch: pytest.MonkeyPatch):
    config = ConnectionConfig(base_url="http://127.0.0.1:9/v1", organization="org-checked-once")
    checks: list[ConnectionConfig] = []
    check = connection._validate_connection

    def counting(checked: ConnectionConfig) -> list[str]:
        checks.append(checked)
        return check(checked)

    monkeypatch.setattr(connection, "_validate_connection", counting)
    assert [validate_connection(config) for _ in range(50)] == [[]] * 50
    assert checks == [config]


def test_remembered_warnings_are_repeated_for_every_call() -> None:
    config = ConnectionConfig(base_url="http://api.example.test/v1", project="proj_warned")
    first, second = validate_connection(config), validate_connection(config)
    assert first == second and "unencrypted" in first[0]
    first.append("changed by a caller")
    assert validate_connection(config) == second  # a copy each time


def test_a_value_equal_to_a_valid_one_but_of_another_type_is_still_refused() -> None:
    assert validate_connection(ConnectionConfig(timeout=1)) == []
    with pytest.raises(InvalidSettingsError) as refused:
        validate_connection(ConnectionConfig(timeout=True))  # True == 1, but not a number
    assert refused.value.setting == "timeout"


def test_a_ca_bundle_that_went_away_is_noticed(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("not read here")
    config = ConnectionConfig(ca_bundle=str(bundle))
    assert validate_connection(config) == []
    bundle.unlink()
    with pytest.raises(InvalidSettingsError) as refused:
        validate_connection(config)
    assert refused.value.setting == "ca_bundle"
