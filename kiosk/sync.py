"""Sync: the kiosk's records to the ledger, revocations and the tree head back.

:class:`Syncer` does one pass, synchronously — enrol, push the chain in batches of at
most 500 records, keep every per-record answer, pull revocations, and check the new
signed tree head against the last one seen with a consistency proof. The simulator and
the tests call it directly; :class:`SyncWorker` runs it on its own thread with backoff
and jitter so the UI never waits on the network.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from client import LedgerClient, RetryPolicy, ServerRefused, ServerUnavailable
from client.proofs import check_consistency
from shared.chain import make_batch
from shared.errors import FormatError, VerificationError
from shared.ledger import TreeHead, verify_sth
from shared.timefmt import format_time

from .bundle import next_batch
from .identity import Kiosk, registration
from .session import Delivery
from .store import CLOSED_BY_SERVER, KioskStore, Meta


@dataclass
class Backoff:
    """Exponential backoff with full jitter: a delay drawn from [0, min(cap, base·2^n))."""

    base: float = 1.0
    cap: float = 60.0
    rng: random.Random = field(default_factory=random.Random)
    attempt: int = 0

    def next(self) -> float:
        delay = self.rng.uniform(0, min(self.cap, self.base * 2**self.attempt))
        self.attempt = min(self.attempt + 1, 30)
        return delay

    def reset(self) -> None:
        self.attempt = 0


@dataclass
class SyncReport:
    """What one pass did."""

    enrolment: str = "unknown"
    pushed: int = 0
    results: dict[str, int] = field(default_factory=dict)
    synced_seq: int = 0
    head_seq: int = 0
    sth_size: int | None = None
    #: Size of the newest checkpoint cosigned as the manifest's witness policy demands.
    witnessed_size: int | None = None
    online_sent: int = 0
    head_reported: bool = False
    alarms: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Everything recorded here is held by the server."""
        return self.synced_seq == self.head_seq


def _now() -> datetime:
    return datetime.now(UTC)


class Syncer:
    """One kiosk's (or online client's) link to the ledger server.

    A pass with no record to send still reports the kiosk's head — a batch of no records,
    signed at the current seq and hash — at most once every ``head_every`` seconds, so
    the dashboard's "recorded on the kiosk" and last contact stay fresh on an idle kiosk.
    """

    def __init__(
        self,
        kiosk: Kiosk,
        store: KioskStore,
        client: LedgerClient,
        *,
        clock: Callable[[], datetime] = _now,
        head_every: float = 15.0,
    ) -> None:
        self.kiosk = kiosk
        self.store = store
        self.client = client
        self.clock = clock
        self.head_every = head_every
        self._head_sent_at: datetime | None = None  # the last batch of any kind (records or head only)
        self.lock = threading.Lock()  # one pass at a time (worker, "sync now", online deliver)

    def _stamp(self) -> str:
        return format_time(self.clock().replace(microsecond=0))

    def _alarm(self, report: SyncReport, code: str, detail: str) -> None:
        report.alarms.append(code)
        self.store.alarm(self._stamp(), code, detail)

    def sync_once(self) -> SyncReport:
        """One full pass; raise :class:`ServerUnavailable` when the server cannot be reached."""
        with self.lock:
            report = SyncReport()
            try:
                if self.kiosk.channel == "kiosk":
                    report.enrolment = self.enrol()
                    if report.enrolment == "approved":
                        self.push(report)
                        self.send_closure(report)
                else:
                    report.enrolment = "online"
                    self.flush_online(report)
                self.pull_revocations()
                self.check_sth(report)
            except ServerUnavailable as exc:
                self.store.set({Meta.LAST_ERROR: f"{self._stamp()} {exc}"})
                raise
            report.head_seq = self.store.head()[0]
            report.synced_seq = self.store.synced_seq()
            self.store.set({Meta.LAST_SYNC_AT: self._stamp(), Meta.LAST_ERROR: None})
            return report

    # --- enrolment -----------------------------------------------------------------------

    def enrol(self) -> str:
        """Register the kiosk key (once) and return the server's view: pending, approved, closed."""
        if self.store.get(Meta.ENROLMENT) in ("approved", "closed"):
            return str(self.store.get(Meta.ENROLMENT))
        reg = self.store.get_json(Meta.REGISTRATION)
        if reg is None:
            reg = registration(self.kiosk, self._stamp())
            self.store.set_json(Meta.REGISTRATION, reg)
        try:
            out = self.client.register(reg)
        except ServerRefused as exc:
            self.store.alarm(self._stamp(), exc.code, exc.detail)
            self.store.set({Meta.ENROLMENT: "refused"})
            return "refused"
        status = str(out.get("status", "pending"))
        self.store.set({Meta.ENROLMENT: status})
        return status

    # --- the chain -----------------------------------------------------------------------

    def push(self, report: SyncReport) -> None:
        kid = self.kiosk.id
        status = self.client.kiosk_status(kid)
        if status.get("status") == "unknown":  # the server forgot us (a new ledger?)
            self.store.set({Meta.ENROLMENT: None})
            self._alarm(report, "kiosk_unknown", "the server does not know this kiosk any more; registering again")
            return
        synced = int(status.get("synced_seq", 0))
        head_seq, _ = self.store.head()
        if synced > head_seq:
            self._alarm(report, "server_ahead", f"the server holds seq {synced} but this kiosk only {head_seq}")
            return
        if self.store.hash_at(synced) != status.get("synced_hash"):
            self._alarm(report, "chain_fork", f"the server's record {synced} is not this kiosk's")
            return
        local = self.store.synced_seq()
        if local > synced:
            self._alarm(report, "server_behind", f"the server held this kiosk to seq {local}, now only {synced}")
        # records the server took while its answer was lost are sent again: the answers
        # (duplicates, with the original receipt) are kept like any other
        synced = min(local, synced)
        while True:
            batch = next_batch(self.kiosk, self.store, synced)
            if batch is None:
                if report.pushed == 0:
                    self.report_head(report)
                return
            records = batch["records"]
            try:
                out = self.client.post_batch(kid, batch)
            except ServerRefused as exc:
                self._refused(report, exc)
                return
            self._head_sent_at = self.clock()
            results = out.get("results")
            if not isinstance(results, list):
                raise ServerUnavailable("the batch answer has no results")
            new_synced = int(out.get("synced_seq", synced))
            self.store.record_results(results, new_synced)
            report.pushed += len(records)
            rejected: dict[str, list[int]] = {}
            for r in results:
                report.results[str(r.get("status"))] = report.results.get(str(r.get("status")), 0) + 1
                if r.get("status") == "rejected":
                    rejected.setdefault(str(r.get("code")), []).append(int(r.get("seq", 0)))
            for code, seqs in rejected.items():  # one line per code and batch, not one per record
                if code in CLOSED_BY_SERVER:  # logged on the ledger, never counted
                    self.store.set({CLOSED_BY_SERVER[code]: "1"})
                shown = ", ".join(map(str, seqs[:5])) + (" …" if len(seqs) > 5 else "")
                self.store.alarm(self._stamp(), "rejected", f"{len(seqs)} × {code} (seq {shown})")
            if new_synced <= synced:
                self._alarm(report, "no_progress", f"the server kept the chain at seq {synced}")
                return
            synced = new_synced

    def report_head(self, report: SyncReport) -> None:
        """Post a batch of no records, signed at this kiosk's head, unless one was sent in
        the last ``head_every`` seconds: the server keeps it as the seq recorded here and
        as contact. The server already holds every record (the caller checked)."""
        now = self.clock()
        if self._head_sent_at is not None and (now - self._head_sent_at).total_seconds() < self.head_every:
            return
        head_seq, head_hash = self.store.head()
        batch = make_batch(self.kiosk.id, [], self.kiosk.key, head_seq, head_hash)
        try:
            self.client.post_batch(self.kiosk.id, batch)
        except ServerRefused as exc:
            self._refused(report, exc)
            return
        self._head_sent_at = now
        report.head_reported = True

    def _refused(self, report: SyncReport, exc: ServerRefused) -> None:
        if exc.code == "unknown_kiosk":
            self.store.set({Meta.ENROLMENT: "pending"})
        elif exc.code in CLOSED_BY_SERVER:
            self.store.set({CLOSED_BY_SERVER[exc.code]: "1"})
        self._alarm(report, exc.code, exc.detail)

    def send_closure(self, report: SyncReport) -> None:
        closure = self.store.get_json(Meta.CLOSURE)
        if closure is None or self.store.get(Meta.CLOSURE_SENT):
            return
        if self.store.synced_seq() < closure["seq"]:
            return  # the records first
        try:
            out = self.client.post_closure(self.kiosk.id, closure)
        except ServerRefused as exc:
            self._alarm(report, exc.code, exc.detail)
            return
        self.store.set({Meta.CLOSURE_SENT: self._stamp()})
        if out.get("matches") is False:
            self._alarm(report, "closure_mismatch", f"the server holds the chain to {out.get('synced_seq')}")

    # --- online ballots ------------------------------------------------------------------

    def flush_online(self, report: SyncReport) -> None:
        for bid, sb in self.store.queued_online():
            d = self.deliver_one(bid, sb)
            if d.status == "queued":  # kept in the outbox; the worker tries again after a wait
                raise ServerUnavailable("the server did not take an online ballot; trying again later",
                                        retry_after=d.retry_after)
            report.online_sent += 1

    def deliver_one(self, bid: str, sb: dict[str, Any], timeout: tuple[float, float] | None = None,
                    retry: RetryPolicy | None = None) -> Delivery:
        """Post one online ballot and keep the answer; ``queued`` if the server is away or
        busy (the worker sends it later). ``retry`` bounds the waiting for this one call."""
        try:
            out = self.client.post_ballot(sb, timeout=timeout, retry=retry)
        except ServerUnavailable as exc:
            return Delivery("queued", retry_after=exc.retry_after)
        except ServerRefused as exc:
            self.store.online_result(bid, "refused", code=exc.code)
            return Delivery("refused", code=exc.code)
        index = out.get("index")
        self.store.online_result(bid, "sent", index=index if isinstance(index, int) else None)
        return Delivery("sent", index=index if isinstance(index, int) else None)

    # --- revocations and the tree head ---------------------------------------------------

    def pull_revocations(self) -> None:
        self.store.set_revoked(self.client.revocations())

    def check_sth(self, report: SyncReport) -> None:
        """Adopt the server's new STH only if it is signed by the ledger key and consistent
        with the last one this kiosk saw; otherwise raise an alarm and keep the old one."""
        m = self.kiosk.manifest
        raw = self.client.sth()
        try:
            new = verify_sth(raw, m.ledger_key, event=m.event)
        except (FormatError, VerificationError) as exc:
            self._alarm(report, "sth_invalid", str(exc))
            return
        old_raw = self.store.get_json(Meta.LAST_STH)
        if old_raw is not None:
            old = verify_sth(old_raw, m.ledger_key, event=m.event)
            if new.tree_size < old.tree_size:
                self._alarm(report, "ledger_inconsistent",
                            f"the ledger shrank from {old.tree_size} to {new.tree_size} entries")
                return
            try:
                check_consistency(self.client, old.tree_size, old.root_hash, new.tree_size, new.root_hash)
            except VerificationError as exc:
                self._alarm(report, "ledger_inconsistent",
                            f"the ledger of size {new.tree_size} does not extend the one of size {old.tree_size}: {exc}")
                return
            except ServerRefused as exc:
                self._alarm(report, "ledger_inconsistent", f"no consistency proof: {exc}")
                return
        self.store.set_json(Meta.LAST_STH, raw)
        report.sth_size = new.tree_size
        if m.witnesses is not None:
            self.check_witnessed(report, new)

    def check_witnessed(self, report: SyncReport, head: TreeHead) -> None:
        """Under a witness policy: is the adopted head covered by a cosigned checkpoint?"""
        from .witnessed import WitnessAlarm, check_head_witnessed, remembered

        try:
            w = check_head_witnessed(self.client, self.kiosk.manifest, head, self.store.get_json(Meta.LAST_WITNESSED))
        except WitnessAlarm as exc:
            self._alarm(report, exc.code, exc.detail)
            return
        self.store.set_json(Meta.LAST_WITNESSED, remembered(w))
        report.witnessed_size = w.checkpoint.size


class SyncWorker(threading.Thread):
    """Runs :meth:`Syncer.sync_once` every ``interval`` seconds, backing off on failure.

    ``sync_now`` wakes it; ``on_report`` (called on this thread) gets each pass's
    :class:`SyncReport` or the exception that ended it."""

    def __init__(
        self,
        syncer: Syncer,
        *,
        interval: float = 15.0,
        backoff: Backoff | None = None,
        on_report: Callable[[SyncReport | Exception], None] | None = None,
    ) -> None:
        super().__init__(name="simsa-sync", daemon=True)
        self.syncer = syncer
        self.interval = interval
        syncer.head_every = interval  # an idle kiosk reports its head once per interval, not per "sync now"
        self.backoff = backoff or Backoff()
        self.on_report = on_report
        self._wake = threading.Event()
        self._halt = threading.Event()
        self.busy = False

    def delay_after(self, exc: ServerUnavailable) -> float:
        """The wait after a failed pass: the backoff, but at least the ``Retry-After`` the
        server asked for (its back-pressure), never more than the backoff's cap."""
        delay = self.backoff.next()
        if exc.retry_after is not None:
            delay = max(delay, min(exc.retry_after, self.backoff.cap))
        return delay

    def sync_now(self) -> None:
        self.backoff.reset()
        self._wake.set()

    def stop(self) -> None:
        self._halt.set()
        self._wake.set()

    def run(self) -> None:
        while not self._halt.is_set():
            self.busy = True
            result: SyncReport | Exception
            try:
                result = self.syncer.sync_once()
                self.backoff.reset()
                delay = self.interval
            except ServerUnavailable as exc:
                result = exc
                delay = self.delay_after(exc)
            except Exception as exc:  # a bug must not kill syncing for the rest of the day
                self.syncer.store.alarm(format_time(_now().replace(microsecond=0)), "sync_error",
                                        f"{type(exc).__name__}: {exc}")
                result = exc
                delay = self.backoff.next()
            finally:
                self.busy = False
            if self.on_report:
                self.on_report(result)
            self._wake.wait(delay)
            self._wake.clear()

