"""Conflicts without replaying the whole ledger: the (reviewer, target) pairs with more
than one accepted ballot come from the ballots index, their ballots from the ledger
entries themselves, and ``shared.merge.merge`` decides each with the staff resolutions —
the same function, on the same ballots, as a full replay (checked in the tests)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select

from shared.ballot import SignedBallot
from shared.merge import Accepted, Conflict, Key, merge

from ..context import Context
from ..db.schema import ballots, ledger_entries, resolutions

CHUNK = 200


def _pairs(conn: Connection, reviewer: str | None) -> list[Key]:
    q = (
        select(ballots.c.reviewer, ballots.c.target)
        .group_by(ballots.c.reviewer, ballots.c.target)
        .having(func.count(func.distinct(ballots.c.id)) > 1)
    )
    if reviewer is not None:
        q = q.where(ballots.c.reviewer == reviewer)
    return sorted((r.reviewer, r.target) for r in conn.execute(q))


def conflicts(ctx: Context, conn: Connection, reviewer: str | None = None) -> list[Conflict]:
    """Every conflict (of ``reviewer`` only, if given), decided or not, in key order."""
    keys = _pairs(conn, reviewer)
    if not keys:
        return []
    rows: list[Any] = []
    for i in range(0, len(keys), CHUNK):
        part = keys[i : i + CHUNK]
        cond = or_(*(and_(ballots.c.reviewer == r, ballots.c.target == t) for r, t in part))
        rows.extend(conn.execute(select(ballots).where(cond)))
    texts: dict[int, str] = {}
    idxs = sorted({int(r.idx) for r in rows})
    for i in range(0, len(idxs), CHUNK):
        q = select(ledger_entries.c.idx, ledger_entries.c.data).where(ledger_entries.c.idx.in_(idxs[i : i + CHUNK]))
        texts.update((int(e.idx), e.data) for e in conn.execute(q))
    accepted = [
        Accepted(r.id, int(r.idx), SignedBallot.from_json(json.loads(texts[int(r.idx)])["signed_ballot"]), r.kiosk, r.seq)
        for r in rows
    ]
    wanted = set(keys)
    decided: dict[Key, str] = {}
    for r in conn.execute(select(resolutions).order_by(resolutions.c.idx)):
        if (r.reviewer, r.target) in wanted:
            decided[(r.reviewer, r.target)] = r.ballot
    return list(merge(accepted, ctx.manifest.merge_policy, decided).conflicts)
