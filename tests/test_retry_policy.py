"""When Create Run retries and how long it waits: the pure policy, no sockets."""

from __future__ import annotations

import email.utils

import pytest

from openai_assistants.client.retry_policy import (
    RETRY_POLICY_TEXT,
    Outcome,
    is_retryable_status,
    may_have_been_processed,
    retry_delay,
    should_retry,
)

NO_JITTER = 0.0  # random() -> 0: the full back-off
MAX_JITTER = 1.0  # random() -> 1: 25 % shorter


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504])
def test_transient_statuses_are_retried(status: int) -> None:
    assert is_retryable_status(status)


@pytest.mark.parametrize("status", [200, 301, 400, 401, 403, 404, 413, 422, 501, 505])
def test_other_statuses_are_not_retried(status: int) -> None:
    assert not is_retryable_status(status)


def test_backoff_doubles_from_half_a_second_and_caps_at_eight() -> None:
    delays = [retry_delay(n, random=lambda: NO_JITTER) for n in range(7)]
    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_jitter_shortens_by_at_most_a_quarter() -> None:
    assert retry_delay(0, random=lambda: MAX_JITTER) == pytest.approx(0.375)
    assert retry_delay(4, random=lambda: MAX_JITTER) == pytest.approx(6.0)


def test_retry_after_seconds_wins() -> None:
    assert retry_delay(0, {"Retry-After": "3"}, random=lambda: 0.5) == 3.0


def test_retry_after_ms_wins_over_retry_after() -> None:
    headers = {"retry-after-ms": "250", "Retry-After": "3"}
    assert retry_delay(0, headers, random=lambda: 0.5) == 0.25


def test_retry_after_http_date_is_relative_to_now() -> None:
    now = 1_700_000_000.0
    date = email.utils.formatdate(now + 7, usegmt=True)
    assert retry_delay(0, {"Retry-After": date}, random=lambda: 0, now=lambda: now) == 7.0


def test_retry_after_is_capped_at_sixty_seconds() -> None:
    assert retry_delay(0, {"Retry-After": "3600"}, random=lambda: 0) == 60.0


@pytest.mark.parametrize("value", ["soon", "", "-5", "0"])
def test_unusable_retry_after_falls_back_to_backoff(value: str) -> None:
    assert retry_delay(1, {"Retry-After": value}, random=lambda: NO_JITTER) == 1.0


@pytest.mark.parametrize("status", [408, 409, 429, 503])
def test_a_post_is_retried_only_after_answers_that_created_nothing(status: int) -> None:
    assert should_retry(False, Outcome.ANSWERED, status)
    assert not may_have_been_processed(Outcome.ANSWERED, status)


@pytest.mark.parametrize("status", [500, 502, 504, 501, 505, 520, 599])
def test_a_post_is_never_retried_after_a_5xx_that_may_have_processed_it(status: int) -> None:
    assert not should_retry(False, Outcome.ANSWERED, status)
    assert may_have_been_processed(Outcome.ANSWERED, status)


@pytest.mark.parametrize("status", [500, 502, 504])
def test_an_idempotent_request_is_retried_after_500_502_504(status: int) -> None:
    assert should_retry(True, Outcome.ANSWERED, status)


def test_failures_after_sending_are_retried_only_for_idempotent_requests() -> None:
    assert not should_retry(False, Outcome.SENT_NO_ANSWER)
    assert should_retry(True, Outcome.SENT_NO_ANSWER)
    assert may_have_been_processed(Outcome.SENT_NO_ANSWER)


def test_a_connection_that_failed_before_sending_is_always_retried() -> None:
    assert should_retry(False, Outcome.NOT_SENT) and should_retry(True, Outcome.NOT_SENT)
    assert not may_have_been_processed(Outcome.NOT_SENT)


def test_the_stated_policy_names_every_status_it_decides() -> None:
    for status in ("408", "409", "429", "503", "500", "502", "504"):
        assert status in RETRY_POLICY_TEXT
