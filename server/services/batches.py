"""Kiosk batches — a network sync or a USB bundle — taken in whole or refused whole.

Order of work: shape and linkage (``shared.chain.Batch``), the kiosk's enrolment and head
signature, the stateless ballot checks (on the process pool for large batches), then —
in the integrator's group (:mod:`server.services.sequencer`), under the ledger lock —
chain continuity against the kiosk's highest contiguous seq and
head hash (``chain_gap``, ``chain_fork``), revocation and closing, and the append of
every new record as a ``ballot`` or ``rejected`` entry, committed with its group under one STH.
A re-sent record is answered with its original receipt.

Nothing signed is dropped without a trace: a record that arrives after staff closed its
kiosk (or the event) is still appended, as a ``rejected`` entry with ``kiosk_closed`` (or
``event_closed``) that never counts; and the head of every batch whose signature verified
is remembered as the kiosk's latest signed head even when the batch is refused whole
(``chain_gap``, ``chain_fork``), so staff always know the highest seq a kiosk has signed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select, update

from shared.chain import Batch, ChainState, classify
from shared.errors import FormatError, Rejection, VerificationError
from shared.manifest import Manifest

from ..context import Context
from ..db.engine import bulk_insert
from ..db.schema import kiosk_records, kiosks, rejections
from .entries import ballot_entry_text, rejected_entry_text
from .errors import Refused
from .precheck import EARLY_CODES, Prepared, final_code, on_time, prepare
from .refusals import keep_anonymous, revoked_among, store_rejection
from .sequencer import Group

log = logging.getLogger("simsa.server.batches")


@dataclass
class _Refusal(Exception):
    code: str
    detail: str
    seq: int | None = None
    anonymous: bool = False  # before the kiosk's head signature: could be anyone's


@dataclass(frozen=True, slots=True)
class RecordResult:
    """What became of one record: ``accepted`` or ``rejected`` (a new ledger entry at
    ``index``, ``code`` the rule it broke) or ``duplicate`` (its original entry)."""

    seq: int
    status: str
    id: str
    index: int
    code: str | None


@dataclass(frozen=True)
class BatchTaken:
    """A batch taken whole: each record's result, the kiosk's synced seq and hash, and the
    STH that covers every entry of it."""

    results: tuple[RecordResult, ...]
    synced_seq: int
    synced_hash: str
    sth: dict[str, Any]


@dataclass
class _Placed:
    """The batch against the chain held: re-sent records' receipts and the new records."""

    results: list[RecordResult] = field(default_factory=list)
    new: list[tuple[dict[str, Any], Prepared, str]] = field(default_factory=list)
    seq: int = 0
    head: str = ""
    accepted: int = 0
    rejected: int = 0


def _kiosk_row(conn: Connection, kiosk: str) -> Any:
    return conn.execute(select(kiosks).where(kiosks.c.id == kiosk)).first()


def submit_batch(ctx: Context, kiosk: str, raw: Any, *, via: str = "sync", source: str = "") -> BatchTaken:
    """``POST /api/v1/kiosks/{kiosk}/batches`` and the staff bundle import: the per-record
    results and the kiosk's synced seq, or :class:`Refused` for a batch refused whole.
    ``source`` is the client address, for refusals of what the kiosk did not sign."""
    signed: list[int] = []  # the head seq, once its signature verified
    try:
        return _submit(ctx, kiosk, raw, via, signed)
    except _Refusal as r:
        row: dict[str, Any] = {"channel": "kiosk", "kiosk": kiosk[:64], "seq": r.seq, "code": r.code, "detail": f"{via}: {r.detail}"}
        if r.anonymous and via == "sync":  # a staff bundle import is kept whatever it is
            keep_anonymous(ctx, source, **row)
        else:
            with ctx.db.write() as conn:
                store_rejection(ctx, conn, **row)
                if signed:
                    note_signed_head(conn, kiosk, signed[0], ctx.ledger.received_at())
        raise Refused(r.code, r.detail, **({"signed_seq": signed[0]} if signed else {})) from None


def note_signed_head(conn: Connection, kiosk: str, seq: int, at: str) -> None:
    """Remember a head the kiosk signed (a refused batch's, or its closure's) when it is
    ahead of the latest one known: the highest seq the kiosk has signed."""
    conn.execute(
        update(kiosks).where(kiosks.c.id == kiosk, kiosks.c.reported_seq <= seq).values(reported_seq=seq, reported_at=at)
    )


def _checked(ctx: Context, kiosk: str, raw: Any, signed: list[int]) -> tuple[Batch, Any]:
    """Shape, linkage, enrolment and head signature — everything before the ballots. A head
    that verifies is put in ``signed`` (a pending kiosk's too: what it holds is known before
    staff approve it, e.g. from a USB bundle imported with its registration)."""
    try:
        batch = Batch.from_json(raw)
    except FormatError as exc:
        raise _Refusal("malformed", str(exc), anonymous=True) from exc
    if batch.kiosk != kiosk:
        raise _Refusal("malformed", f"the batch is from kiosk {batch.kiosk!r}, posted for {kiosk!r}", anonymous=True)
    with ctx.db.read() as conn:
        row = _kiosk_row(conn, kiosk)
    if row is None:
        raise _Refusal("unknown_kiosk", f"kiosk {kiosk} is not registered: register it and have staff approve it",
                       anonymous=True)
    try:
        batch.verify_head(row.public_key)
    except VerificationError as exc:
        if row.status == "pending":
            raise _Refusal("unknown_kiosk", f"kiosk {kiosk} is registered but staff have not approved it yet",
                           anonymous=True) from exc
        raise _Refusal("bad_head_signature", str(exc), batch.head_seq, anonymous=True) from exc
    signed.append(batch.head_seq)
    if row.status == "pending":
        raise _Refusal("unknown_kiosk", f"kiosk {kiosk} is registered but staff have not approved it yet "
                       f"(it has signed {batch.head_seq} records): approve it, then import or sync again", batch.head_seq)
    return batch, row


def _place(ctx: Context, conn: Connection, kiosk: str, batch: Batch, row: Any, prep_of: dict[int, Prepared]) -> _Placed:
    """Place the batch against the chain the server holds (under the lock) with
    ``shared.chain.classify``: each re-sent record and the first new one. The records after
    that are linked to it already (``Batch.from_json`` checked the batch's own linkage)."""
    out = _Placed(seq=int(row.synced_seq), head=str(row.synced_hash))
    dup_seqs = [r["seq"] for r in batch.records if r["seq"] <= out.seq]
    held: dict[int, Any] = {}
    if dup_seqs:
        q = select(kiosk_records).where(
            kiosk_records.c.kiosk == kiosk, kiosk_records.c.seq >= min(dup_seqs), kiosk_records.c.seq <= max(dup_seqs)
        )
        held = {h.seq: h for h in conn.execute(q)}
    state = ChainState(out.seq, out.head)
    for r, sbj, h_new in zip(batch.records, batch.signed_jcs, batch.hashes, strict=True):
        s = r["seq"]
        if not out.new:
            h = held.get(s)
            try:
                kind = classify(r, state, h.hash if h is not None else None, h_new)
            except Rejection as exc:
                raise _Refusal(exc.code, exc.detail, s) from None
            if kind == "duplicate":
                assert h is not None
                out.results.append(RecordResult(s, "duplicate", h.ballot_id, int(h.idx), h.code))
                continue
        p = prep_of.get(s) or prepare(ctx.manifest, r["signed_ballot"], "kiosk", kiosk, ctx.prechecker.keys, sbj)
        out.new.append((r, p, h_new))
        out.seq, out.head = s, h_new
    return out


def _append(g: Group, manifest: Manifest, kiosk: str, placed: _Placed, late: str | None = None) -> tuple[int, int]:
    """Append every new record as a ballot or rejected entry, with its side rows; ``late``
    (``kiosk_closed``, ``event_closed``): every record is logged rejected with that code."""
    app = g.app
    conn = app.conn
    revoked = revoked_among(conn, {p.reviewer for _, p, _ in placed.new if p.reviewer and p.code not in EARLY_CODES})
    received = app.received_at()
    krows, brows, rrows = [], [], []
    for r, p, h_new in placed.new:
        s = r["seq"]
        code, detail = final_code(p, p.reviewer in revoked, False)
        if late is not None:
            code, detail = late, f"seq {s} arrived after {'the kiosk' if late == 'kiosk_closed' else 'the event'} was closed: logged, not counted"
        elif code is None:  # rule 11 by the server's clock, the last rule (DESIGN §5)
            code, detail = on_time(manifest, "kiosk", p, received)
        if code is None:
            index = app.append_text("ballot", ballot_entry_text(p.sb_text, received, kiosk, s))
            brows.append({"idx": index, "id": p.id, "reviewer": p.reviewer, "target": p.target, "channel": "kiosk",
                          "kiosk": kiosk, "seq": s, "created_at": p.created_at})
            placed.results.append(RecordResult(s, "accepted", p.id, index, None))
        else:
            index = app.append_text("rejected", rejected_entry_text(p.sb_text, received, kiosk, s, code))
            rrows.append({"at": received, "channel": "kiosk", "kiosk": kiosk, "seq": s, "reviewer": p.reviewer,
                          "code": code, "detail": detail, "ballot_id": p.id, "ledger_index": index, "body": None})
            placed.results.append(RecordResult(s, "rejected", p.id, index, code))
        krows.append({"kiosk": kiosk, "seq": s, "hash": h_new, "idx": index, "ballot_id": p.id, "code": code})
    for b in brows:  # inserted with the group, under the STH it signs
        g.add_ballot(b)
    bulk_insert(conn, kiosk_records, krows)
    bulk_insert(conn, rejections, rrows)
    return len(brows), len(rrows)


@dataclass
class KioskBatch:
    """A kiosk batch past its head signature and ballot checks, waiting for the integrator."""

    ctx: Context
    kiosk: str
    batch: Batch
    prep_of: dict[int, Prepared]

    @property
    def size(self) -> int:
        return len(self.batch.records)

    def apply(self, g: Group) -> _Placed | _Refusal:
        """Place the batch against the chain held and append its new records (a refusal
        appends nothing: :func:`_place` only reads)."""
        app, kiosk, batch = g.app, self.kiosk, self.batch
        row = _kiosk_row(app.conn, kiosk)
        try:
            placed = _place(self.ctx, app.conn, kiosk, batch, row, self.prep_of)
        except _Refusal as r:
            return r
        late = "kiosk_closed" if row.status == "closed" else "event_closed" if app.closed_index is not None else None
        placed.accepted, placed.rejected = _append(g, self.ctx.manifest, kiosk, placed, late)
        now = app.received_at()
        app.conn.execute(
            update(kiosks)
            .where(kiosks.c.id == kiosk)
            .values(
                synced_seq=placed.seq,
                synced_hash=placed.head,
                reported_seq=max(int(row.reported_seq), batch.head_seq),
                reported_at=now if batch.head_seq >= int(row.reported_seq) else row.reported_at,
                last_sync_at=now,
                accepted=kiosks.c.accepted + placed.accepted,
                rejected=kiosks.c.rejected + placed.rejected,
            )
        )
        return placed


def _submit(ctx: Context, kiosk: str, raw: Any, via: str, signed: list[int]) -> BatchTaken:
    batch, row = _checked(ctx, kiosk, raw, signed)
    fresh = [(r, sbj) for r, sbj in zip(batch.records, batch.signed_jcs, strict=True) if r["seq"] > row.synced_seq]
    prepared = ctx.prechecker.run([r["signed_ballot"] for r, _ in fresh], "kiosk", kiosk, [sbj for _, sbj in fresh])
    prep_of = {r["seq"]: p for (r, _), p in zip(fresh, prepared, strict=True)}
    done = ctx.sequencer.run(KioskBatch(ctx, kiosk, batch, prep_of))
    if isinstance(done.outcome, _Refusal):
        raise done.outcome
    placed: _Placed = done.outcome
    sth = done.sth
    if sth is None:
        with ctx.db.read() as conn:
            sth = ctx.ledger.latest_sth(conn)
    assert sth is not None  # a ledger has an STH from its entry 0 on
    if placed.new:
        log.info("%s %s: %d accepted, %d rejected, synced to %d", via, kiosk, placed.accepted, placed.rejected, placed.seq)
    return BatchTaken(tuple(placed.results), placed.seq, placed.head, sth)
