"""The session state machine, with no window: every screen's logic and every card refusal."""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.session import IDLE_S, Session, Step, run_job
from kiosk.store import KioskStore, Meta
from shared.ballot import SignedBallot, short_code
from shared.credential import seal
from shared.manifest import sign_manifest
from tests.kiosk.conftest import STAFF_PIN, Station, make_station, step
from tests.support.events import EventFiles


def sealed(event: str, reviewer: str, pin: str = "1234", logn: int = 10) -> str:
    return seal(event=event, reviewer=reviewer, seed=os.urandom(32), pin=pin, logn=logn,
                salt=os.urandom(16), nonce=os.urandom(12)).to_text()


def scan(session: Session, text: str) -> None:
    job = session.scanned(text)
    if job is not None:
        session.card_checked(run_job(job))


# --- cards the kiosk refuses before asking for a PIN ------------------------------------

CardCase = Callable[[Station], tuple[Session, str]]


def _not_simsa(st: Station) -> tuple[Session, str]:
    return st.session(), "https://example.org/not-a-card"


def _other_event(st: Station) -> tuple[Session, str]:
    return st.session(), sealed("another-event", st.reviewer())


def _unknown(st: Station) -> tuple[Session, str]:
    return st.session(), sealed(st.manifest.event, "nobody-here")


def _revoked(st: Station) -> tuple[Session, str]:
    rid = st.reviewer()
    st.store.set_revoked([rid])
    return st.session(), st.event.credentials[rid]


def _locked(st: Station) -> tuple[Session, str]:
    rid = st.reviewer()
    for _ in range(5):
        st.store.pin_failed(rid, 5)
    return st.session(), st.event.credentials[rid]


def _member_at_kiosk(st: Station) -> tuple[Session, str]:
    rid = st.reviewer("online")  # members like online; the kiosk takes rubric ballots
    return st.session(), st.event.credentials[rid]


def _before_window(st: Station) -> tuple[Session, str]:
    early = st.manifest.windows["kiosk"].start - timedelta(hours=2)
    return st.session(clock=lambda: early), st.event.credentials[st.reviewer()]


def _after_window(st: Station) -> tuple[Session, str]:
    late = st.manifest.windows["kiosk"].end + timedelta(hours=2)
    return st.session(clock=lambda: late), st.event.credentials[st.reviewer()]


REFUSED_CARDS: list[tuple[str, CardCase, str]] = [
    ("not a simsa code", _not_simsa, "card.not_simsa"),
    ("another event", _other_event, "card.other_event"),
    ("reviewer not in the manifest", _unknown, "card.unknown"),
    ("revoked credential", _revoked, "card.revoked"),
    ("locked after wrong PINs", _locked, "card.locked"),
    ("online-only card at a kiosk", _member_at_kiosk, "card.wrong_channel"),
    ("before the kiosk window", _before_window, "window.not_open"),
    ("after the kiosk window", _after_window, "window.closed"),
]


@pytest.mark.parametrize(("name", "case", "key"), REFUSED_CARDS, ids=[c[0] for c in REFUSED_CARDS])
def test_refused_cards(station: Station, name: str, case: CardCase, key: str) -> None:
    session, text = case(station)
    scan(session, text)
    assert step(session) == Step.SCAN
    assert session.notice is not None and session.notice.key == key
    assert session.notice.text("ko") != session.notice.text("en")
    assert "{" not in session.notice.text("ko") + session.notice.text("en")


def test_weak_card_is_refused(mini_event: EventFiles, tmp_path: Path) -> None:
    """A manifest asking for scrypt 2^11 refuses the mini event's 2^10 cards, with both numbers."""
    signed = json.loads(mini_event.manifest_path.read_text())
    raw = copy.deepcopy(signed["manifest"])
    raw["kdf_min_logn"] = 11
    stricter = sign_manifest(raw, mini_event.authority())
    from kiosk.identity import setup

    store = KioskStore(tmp_path / "k.sqlite")
    kiosk, _ = setup(store, stricter, channel="kiosk", kiosk_id="k-strict", staff_pin=STAFF_PIN)
    st = Station(kiosk, store, mini_event)
    session = st.session()
    scan(session, mini_event.credentials[st.reviewer()])
    assert session.notice is not None and session.notice.key == "card.weak"
    assert "2^10" in session.notice.text("en") and "2^11" in session.notice.text("en")


def test_card_that_opens_to_a_foreign_key(station: Station) -> None:
    rid = station.reviewer()
    session = station.session()
    scan(session, sealed(station.manifest.event, rid, pin="4321"))
    assert step(session) == Step.PIN
    session.unlock_finished(run_job(session.pin_entered("4321")))
    assert step(session) == Step.SCAN and session.notice is not None and session.notice.key == "card.mismatch"


# --- PIN --------------------------------------------------------------------------------


def test_wrong_pins_count_down_then_lock_the_card_on_this_kiosk(station: Station) -> None:
    rid = station.reviewer()
    session = station.session()
    scan(session, station.event.credentials[rid])
    wrong = "0000" if station.event.pins[rid] != "0000" else "1111"
    for left in (4, 3, 2, 1):
        job = session.pin_entered(wrong)
        assert step(session) == Step.UNLOCKING and session.busy
        session.unlock_finished(run_job(job))
        assert step(session) == Step.PIN
        assert session.notice is not None and session.notice.params["left"] == left
        assert session.attempts_left == left
    session.unlock_finished(run_job(session.pin_entered(wrong)))
    assert step(session) == Step.SCAN and session.notice is not None and session.notice.key == "card.locked"
    assert station.store.pin_state(rid) == (5, True)
    # the right PIN no longer helps on this kiosk, even after a restart
    again = Session(station.kiosk, KioskStore(station.store.path))
    scan(again, station.event.credentials[rid])
    assert again.notice is not None and again.notice.key == "card.locked"


def test_a_right_pin_clears_earlier_failures(station: Station) -> None:
    rid = station.reviewer()
    session = station.session()
    scan(session, station.event.credentials[rid])
    session.unlock_finished(run_job(session.pin_entered("99999")))
    assert station.store.pin_state(rid) == (1, False)
    session.unlock_finished(run_job(session.pin_entered(station.event.pins[rid])))
    assert step(session) == Step.ASSIGNMENTS
    assert station.store.pin_state(rid) == (0, False)
    assert station.store.sync_state().opened == 1


def test_a_malformed_pin_costs_no_attempt(station: Station) -> None:
    session = station.session()
    scan(session, station.event.credentials[station.reviewer()])
    assert session.pin_entered("12") is None
    assert step(session) == Step.PIN and session.attempts_left == 5


# --- judging ----------------------------------------------------------------------------


def test_rubric_from_list_to_receipt(station: Station) -> None:
    rid = station.reviewer(role="representative")
    session = station.session()
    station.login(session, rid)
    own = station.manifest.reviewers[rid].community
    assert session.items and all(station.manifest.proposals[i.target].community != own for i in session.items)
    assert session.progress == (0, len(session.items))
    first = session.items[0].target
    session.choose(first)
    assert step(session) == Step.RUBRIC
    assert all(v is None for v in session.scores.values())  # nothing pre-filled
    session.review()
    assert step(session) == Step.RUBRIC and session.notice is not None and session.notice.key == "rubric.missing"
    crit = station.manifest.rubric
    for c in crit:
        session.set_score(c.id, c.max + 1)  # out of range: ignored
    assert all(v is None for v in session.scores.values())
    for c in crit:
        session.set_score(c.id, c.max // 2)
    session.review()
    assert step(session) == Step.CONFIRM
    got, top = session.weighted_total
    assert top == sum(c.weight * c.max for c in crit) and got == sum(c.weight * (c.max // 2) for c in crit)
    session.back()
    assert step(session) == Step.RUBRIC and session.scores[crit[0].id] == crit[0].max // 2
    session.review()
    job = session.confirm()
    assert step(session) == Step.SAVING
    session.save_finished(run_job(job))
    assert step(session) == Step.RECEIPT and session.receipt is not None
    assert session.receipt.seq == 1 and session.receipt.target == first
    assert session.receipt.short == short_code(session.receipt.ballot_id)
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", session.receipt.short)
    assert session.progress == (1, len(session.items) - 1)
    saved = station.store.records()
    assert len(saved) == 1
    sb = SignedBallot.from_json(saved[0]["signed_ballot"])
    assert sb.id == session.receipt.ballot_id
    assert sb.ballot.kiosk == station.kiosk.id and sb.ballot.channel == "kiosk"
    sb.verify(station.manifest.reviewers[rid].key)
    session.next_item()  # straight on to the next proposal still to do, not back to the list
    assert step(session) == Step.RUBRIC and session.current is not None
    assert session.current.target == next(i.target for i in session.items if not i.done and i.target != first)


def test_rescoring_shows_the_previous_scores_and_makes_a_new_ballot(station: Station) -> None:
    rid = station.reviewer(role="representative")
    session = station.session()
    station.login(session, rid)
    station.vote_first(session, value=7)
    session.logout()
    station.login(session, rid)
    item = session.items[0]
    assert item.done == 1 and item.previous == {c.id: min(7, c.max) for c in station.manifest.rubric}
    session.choose(item.target)  # a done proposal: the first tap only asks
    assert step(session) == Step.ASSIGNMENTS and session.rescore_ask == item.target
    session.choose(item.target)
    assert all(v is None for v in session.scores.values())
    for c in station.manifest.rubric:
        session.set_score(c.id, 1)
    session.review()
    session.save_finished(run_job(session.confirm()))
    records = station.store.records()
    assert [r["seq"] for r in records] == [1, 2]
    assert records[0]["signed_ballot"] != records[1]["signed_ballot"]
    assert session.items[0].done == 2 and session.items[0].previous == {c.id: 1 for c in station.manifest.rubric}


def test_approval_sheet_online(online_station: Station) -> None:
    st = online_station
    rid = st.reviewer("online")
    session = st.session()
    st.login(session, rid)
    item = session.items[0]
    own = st.manifest.reviewers[rid].community
    group = st.manifest.groups[item.target]
    assert set(item.offered) == {p for p in group if st.manifest.proposals[p].community != own}
    session.choose(item.target)
    assert step(session) == Step.APPROVAL and session.choices == []
    mine = [p for p in group if st.manifest.proposals[p].community == own]
    for p in mine:
        session.toggle(p)
    assert session.choices == []  # never offered, never counted
    top = st.manifest.max_choices
    for p in item.offered[:top]:
        session.toggle(p)
    assert len(session.choices) == top
    session.toggle(item.offered[top])
    assert len(session.choices) == top and session.notice is not None and session.notice.key == "approval.full"
    session.toggle(item.offered[0])
    assert len(session.choices) == top - 1
    session.review()
    session.save_finished(run_job(session.confirm()))
    assert step(session) == Step.RECEIPT and session.receipt is not None
    assert session.receipt.delivery is not None and session.receipt.delivery.status == "queued"
    [(bid, sb)] = st.store.queued_online()
    assert bid == session.receipt.ballot_id and sb["ballot"]["kiosk"] is None
    assert sb["ballot"]["choices"] == sorted(item.offered[1:top])


def test_a_ballot_the_rules_refuse_is_not_saved(station: Station) -> None:
    """The kiosk checks every ballot with the shared rules before it saves it."""
    late = datetime.now(UTC)
    session = station.session(clock=lambda: late)
    station.login(session, station.reviewer())
    session.choose(session.items[0].target)
    for c in station.manifest.rubric:
        session.set_score(c.id, 1)
    session.review()
    station.store.set_revoked([session.reviewer or ""])  # revoked while they were scoring
    session.save_finished(run_job(session.confirm()))
    assert step(session) == Step.CONFIRM
    assert session.notice is not None and session.notice.code == "revoked_credential"
    assert station.store.records() == []


# --- leaving, idling, staff -------------------------------------------------------------


def test_idle_logout_forgets_the_key_and_ignores_late_results(station: Station) -> None:
    session = station.session()
    rid = station.reviewer()
    scan(session, station.event.credentials[rid])
    job = session.pin_entered(station.event.pins[rid])
    session.idle()  # a worker is busy: no logout in the middle of opening the card
    assert step(session) == Step.UNLOCKING
    result = run_job(job)
    session.unlock_finished(result)
    assert step(session) == Step.ASSIGNMENTS and session.key is not None
    session.idle()
    assert step(session) == Step.SCAN and session.key is None and session.reviewer is None
    assert session.notice is not None and session.notice.key == "idle.logout"
    session.unlock_finished(result)  # a stale result changes nothing
    assert step(session) == Step.SCAN and session.key is None
    assert IDLE_S == 90


def test_staff_pin(station: Station) -> None:
    session = station.session()
    session.staff_requested()
    assert step(session) == Step.STAFF_PIN
    session.staff_checked(run_job(session.staff_pin_entered("000000")))
    assert step(session) == Step.SCAN and session.notice is not None and session.notice.key == "staff.pin.wrong"
    session.staff_requested()
    session.staff_checked(run_job(session.staff_pin_entered(STAFF_PIN)))
    assert step(session) == Step.STAFF
    session.back()
    assert step(session) == Step.SCAN


def test_staff_pin_locks_after_five_wrong(station: Station) -> None:
    session = station.session()
    for _ in range(5):
        session.staff_requested()
        session.staff_checked(run_job(session.staff_pin_entered("000000")))
    session.staff_requested()
    session.staff_checked(run_job(session.staff_pin_entered(STAFF_PIN)))
    assert step(session) == Step.SCAN and session.notice is not None and session.notice.key == "staff.pin.locked"


def test_the_staff_pin_lock_ends_on_the_sessions_clock(station: Station) -> None:
    from kiosk.session import STAFF_LOCK_S

    now = [datetime(2026, 12, 2, 9, 0, tzinfo=UTC)]
    session = station.session(clock=lambda: now[0])

    def staff(pin: str) -> tuple[Step, str | None, object]:
        session.staff_requested()
        session.staff_checked(run_job(session.staff_pin_entered(pin)))
        notice = session.notice
        return step(session), notice.key if notice else None, notice.params.get("minutes") if notice else None

    for _ in range(5):
        assert staff("000000")[:2] == (Step.SCAN, "staff.pin.wrong")
    now[0] += timedelta(seconds=STAFF_LOCK_S - 61)
    assert staff(STAFF_PIN) == (Step.SCAN, "staff.pin.locked", 2)  # even the right PIN, for 61 s more
    now[0] += timedelta(seconds=60)
    assert staff(STAFF_PIN) == (Step.SCAN, "staff.pin.locked", 1)
    now[0] += timedelta(seconds=2)  # the lock is over: the right PIN opens the staff screen
    assert staff(STAFF_PIN)[0] == Step.STAFF


def test_closed_kiosk_takes_no_cards(station: Station) -> None:
    from kiosk.identity import close

    session = station.session()
    station.login(session, station.reviewer())
    station.vote_first(session)
    session.logout()
    closure = close(station.kiosk, station.store, "2017-02-23T18:00:00Z")
    assert closure["seq"] == 1 and closure["counts"] == {"credentials_opened": 1, "ballots_saved": 1}
    session.kiosk_closed()
    assert step(session) == Step.CLOSED
    assert session.scanned(station.event.credentials[station.reviewer()]) is None
    assert Session(station.kiosk, station.store).step == Step.CLOSED


def test_setup_refuses_another_events_folder(station: Station, tmp_path: Path) -> None:
    from kiosk.identity import load, setup
    from kiosk.store import StoreError

    signed = json.loads(station.event.manifest_path.read_text())
    other = copy.deepcopy(signed)
    other["manifest"]["event"] = "other"
    with pytest.raises(Exception, match="signature"):
        setup(station.store, other, channel="kiosk")
    again, pin = setup(station.store, signed, channel="kiosk")
    assert again.id == station.kiosk.id and again.key.public == station.kiosk.key.public and pin is None
    with pytest.raises(StoreError, match="not set up"):
        load(KioskStore(tmp_path / "empty.sqlite"))


def test_fresh_setup_makes_up_a_staff_pin(mini_event: EventFiles, tmp_path: Path) -> None:
    st = make_station(mini_event, tmp_path / "a")
    from kiosk.identity import check_staff_pin, setup

    store = KioskStore(tmp_path / "b" / "k.sqlite")
    kiosk, pin = setup(store, st.kiosk.signed_manifest, channel="kiosk")
    assert pin is not None and len(pin) == 6 and check_staff_pin(store.get(Meta.STAFF_PIN) or "", pin)
    assert kiosk.id.startswith("kiosk-") and kiosk.id != st.kiosk.id


def test_refuse_only_on_the_scan_screen(station: Station) -> None:
    from kiosk.session import Notice

    session = station.session()
    session.refuse(Notice("scan.ime"))
    assert session.notice is not None and "한/영" in session.notice.text("ko")
    station.login(session, station.reviewer())
    session.refuse(Notice("scan.ime"))
    assert step(session) == Step.ASSIGNMENTS and session.notice is None
