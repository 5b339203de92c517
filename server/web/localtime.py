"""Times as people at the venue read them: in the event's time zone (``SIMSA_TIMEZONE`` or
``simsa server --timezone``, default Asia/Seoul), with the zone's abbreviation (KST).

The ledger and the API keep UTC (DESIGN: RFC 3339 ``…Z``); only the pages convert.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from shared.errors import FormatError
from shared.timefmt import parse_time


@cache
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _when(value: str | int | float | datetime | None) -> datetime | None:
    """A UTC instant from an RFC 3339 text, milliseconds since 1970 (an STH) or a datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value / 1000, UTC)
    try:
        return parse_time(value)
    except (FormatError, ValueError):
        pass
    try:  # a database time with fractions or an offset
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def local(value: Any, tz: str, fmt: str = "%m-%d %H:%M:%S") -> str:
    """``value`` in zone ``tz`` as ``02-23 19:15:00 KST`` (``fmt`` without the zone); text that
    is not a time is shown as it is, never hidden."""
    when = _when(value)
    if when is None:
        return "" if value is None else str(value)
    at = when.astimezone(zone(tz))
    return f"{at.strftime(fmt)} {abbreviation(tz, at)}"


def full(value: Any, tz: str) -> str:
    """``2026-12-02 19:15:00 KST``."""
    return local(value, tz, "%Y-%m-%d %H:%M:%S")


def abbreviation(tz: str, at: datetime | None = None) -> str:
    """The zone's short name at ``at`` (now by default): KST, CET, UTC; ``+09`` when the
    zone database has no letters for it."""
    at = (at or datetime.now(UTC)).astimezone(zone(tz))
    return at.tzname() or tz
