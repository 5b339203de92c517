"""Taking ballots in: online ballots one by one, kiosk batches (sync or USB bundle) whole.

Order of work for a kiosk batch: shape and linkage (``shared.chain.Batch``), the kiosk's
enrolment and head signature, the stateless ballot checks (maybe on other cores), then —
under the ledger lock — chain continuity, revocation and closing, and the append of
every new record as a ``ballot`` or ``rejected`` entry in one transaction with one STH.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Any, NoReturn

from sqlalchemy import Connection, insert, select, update

from shared.chain import Batch, record_hash
from shared.errors import FormatError, VerificationError

from ..context import Context
from ..db.engine import bulk_insert
from ..db.schema import ballots, kiosk_records, kiosks, rejections, revocations
from ..problems import Problem
from .entries import ballot_entry_text, record_hash_of, rejected_entry_text
from .precheck import EARLY_CODES, Prepared, final_code, prepare

log = logging.getLogger("simsa.server.ingest")

MAX_STORED_BODY = 16 * 1024


def status_for(code: str) -> int:
    """HTTP status of a refused ballot: 400 for malformed input, 422 for a rule it breaks."""
    return 400 if code == "malformed" else 422


def store_rejection(ctx: Context, conn: Connection | None = None, **row: Any) -> None:
    """Keep a refused submission for staff (in ``conn``'s transaction, or a new one)."""
    body = row.get("body")
    if body is not None and len(body) > MAX_STORED_BODY:
        row["body"] = body[:MAX_STORED_BODY]
    row.setdefault("at", ctx.ledger.received_at())
    if conn is not None:
        conn.execute(insert(rejections).values(**row))
        return
    with ctx.db.write() as c:
        c.execute(insert(rejections).values(**row))


def _receipt(ctx: Context, conn: Connection, bid: str) -> dict[str, Any] | None:
    row = conn.execute(
        select(ballots.c.idx, ballots.c.sth_size)
        .where(ballots.c.id == bid, ballots.c.kiosk.is_(None))
        .order_by(ballots.c.idx)
        .limit(1)
    ).first()
    if row is None:
        return None
    return {"id": bid, "index": int(row.idx), "sth": ctx.ledger.sth_at(conn, int(row.sth_size))}


def _revoked(conn: Connection, reviewers: set[str]) -> set[str]:
    if not reviewers:
        return set()
    rows = conn.execute(select(revocations.c.reviewer).where(revocations.c.reviewer.in_(sorted(reviewers))))
    return {r.reviewer for r in rows}


def submit_online(ctx: Context, signed_ballot: Any, raw_text: str | None = None) -> tuple[int, dict[str, Any]]:
    """``POST /api/v1/ballots``: ``(201, receipt)``, ``(200, the original receipt)`` for a
    ballot already logged, or :class:`Problem` with the first failing rule's code."""
    p = prepare(ctx.manifest, signed_ballot, "online", None, ctx.prechecker.keys)
    if p.code not in EARLY_CODES:
        with ctx.db.read() as conn:
            old = _receipt(ctx, conn, p.id)
        if old is not None:
            return 200, old
    if p.code in EARLY_CODES:
        _reject_online(ctx, p, raw_text)
    code: str | None = None
    detail = ""
    out: dict[str, Any] | None = None
    with ctx.ledger.appending() as app:
        old = _receipt(ctx, app.conn, p.id)
        if old is not None:
            return 200, old
        assert p.reviewer is not None
        code, detail = final_code(p, bool(_revoked(app.conn, {p.reviewer})), app.closed_index is not None)
        if code is None:
            index = app.append_text("ballot", ballot_entry_text(p.sb_text, app.received_at(), None, None))
            app.conn.execute(
                insert(ballots).values(
                    idx=index,
                    id=p.id,
                    reviewer=p.reviewer,
                    target=p.target,
                    channel="online",
                    kiosk=None,
                    seq=None,
                    created_at=p.created_at,
                    sth_size=app.next_index,
                )
            )
            out = {"id": p.id, "index": index}
    if code is not None:
        _reject_online(ctx, Prepared(code, detail, p.sb_text, p.id, p.reviewer, p.target, p.created_at), raw_text)
    assert out is not None and app.sth is not None
    out["sth"] = app.sth
    return 201, out


def _reject_online(ctx: Context, p: Prepared, raw_text: str | None) -> NoReturn:
    assert p.code is not None
    store_rejection(
        ctx,
        channel="online",
        reviewer=p.reviewer,
        code=p.code,
        detail=p.detail,
        ballot_id=p.id,
        body=raw_text if raw_text is not None else p.sb_text,
    )
    raise Problem(status_for(p.code), p.code, p.detail, id=p.id)


def keep_refused_body(ctx: Context, problem: Problem, raw_text: str | None) -> None:
    """An online body that did not even parse: keep it for staff."""
    store_rejection(ctx, channel="online", code=problem.code, detail=problem.detail, body=raw_text)


# --- kiosk batches -----------------------------------------------------------------------


@dataclass
class _Refusal(Exception):
    status: int
    code: str
    detail: str
    seq: int | None = None


def _kiosk_row(conn: Connection, kiosk: str) -> Any:
    return conn.execute(select(kiosks).where(kiosks.c.id == kiosk)).first()


def submit_batch(ctx: Context, kiosk: str, raw: Any, *, via: str = "sync") -> dict[str, Any]:
    """``POST /api/v1/kiosks/{kiosk}/batches`` and the staff bundle import: the per-record
    results and the kiosk's synced seq, or :class:`Problem` for a batch refused whole."""
    try:
        return _submit_batch(ctx, kiosk, raw, via)
    except _Refusal as r:
        store_rejection(ctx, channel="kiosk", kiosk=kiosk[:64], seq=r.seq, code=r.code, detail=f"{via}: {r.detail}")
        raise Problem(r.status, r.code, r.detail) from None


def _submit_batch(ctx: Context, kiosk: str, raw: Any, via: str) -> dict[str, Any]:
    try:
        batch = Batch.from_json(raw)
    except FormatError as exc:
        raise _Refusal(400, "malformed", str(exc)) from exc
    if batch.kiosk != kiosk:
        raise _Refusal(400, "malformed", f"the batch is from kiosk {batch.kiosk!r}, posted for {kiosk!r}")
    with ctx.db.read() as conn:
        row = _kiosk_row(conn, kiosk)
    if row is None:
        raise _Refusal(403, "unknown_kiosk", f"kiosk {kiosk} is not registered: register it and have staff approve it")
    if row.status == "pending":
        raise _Refusal(403, "unknown_kiosk", f"kiosk {kiosk} is registered but staff have not approved it yet")
    try:
        batch.verify_head(row.public_key)
    except VerificationError as exc:
        raise _Refusal(400, "bad_head_signature", str(exc), batch.head_seq) from exc
    fresh = [r for r in batch.records if r["seq"] > row.synced_seq]
    prepared = ctx.prechecker.run([r["signed_ballot"] for r in fresh], "kiosk", kiosk)
    prep_of = {r["seq"]: p for r, p in zip(fresh, prepared, strict=True)}
    fault = ctx.settings.fault_pause_file

    def pause() -> None:  # crash-test hook: the first batch after start waits to be killed
        if fault is not None and not fault.exists():
            fault.write_text("paused in a batch before commit\n")
            time.sleep(120)

    results: list[dict[str, Any]] = []
    with ctx.ledger.appending(before_commit=pause if fault else None) as app:
        conn = app.conn
        row = _kiosk_row(conn, kiosk)
        seq, head = int(row.synced_seq), str(row.synced_hash)
        held: dict[int, Any] = {}
        dup_seqs = [r["seq"] for r in batch.records if r["seq"] <= seq]
        if dup_seqs:
            held = {
                h.seq: h
                for h in conn.execute(
                    select(kiosk_records).where(
                        kiosk_records.c.kiosk == kiosk,
                        kiosk_records.c.seq >= min(dup_seqs),
                        kiosk_records.c.seq <= max(dup_seqs),
                    )
                )
            }
        new: list[tuple[dict[str, Any], Prepared, str]] = []
        for r in batch.records:
            s = r["seq"]
            if s <= seq:
                h = held[s]
                if h.hash != record_hash(r):
                    raise _Refusal(409, "chain_fork", f"the server holds a different record at seq {s}", s)
                results.append(
                    {"seq": s, "status": "duplicate", "id": h.ballot_id, "index": int(h.idx), "code": h.code}
                )
                continue
            if s > seq + 1:
                raise _Refusal(409, "chain_gap", f"seq {s} arrived but the server holds {kiosk} only up to {seq}", s)
            if r["prev"] != head:
                raise _Refusal(409, "chain_fork", f"record {s} does not continue the synced record {seq}", s)
            p = prep_of.get(s) or prepare(ctx.manifest, r["signed_ballot"], "kiosk", kiosk, ctx.prechecker.keys)
            h_new = record_hash_of(s, r["prev"], p.sb_text)
            new.append((r, p, h_new))
            seq, head = s, h_new
        if new and row.status == "closed":
            raise _Refusal(409, "kiosk_closed", f"kiosk {kiosk} was closed by staff; it cannot add records", new[0][0]["seq"])
        if new and app.closed_index is not None:
            raise _Refusal(409, "event_closed", "the event is closed; no record can be added", new[0][0]["seq"])
        revoked = _revoked(conn, {p.reviewer for _, p, _ in new if p.reviewer and p.code not in EARLY_CODES})
        received = app.received_at()
        krows, brows, rrows = [], [], []
        accepted = rejected = 0
        for r, p, h_new in new:
            s = r["seq"]
            code, detail = final_code(p, p.reviewer in revoked, False)
            if code is None:
                index = app.append_text("ballot", ballot_entry_text(p.sb_text, received, kiosk, s))
                brows.append(
                    {
                        "idx": index,
                        "id": p.id,
                        "reviewer": p.reviewer,
                        "target": p.target,
                        "channel": "kiosk",
                        "kiosk": kiosk,
                        "seq": s,
                        "created_at": p.created_at,
                    }
                )
                accepted += 1
                results.append({"seq": s, "status": "accepted", "id": p.id, "index": index, "code": None})
            else:
                index = app.append_text("rejected", rejected_entry_text(p.sb_text, received, kiosk, s, code))
                rrows.append(
                    {
                        "at": received,
                        "channel": "kiosk",
                        "kiosk": kiosk,
                        "seq": s,
                        "reviewer": p.reviewer,
                        "code": code,
                        "detail": detail,
                        "ballot_id": p.id,
                        "ledger_index": index,
                        "body": None,
                    }
                )
                rejected += 1
                results.append({"seq": s, "status": "rejected", "id": p.id, "index": index, "code": code})
            krows.append({"kiosk": kiosk, "seq": s, "hash": h_new, "idx": index, "ballot_id": p.id, "code": code})
        size = app.next_index
        for b in brows:
            b["sth_size"] = size
        bulk_insert(conn, kiosk_records, krows)
        bulk_insert(conn, ballots, brows)
        bulk_insert(conn, rejections, rrows)
        conn.execute(
            update(kiosks)
            .where(kiosks.c.id == kiosk)
            .values(
                synced_seq=seq,
                synced_hash=head,
                reported_seq=max(int(row.reported_seq), batch.head_seq),
                reported_at=received if batch.head_seq >= int(row.reported_seq) else row.reported_at,
                last_sync_at=received,
                accepted=kiosks.c.accepted + accepted,
                rejected=kiosks.c.rejected + rejected,
            )
        )
    sth = app.sth
    if sth is None:
        with ctx.db.read() as conn:
            sth = ctx.ledger.latest_sth(conn)
    if new:
        log.info("%s %s: %d accepted, %d rejected, synced to %d", via, kiosk, accepted, rejected, seq)
    return {"results": results, "synced_seq": seq, "synced_hash": head, "sth": sth}


def dumps_body(raw: Any) -> str:
    return json.dumps(raw, ensure_ascii=False)[:MAX_STORED_BODY]
