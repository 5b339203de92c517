"""RFC 3339 UTC timestamps as simsa objects carry them: ``2017-02-23T10:15:00Z``."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from .errors import FormatError

_RFC3339_UTC = re.compile(r"\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z\Z")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_time(text: object, *, what: str = "timestamp") -> datetime:
    """Parse an RFC 3339 UTC string ending in ``Z`` into an aware datetime."""
    parsed = _parse(str(text)) if isinstance(text, str) else "form"
    if isinstance(parsed, datetime):
        return parsed
    if parsed == "date":
        raise FormatError(f"{what} {text!r} is not a real date and time")
    raise FormatError(f"{what} must be an RFC 3339 UTC time like 2017-02-23T10:15:00Z")


@lru_cache(maxsize=4096)  # a ledger's timestamps repeat: ballots of one second, one batch
def _parse(text: str) -> datetime | str:
    """The datetime, or what is wrong: "form" or "date"."""
    if not _RFC3339_UTC.match(text):
        return "form"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return "date"


def format_time(when: datetime) -> str:
    """Format an aware datetime as RFC 3339 UTC with ``Z``, whole seconds unless needed."""
    if when.tzinfo is None:
        raise FormatError("timestamps must be timezone-aware")
    when = when.astimezone(UTC)
    if when.microsecond:
        return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def to_millis(when: datetime) -> int:
    """Milliseconds since the epoch, as STHs carry them."""
    if when.tzinfo is None:
        raise FormatError("timestamps must be timezone-aware")
    return (when - _EPOCH) // timedelta(milliseconds=1)  # exact: float seconds can lose a millisecond
