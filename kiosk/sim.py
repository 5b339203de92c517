"""The kiosk simulator: N headless kiosks, real credentials, the real store and sync code.

Each simulated reviewer walks the same :class:`~kiosk.session.Session` the screens
drive — scan the card text, type the PIN (scrypt opens the real sealed seed), score or
like every assigned proposal, confirm — on a kiosk of its own data folder. Then the
kiosks enrol (approved through the staff API when an account is given) and sync in
parallel until every ballot is on the ledger; the ledger is read back to check that each
kiosk's seqs are there as 1..n exactly once.
"""

from __future__ import annotations

import contextlib
import csv
import json
import random
import statistics
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from client import LedgerClient, ServerRefused, ServerUnavailable
from shared.manifest import ROLE_FORMS, Manifest, verify_signed_manifest

from .identity import Kiosk, setup
from .session import Session, Step, run_job
from .store import KioskStore
from .sync import Backoff, Syncer


@dataclass
class SimResult:
    kiosks: dict[str, int] = field(default_factory=dict)  # kiosk id → records saved
    online: int = 0
    save_ms: list[float] = field(default_factory=list)
    sync_s: float = 0.0
    on_ledger: dict[str, list[int]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        ms = sorted(self.save_ms)
        return {
            "kiosks": len(self.kiosks),
            "ballots": sum(self.kiosks.values()),
            "online_ballots": self.online,
            "per_kiosk": self.kiosks,
            "save_ms_p50": round(statistics.median(ms), 2) if ms else None,
            "save_ms_p95": round(ms[int(0.95 * (len(ms) - 1))], 2) if ms else None,
            "sync_s": round(self.sync_s, 2),
            "exactly_once": not self.problems,
            "problems": self.problems[:20],
        }


def read_csv(path: Path) -> dict[str, str]:
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return {r[0]: r[1] for r in rows[1:] if len(r) >= 2}


class Reviewer:
    """A person with a card and a PIN who judges everything on their list."""

    def __init__(self, rid: str, credential: str, pin: str) -> None:
        self.id, self.credential, self.pin = rid, credential, pin

    def visit(self, session: Session, rng: random.Random, budget: int, timed: list[float],
              unlocks: list[float] | None = None) -> int:
        """Judge up to ``budget`` items at this kiosk; return the ballots saved. Each save's
        milliseconds go to ``timed`` and the PIN unlock's (scrypt) to ``unlocks``."""
        session.card_checked(run_job(session.scanned(self.credential)))
        if session.step != Step.PIN:
            raise RuntimeError(f"{self.id}: the kiosk refused the card: {session.notice}")
        t0 = time.perf_counter()
        session.unlock_finished(run_job(session.pin_entered(self.pin)))
        if unlocks is not None:
            unlocks.append((time.perf_counter() - t0) * 1000)
        if _step(session) != Step.ASSIGNMENTS:
            raise RuntimeError(f"{self.id}: the PIN did not open the card: {session.notice}")
        saved = 0
        todo = [i.target for i in session.items if not i.done] or [i.target for i in session.items]
        for target in todo[:budget]:
            session.choose(target)
            if session.rescore_ask:  # judged before: the second tap opens it again
                session.choose(target)
            if _step(session) == Step.RUBRIC:
                for c in session.manifest.rubric:
                    session.set_score(c.id, rng.randint(0, c.max))
            else:
                assert session.current is not None
                k = rng.randint(0, min(session.manifest.max_choices, len(session.current.offered)))
                for p in rng.sample(list(session.current.offered), k):
                    session.toggle(p)
            session.review()
            t0 = time.perf_counter()
            session.save_finished(run_job(session.confirm()))
            timed.append((time.perf_counter() - t0) * 1000)
            if _step(session) != Step.RECEIPT:
                raise RuntimeError(f"{self.id}: the ballot for {target} was not saved: {session.notice}")
            saved += 1
            session.to_list()  # the simulator picks its own order from the list
        session.logout()  # the reviewer walks away (a person would answer "finish anyway")
        return saved


def _step(session: Session) -> Step:
    return session.step


def channel_reviewers(m: Manifest, channel: str, creds: dict[str, str], pins: dict[str, str]) -> list[Reviewer]:
    """The reviewers with a card and a PIN who may vote on ``channel`` and have a list."""
    form = m.forms[channel]
    return [
        Reviewer(r.id, creds[r.id], pins[r.id])
        for r in m.reviewers.values()
        if form in ROLE_FORMS[r.role] and r.id in creds and r.id in pins and m.assignments.get(r.id)
    ]


_channel_reviewers = channel_reviewers


@dataclass
class Station:
    """One headless kiosk (or online client): its store, the session the screens would
    drive, and its link to the server."""

    kiosk: Kiosk
    store: KioskStore
    session: Session
    syncer: Syncer


def open_station(
    path: Path,
    signed: dict[str, Any],
    server: str,
    *,
    channel: str = "kiosk",
    kiosk_id: str | None = None,
    client: LedgerClient | None = None,
) -> Station:
    """Set up (or reopen) the station whose store is ``path``; an online station delivers
    each ballot as it is saved."""
    store = KioskStore(path)
    kiosk, _ = setup(store, signed, channel=channel, server=server, kiosk_id=kiosk_id, staff_pin="000000")
    syncer = Syncer(kiosk, store, client or LedgerClient.for_url(server))
    session = Session(kiosk, store, deliver=syncer.deliver_one if channel == "online" else None)
    return Station(kiosk, store, session, syncer)


@dataclass(frozen=True)
class Visit:
    reviewer: Reviewer
    station: int
    saved: int


def cast(
    people: Sequence[Reviewer],
    sessions: Sequence[Session],
    ballots: int,
    rng: random.Random,
    timed: list[float],
    *,
    per_visit: int | None = None,
    progress: Callable[[int], None] | None = None,
    unlocks: list[float] | None = None,
) -> list[Visit]:
    """The reviewer loop: people take turns (in order) at the sessions (round robin) until
    ``ballots`` ballots are saved, each judging up to ``per_visit`` items a visit (all that
    are left by default); a person whose list is done scores again (a conflict)."""
    if ballots and not people:
        raise ValueError("no reviewer of this event may cast a ballot here")
    visits: list[Visit] = []
    left, turn = ballots, 0
    while left > 0:  # every visit saves at least one ballot or raises
        person = people[turn % len(people)]
        station = turn % len(sessions)
        saved = person.visit(sessions[station], rng, min(left, per_visit or left), timed, unlocks)
        visits.append(Visit(person, station, saved))
        left -= saved
        if progress:
            progress(saved)
        turn += 1
    return visits


def sync_all(
    stations: Sequence[Station],
    approver: LedgerClient | None,
    *,
    timeout_s: float = 600.0,
    progress: Callable[[int], None] | None = None,
    workers: int = 8,
) -> float:
    """Sync every station in parallel until the server holds all it recorded; a pending
    kiosk is approved through ``approver`` (logged in as staff). Return the seconds taken."""
    t0 = time.monotonic()
    deadline = t0 + timeout_s

    def sync_station(st: Station) -> None:
        kiosk, store = st.kiosk, st.store
        backoff = Backoff(base=0.2, cap=5.0, rng=random.Random(kiosk.id))
        while time.monotonic() < deadline:
            before = store.synced_seq()
            try:
                report = st.syncer.sync_once()
            except ServerUnavailable as exc:
                time.sleep(max(backoff.next(), min(exc.retry_after or 0.0, backoff.cap)))
                continue
            finally:
                if progress:
                    progress(store.synced_seq() - before)
            if report.enrolment == "pending" and approver is not None:
                approver.approve_kiosk(None, kiosk.id)
                continue
            if report.enrolment in ("approved", "online") and report.complete:
                return
            if report.enrolment == "refused":
                raise RuntimeError(f"the server refused kiosk {kiosk.id}: {store.alarms(1)} "
                                   "(another run used this kiosk id: pass another --seed or --data)")
            if report.alarms:
                raise RuntimeError(f"{kiosk.id}: {report.alarms}: {store.alarms(3)}")
            time.sleep(backoff.next())
        raise TimeoutError(f"{kiosk.id} did not finish syncing in {timeout_s:.0f} s")

    if stations:
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(stations)))) as pool:
            list(pool.map(sync_station, stations))
    return time.monotonic() - t0


def run(
    event_dir: Path,
    server: str,
    *,
    kiosks: int,
    ballots: int,
    data_dir: Path,
    staff: tuple[str, str] | None = None,
    online_ballots: int = 0,
    seed: int = 1,
    timeout_s: float = 600.0,
    log: Callable[[str], None] = lambda _: None,
) -> SimResult:
    """Simulate ``kiosks`` kiosks saving ``ballots`` ballots in all, then sync them."""
    rng = random.Random(seed)
    signed = json.loads((event_dir / "manifest.json").read_text(encoding="utf-8"))
    manifest = verify_signed_manifest(signed)
    creds = read_csv(event_dir / "credentials.csv")
    pins = read_csv(event_dir / "pins.csv")
    client = LedgerClient.for_url(server)
    if client.event() != signed:
        raise ServerRefused(409, "wrong_event", f"the server at {server} runs another manifest than {event_dir}")
    result = SimResult()

    stations = [
        open_station(data_dir / f"kiosk-{i:03d}" / "kiosk.sqlite", signed, server, kiosk_id=f"sim-{seed}-{i:03d}")
        for i in range(1, kiosks + 1)
    ]
    people = channel_reviewers(manifest, "kiosk", creds, pins)
    rng.shuffle(people)
    if ballots and not people:
        raise ValueError("no reviewer of this event may cast a kiosk ballot")
    cast(people, [st.session for st in stations], ballots, rng, result.save_ms)
    for st in stations:
        result.kiosks[st.kiosk.id] = st.store.head()[0]
    log(f"saved {ballots} ballots on {kiosks} kiosks")

    if online_ballots:
        online = open_station(data_dir / "online" / "online.sqlite", signed, server, channel="online")
        voters = channel_reviewers(manifest, "online", creds, pins)
        rng.shuffle(voters)
        if voters:
            cast(voters, [online.session], online_ballots, rng, result.save_ms)
            result.online = online_ballots
        with contextlib.suppress(TimeoutError):
            sync_all([online], None, timeout_s=10.0)  # the ones the server did not take at once

    if staff:
        client.staff_login(*staff)
    result.sync_s = sync_all(stations, client if staff else None, timeout_s=timeout_s)
    log(f"synced in {result.sync_s:.1f} s")
    result.on_ledger = ledger_seqs(client)
    for kid, n in result.kiosks.items():
        got = result.on_ledger.get(kid, [])
        if got != list(range(1, n + 1)):
            result.problems.append(f"{kid}: ledger holds seqs {_describe(got)}, expected 1..{n}")
    return result


def ledger_seqs(client: LedgerClient) -> dict[str, list[int]]:
    """Per kiosk, the seqs of its records on the ledger (ballot and rejected entries), in
    ledger order."""
    size = int(client.sth()["tree_size"])
    out: dict[str, list[int]] = {}
    start = 0
    while start < size:
        entries = client.entries(start, min(size, start + 1000))
        if not entries:
            break
        for e in entries:
            entry = e["entry"]
            if entry.get("type") in ("ballot", "rejected") and entry.get("kiosk"):
                out.setdefault(entry["kiosk"], []).append(int(entry["seq"]))
        start = int(entries[-1]["index"]) + 1
    return out


def _describe(seqs: list[int]) -> str:
    if not seqs:
        return "none"
    dup = len(seqs) - len(set(seqs))
    return f"{len(seqs)} from {min(seqs)} to {max(seqs)}" + (f", {dup} duplicated" if dup else "")
