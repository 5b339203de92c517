"""The kiosk's keyboard and tick rules with no window (kiosk/keyboard.py, kiosk/flow.py):
the keyboard-wedge scanner, its Korean-IME refusal, the PIN keys, Escape, and the idle and
notice housekeeping — all on an injected clock."""

from __future__ import annotations

import pytest

from kiosk.flow import Housekeeper, Idle, IdleTimer
from kiosk.keyboard import (
    BACKSPACE,
    ENTER,
    ESCAPE,
    KP_ENTER,
    MAX_CHARS,
    Key,
    Keyboard,
    WedgeScanner,
    has_hangul,
)
from kiosk.session import Step

CARD = "SIMSA1.eyJ2IjoxfQ.abc-DEF_123"


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_a_wedge_code_typed_in_bursts_is_one_code() -> None:
    clock = Clock()
    w = WedgeScanner(clock)
    for part in ("SIMSA1.", "eyJ2IjoxfQ", ".abc-DEF_123"):
        w.typed(part)
        clock.t += 0.05
    code = w.enter()
    assert code is not None and code.text == CARD and not code.ime
    assert w.enter() is None  # Enter again with nothing typed: nothing


def test_a_pause_starts_a_new_code_and_the_buffer_is_bounded() -> None:
    clock = Clock()
    w = WedgeScanner(clock)
    w.typed("stray keys from an hour ago")
    clock.t += 2.5
    w.typed(CARD)
    assert (w.enter() or pytest.fail("no code")).text == CARD
    w.typed("x" * (MAX_CHARS + 50))
    assert len((w.enter() or pytest.fail("no code")).text) == MAX_CHARS


@pytest.mark.parametrize(
    ("text", "hangul"),
    [(CARD, False), ("ㄴㅑㅡㄴㅁ1.eyJ", True), ("냐므ㅡ1", True), ("SIMSA1.가", True), ("", False), ("ÄÖ日本", False)],
)
def test_hangul_marks_a_scanner_behind_a_korean_ime(text: str, hangul: bool) -> None:
    assert has_hangul(text) is hangul


def test_enter_on_the_scan_screen_scans_or_refuses_an_ime_code() -> None:
    kb = Keyboard(Clock())
    kb.text(CARD, Step.SCAN)
    assert kb.key_down(ENTER, Step.SCAN) == Key.SCAN and kb.scanned == CARD
    kb.text("냐므ㅡ1.", Step.SCAN)
    assert kb.key_down(KP_ENTER, Step.SCAN) == Key.IME and kb.scanned is None
    assert kb.key_down(ENTER, Step.SCAN) == Key.PASS  # nothing typed: the key is not ours


def test_the_paste_field_keeps_its_own_keys() -> None:
    kb = Keyboard(Clock())
    assert kb.text(CARD, Step.SCAN, field_focused=True) == ""
    assert kb.key_down(ENTER, Step.SCAN, field_focused=True) == Key.PASS
    assert kb.wedge.buffer == ""


def test_pin_keys() -> None:
    kb = Keyboard(Clock())
    assert kb.text("12a3", Step.PIN) == "123"
    assert kb.text("9", Step.STAFF_PIN) == "9"
    assert kb.text("9", Step.RUBRIC) == ""
    assert kb.key_down(ENTER, Step.PIN, pin_digits=3) == Key.EAT
    assert kb.key_down(ENTER, Step.PIN, pin_digits=4) == Key.PIN_SUBMIT
    assert kb.key_down(BACKSPACE, Step.STAFF_PIN) == Key.PIN_DELETE
    assert kb.key_down(BACKSPACE, Step.RUBRIC) == Key.PASS
    assert kb.wedge.buffer == ""  # PIN digits never become a scanned code


@pytest.mark.parametrize(
    ("fullscreen", "step", "action"),
    [(False, Step.RUBRIC, Key.BACK), (False, Step.SCAN, Key.EAT), (False, Step.CLOSED, Key.EAT),
     (True, Step.RUBRIC, Key.EAT)],
)
def test_escape_never_leaves_the_app(fullscreen: bool, step: Step, action: Key) -> None:
    assert Keyboard(Clock(), fullscreen=fullscreen).key_down(ESCAPE, step) == action


def test_idle_warns_then_logs_out_once_and_never_at_rest() -> None:
    clock = Clock()
    hk = Housekeeper(IdleTimer(90.0, 20.0, clock))
    clock.t += 60
    assert hk.tick(at_rest=False, busy=False).idle == Idle.ACTIVE
    clock.t += 15
    plan = hk.tick(at_rest=False, busy=False)
    assert (plan.idle, plan.left) == (Idle.WARN, 15)
    clock.t += 16
    assert hk.tick(at_rest=False, busy=False).idle == Idle.EXPIRED
    assert hk.tick(at_rest=False, busy=False).idle == Idle.ACTIVE  # the timer starts again
    clock.t += 200
    assert hk.tick(at_rest=False, busy=True).idle == Idle.ACTIVE  # a job running (scrypt) is not idling
    clock.t += 200
    assert hk.tick(at_rest=True, busy=False).idle == Idle.ACTIVE


def test_a_notice_at_rest_is_cleared_for_the_next_person() -> None:
    clock = Clock()
    hk = Housekeeper(IdleTimer(90.0, 20.0, clock), notice_s=10.0)
    thanks = object()
    hk.notice_is(thanks)
    clock.t += 9
    assert not hk.tick(at_rest=True, busy=False).clear_notice
    hk.notice_is(thanks)  # the same notice drawn again keeps its age
    clock.t += 2
    assert hk.tick(at_rest=True, busy=False).clear_notice
    assert not hk.tick(at_rest=False, busy=False).clear_notice  # on a reviewer's screen it stays
    hk.notice_is(None)
    assert not hk.tick(at_rest=True, busy=False).clear_notice
