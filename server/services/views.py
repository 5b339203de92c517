"""What staff see, as frozen dataclasses: overview, kiosks (recorded vs synced), conflicts,
rejections, reviewer lookup, and the published results. Both the JSON staff API and the
dashboard pages render these; the API turns them into JSON with ``dataclasses.asdict``
(the field order is the documented key order).

Conflicts and the reviewer's ballots come from one source, the replayed ledger
(:mod:`server.services.replayed`): the very merge an auditor runs.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from shared.encoding import b64u_decode
from shared.errors import CODE_TEXT
from shared.keys import fingerprint
from shared.merge import Accepted, Conflict

from ..context import Context
from ..db.schema import ballots, kiosks, ledger_entries, rejections, revocations, staff
from . import reconcile
from .errors import NotClosed, NotFound
from .kiosks import at_stake
from .refusals import flush_anonymous


@dataclass(frozen=True)
class Bilingual:
    ko: str
    en: str


@dataclass(frozen=True)
class ChannelCounts:
    kiosk: int
    online: int


@dataclass(frozen=True)
class KioskCounts:
    pending: int
    approved: int
    closed: int


@dataclass(frozen=True)
class ConflictCounts:
    total: int
    resolved: int


@dataclass(frozen=True)
class Overview:
    """Counts for the dashboard's first page."""

    event: str
    title: Bilingual
    tree_size: int
    sth: dict[str, Any] | None
    closed: bool
    close_index: int | None
    ballots: ChannelCounts
    rejections: dict[str, dict[str, int]]  # ballot rejections only, by channel and code
    refusals: dict[str, dict[str, int]]  # batch refusals per code: distinct (kiosk, seq) and as received
    late: dict[str, int]  # kiosk records after their kiosk or the event closed
    ledger_types: dict[str, int]  # adds up to tree_size
    kiosks: KioskCounts
    conflicts: ConflictCounts
    revoked: int
    staff: int
    reviewers: int
    proposals: int


def overview(ctx: Context) -> Overview:
    """Counts for the dashboard's first page; the conflicts from the replayed ledger (kept
    up to date incrementally), the rest from indexed counts."""
    with ctx.db.read() as conn:
        size, closed = ctx.ledger.head(conn)
        sth = ctx.ledger.latest_sth(conn)
        by_channel = {r.channel: int(r.n) for r in conn.execute(select(ballots.c.channel, func.count().label("n")).group_by(ballots.c.channel))}
        rc = reconcile.rejection_counts(conn)
        types = reconcile.ledger_breakdown(ctx, conn)
        kstat = {r.status: int(r.n) for r in conn.execute(select(kiosks.c.status, func.count().label("n")).group_by(kiosks.c.status))}
        n_revoked = conn.execute(select(func.count()).select_from(revocations)).scalar_one()
        n_staff = conn.execute(select(func.count()).select_from(staff)).scalar_one()
        found = ctx.replayed.state(conn).merged().conflicts
    m = ctx.manifest
    return Overview(
        event=m.event,
        title=Bilingual(m.title_ko, m.title_en),
        tree_size=size,
        sth=sth,
        closed=closed is not None,
        close_index=closed,
        ballots=ChannelCounts(by_channel.get("kiosk", 0), by_channel.get("online", 0)),
        rejections=rc.ballots,
        refusals=rc.batches,
        late=rc.late,
        ledger_types=types,
        kiosks=KioskCounts(**{k: kstat.get(k, 0) for k in ("pending", "approved", "closed")}),
        conflicts=ConflictCounts(len(found), sum(1 for c in found if c.resolved)),
        revoked=int(n_revoked),
        staff=int(n_staff),
        reviewers=len(m.reviewers),
        proposals=len(m.proposals),
    )


@dataclass(frozen=True)
class KioskRow:
    """One kiosk: what it reported holding (its latest signed head) against what the
    server has synced, its counts, and its closure when it sent one."""

    head_known: bool  # "all received" only when the kiosk's latest signed head is on the server
    received_all: bool
    missing_range: dict[str, int] | None
    late: int
    override: dict[str, Any] | None  # the override staff typed to close it without a matching closure
    override_staff: str | None
    kiosk: str
    status: str
    key_fingerprint: str
    requested_at: str | None
    approved_by: str | None
    approved_index: int | None
    recorded_seq: int
    synced_seq: int
    missing: int
    accepted: int
    rejected: int
    last_sync_at: str | None
    closure: dict[str, Any] | None
    closure_matches: bool | None
    closed_index: int | None


def kiosks_table(ctx: Context) -> list[KioskRow]:
    """Every kiosk, by id."""
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
        recorded = stake.signed_seq
        statement = overrides.get(int(r.closed_index), {}) if r.closed_index is not None else {}
        out.append(
            KioskRow(
                head_known=stake.head_known,
                received_all=stake.head_known and stake.missing is None,
                missing_range=stake.missing,
                late=late.get(r.id, 0),
                override=statement.get("override"),
                override_staff=statement.get("staff"),
                kiosk=r.id,
                status=r.status,
                key_fingerprint=fingerprint(b64u_decode(r.public_key, length=32)),
                requested_at=r.requested_at,
                approved_by=r.approved_by,
                approved_index=r.approved_index,
                recorded_seq=recorded,
                synced_seq=int(r.synced_seq),
                missing=max(0, recorded - int(r.synced_seq)),
                accepted=int(r.accepted),
                rejected=int(r.rejected),
                last_sync_at=r.last_sync_at,
                closure=closure,
                closure_matches=None if closure is None else (closure["seq"], closure["hash"]) == (int(r.synced_seq), r.synced_hash),
                closed_index=r.closed_index,
            )
        )
    return out


@dataclass(frozen=True)
class BallotRow:
    """An accepted ballot as staff see it in lists: where and when it came."""

    id: str
    index: int
    channel: str
    kiosk: str | None
    seq: int | None
    created_at: str

    @classmethod
    def of(cls, a: Accepted) -> BallotRow:
        return cls(a.id, a.index, a.channel, a.kiosk, a.seq, a.created_at)


@dataclass(frozen=True)
class ConflictView:
    """Several valid ballots by one reviewer for one target, decided or not."""

    reviewer: str
    target: str
    ballots: tuple[BallotRow, ...]
    default: str
    resolved: str | None
    effective: str

    @classmethod
    def of(cls, c: Conflict) -> ConflictView:
        return cls(c.key[0], c.key[1], tuple(BallotRow.of(a) for a in c.ballots), c.default, c.resolved, c.effective)


def conflict_list(ctx: Context, reviewer: str | None = None) -> list[Conflict]:
    """Every conflict of the replayed ledger (of ``reviewer`` only, if given), in key order."""
    with ctx.db.read() as conn:
        found = ctx.replayed.state(conn).merged().conflicts
    return [c for c in found if reviewer is None or c.key[0] == reviewer]


def conflicts(ctx: Context, reviewer: str | None = None) -> list[ConflictView]:
    """Every conflict (of ``reviewer`` only, if given), decided or not, in key order."""
    return [ConflictView.of(c) for c in conflict_list(ctx, reviewer)]


@dataclass(frozen=True)
class RejectionRow:
    """A refused submission with its reason in Korean and English."""

    id: int
    at: str
    channel: str
    kiosk: str | None
    seq: int | None
    reviewer: str | None
    code: str
    reason: Bilingual
    detail: str
    ballot_id: str | None
    ledger_index: int | None


def rejection_list(
    ctx: Context, *, code: str | None = None, channel: str | None = None, kiosk: str | None = None,
    reviewer: str | None = None, limit: int = 100, before: int | None = None,
) -> list[RejectionRow]:
    """Refused submissions, newest first."""
    flush_anonymous(ctx)  # a minute of counted refusals that is over: its summary rows first
    q = select(rejections).order_by(rejections.c.id.desc()).limit(min(max(limit, 1), 1000))
    for col, val in ((rejections.c.code, code), (rejections.c.channel, channel), (rejections.c.kiosk, kiosk), (rejections.c.reviewer, reviewer)):
        if val is not None:
            q = q.where(col == val)
    if before is not None:
        q = q.where(rejections.c.id < before)
    with ctx.db.read() as conn:
        rows = list(conn.execute(q))
    return [
        RejectionRow(
            int(r.id), r.at, r.channel, r.kiosk, r.seq, r.reviewer, r.code, Bilingual(*CODE_TEXT.get(r.code, ("", ""))),
            r.detail, r.ballot_id, r.ledger_index,
        )
        for r in rows
    ]


@dataclass(frozen=True)
class Revoked:
    index: int
    by: str
    reason: str


@dataclass(frozen=True)
class ReviewerBallot:
    id: str
    index: int
    target: str
    channel: str
    kiosk: str | None
    seq: int | None
    created_at: str


@dataclass(frozen=True)
class ReviewerView:
    """One reviewer: who they are in the manifest, revocation, ballots, rejections, conflicts."""

    reviewer: str
    community: str
    role: str
    assigned: list[str]
    revoked: Revoked | None
    ballots: list[ReviewerBallot]
    rejections: list[RejectionRow]
    conflicts: list[ConflictView]


def reviewer_lookup(ctx: Context, reviewer: str) -> ReviewerView:
    """One reviewer; :class:`NotFound` when the manifest has none by that id. Ballots and
    conflicts from the replayed ledger, in ledger order."""
    m = ctx.manifest
    rev = m.reviewers.get(reviewer)
    if rev is None:
        raise NotFound(f"no reviewer {reviewer!r} in the manifest")
    with ctx.db.read() as conn:
        revoked = conn.execute(select(revocations).where(revocations.c.reviewer == reviewer)).first()
        state = ctx.replayed.state(conn)
        mine = [a for a in state.accepted if a.reviewer == reviewer]
        found = [c for c in state.merged().conflicts if c.key[0] == reviewer]
    return ReviewerView(
        reviewer=reviewer,
        community=rev.community,
        role=rev.role,
        assigned=sorted(m.assignments.get(reviewer, ())),
        revoked=None if revoked is None else Revoked(int(revoked.idx), revoked.signer, revoked.reason),
        ballots=[ReviewerBallot(a.id, a.index, a.target, a.channel, a.kiosk, a.seq, a.created_at) for a in mine],
        rejections=rejection_list(ctx, reviewer=reviewer, limit=100),
        conflicts=[ConflictView.of(c) for c in found],
    )


@dataclass(frozen=True)
class Results:
    """The published results and the close entry that fixed them."""

    event: str
    close_index: int | None
    results_hash: str
    results: dict[str, Any]  # shared.tally's results, as published


def results(ctx: Context) -> Results:
    """The published results; :class:`NotClosed` before the event is closed."""
    with ctx.db.read() as conn:
        _, closed = ctx.ledger.head(conn)
        if closed is None:
            raise NotClosed("results are published when staff close the event")
        state = ctx.replayed.state(conn, closed + 1)
    assert state.close is not None
    return Results(ctx.manifest.event, state.close_index, state.close["results_hash"], state.results())


CSV_FIELDS = (
    "proposal", "title", "group", "community", "kiosk_score", "kiosk_ballots", "kiosk_rank",
    "online_score", "online_ballots", "online_rank", "combined", "selected_by",
)


def results_csv(ctx: Context) -> str:
    """The published results as CSV, one proposal a line."""
    r = results(ctx).results
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
