"""What online ingest and kiosk batches share: keeping refusals for staff, the HTTP status
of a refused ballot, and the revocations that apply at the moment of append."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select

from shared.text import storable

from ..context import Context
from ..db.schema import rejections, revocations

MAX_STORED_BODY = 16 * 1024


def status_for(code: str) -> int:
    """HTTP status of a refused ballot: 400 for malformed input, 422 for a rule it breaks."""
    return 400 if code == "malformed" else 422


def store_rejection(ctx: Context, conn: Connection | None = None, **row: Any) -> None:
    """Keep a refused submission for staff (in ``conn``'s transaction, or a new one)."""
    for name, value in row.items():  # quoted as it came: NUL and lone surrogates escaped
        if isinstance(value, str):
            row[name] = storable(value)
    body = row.get("body")
    if body is not None and len(body) > MAX_STORED_BODY:
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
