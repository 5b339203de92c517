"""What online ingest and kiosk batches share: keeping refusals for staff, the HTTP status
of a refused ballot, and the revocations that apply at the moment of append.

A refusal is kept as its code, detail, the SHA-256 of what arrived (``ballot_id``) and a
short prefix of it (``body``, at most :data:`MAX_STORED_BODY` characters), never the whole
body. Refusals of what nobody signed — a body that does not parse, an unknown reviewer or
kiosk, a bad signature — could come from anyone, so they are also rate-limited: per source
address and minute the first ``refusals_per_source_minute`` are kept in full, and at most
``refusals_per_minute`` over all sources; the rest are only counted, and written as one
summary row per code and source ("N more …") when that minute is over.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import Connection, insert, select

from shared.encoding import b64u, sha256
from shared.text import storable

from ..context import Context
from ..db.schema import rejections, revocations
from .precheck import EARLY_CODES

MAX_STORED_BODY = 256
#: Codes of refusals that anyone could cause (no known signature stands behind them).
ANONYMOUS_CODES = EARLY_CODES | {"unknown_kiosk", "bad_head_signature", "rate_limited", "too_large", "unsupported_media_type"}


def store_rejection(ctx: Context, conn: Connection | None = None, **row: Any) -> None:
    """Keep a refused submission for staff (in ``conn``'s transaction, or a new one)."""
    for name, value in row.items():  # quoted as it came: NUL and lone surrogates escaped
        if isinstance(value, str):
            row[name] = storable(value)
    body = row.get("body")
    if body is not None:
        if row.get("ballot_id") is None:  # what arrived, by its hash
            row["ballot_id"] = b64u(sha256(body.encode("utf-8", "surrogatepass")))
        row["body"] = body[:MAX_STORED_BODY]
    row.setdefault("at", ctx.ledger.received_at())
    if conn is not None:
        conn.execute(insert(rejections).values(**row))
        return
    with ctx.db.write() as c:
        c.execute(insert(rejections).values(**row))


def revoked_among(conn: Connection, reviewers: set[str]) -> set[str]:
    """Which of ``reviewers`` are revoked (read under the ledger lock)."""
    if not reviewers:
        return set()
    rows = conn.execute(select(revocations.c.reviewer).where(revocations.c.reviewer.in_(sorted(reviewers))))
    return {r.reviewer for r in rows}


class RefusalTally:
    """This minute's anonymous refusals: how many were kept per source and in all, and
    how many were only counted, per (channel, code, source)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.minute = ""
        self.kept: dict[str, int] = {}
        self.total = 0
        self.dropped: dict[tuple[str, str, str], int] = {}


def _tally(ctx: Context) -> RefusalTally:
    t = ctx.refusal_tally
    if t is None:
        t = ctx.refusal_tally = RefusalTally()
    return t


def _summaries(ctx: Context, t: RefusalTally) -> list[dict[str, str]]:
    """The summary rows of a finished minute (at most refusals_per_minute + 1 of them),
    as columns of the rejections table."""
    if not t.dropped:
        return []
    cap = ctx.settings.refusals_per_minute
    items = sorted(t.dropped.items(), key=lambda kv: -kv[1])
    rows = [{"channel": ch, "code": code, "detail": f"{n} more refusals like this from {src or 'an unknown address'} "
             f"in the minute from {t.minute}:00Z, not kept one by one"} for (ch, code, src), n in items[:cap]]
    rest = sum(n for _, n in items[cap:])
    if rest:
        rows.append({"channel": "online", "code": "malformed",
                     "detail": f"{rest} more refusals from {len(items) - cap} other sources in the minute from {t.minute}:00Z"})
    return rows


def flush_anonymous(ctx: Context, *, force: bool = False) -> None:
    """Write the summary rows of a minute that is over (or of this one, with ``force``)."""
    t = _tally(ctx)
    minute = ctx.ledger.received_at()[:16]
    with t.lock:
        if t.minute == minute and not force:
            return
        rows = _summaries(ctx, t)
        t.minute, t.kept, t.total, t.dropped = minute, {}, 0, {}
    if rows:
        at = ctx.ledger.received_at()
        with ctx.db.write() as c:
            c.execute(insert(rejections), [{"at": at, **r} for r in rows])


def keep_anonymous(ctx: Context, source: str, **row: Any) -> None:
    """Keep a refusal of unsigned or unauthenticated input, within the per-minute budget;
    past it, only count it (see the module docstring)."""
    flush_anonymous(ctx)
    t = _tally(ctx)
    s = ctx.settings
    with t.lock:
        if t.kept.get(source, 0) < s.refusals_per_source_minute and t.total < s.refusals_per_minute:
            t.kept[source] = t.kept.get(source, 0) + 1
            t.total += 1
            keep = True
        else:
            key = (str(row.get("channel", "online")), str(row["code"]), source)
            if key in t.dropped or len(t.dropped) < 10_000:
                t.dropped[key] = t.dropped.get(key, 0) + 1
            keep = False
    if keep:
        store_rejection(ctx, **row)
