"""What staff see, as plain data: overview, kiosks (recorded vs synced), conflicts,
rejections, reviewer lookup, and the published results. Both the JSON staff API and the
dashboard pages render these."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from sqlalchemy import func, select

from shared.encoding import b64u_decode
from shared.errors import CODE_TEXT
from shared.keys import fingerprint
from shared.merge import Conflict

from ..context import Context
from ..db.schema import ballots, kiosks, ledger_entries, rejections, revocations, staff
from . import reconcile
from .conflicts import conflicts as conflict_list
from .errors import NotClosed, NotFound
from .kiosks import at_stake
from .refusals import flush_anonymous
from .replayed import ReplayedLedger


def overview(ctx: Context, replayed: ReplayedLedger | None = None) -> dict[str, Any]:
    """Counts for the dashboard's first page; cheap at any ledger size (no replay;
    ``replayed`` is accepted for callers written before and not needed)."""
    with ctx.db.read() as conn:
        size, closed = ctx.ledger.head(conn)
        sth = ctx.ledger.latest_sth(conn)
        by_channel = {r.channel: int(r.n) for r in conn.execute(select(ballots.c.channel, func.count().label("n")).group_by(ballots.c.channel))}
        rc = reconcile.rejection_counts(conn)
        types = reconcile.ledger_breakdown(ctx, conn)
        kstat = {r.status: int(r.n) for r in conn.execute(select(kiosks.c.status, func.count().label("n")).group_by(kiosks.c.status))}
        n_revoked = conn.execute(select(func.count()).select_from(revocations)).scalar_one()
        n_staff = conn.execute(select(func.count()).select_from(staff)).scalar_one()
        found = conflict_list(ctx, conn)
    m = ctx.manifest
    return {
        "event": m.event,
        "title": {"ko": m.title_ko, "en": m.title_en},
        "tree_size": size,
        "sth": sth,
        "closed": closed is not None,
        "close_index": closed,
        "ballots": {"kiosk": by_channel.get("kiosk", 0), "online": by_channel.get("online", 0)},
        "rejections": rc["ballots"],  # ballot rejections only; batch refusals apart
        "refusals": rc["batches"],  # per code: distinct (kiosk, seq) and as received
        "late": rc["late"],  # kiosk records after their kiosk or the event closed
        "ledger_types": types,  # adds up to tree_size
        "kiosks": {k: kstat.get(k, 0) for k in ("pending", "approved", "closed")},
        "conflicts": {"total": len(found), "resolved": sum(1 for c in found if c.resolved)},
        "revoked": int(n_revoked),
        "staff": int(n_staff),
        "reviewers": len(m.reviewers),
        "proposals": len(m.proposals),
    }


def kiosks_table(ctx: Context) -> list[dict[str, Any]]:
    """Per kiosk: what it reported holding (its latest signed head) against what the server
    has synced, its counts, and its closure when it sent one."""
    with ctx.db.read() as conn:
        rows = list(conn.execute(select(kiosks).order_by(kiosks.c.id)))
        late = {
            r.kiosk: int(r.n)
            for r in conn.execute(
                select(rejections.c.kiosk, func.count().label("n"))
                .where(rejections.c.code.in_(reconcile.LATE_CODES), rejections.c.ledger_index.is_not(None))
                .group_by(rejections.c.kiosk)
            )
        }
        closes = [int(r.closed_index) for r in rows if r.closed_index is not None]
        overrides = {
            int(e.idx): json.loads(e.data)["statement"]
            for e in conn.execute(select(ledger_entries.c.idx, ledger_entries.c.data).where(ledger_entries.c.idx.in_(closes)))
        } if closes else {}
    out = []
    for r in rows:
        closure = json.loads(r.closure) if r.closure else None
        stake = at_stake(r)
        recorded = stake["signed_seq"]
        out.append(
            {
                # "all received" only when the kiosk's latest signed head is on the server
                "head_known": stake["head_known"],
                "received_all": stake["head_known"] and stake["missing"] is None,
                "missing_range": stake["missing"],
                "late": late.get(r.id, 0),
                # the override staff typed to close it without a matching closure
                "override": overrides.get(int(r.closed_index), {}).get("override") if r.closed_index is not None else None,
                "override_staff": overrides.get(int(r.closed_index), {}).get("staff") if r.closed_index is not None else None,
                "kiosk": r.id,
                "status": r.status,
                "key_fingerprint": fingerprint(b64u_decode(r.public_key, length=32)),
                "requested_at": r.requested_at,
                "approved_by": r.approved_by,
                "approved_index": r.approved_index,
                "recorded_seq": recorded,
                "synced_seq": int(r.synced_seq),
                "missing": max(0, recorded - int(r.synced_seq)),
                "accepted": int(r.accepted),
                "rejected": int(r.rejected),
                "last_sync_at": r.last_sync_at,
                "closure": closure,
                "closure_matches": None
                if closure is None
                else (closure["seq"], closure["hash"]) == (int(r.synced_seq), r.synced_hash),
                "closed_index": r.closed_index,
            }
        )
    return out


def _conflict_json(c: Conflict) -> dict[str, Any]:
    return {
        "reviewer": c.key[0],
        "target": c.key[1],
        "ballots": [
            {
                "id": a.id,
                "index": a.index,
                "channel": a.signed.ballot.channel,
                "kiosk": a.kiosk,
                "seq": a.seq,
                "created_at": a.signed.ballot.created_at,
            }
            for a in c.ballots
        ],
        "default": c.default,
        "resolved": c.resolved,
        "effective": c.effective,
    }


def conflicts(ctx: Context, replayed: ReplayedLedger | None = None, reviewer: str | None = None) -> list[dict[str, Any]]:
    """Every conflict (several valid ballots by one reviewer for one target), decided or not
    (see :mod:`server.services.conflicts`; ``replayed`` is not needed)."""
    with ctx.db.read() as conn:
        return [_conflict_json(c) for c in conflict_list(ctx, conn, reviewer)]


def rejection_list(
    ctx: Context, *, code: str | None = None, channel: str | None = None, kiosk: str | None = None,
    reviewer: str | None = None, limit: int = 100, before: int | None = None,
) -> list[dict[str, Any]]:
    """Refused submissions, newest first, with their reason in Korean and English."""
    flush_anonymous(ctx)  # a minute of counted refusals that is over: its summary rows first
    q = select(rejections).order_by(rejections.c.id.desc()).limit(min(max(limit, 1), 1000))
    for col, val in ((rejections.c.code, code), (rejections.c.channel, channel), (rejections.c.kiosk, kiosk), (rejections.c.reviewer, reviewer)):
        if val is not None:
            q = q.where(col == val)
    if before is not None:
        q = q.where(rejections.c.id < before)
    with ctx.db.read() as conn:
        rows = list(conn.execute(q))
    out = []
    for r in rows:
        ko, en = CODE_TEXT.get(r.code, ("", ""))
        out.append(
            {
                "id": int(r.id), "at": r.at, "channel": r.channel, "kiosk": r.kiosk, "seq": r.seq,
                "reviewer": r.reviewer, "code": r.code, "reason": {"ko": ko, "en": en}, "detail": r.detail,
                "ballot_id": r.ballot_id, "ledger_index": r.ledger_index,
            }
        )
    return out


def reviewer_lookup(ctx: Context, replayed: ReplayedLedger | None, reviewer: str) -> dict[str, Any]:
    """One reviewer: who they are in the manifest, revocation, ballots, rejections, conflicts."""
    m = ctx.manifest
    rev = m.reviewers.get(reviewer)
    if rev is None:
        raise NotFound(f"no reviewer {reviewer!r} in the manifest")
    with ctx.db.read() as conn:
        revoked = conn.execute(select(revocations).where(revocations.c.reviewer == reviewer)).first()
        rows = list(conn.execute(select(ballots).where(ballots.c.reviewer == reviewer).order_by(ballots.c.idx)))
    return {
        "reviewer": reviewer,
        "community": rev.community,
        "role": rev.role,
        "assigned": sorted(m.assignments.get(reviewer, ())),
        "revoked": None if revoked is None else {"index": int(revoked.idx), "by": revoked.signer, "reason": revoked.reason},
        "ballots": [
            {"id": b.id, "index": int(b.idx), "target": b.target, "channel": b.channel, "kiosk": b.kiosk, "seq": b.seq, "created_at": b.created_at}
            for b in rows
        ],
        "rejections": rejection_list(ctx, reviewer=reviewer, limit=100),
        "conflicts": conflicts(ctx, None, reviewer),
    }


def results(ctx: Context, replayed: ReplayedLedger) -> dict[str, Any]:
    """The published results: only after the event is closed."""
    with ctx.db.read() as conn:
        _, closed = ctx.ledger.head(conn)
        if closed is None:
            raise NotClosed("results are published when staff close the event")
        state = replayed.state(conn, closed + 1)
    assert state.close is not None
    return {
        "event": ctx.manifest.event,
        "close_index": state.close_index,
        "results_hash": state.close["results_hash"],
        "results": state.results(),
    }


CSV_FIELDS = (
    "proposal", "title", "group", "community", "kiosk_score", "kiosk_ballots", "kiosk_rank",
    "online_score", "online_ballots", "online_rank", "combined", "selected_by",
)


def results_csv(ctx: Context, replayed: ReplayedLedger) -> str:
    r = results(ctx, replayed)["results"]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_FIELDS)
    titles = {pid: prop.title for pid, prop in ctx.manifest.proposals.items()}
    for p in r["proposals"]:
        w.writerow(
            [
                p["id"], titles.get(p["id"], ""), p["group"], p["community"],
                "" if p["kiosk"]["score"] is None else p["kiosk"]["score"], p["kiosk"]["ballots"], p["kiosk"]["rank"] or "",
                "" if p["online"]["score"] is None else p["online"]["score"], p["online"]["ballots"], p["online"]["rank"] or "",
                "" if p["combined"] is None else p["combined"], p["selected_by"] or "",
            ]
        )
    return buf.getvalue()
