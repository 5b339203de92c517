"""The crash test's writer: a fork server whose children save ballots until killed.

    python -m tests.kiosk.writer_proc DATA_DIR EVENT_DIR

Reads commands on stdin. ``fork`` starts a child that opens the kiosk store in
DATA_DIR, logs a reviewer in with the real card and PIN, and saves ballot after ballot
through the real session — printing ``SAVED <pid> <seq> <ballot id>`` only once
``save_finished`` has shown the receipt (the commit is on disk). The parent answers
``PID <pid>``. Python starts once; each child costs a fork, so a hundred ``kill -9``
iterations stay quick.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from kiosk.identity import load
from kiosk.session import Session, Step, run_job
from kiosk.sim import read_csv
from kiosk.store import KioskStore


def step(session: Session) -> Step:
    """``session.step`` read afresh, not as narrowed by the last assert (see ``step`` in
    tests/kiosk/conftest.py)."""
    return session.step


def child(data: Path, creds: dict[str, str], pins: dict[str, str], reviewers: list[str]) -> None:
    store = KioskStore(data / "kiosk.sqlite")
    kiosk = load(store)
    session = Session(kiosk, store)
    pid = os.getpid()
    rid = reviewers[pid % len(reviewers)]
    session.card_checked(run_job(session.scanned(creds[rid])))
    session.unlock_finished(run_job(session.pin_entered(pins[rid])))
    assert step(session) == Step.ASSIGNMENTS, session.notice
    n = 0
    while True:
        item = session.items[n % len(session.items)]
        n += 1
        session.choose(item.target)
        if session.rescore_ask:  # judged before: the second tap opens it again
            session.choose(item.target)
        for c in kiosk.manifest.rubric:
            session.set_score(c.id, (n + pid) % (c.max + 1))
        session.review()
        session.save_finished(run_job(session.confirm()))
        assert step(session) == Step.RECEIPT and session.receipt is not None, session.notice
        sys.stdout.write(f"SAVED {pid} {session.receipt.seq} {session.receipt.ballot_id}\n")
        sys.stdout.flush()
        session.to_list()


def main() -> None:
    data, event = Path(sys.argv[1]), Path(sys.argv[2])
    creds, pins = read_csv(event / "credentials.csv"), read_csv(event / "pins.csv")
    store = KioskStore(data / "kiosk.sqlite")
    kiosk = load(store)
    store.close()  # no SQLite connection may cross a fork
    form = kiosk.manifest.forms["kiosk"]
    reviewers = sorted(
        r.id for r in kiosk.manifest.reviewers.values()
        if r.role != "member" and form == "rubric" and kiosk.manifest.assignments.get(r.id)
    )[:8]
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps killed children
    for line in sys.stdin:
        if line.strip() != "fork":
            break
        pid = os.fork()
        if pid == 0:
            try:
                child(data, creds, pins, reviewers)
            finally:
                os._exit(0)
        sys.stdout.write(f"PID {pid}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
