"""The rules that keep a reviewer moving and in their session (kiosk.flow), on an injected
clock, and the session transitions built on them: finish with work left asks first, the
receipt leads to the next proposal, a done proposal is re-scored only on purpose, and an
online ballot the server refused is never counted as done."""

from __future__ import annotations

import os
from typing import Any

import pytest

from kiosk.assignments import Item
from kiosk.flow import FinishGuard, Idle, IdleTimer, TapGate, ledger_status, next_unscored, todo_first
from kiosk.i18n import code_text, tr
from kiosk.session import Delivery, Step, run_job
from tests.kiosk.conftest import Station, step


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def item(target: str, done: int = 0) -> Item:
    return Item(target, "rubric", target, "g", (), done, None)


def test_idle_timer_warns_then_expires_and_input_resets_it() -> None:
    clock = FakeClock()
    idle = IdleTimer(timeout_s=30, warn_s=10, clock=clock)
    assert idle.state()[0] == Idle.ACTIVE
    clock.t += 21
    assert idle.state() == (Idle.WARN, 9)
    idle.touch()
    assert idle.state()[0] == Idle.ACTIVE
    clock.t += 30
    assert idle.state() == (Idle.EXPIRED, 0)
    with pytest.raises(ValueError, match="positive"):
        IdleTimer(timeout_s=0, clock=clock)
    assert IdleTimer(timeout_s=5, warn_s=20, clock=clock).warn_s == 5


def test_finish_guard_asks_once_when_work_is_left() -> None:
    g = FinishGuard()
    assert g.request(0) is True
    assert g.request(3) is False and g.asking
    assert g.request(3) is True and not g.asking
    g.request(3)
    g.withdraw()
    assert g.request(3) is False


def test_tap_gate_ignores_taps_right_after_a_screen_change() -> None:
    clock = FakeClock()
    gate = TapGate(settle_s=0.6, clock=clock)
    gate.shown("receipt")
    assert not gate.allows()
    clock.t += 0.7
    assert gate.allows()
    gate.shown("receipt")  # a redraw of the same screen is no change
    assert gate.allows()
    gate.shown("assignments")
    clock.t += 0.3
    assert not gate.allows()


def test_next_unscored_goes_forward_and_wraps() -> None:
    items = [item("a", 1), item("b"), item("c", 1), item("d")]
    assert next_unscored(items, "b") == items[3]
    assert next_unscored(items, "d") == items[1]
    assert next_unscored(items, None) == items[1]
    assert next_unscored([item("a", 1)], "a") is None
    assert [i.target for i in todo_first(items)] == ["b", "d", "a", "c"]


def test_eleven_proposals_without_the_list_and_no_stray_exit(station: Station) -> None:
    """Receipt → "next proposal" opens the next sheet each time; "finish" with work left asks."""
    session = station.session()
    rid = station.reviewer(role="representative")
    station.login(session, rid)
    n = len(session.items)
    assert n >= 2
    session.choose(session.items[0].target)
    for k in range(n):
        assert step(session) == Step.RUBRIC, k
        for c in station.manifest.rubric:
            session.set_score(c.id, 1)
        session.review()
        session.save_finished(run_job(session.confirm()))
        assert step(session) == Step.RECEIPT
        assert session.receipt is not None and session.receipt.title and session.receipt.total is not None
        if k == 0:
            session.finish()  # a stray tap on "finish" with proposals left only asks
            assert step(session) == Step.RECEIPT and session.finish_asking
            session.keep_going()
            assert not session.finish_asking
        session.next_item()
    assert step(session) == Step.ASSIGNMENTS and session.progress == (n, 0)
    assert len(session.receipts) == n
    session.finish()  # nothing left: no question, the codes of the session
    assert step(session) == Step.DONE and session.key is None and len(session.receipts) == n
    session.finish()
    assert step(session) == Step.SCAN and session.receipts == []


def test_refused_online_ballot_is_not_done(online_station: Station) -> None:
    st = online_station
    calls: list[Any] = []

    def refuse(bid: str, sb: dict[str, Any]) -> Delivery:
        calls.append(bid)
        st.store.online_result(bid, "refused", code="revoked_credential")
        return Delivery("refused", code="revoked_credential")

    session = st.session(deliver=refuse)
    station_reviewer = st.reviewer("online")
    st.login(session, station_reviewer)
    st.vote_first(session)
    assert session.receipt is not None and session.receipt.refused
    assert session.progress[0] == 0  # not counted as done
    assert session.items[0].refused == 1 and session.items[0].done == 0
    session.to_list()
    assert step(session) == Step.ASSIGNMENTS and calls


def test_receipt_says_witnessed_only_once_a_cosigned_checkpoint_covers_the_ballot() -> None:
    # no witness policy in the manifest: nothing new, just "on the ledger"
    assert ledger_status(4, False, None) == ledger_status(4, False, 99) == "receipt.sent"
    # a policy: pending until a witnessed tree of size > index, then witnessed
    assert ledger_status(4, True, None) == "receipt.witness_pending"
    assert ledger_status(4, True, 4) == "receipt.witness_pending"  # leaves 0..3 only
    assert ledger_status(4, True, 5) == "receipt.witnessed"
    assert ledger_status(0, True, 1) == "receipt.witnessed"
    assert ledger_status(None, True, 10) == "receipt.sent"  # no index: nothing to witness
    assert tr("receipt.witnessed", "ko", index=4) == "원장에 기록됨 (#4) · 증인 확인됨"
    assert tr("receipt.witness_pending", "en", index=4) == "On the ledger (#4) · witnessing pending"


def test_witness_alarms_read_in_korean_and_english() -> None:
    for code in ("not_witnessed", "witness_invalid", "ledger_inconsistent"):
        ko, en = code_text(code, "ko"), code_text(code, "en")
        assert ko != code and en != code and ko != en, code
        assert any("\uac00" <= ch <= "\ud7a3" for ch in ko) and en.isascii(), code
    assert code_text("no_such_code", "ko") == "no_such_code"


def test_staff_screen_shows_the_witnessed_size_only_under_a_witness_policy() -> None:
    os.environ.setdefault("KIVY_NO_ARGS", "1")  # Kivy must not read pytest's arguments
    from kiosk.screens.staff import witnessed_text

    assert witnessed_text(None, "ko") is None  # no witnesses in the manifest: no row
    assert witnessed_text({}, "ko") == tr("staff.never", "ko")
    seen = {"size": 12, "root": "x", "cosigners": ["w1.example/simsa", "w2.example/simsa"]}
    assert witnessed_text(seen, "ko") == "#12까지 (2명 서명)"
    assert witnessed_text(seen, "en") == "up to #12 (2 cosigners)"
