"""A sentinel API key travels through every path and must surface nowhere but the wire.

Scanned: output tables, passthrough specs, saved node settings, warnings, progress messages,
exception texts, log records and repr() of everything the user can see.
"""

from __future__ import annotations

import json
import logging

import knime.extension.parameter as kparam
import pytest
from http_stub import Reply, StubServer
from knime_contexts import ConfigurationContext, ExecutionContext
from node_factories import SENTINEL_KEY, configuration_node, configuration_port, create_run_node

CREDENTIALS = {"openai": SENTINEL_KEY}
ERROR = '{"error": {"message": "bad", "type": "x", "param": null, "code": null}}'

SCENARIOS = {
    "success": dict(replies=[Reply(200, '{"id": "run_1"}')]),
    "http error fails": dict(replies=[Reply(401, ERROR)]),
    "http error as row": dict(replies=[Reply(401, ERROR)], node=dict(error_handling="OUTPUT")),
    "retried then success": dict(
        replies=[Reply(429, ERROR, headers={"Retry-After": "0.01"}), Reply(200, "{}")],
        config=dict(max_retries=1),
    ),
    "server error retried and given up": dict(
        replies=[Reply(503, "<html>down</html>", headers={"Retry-After": "0.01"})] * 2,
        config=dict(max_retries=1),
    ),
    "dropped connection": dict(replies=[Reply(drop=True)]),
    "non json success": dict(replies=[Reply(200, "<html>hello</html>")]),
    "azure header": dict(replies=[Reply(400, ERROR)], config=dict(auth_header="API_KEY")),
    "structured with headers": dict(
        replies=[Reply(400, ERROR, headers={"x-request-id": "req_1"})],
        node=dict(result_format="STRUCTURED", include_headers=True, error_handling="OUTPUT"),
    ),
    "waiting for the run": dict(
        replies=[
            Reply(200, '{"id": "run_1", "object": "thread.run", "status": "queued"}'),
            Reply(500, ERROR),
        ],
        node=dict(wait_for_completion=True, poll_interval=0.1),
    ),
    "invalid body": dict(replies=[], node=dict(body='{"assistant_id": "a", "top_p": 9}')),
    "unknown field warning": dict(
        replies=[Reply(200, "{}")],
        node=dict(body='{"assistant_id": "a", "zz": 1}', allow_unknown_fields=True),
    ),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_sentinel_key_appears_nowhere_visible(name: str, caplog: pytest.LogCaptureFixture) -> None:
    scenario = SCENARIOS[name]
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    with StubServer() as server:
        server.reply(*scenario["replies"])
        config_node = configuration_node(
            server.base_url, credentials="openai", **scenario.get("config", {})
        )
        spec = config_node.configure(ConfigurationContext(CREDENTIALS))
        port = configuration_port(
            server.base_url, credentials="openai", **scenario.get("config", {})
        )
        node = create_run_node(**scenario.get("node", {}))
        context = ExecutionContext(CREDENTIALS)
        try:
            table, passthrough = node.execute(context, port)
            seen += [
                table.to_pandas().to_csv(),
                repr(passthrough),
                json.dumps(passthrough.spec.serialize()),
            ]
        except Exception as exc:  # every failure's text is what KNIME shows
            seen += [str(exc), repr(exc), repr(exc.__cause__), repr(exc.__context__)]
    seen += [repr(spec), json.dumps(spec.serialize()), repr(port), port.serialize().decode()]
    seen += [json.dumps(kparam.extract_parameters(config_node)), repr(config_node)]
    seen += [json.dumps(kparam.extract_parameters(node)), repr(node)]
    seen += context.warnings + [str(p) for p in context.progress]
    seen += [record.getMessage() for record in caplog.records]
    assert any(server.received) or not scenario["replies"]
    for text in seen:
        assert SENTINEL_KEY not in text
        assert SENTINEL_KEY[3:20] not in text  # no partial or prefixed form either
    if scenario["replies"]:  # the key did reach the server, where it belongs
        sent = server.received[0].headers
        assert SENTINEL_KEY in (sent.get("authorization", "") + sent.get("api-key", ""))
