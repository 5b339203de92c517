"""Kiosk test fixtures: a set-up kiosk on the mini event, and reviewers to drive it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kiosk.identity import Kiosk, setup
from kiosk.session import Session, Step, run_job
from kiosk.store import KioskStore
from shared.manifest import ROLE_FORMS, Manifest
from tests.support.events import EventFiles

STAFF_PIN = "246810"


def step(session: Session) -> Step:
    """The step the session is at now.

    Tests assert the step after each action. Read through this call rather than as
    ``session.step``: mypy keeps an attribute narrowed by one ``assert`` across the method
    call that moves the session on, so it would take the next assert for a contradiction and
    the rest of the test for dead code that it no longer checks.
    """
    return session.step


@dataclass
class Station:
    """A kiosk (or online client) ready for a session."""

    kiosk: Kiosk
    store: KioskStore
    event: EventFiles

    @property
    def manifest(self) -> Manifest:
        return self.kiosk.manifest

    def session(self, **kw: Any) -> Session:
        return Session(self.kiosk, self.store, **kw)

    def reviewer(self, channel: str = "kiosk", *, role: str | None = None) -> str:
        """The first reviewer (by id) who may vote on ``channel``."""
        form = self.manifest.forms[channel]
        for r in sorted(self.manifest.reviewers.values(), key=lambda r: r.id):
            if form in ROLE_FORMS[r.role] and (role is None or r.role == role) and self.manifest.assignments.get(r.id):
                return r.id
        raise LookupError(channel)

    def login(self, session: Session, reviewer: str) -> None:
        """Scan the card and type the right PIN."""
        session.card_checked(run_job(session.scanned(self.event.credentials[reviewer])))
        assert step(session) == Step.PIN, session.notice
        session.unlock_finished(run_job(session.pin_entered(self.event.pins[reviewer])))
        assert step(session) == Step.ASSIGNMENTS, session.notice

    def vote_first(self, session: Session, value: int = 5) -> None:
        """Judge the first item on the list and land on the receipt."""
        item = session.items[0]
        session.choose(item.target)
        if session.rescore_ask:  # judged before: the second tap opens it again
            session.choose(item.target)
        if step(session) == Step.RUBRIC:
            for c in self.manifest.rubric:
                session.set_score(c.id, min(value, c.max))
        else:
            for p in item.offered[:2]:
                session.toggle(p)
        session.review()
        session.save_finished(run_job(session.confirm()))
        assert step(session) == Step.RECEIPT, session.notice


def make_station(event: EventFiles, folder: Path, channel: str = "kiosk", kiosk_id: str = "k-test") -> Station:
    store = KioskStore(folder / "kiosk.sqlite")
    signed = json.loads(event.manifest_path.read_text())
    kiosk, _ = setup(store, signed, channel=channel, server="http://fake", kiosk_id=kiosk_id, staff_pin=STAFF_PIN)
    return Station(kiosk, store, event)


@pytest.fixture
def station(mini_event: EventFiles, tmp_path: Path) -> Station:
    return make_station(mini_event, tmp_path / "kiosk")


@pytest.fixture
def online_station(mini_event: EventFiles, tmp_path: Path) -> Station:
    return make_station(mini_event, tmp_path / "online", channel="online")
