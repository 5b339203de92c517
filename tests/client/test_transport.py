"""The one client's boundary: Retry-After honoured with bounded, jittered waits; problems
become typed errors with the server's code; network failures retried only where safe.
Against a real HTTP server on 127.0.0.1 (tests/client/scripted.py); waits are recorded by
an injected ``sleep``, not slept."""

from __future__ import annotations

import random
import socket
from datetime import UTC, datetime

import pytest

from client import LedgerClient, RetryPolicy, ServerRefused, ServerUnavailable
from client.transport import retry_after_seconds
from tests.client.scripted import Answer, busy, scripted

NOW = datetime(2026, 12, 2, 12, 0, 0, tzinfo=UTC)


def _client(url: str, slept: list[float], **policy: object) -> LedgerClient:
    retry = RetryPolicy(sleep=slept.append, rng=random.Random(1), **policy)  # type: ignore[arg-type]
    return LedgerClient.for_url(url, retry=retry, timeout=(2.0, 5.0))


RETRY_AFTER = [
    ("3", 3.0),
    ("0", 0.0),
    (" 12 ", 12.0),
    ("Wed, 02 Dec 2026 12:00:30 GMT", 30.0),
    ("Wed, 02 Dec 2026 11:59:00 GMT", 0.0),  # a date in the past: at once
    (None, None),
    ("", None),
    ("soon", None),
    ("-5", None),
    ("1.5", None),  # delay-seconds is an integer (RFC 9110)
]


@pytest.mark.parametrize(("value", "seconds"), RETRY_AFTER)
def test_retry_after_is_seconds_or_an_http_date(value: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(value, now=lambda: NOW) == seconds


def test_backoff_without_retry_after_is_jittered_and_capped() -> None:
    p = RetryPolicy(base_s=0.5, cap_s=4.0, rng=random.Random(3))
    delays = [p.delay(n, None) for n in range(12) for _ in range(20)]
    assert all(0 <= d <= 4.0 for d in delays)
    assert len({round(d, 6) for d in delays}) > 100  # jitter: not one fixed schedule
    told = [p.delay(0, 2.0) for _ in range(50)]
    assert all(2.0 <= d <= 2.4 for d in told) and len(set(told)) > 1
    assert p.delay(0, 3600.0) == 4.0  # a server asking for an hour gets the cap


def test_a_503_with_retry_after_is_sent_again_after_the_wait() -> None:
    slept: list[float] = []
    with scripted(busy("2"), busy("1"), Answer(201, b'{"index": 7}')) as srv:
        out = _client(srv.url, slept).post_ballot({"ballot": {}, "sig": "x"})
    assert out == {"index": 7}
    assert [m for m, _, _ in srv.seen] == ["POST"] * 3
    assert srv.seen[0][2] == srv.seen[2][2]  # the same body each time
    assert 2.0 <= slept[0] <= 2.4 and 1.0 <= slept[1] <= 1.2


def test_a_429_is_back_pressure_too() -> None:
    slept: list[float] = []
    with scripted(busy("1", status=429), Answer(200, b'{"tree_size": 3}')) as srv:
        assert _client(srv.url, slept).sth() == {"tree_size": 3}
    assert len(slept) == 1 and len(srv.seen) == 2


def test_attempts_are_bounded_and_the_last_retry_after_is_reported() -> None:
    slept: list[float] = []
    with scripted(*[busy("1")] * 10) as srv, pytest.raises(ServerUnavailable) as err:
        _client(srv.url, slept, attempts=3).post_ballot({"ballot": {}, "sig": "x"})
    assert len(srv.seen) == 3 and len(slept) == 2
    assert err.value.status == 503 and err.value.retry_after == 1.0
    assert "answered 503: try again later (retry after 1 s)" in str(err.value)


def test_a_wait_past_the_total_budget_is_not_started() -> None:
    slept: list[float] = []
    with scripted(busy("1"), busy("120")) as srv, pytest.raises(ServerUnavailable) as err:
        _client(srv.url, slept, attempts=10, total_s=30.0, cap_s=300.0).sth()
    assert len(srv.seen) == 2 and len(slept) == 1  # 120 s would pass the 30 s budget
    assert err.value.retry_after == 120.0  # the caller's own loop waits that long


def test_a_problem_is_a_refusal_with_the_servers_code_and_is_not_retried() -> None:
    slept: list[float] = []
    problem = Answer(409, b'{"type":"about:blank","status":409,"code":"wrong_event","detail":"another event"}',
                     {"Content-Type": "application/problem+json"})
    with scripted(problem) as srv, pytest.raises(ServerRefused) as err:
        _client(srv.url, slept).register({"kiosk": "k"})
    assert (err.value.status, err.value.code, err.value.detail) == (409, "wrong_event", "another event")
    assert err.value.method == "POST" and err.value.url == srv.url + "/api/v1/kiosks"
    assert len(srv.seen) == 1 and slept == []


def test_a_500_and_a_body_that_is_not_json_are_unavailable_not_refused() -> None:
    slept: list[float] = []
    with scripted(Answer(500, b"oops", {}), Answer(200, b"<html>", {})) as srv:
        c = _client(srv.url, slept)
        with pytest.raises(ServerUnavailable, match="answered 500"):
            c.sth()
        with pytest.raises(ServerUnavailable, match="GET /api/v1/ledger/sth is not valid JSON"):
            c.sth()
    assert slept == []  # a 500 is not back-pressure: the caller's loop decides


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_network_failures_are_retried_only_for_reads_that_ask_for_it() -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    slept: list[float] = []
    with pytest.raises(ServerUnavailable) as err:
        _client(url, slept, retry_network=True, attempts=3).sth()
    assert len(slept) == 2 and err.value.status is None and "connection refused" in err.value.reason
    slept.clear()
    with pytest.raises(ServerUnavailable):
        _client(url, slept, retry_network=True, attempts=3).post_ballot({"ballot": {}})
    assert slept == []  # a POST whose fate is unknown is left to the caller
    with pytest.raises(ServerUnavailable):
        _client(url, slept, attempts=3).sth()
    assert slept == []


def test_the_bearer_token_goes_with_staff_calls_only_after_login() -> None:
    with scripted(Answer(200, b'{"token": "t0k"}'), Answer(200, b'{"status": "approved"}')) as srv:
        c = _client(srv.url, [])
        c.staff_login("staff", "pw")
        c.approve_kiosk(None, "k1")
    assert "Authorization" not in srv.headers[0]
    assert srv.seen[1][:2] == ("POST", "/api/v1/staff/kiosks/k1/approve")
    assert srv.headers[1]["Authorization"] == "Bearer t0k"


def test_a_call_can_bound_its_own_waiting() -> None:
    """The online kiosk's delivery while a person waits: one short retry at most."""
    slept: list[float] = []
    quick = RetryPolicy(attempts=2, total_s=3.0, sleep=slept.append, rng=random.Random(2))
    with scripted(busy("5"), Answer(201, b'{"index": 1}')) as srv, pytest.raises(ServerUnavailable) as err:
        _client(srv.url, slept).post_ballot({"ballot": {}}, retry=quick)
    assert len(srv.seen) == 1 and slept == [] and err.value.retry_after == 5.0
    with scripted(busy("1"), Answer(201, b'{"index": 1}')) as srv:
        assert _client(srv.url, slept).post_ballot({"ballot": {}}, retry=quick) == {"index": 1}
    assert len(slept) == 1
