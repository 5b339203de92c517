"""One reviewer at the kiosk, as a state machine with no window and no threads.

scan → PIN → assignments → rubric or approval sheet → confirm → receipt → (next or scan),
and staff PIN → staff menu. Every transition runs on the caller's (UI) thread and is
instant; work that touches the disk, scrypt or the network is handed back as a *job* — a
function of frozen inputs — that the shell runs on a worker and whose result it feeds
back (``unlock_finished``, ``save_finished`` …). Results from a session that ended in
the meantime (idle logout) carry an old ``generation`` and are ignored.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from shared.ballot import approval_ballot, rubric_ballot, short_code, sign_ballot
from shared.credential import Credential, check_pin_format, parse, unlock
from shared.errors import CredentialFormatError, CredentialMismatch, FormatError, Rejection, WrongPin
from shared.keys import SigningKey
from shared.manifest import ROLE_FORMS, Manifest
from shared.rules import check_ballot
from shared.timefmt import format_time

from .assignments import Item, items_for
from .flow import IDLE_S as _FLOW_IDLE_S
from .flow import FinishGuard, next_unscored
from .i18n import code_text, tr
from .identity import Kiosk, check_staff_pin
from .store import KioskStore, LocalBallot, Meta

MAX_PIN_ATTEMPTS = 5
MAX_STAFF_ATTEMPTS = 5
STAFF_LOCK_S = 300
IDLE_S = _FLOW_IDLE_S


class Step(StrEnum):
    SCAN = "scan"
    PIN = "pin"
    UNLOCKING = "unlocking"
    ASSIGNMENTS = "assignments"
    RUBRIC = "rubric"
    APPROVAL = "approval"
    CONFIRM = "confirm"
    SAVING = "saving"
    RECEIPT = "receipt"
    DONE = "done"
    STAFF_PIN = "staff_pin"
    STAFF_CHECKING = "staff_checking"
    STAFF = "staff"
    CLOSED = "closed"


#: Steps in which a worker is busy for this session: no idle logout, no input.
BUSY = (Step.UNLOCKING, Step.SAVING, Step.STAFF_CHECKING)


@dataclass(frozen=True)
class Notice:
    """A message for the person at the kiosk; ``code`` fills ``{reason}`` in their language."""

    key: str
    params: Mapping[str, object] = field(default_factory=dict)
    error: bool = True
    code: str | None = None

    def text(self, lang: str) -> str:
        params = dict(self.params)
        if self.code is not None:
            params["reason"] = code_text(self.code, lang)
        if "channel" in params:
            params["channel"] = tr(f"channel.{params['channel']}", lang)
        return tr(self.key, lang, **params)


@dataclass(frozen=True)
class Delivery:
    """What became of an online ballot: ``sent`` (on the ledger), ``queued`` or ``refused``."""

    status: str
    index: int | None = None
    code: str | None = None
    #: ``queued`` because the server shed load: the seconds it asked the client to wait.
    retry_after: float | None = None


@dataclass(frozen=True)
class ScanChecked:
    generation: int
    cred: Credential | None
    notice: Notice | None
    failures: int = 0


@dataclass(frozen=True)
class Unlocked:
    generation: int
    key: SigningKey | None
    notice: Notice | None
    ballots: tuple[LocalBallot, ...] = ()
    failures: int = 0


@dataclass(frozen=True)
class Receipt:
    ballot_id: str
    short: str
    target: str
    seq: int | None
    delivery: Delivery | None
    title: str = ""
    total: tuple[float, float] | None = None  # rubric: (weighted total, its maximum)
    likes: int | None = None  # approval: how many proposals were liked

    @property
    def refused(self) -> bool:
        """The server refused this online ballot: it counts for nothing."""
        return self.delivery is not None and self.delivery.status == "refused"


@dataclass(frozen=True)
class SaveDone:
    generation: int
    receipt: Receipt | None
    notice: Notice | None
    ballots: tuple[LocalBallot, ...] = ()


@dataclass(frozen=True)
class StaffChecked:
    generation: int
    ok: bool
    notice: Notice | None


Job = Callable[[], Any]
Deliver = Callable[[str, dict[str, Any]], Delivery]


def _now() -> datetime:
    return datetime.now(UTC)


class Session:
    """The kiosk's one session at a time. Read its fields to draw the screens."""

    def __init__(
        self,
        kiosk: Kiosk,
        store: KioskStore,
        *,
        clock: Callable[[], datetime] = _now,
        nonce: Callable[[], str] = lambda: str(uuid.uuid4()),
        deliver: Deliver | None = None,
        max_pin_attempts: int = MAX_PIN_ATTEMPTS,
    ) -> None:
        self.kiosk = kiosk
        self.store = store
        self.clock = clock
        self.nonce = nonce
        self.deliver = deliver
        self.max_pin_attempts = max_pin_attempts
        self.generation = 0
        self.listeners: list[Callable[[Session], None]] = []
        self.step = Step.CLOSED if store.get(Meta.CLOSED_AT) else Step.SCAN
        self._reset()

    @property
    def manifest(self) -> Manifest:
        return self.kiosk.manifest

    @property
    def form(self) -> str:
        """The ballot form of this channel (manifest ``forms``)."""
        return self.manifest.forms[self.kiosk.channel]

    def _reset(self) -> None:
        self.notice: Notice | None = None
        self.cred: Credential | None = None
        self.key: SigningKey | None = None
        self.items: list[Item] = []
        self.current: Item | None = None
        self.scores: dict[str, int | None] = {}
        self.choices: list[str] = []
        self.receipt: Receipt | None = None
        self.receipts: list[Receipt] = []  # every receipt of this session, for the summary
        self.pin_failures = 0
        self.finish_guard = FinishGuard()
        self.rescore_ask: str | None = None  # a done item whose "judge again" was tapped once

    def _changed(self) -> None:
        for listener in list(self.listeners):
            listener(self)

    def _go(self, step: Step, notice: Notice | None = None) -> None:
        self.finish_guard.withdraw()  # any other action takes back "finish anyway?"
        if step != Step.ASSIGNMENTS:
            self.rescore_ask = None
        self.step = step
        self.notice = notice
        self._changed()

    @property
    def reviewer(self) -> str | None:
        return self.cred.reviewer if self.cred else None

    @property
    def busy(self) -> bool:
        return self.step in BUSY

    # --- scan ----------------------------------------------------------------------------

    def scanned(self, text: str) -> Job | None:
        """A code was read (camera, handheld scanner or pasted). Returns the check job, or
        None when the text is refused at once or the kiosk is not waiting for a card."""
        if self.step != Step.SCAN:
            return None
        text = "".join(text.split())  # a card's text typed in groups, or pasted with line breaks
        try:
            cred = parse(text)
        except CredentialFormatError:
            self._go(Step.SCAN, Notice("card.not_simsa"))
            return None
        gen = self.generation
        return lambda: self._check_card(gen, cred)

    def _check_card(self, gen: int, cred: Credential) -> ScanChecked:
        m = self.manifest
        if cred.event != m.event:
            return ScanChecked(gen, None, Notice("card.other_event", {"event": cred.event}))
        reviewer = m.reviewers.get(cred.reviewer)
        if reviewer is None:
            return ScanChecked(gen, None, Notice("card.unknown"))
        if self.store.is_revoked(cred.reviewer):
            return ScanChecked(gen, None, Notice("card.revoked"))
        failures, locked = self.store.pin_state(cred.reviewer)
        if locked:
            return ScanChecked(gen, None, Notice("card.locked"))
        if cred.logn < m.kdf_min_logn:
            return ScanChecked(gen, None, Notice("card.weak", {"logn": cred.logn, "min": m.kdf_min_logn}))
        if self.form not in ROLE_FORMS[reviewer.role]:
            other = next(ch for ch, f in m.forms.items() if f in ROLE_FORMS[reviewer.role])
            return ScanChecked(gen, None, Notice("card.wrong_channel", {"channel": other}))
        window = m.windows[self.kiosk.channel]
        slack = timedelta(seconds=m.clock_tolerance_s)
        now = self.clock()
        if now < window.start - slack:
            return ScanChecked(gen, None, Notice("window.not_open", {"start": _local(window.start)}))
        if now > window.end + slack:
            return ScanChecked(gen, None, Notice("window.closed", {"end": _local(window.end)}))
        return ScanChecked(gen, cred, None, failures)

    def card_checked(self, r: ScanChecked) -> None:
        if r.generation != self.generation or self.step != Step.SCAN:
            return
        if r.cred is None:
            self._go(Step.SCAN, r.notice)
            return
        self.cred = r.cred
        self.pin_failures = r.failures
        self._go(Step.PIN)

    # --- PIN -----------------------------------------------------------------------------

    def pin_entered(self, pin: str) -> Job | None:
        if self.step != Step.PIN or self.cred is None:
            return None
        try:
            check_pin_format(pin)
        except CredentialFormatError:
            self._go(Step.PIN, Notice("pin.wrong", {"left": self.attempts_left}))
            return None
        cred, gen = self.cred, self.generation
        expected = self.manifest.reviewers[cred.reviewer].key
        self._go(Step.UNLOCKING)
        return lambda: self._unlock(gen, cred, pin, expected)

    @property
    def attempts_left(self) -> int:
        return max(self.max_pin_attempts - self.pin_failures, 0)

    def _unlock(self, gen: int, cred: Credential, pin: str, expected: str) -> Unlocked:
        try:
            key = unlock(cred, pin, expected, min_logn=self.manifest.kdf_min_logn)
        except WrongPin:
            failures, locked = self.store.pin_failed(cred.reviewer, self.max_pin_attempts)
            if locked:
                return Unlocked(gen, None, Notice("card.locked"))
            left = self.max_pin_attempts - failures
            return Unlocked(gen, None, Notice("pin.wrong", {"left": left}), failures=failures)
        except CredentialMismatch:
            return Unlocked(gen, None, Notice("card.mismatch"))
        self.store.opened(cred.reviewer, format_time(self.clock().replace(microsecond=0)))
        return Unlocked(gen, key, None, tuple(self.store.ballots_of(cred.reviewer)))

    def unlock_finished(self, r: Unlocked) -> None:
        if r.generation != self.generation or self.step != Step.UNLOCKING:
            return
        if r.key is None:
            assert r.notice is not None
            if r.notice.key == "pin.wrong":
                self.pin_failures = r.failures
                self._go(Step.PIN, r.notice)
            else:
                self.logout(r.notice)
            return
        self.key = r.key
        self._refresh_items(r.ballots)
        self._go(Step.ASSIGNMENTS)

    # --- assignments and sheets ----------------------------------------------------------

    def _refresh_items(self, ballots: tuple[LocalBallot, ...]) -> None:
        assert self.cred is not None
        self.items = items_for(self.manifest, self.cred.reviewer, self.form, ballots)

    @property
    def progress(self) -> tuple[int, int]:
        """(done, left) over this reviewer's assignments."""
        done = sum(1 for i in self.items if i.done)
        return done, len(self.items) - done

    def choose(self, target: str) -> None:
        """Open ``target``'s sheet. A proposal already done is opened only by a second,
        deliberate tap (the first one asks, in :attr:`rescore_ask`)."""
        if self.step != Step.ASSIGNMENTS:
            return
        item = next((i for i in self.items if i.target == target), None)
        if item is None:
            return
        if item.done and self.rescore_ask != target:
            self.finish_guard.withdraw()
            self.rescore_ask = target
            self._changed()
            return
        self._open(item)

    def cancel_rescore(self) -> None:
        if self.rescore_ask is not None:
            self.rescore_ask = None
            self._changed()

    @property
    def next_todo(self) -> Item | None:
        """The first item not yet done (list order)."""
        return next_unscored(self.items, None)

    def _open(self, item: Item) -> None:
        self.current = item
        self.scores = {c.id: None for c in self.manifest.rubric}
        self.choices = []
        self._go(Step.RUBRIC if item.form == "rubric" else Step.APPROVAL)

    def set_score(self, criterion: str, value: int) -> None:
        if self.step != Step.RUBRIC or criterion not in self.scores:
            return
        top = self.manifest.criteria()[criterion].max
        if isinstance(value, int) and 0 <= value <= top:
            self.scores[criterion] = value
            self._go(Step.RUBRIC)

    def toggle(self, proposal: str) -> None:
        if self.step != Step.APPROVAL or self.current is None or proposal not in self.current.offered:
            return
        if proposal in self.choices:
            self.choices.remove(proposal)
            self._go(Step.APPROVAL)
        elif len(self.choices) >= self.manifest.max_choices:
            self._go(Step.APPROVAL, Notice("approval.full", {"max": self.manifest.max_choices}))
        else:
            self.choices.append(proposal)
            self._go(Step.APPROVAL)

    def review(self) -> None:
        """From a sheet to the confirm screen, if the sheet is complete."""
        if self.step == Step.RUBRIC:
            missing = sum(1 for v in self.scores.values() if v is None)
            if missing:
                self._go(Step.RUBRIC, Notice("rubric.missing", {"n": missing}))
                return
            self._go(Step.CONFIRM)
        elif self.step == Step.APPROVAL:
            self._go(Step.CONFIRM)

    def back(self) -> None:
        if self.step == Step.CONFIRM and self.current is not None:
            self._go(Step.RUBRIC if self.current.form == "rubric" else Step.APPROVAL)
        elif self.step in (Step.RUBRIC, Step.APPROVAL, Step.RECEIPT):
            self.current = None
            self._go(Step.ASSIGNMENTS)
        elif self.step == Step.ASSIGNMENTS:
            self.finish()
        elif self.step in (Step.PIN, Step.STAFF_PIN, Step.STAFF, Step.DONE):
            self.logout()

    @property
    def weighted_total(self) -> tuple[float, float]:
        """(Σ weight·score, Σ weight·max) of the sheet, for the confirm screen."""
        crit = self.manifest.criteria()
        got = sum(crit[c].weight * (v or 0) for c, v in self.scores.items())
        return got, sum(c.weight * c.max for c in self.manifest.rubric)

    # --- confirm and save ----------------------------------------------------------------

    def confirm(self) -> Job | None:
        if self.step != Step.CONFIRM or self.current is None or self.key is None or self.cred is None:
            return None
        gen, item, key, reviewer = self.generation, self.current, self.key, self.cred.reviewer
        scores = {c: int(v) for c, v in self.scores.items() if v is not None}
        choices = sorted(self.choices)
        total = self.weighted_total if item.form == "rubric" else None
        self._go(Step.SAVING)
        return lambda: self._save(gen, item, key, reviewer, scores, choices, total)

    def _save(
        self, gen: int, item: Item, key: SigningKey, reviewer: str, scores: dict[str, int], choices: list[str],
        total: tuple[float, float] | None = None,
    ) -> SaveDone:
        k = self.kiosk
        created = format_time(self.clock().replace(microsecond=0))
        nonce = self.nonce()
        try:
            if item.form == "rubric":
                ballot = rubric_ballot(event=k.manifest.event, reviewer=reviewer, channel=k.channel,
                                       kiosk=k.ballot_kiosk, created_at=created, nonce=nonce,
                                       proposal=item.target, scores=scores)
            else:
                ballot = approval_ballot(event=k.manifest.event, reviewer=reviewer, channel=k.channel,
                                         kiosk=k.ballot_kiosk, created_at=created, nonce=nonce,
                                         group=item.target, choices=choices)
            sb = sign_ballot(ballot, key).to_json()
            check_ballot(k.manifest, sb, channel=k.channel, kiosk=k.ballot_kiosk, revoked=self.store.revoked(),
                         closed=bool(self.store.get(Meta.SERVER_CLOSED_EVENT)))
        except Rejection as exc:
            return SaveDone(gen, None, Notice("save.refused", code=exc.code))
        except FormatError as exc:
            return SaveDone(gen, None, Notice("save.failed", {"error": str(exc)}))
        try:
            if k.channel == "kiosk":
                saved = self.store.append(sb, reviewer=reviewer, target=item.target, created_at=created)
                receipt = Receipt(saved.ballot_id, short_code(saved.ballot_id), item.target, saved.seq, None,
                                  item.title, total, None if item.form == "rubric" else len(choices))
            else:
                bid = self.store.queue_online(sb, reviewer=reviewer, target=item.target, created_at=created)
                delivery = self.deliver(bid, sb) if self.deliver else Delivery("queued")
                receipt = Receipt(bid, short_code(bid), item.target, None, delivery,
                                  item.title, total, None if item.form == "rubric" else len(choices))
        except Exception as exc:  # a full disk, a read-only USB root: say so, save nothing
            return SaveDone(gen, None, Notice("save.failed", {"error": f"{type(exc).__name__}: {exc}"}))
        return SaveDone(gen, receipt, None, tuple(self.store.ballots_of(reviewer)))

    def save_finished(self, r: SaveDone) -> None:
        if r.generation != self.generation or self.step != Step.SAVING:
            return
        if r.receipt is None:
            self._go(Step.CONFIRM, r.notice)
            return
        self.receipt = r.receipt
        self.receipts.append(r.receipt)
        self._refresh_items(r.ballots)
        self.current = None
        self._go(Step.RECEIPT)

    def next_item(self) -> None:
        """From a receipt straight to the next proposal not yet done (the list when none)."""
        if self.step != Step.RECEIPT:
            return
        after = self.receipt.target if self.receipt else None
        self.receipt = None
        nxt = next_unscored(self.items, after)
        if nxt is None:
            self._go(Step.ASSIGNMENTS)
        else:
            self._open(nxt)

    def to_list(self) -> None:
        if self.step == Step.RECEIPT:
            self.receipt = None
            self._go(Step.ASSIGNMENTS)

    @property
    def finish_asking(self) -> bool:
        """"N left — finish anyway?" is showing."""
        return self.finish_guard.asking

    def finish(self) -> None:
        """End the session: with proposals left the first call only asks; then (or with
        nothing left) the codes of the session are shown, and the key is forgotten."""
        if self.step not in (Step.ASSIGNMENTS, Step.RECEIPT, Step.DONE):
            return
        if self.step == Step.DONE:
            self.logout(Notice("bye", error=False))
            return
        if not self.finish_guard.request(self.progress[1]):
            self._changed()
            return
        if not self.receipts:
            self.logout(Notice("bye", error=False))
            return
        self.key = None  # nothing more is signed in this session
        self.current = None
        self._go(Step.DONE)

    def keep_going(self) -> None:
        """"Finish anyway?" answered no."""
        if self.finish_guard.asking:
            self.finish_guard.withdraw()
            self._changed()

    # --- staff ---------------------------------------------------------------------------

    def staff_requested(self) -> None:
        if self.step in (Step.SCAN, Step.CLOSED):
            self._go(Step.STAFF_PIN)

    def staff_pin_entered(self, pin: str) -> Job | None:
        if self.step != Step.STAFF_PIN:
            return None
        gen = self.generation
        self._go(Step.STAFF_CHECKING)
        return lambda: self._check_staff(gen, pin)

    def _check_staff(self, gen: int, pin: str) -> StaffChecked:
        until = float(self.store.get(Meta.STAFF_LOCKED_UNTIL) or 0)
        now = self.clock().timestamp()  # the injected clock, as everywhere in the session
        if now < until:
            return StaffChecked(gen, False, Notice("staff.pin.locked", {"minutes": int((until - now) // 60) + 1}))
        if check_staff_pin(self.store.get(Meta.STAFF_PIN) or "", pin):
            self.store.set({Meta.STAFF_FAILURES: "0"})
            return StaffChecked(gen, True, None)
        failures = int(self.store.get(Meta.STAFF_FAILURES) or 0) + 1
        if failures >= MAX_STAFF_ATTEMPTS:
            self.store.set({Meta.STAFF_FAILURES: "0", Meta.STAFF_LOCKED_UNTIL: str(now + STAFF_LOCK_S)})
        else:
            self.store.set({Meta.STAFF_FAILURES: str(failures)})
        return StaffChecked(gen, False, Notice("staff.pin.wrong"))

    def staff_checked(self, r: StaffChecked) -> None:
        if r.generation != self.generation or self.step != Step.STAFF_CHECKING:
            return
        if r.ok:
            self._go(Step.STAFF)
        else:
            self.logout(r.notice)

    def kiosk_closed(self) -> None:
        """Staff closed the kiosk (the closure is signed and kept by the shell)."""
        self.generation += 1
        self._reset()
        self._go(Step.CLOSED)

    # --- leaving -------------------------------------------------------------------------

    def logout(self, notice: Notice | None = None) -> None:
        """Forget the reviewer and their key; back to the scan screen."""
        self.generation += 1
        self._reset()
        self._go(Step.CLOSED if self.store.get(Meta.CLOSED_AT) else Step.SCAN, notice)

    def idle(self) -> None:
        """No input for :data:`IDLE_S` seconds: log out, unless a worker is busy."""
        if self.step in (Step.SCAN, Step.CLOSED) or self.busy:
            return
        self.logout(Notice("idle.logout", error=False))

    def refuse(self, notice: Notice) -> None:
        """Say why an input was not taken, without leaving the scan screen."""
        if self.step == Step.SCAN:
            self._go(Step.SCAN, notice)

    def clear_notice(self) -> None:
        if self.notice is not None:
            self.notice = None
            self._changed()


def _local(when: datetime) -> str:
    return format_time(when)


def run_job(job: Job | None) -> Any:
    """Run a job on the calling thread (tests and the headless simulator)."""
    return job() if job is not None else None
