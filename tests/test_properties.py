"""Property-based tests (hypothesis): whatever the settings and whatever the server answers,
the execute path raises only the project's errors, never shows the key, and sends a POST again
only when the retry policy allows it.

The server is an ``httpx.MockTransport`` injected as the client: deterministic and fast, so
hundreds of arbitrary answers run in a few seconds.
"""

from __future__ import annotations

import json

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from node_factories import SENTINEL_KEY
from run_calls import create_one_run, run_settings

from openai_assistants.client.connection import ConnectionConfig
from openai_assistants.client.retry_policy import Outcome, should_retry
from openai_assistants.engine.execute import ErrorHandling, OperationOptions
from openai_assistants.engine.run_polling import WaitOptions
from openai_assistants.errors import OpenAIAssistantsError
from openai_assistants.tables.results import ResultFormat

BASE_URL = "http://127.0.0.1:9/v1"
ENV = {"OPENAI_API_KEY": SENTINEL_KEY}
PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)

RUN = {"id": "run_1", "object": "thread.run", "status": "completed", "created_at": 1}
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
run_like = st.fixed_dictionaries(
    {}, optional={k: json_values for k in ("id", "object", "status", "created_at", "usage")}
).map(lambda extra: {**RUN, **extra})
sse_text = st.lists(
    st.tuples(
        st.sampled_from(["thread.run.created", "thread.run.completed", "error", "", "done"]),
        st.one_of(run_like.map(json.dumps), st.text(max_size=30), st.just("[DONE]")),
        st.sampled_from(["\n", "\r", "\r\n"]),
    ),
    max_size=5,
).map(lambda events: "".join(f"event: {e}{nl}data: {d}{nl}{nl}" for e, d, nl in events))
bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda v: json.dumps(v).encode()),
    run_like.map(lambda v: json.dumps(v).encode()),
    sse_text.map(str.encode),
    st.text(max_size=100).map(lambda t: t.encode("utf-8", "surrogatepass")),
)
answers = st.tuples(
    st.integers(min_value=200, max_value=599),
    st.sampled_from(
        [
            "application/json",
            "text/event-stream",
            "Text/Event-Stream; charset=utf-8",
            "text/html",
            "application/json; charset=latin-1",
            "application/json; charset=x-bogus",
            "",
        ]
    ),
    st.sampled_from(["", "gzip", "br", "identity"]),
    bodies,
)


def client_answering(answers_list, sent: list[httpx.Request]) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        status, media_type, encoding, body = answers_list[min(len(sent), len(answers_list)) - 1]
        headers = {"Retry-After": "0"}
        if media_type:
            headers["Content-Type"] = media_type
        if encoding:
            headers["Content-Encoding"] = encoding
        return httpx.Response(status, headers=headers, content=body)

    return httpx.Client(transport=httpx.MockTransport(handler))


def assert_no_key(*texts: object) -> None:
    for text in texts:
        assert SENTINEL_KEY not in str(text)


@PROPERTY_SETTINGS
@given(
    answers_list=st.lists(answers, min_size=1, max_size=3),
    result_format=st.sampled_from(list(ResultFormat)),
    on_error=st.sampled_from(list(ErrorHandling)),
    stream=st.booleans(),
    wait=st.booleans(),
)
def test_any_server_answer_gives_a_project_outcome_and_at_most_one_post_unless_allowed(
    answers_list, result_format, on_error, stream, wait
) -> None:
    sent: list[httpx.Request] = []
    body = json.dumps({"assistant_id": "asst_1", "stream": stream})
    if result_format is ResultFormat.EVENTS and not stream:
        result_format = ResultFormat.RAW
    options = OperationOptions(
        on_error=on_error,
        result_format=result_format,
        wait=WaitOptions(poll_interval=0.001, max_wait=0.05) if wait else None,
    )
    with client_answering(answers_list, sent) as client:
        try:
            outcome = create_one_run(
                run_settings(thread_id="thread_1", body=body),
                ConnectionConfig(base_url=BASE_URL, max_retries=2),
                options=options,
                environ=ENV,
                client=client,
            )
        except OpenAIAssistantsError as exc:
            assert_no_key(exc, repr(exc), exc.args)
        else:
            assert_no_key(outcome.warnings, str(outcome.table.to_pylist()))
    posts = [r for r in sent if r.method == "POST"]
    for earlier in range(len(posts) - 1):  # every re-send answered a POST-safe answer
        status = answers_list[earlier][0] if earlier < len(answers_list) else answers_list[-1][0]
        assert should_retry(False, Outcome.ANSWERED, status)


@PROPERTY_SETTINGS
@given(
    body=st.one_of(st.text(max_size=80), json_values.map(json.dumps)),
    thread_id=st.text(max_size=20),
    organization=st.text(max_size=10),
    project=st.text(max_size=10),
    beta=st.text(max_size=15),
    key=st.text(min_size=1, max_size=20),
    base_url=st.one_of(st.just(BASE_URL), st.text(max_size=30).map(lambda t: f"http://{t}/v1")),
    timeout=st.floats(),
)
def test_any_settings_are_refused_or_sent_valid_and_never_show_the_key(
    body, thread_id, organization, project, beta, key, base_url, timeout
) -> None:
    sent: list[httpx.Request] = []
    answer = (200, "application/json", "", json.dumps(RUN).encode())
    secret = f"{SENTINEL_KEY}{key}"
    with client_answering([answer], sent) as client:
        try:
            create_one_run(
                run_settings(thread_id=thread_id, body=body),
                ConnectionConfig(
                    base_url=base_url,
                    organization=organization,
                    project=project,
                    beta_header=beta,
                    timeout=timeout,
                ),
                environ={"OPENAI_API_KEY": secret},
                client=client,
            )
        except OpenAIAssistantsError as exc:
            for shown in (str(exc), repr(exc), repr(exc.args)):
                assert SENTINEL_KEY not in shown
    assert len(sent) <= 1
    for request in sent:  # what was sent is well-formed: finite JSON, ASCII headers
        json.loads(request.content, parse_constant=lambda name: 1 / 0)
        for name, value in request.headers.raw:
            assert all(32 <= b < 127 for b in value), name


def test_a_run_field_of_the_wrong_type_is_reported_with_the_run_id() -> None:
    sent: list[httpx.Request] = []
    answer = (200, "application/json", "", b'{"id": "run_7", "created_at": false}')
    with client_answering([answer], sent) as client:
        try:
            outcome = create_one_run(
                run_settings(thread_id="thread_1", body='{"assistant_id": "a"}'),
                ConnectionConfig(base_url=BASE_URL),
                options=OperationOptions(result_format=ResultFormat.STRUCTURED),
                environ=ENV,
                client=client,
            )
        except OpenAIAssistantsError as exc:
            assert "run_7" in str(exc)  # the run exists: its id is not lost
        else:
            assert outcome.table["id"].to_pylist()[0] == "run_7"
