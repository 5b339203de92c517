"""shared.timefmt: RFC 3339 UTC strings in objects, milliseconds in STHs (DESIGN §4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.errors import FormatError
from shared.timefmt import format_time, parse_time, to_millis


def test_parse_and_format() -> None:
    t = parse_time("2017-02-23T10:15:00Z")
    assert t == datetime(2017, 2, 23, 10, 15, tzinfo=UTC)
    assert format_time(t) == "2017-02-23T10:15:00Z"
    assert format_time(parse_time("2017-02-23T10:15:00.250Z")) == "2017-02-23T10:15:00.250000Z"


def test_format_converts_to_utc() -> None:
    seoul = timezone(timedelta(hours=9))
    assert format_time(datetime(2017, 2, 23, 19, 15, tzinfo=seoul)) == "2017-02-23T10:15:00Z"


def test_format_refuses_naive_times() -> None:
    with pytest.raises(FormatError, match="timezone-aware"):
        format_time(datetime(2017, 2, 23, 10, 15))


def test_millis() -> None:
    assert to_millis(parse_time("1970-01-01T00:00:01.5Z")) == 1500
    assert to_millis(parse_time("2017-02-23T10:15:00Z")) == 1487844900000


BAD = [
    ("offset", "2017-02-23T19:15:00+09:00", "RFC 3339 UTC"),
    ("lower-case z", "2017-02-23T10:15:00z", "RFC 3339 UTC"),
    ("space", "2017-02-23 10:15:00Z", "RFC 3339 UTC"),
    ("no seconds", "2017-02-23T10:15Z", "RFC 3339 UTC"),
    ("trailing newline", "2017-02-23T10:15:00Z\n", "RFC 3339 UTC"),
    ("leading space", " 2017-02-23T10:15:00Z", "RFC 3339 UTC"),
    ("nanoseconds", "2017-02-23T10:15:00.123456789Z", "RFC 3339 UTC"),
    ("a number", 1487844900, "RFC 3339 UTC"),
    ("February 30", "2017-02-30T10:15:00Z", "not a real date"),
    ("hour 24", "2017-02-23T24:00:00Z", "not a real date"),
    ("leap second", "2016-12-31T23:59:60Z", "not a real date"),
]


@pytest.mark.parametrize(("name", "text", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_times(name: str, text: object, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        parse_time(text, what="created_at")


def test_millis_are_exact() -> None:
    """float seconds · 1000 truncates some times a millisecond low; the exact count does not."""
    t = parse_time("2038-01-30T08:31:15.621Z")
    assert int(t.timestamp() * 1000) == 2_148_453_075_620  # the float way
    assert to_millis(t) == 2_148_453_075_621
    with pytest.raises(FormatError):
        to_millis(datetime(2017, 1, 1))


@settings(max_examples=50, deadline=None)
@given(st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(9999, 1, 1), timezones=st.just(UTC)))
def test_round_trip(t: datetime) -> None:
    assert parse_time(format_time(t)) == t
