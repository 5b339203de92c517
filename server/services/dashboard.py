"""What the dashboard and the public pages show beyond :mod:`server.services.views`, as
frozen dataclasses: receipt lookup, progress per group, per-kiosk refusals and status,
alarms, the latest ledger entries, and a version stamp that changes whenever anything staff
see changes (for live refresh). Conflict cards are in :mod:`.conflict_cards`, the results
laid out in :mod:`.rankings`.

Everything is read from the server's tables and the replayed ledger; nothing here writes.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass, fields
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, String, func, select

from shared.errors import FormatError
from shared.receipt import parse_receipt
from shared.timefmt import format_time, parse_time

from ..context import Context
from ..db.schema import ballots, kiosk_records, kiosks, ledger_entries, rejections
from . import reconcile, views
from .channels import split_reviewers
from .errors import BadRequest, NotFound, StateConflict
from .refusals import ANONYMOUS_CODES

SILENT_AFTER = timedelta(minutes=10)


# --- receipts --------------------------------------------------------------------------


def _prefix_filter(col: Any, prefix: str, dialect: str) -> Any:
    """``col`` starts with ``prefix``, case-sensitively, using the column's index: a range
    ``[prefix, prefix + "{")`` in byte order ("{" follows every base64url character)."""
    c = col.collate("C") if dialect == "postgresql" else col
    return (c >= prefix) & (c < prefix + "{")


@dataclass(frozen=True)
class Receipt:
    """The ledger entry of a receipt: the ballot id, its index and the entry itself."""

    id: str
    index: int
    entry: dict[str, Any]


def find_receipt(ctx: Context, code: str) -> Receipt:
    """The ledger entry of a receipt: a full ballot id, or its short code (``shared.receipt``:
    Crockford base32 of the id's first 40 bits, typed in any case, with or without its dash).
    A short code is looked up by the 6 base64url characters its bits fix (an index range) and
    then matched on all 40 bits. :class:`BadRequest` when malformed, :class:`NotFound` when
    none, :class:`StateConflict` when a short code matches several ballots."""
    try:
        query = parse_receipt(code)
    except FormatError as exc:
        raise BadRequest(str(exc)) from None
    dialect = ctx.db.engine.dialect.name
    with ctx.db.read() as conn:
        hits: dict[str, int] = {}
        for col, idx in ((ballots.c.id, ballots.c.idx), (kiosk_records.c.ballot_id, kiosk_records.c.idx)):
            cond = col == query.prefix if query.exact else _prefix_filter(col, query.prefix, dialect)
            for r in conn.execute(select(col.label("id"), idx.label("idx")).where(cond).order_by(idx)):
                if query.matches(r.id):
                    hits[r.id] = min(hits.get(r.id, r.idx), r.idx)
        if not hits:
            raise NotFound(f"no ballot with receipt {query.text} is on the ledger (yet)")
        if len(hits) > 1:
            raise StateConflict(f"{len(hits)} ballots have the short code {query.text}: give the full receipt id")
        (bid, index), = hits.items()
        text = conn.execute(select(ledger_entries.c.data).where(ledger_entries.c.idx == index)).scalar_one()
    return Receipt(bid, int(index), json.loads(text))


# --- progress, kiosks, alarms ----------------------------------------------------------


@dataclass(frozen=True)
class GroupProgress:
    group: str
    proposals: int
    assigned: dict[str, int]  # per form (rubric, approval): (reviewer, target) pairs assigned
    done: dict[str, int]  # … with at least one accepted ballot


@dataclass(frozen=True)
class Progress:
    groups: list[GroupProgress]
    total: dict[str, dict[str, int]]  # per form: assigned and done
    form_channels: dict[str, list[str]]  # per form: the channels that use it


def progress(ctx: Context) -> Progress:
    """Per group: how many (reviewer, target) pairs are assigned and how many have at least
    one accepted ballot, split by ballot form (rubric: a proposal; approval: a group)."""
    m = ctx.manifest
    group_of = {p: prop.group for p, prop in m.proposals.items()}
    assigned: dict[str, dict[str, int]] = {g: {"rubric": 0, "approval": 0} for g in m.groups}
    for targets in m.assignments.values():
        for t in targets:
            if t in group_of:
                assigned[group_of[t]]["rubric"] += 1
            elif t in assigned:
                assigned[t]["approval"] += 1
    done: dict[str, dict[str, int]] = {g: {"rubric": 0, "approval": 0} for g in m.groups}
    with ctx.db.read() as conn:
        rows = conn.execute(
            select(ballots.c.target, func.count(func.distinct(ballots.c.reviewer)).label("n")).group_by(ballots.c.target)
        )
        for r in rows:
            if r.target in group_of:
                done[group_of[r.target]]["rubric"] += int(r.n)
            elif r.target in done:
                done[r.target]["approval"] += int(r.n)
    form_channels = {f: [ch for ch, ff in m.forms.items() if ff == f] for f in ("rubric", "approval")}
    groups = [GroupProgress(g, len(m.groups[g]), assigned[g], done[g]) for g in sorted(m.groups)]
    total = {
        f: {"assigned": sum(assigned[g][f] for g in m.groups), "done": sum(done[g][f] for g in m.groups)}
        for f in ("rubric", "approval")
    }
    return Progress(groups, total, form_channels)


@dataclass(frozen=True)
class KioskRefusal(reconcile.BatchRefusal):
    """A batch refusal with when it last came and the latest detail."""

    at: str
    detail: str


def kiosk_refusals(ctx: Context, kiosk: str | None = None) -> dict[str, list[KioskRefusal]]:
    """Per kiosk, the batch-level refusals (gap, fork, bad head, unknown kiosk) kept for
    staff, newest first; the same refusal repeated is one row with ``times``."""
    out: dict[str, list[KioskRefusal]] = defaultdict(list)
    with ctx.db.read() as conn:
        rows = reconcile.batch_refusals(conn, kiosk)
        ids = [r.id for r in rows]
        detail = {int(r.id): r.detail for r in conn.execute(select(rejections.c.id, rejections.c.detail).where(rejections.c.id.in_(ids)))} if ids else {}
    for r in rows:
        out[r.kiosk or ""].append(KioskRefusal(**asdict(r), at=r.last_at, detail=detail.get(r.id, "")))
    return dict(out)


def contact(raw: Any) -> str | None:
    """The kiosk's last contact: its last sync or closure, else its registration."""
    times = [t for t in (raw.last_sync_at, raw.reported_at, raw.requested_at) if t]
    return max(times) if times else None


@dataclass(frozen=True)
class KioskStatus(views.KioskRow):
    """A kiosk row of :func:`views.kiosks_table` with its last contact, fork count, the gap
    refusal still open and the oldest unsynced seq."""

    last_contact: str | None
    reported_at: str | None
    synced_hash: str | None
    forks: int
    gap_refusals: int
    open_gap: KioskRefusal | None  # a batch refused for a gap whose records the server still lacks
    oldest_unsynced: int | None
    idle_minutes: int | None


def kiosk_rows(ctx: Context, table: list[views.KioskRow]) -> list[KioskStatus]:
    """``views.kiosks_table`` with what the dashboard adds to each row."""
    with ctx.db.read() as conn:
        raw = {r.id: r for r in conn.execute(select(kiosks))}
    refusals = kiosk_refusals(ctx)
    out = []
    for k in table:
        r = raw.get(k.kiosk)
        forks = [x for x in refusals.get(k.kiosk, []) if x.code == "chain_fork"]
        gaps = [x for x in refusals.get(k.kiosk, []) if x.code == "chain_gap"]
        out.append(
            KioskStatus(
                **{f.name: getattr(k, f.name) for f in fields(k)},
                last_contact=contact(r) if r is not None else None,
                reported_at=r.reported_at if r is not None else None,
                synced_hash=r.synced_hash if r is not None else None,
                forks=len(forks),
                gap_refusals=len(gaps),
                open_gap=gaps[0] if gaps and (gaps[0].seq or 0) > k.synced_seq else None,
                oldest_unsynced=k.synced_seq + 1 if k.missing else None,
                idle_minutes=_minutes_since(ctx, contact(r)) if r is not None else None,
            )
        )
    return out


def _minutes_since(ctx: Context, when: str | None) -> int | None:
    if not when:
        return None
    return max(0, int((ctx.clock() - parse_time(when.split(".")[0].rstrip("Z") + "Z")).total_seconds() // 60))


@dataclass(frozen=True)
class Alarm:
    """Something that needs a person: ``key`` names the text (with ``args``), ``href``
    where to fix it."""

    level: str  # bad, warn or info
    key: str
    args: dict[str, Any]
    href: str


def alarms(ctx: Context, overview: views.Overview, rows: list[KioskStatus]) -> list[Alarm]:
    """What needs a person now, most urgent first; each names where to fix it."""
    out: list[Alarm] = []
    now = ctx.clock()
    pending = [k for k in rows if k.status == "pending"]
    for k in rows:
        if k.forks:
            out.append(Alarm("bad", key="alarm.fork", args={"kiosk": k.kiosk, "n": k.forks},
                        href=f"/staff/kiosks/{k.kiosk}"))
        if k.closure_matches is False and k.status != "closed":
            out.append(Alarm("bad", key="alarm.closure", args={"kiosk": k.kiosk},
                        href=f"/staff/kiosks/{k.kiosk}"))
    for k in rows:
        if k.status == "approved" and not k.head_known:  # it may hold any number of ballots
            out.append(Alarm("bad", key="alarm.nohead", args={"kiosk": k.kiosk},
                        href=f"/staff/kiosks/{k.kiosk}"))
        if k.open_gap and k.status == "approved":
            out.append(Alarm("bad", key="alarm.gap",
                        args={"kiosk": k.kiosk, "seq": k.open_gap.seq or "?", "synced": k.synced_seq},
                        href=f"/staff/kiosks/{k.kiosk}"))
        if k.late:
            out.append(Alarm("warn", key="alarm.late", args={"kiosk": k.kiosk, "n": k.late},
                        href=f"/staff/kiosks/{k.kiosk}#refusals"))
        if k.missing:  # signed records the server does not hold: at once, silent or not
            out.append(Alarm("bad", key="alarm.missing",
                        args={"kiosk": k.kiosk, "n": k.missing, "first": k.synced_seq + 1, "last": k.recorded_seq},
                        href=f"/staff/kiosks/{k.kiosk}"))
    if pending:
        out.append(Alarm("warn", key="alarm.pending", args={"n": len(pending)}, href="/staff/kiosks"))
    open_conflicts = overview.conflicts.total - overview.conflicts.resolved
    if open_conflicts and not overview.closed:
        out.append(Alarm("warn", key="alarm.conflicts", args={"n": open_conflicts}, href="/staff/conflicts"))
    split = split_reviewers(ctx)
    for reviewer, sources in list(split.items())[:5]:  # a stolen card votes beside its owner
        out.append(Alarm("bad", key="alarm.split", args={"reviewer": reviewer, "sources": ", ".join(sources)},
                    href=f"/staff/reviewers?id={reviewer}"))
    if len(split) > 5:
        out.append(Alarm("bad", key="alarm.split.many", args={"n": len(split)}, href="/staff/reviewers"))
    revoked = sum(v.get("revoked_credential", 0) for v in overview.rejections.values())
    if revoked:
        out.append(Alarm("info", key="alarm.revoked", args={"n": revoked},
                    href="/staff/rejections?code=revoked_credential"))
    window = ctx.manifest.windows.get("kiosk")
    if not overview.closed and window is not None and window.start <= now <= window.end:
        silent = []
        for k in rows:
            if k.status == "approved" and k.last_contact:
                idle = now - parse_time(k.last_contact.split(".")[0].rstrip("Z") + "Z")
                if idle > SILENT_AFTER:
                    silent.append((k.kiosk, int(idle.total_seconds() // 60)))
        if len(silent) > 3:
            out.append(Alarm("info", key="alarm.silent.many", args={"n": len(silent)}, href="/staff/kiosks"))
        else:
            out += [Alarm("info", key="alarm.silent", args={"kiosk": kid, "minutes": minutes},
                     href=f"/staff/kiosks/{kid}") for kid, minutes in silent]
    return sorted(out, key=lambda a: ("bad", "warn", "info").index(a.level))


# --- ledger and live ---------------------------------------------------------------------


def _summary(entry: dict[str, Any]) -> str:
    kind = entry.get("type")
    if kind in ("ballot", "rejected"):
        b = (entry.get("signed_ballot") or {}).get("ballot") or {}
        where = f"{entry['kiosk']}#{entry['seq']}" if entry.get("kiosk") else "online"
        what = b.get("proposal") or b.get("group") or "?"
        code = f" ({entry['code']})" if kind == "rejected" else ""
        return f"{b.get('reviewer', '?')} → {what} · {where}{code}"
    if kind == "manifest":
        return str(((entry.get("signed_manifest") or {}).get("manifest") or {}).get("event", ""))
    st = entry.get("statement") or {}
    who = (entry.get("signer") or {}).get("id") or (entry.get("signer") or {}).get("role", "")
    subject = st.get("kiosk") or st.get("reviewer") or st.get("results_hash") or ""
    if kind == "resolution":
        subject = f"{st.get('reviewer')} / {st.get('target')}"
    return f"{subject} · {who}"


@dataclass(frozen=True)
class LedgerLine:
    """One ledger entry in a line: index, type, when received, and what it says."""

    index: int
    type: str | None
    received_at: str | None
    summary: str


def recent_entries(ctx: Context, n: int = 15) -> list[LedgerLine]:
    """The latest ``n`` ledger entries, newest first."""
    with ctx.db.read() as conn:
        size, _ = ctx.ledger.head(conn)
        rows = ctx.ledger.entries_text(conn, max(0, size - n), size)
    out = []
    for i, text in reversed(rows):
        e = json.loads(text)
        out.append(LedgerLine(i, e.get("type"), e.get("received_at"), _summary(e)))
    return out


def version(ctx: Context) -> str:
    """A stamp that changes when the ledger, a kiosk or the rejections change."""
    with ctx.db.read() as conn:
        return _version(ctx, conn)


def _version(ctx: Context, conn: Connection) -> str:
    size, closed = ctx.ledger.head(conn)
    k = conn.execute(
        select(
            func.count(),
            func.coalesce(func.sum(kiosks.c.reported_seq), 0),
            func.max(kiosks.c.last_sync_at),
            func.max(kiosks.c.reported_at),
            func.coalesce(func.sum(func.length(func.coalesce(kiosks.c.closure, ""))), 0),
            func.count(func.nullif(kiosks.c.status, "pending").cast(String)),
        )
    ).one()
    # Refusals of what nobody signed (anyone can send them, as fast as they like) do not
    # move the stamp: staff pages must not re-fetch because a stranger sent garbage.
    rej = conn.execute(
        select(rejections.c.id).where(rejections.c.code.not_in(sorted(ANONYMOUS_CODES)))
        .order_by(rejections.c.id.desc()).limit(1)
    ).scalar_one_or_none() or 0
    return f"{size}.{closed}.{'.'.join(str(x) for x in k)}.{rej}"


def now_text(ctx: Context) -> str:
    return format_time(ctx.clock().replace(microsecond=0))
