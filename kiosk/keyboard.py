"""The kiosk's keyboard, free of Kivy and of the wall clock: what a key or typed text means
on the current step. Unit-tested in tests/kiosk/test_keyboard.py; ``kiosk/app.py`` only
forwards Kivy's events here and does what the answer says.

- A handheld *keyboard-wedge* scanner types the credential text and Enter on the scan
  screen: :class:`WedgeScanner` gathers it (a pause of more than :data:`GAP_S` starts a
  new code; at most :data:`MAX_CHARS` are kept). Text with Hangul in it came through a
  Korean IME that turned the scanner's letters into syllables: it is refused with a
  notice (``scan.ime``), never taken as a card.
- Digits typed on the PIN screens go to the PIN pad; Enter submits 4 digits or more;
  Backspace takes one back.
- Escape never leaves the app; outside kiosk mode it steps back.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from .session import Step

#: A pause longer than this between typed characters starts a new scanned code.
GAP_S = 2.0
#: The most characters a wedge code keeps (a SIMSA1 credential is about 150).
MAX_CHARS = 600
#: Kivy key codes.
ESCAPE, ENTER, KP_ENTER, BACKSPACE = 27, 13, 271, 8
PIN_STEPS = (Step.PIN, Step.STAFF_PIN)
MIN_PIN = 4


def has_hangul(text: str) -> bool:
    """Any Hangul compatibility jamo or syllable (what an IME makes of scanner letters)."""
    return any("\u3131" <= ch <= "\u318e" or "\uac00" <= ch <= "\ud7a3" for ch in text)


@dataclass(frozen=True)
class Wedged:
    """A code the scanner typed; ``ime``: it came through a Korean IME and must be refused."""

    text: str
    ime: bool


class WedgeScanner:
    """Gathers what a keyboard-wedge scanner types until Enter."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, *, gap_s: float = GAP_S,
                 limit: int = MAX_CHARS) -> None:
        self.clock, self.gap_s, self.limit = clock, gap_s, limit
        self.buffer = ""
        self.at = float("-inf")

    def typed(self, text: str) -> None:
        now = self.clock()
        if now - self.at > self.gap_s:
            self.buffer = ""
        self.buffer = (self.buffer + text)[-self.limit:]
        self.at = now

    def enter(self) -> Wedged | None:
        """The code typed so far (and a fresh buffer), or None when nothing was typed."""
        if not self.buffer:
            return None
        text, self.buffer = self.buffer, ""
        return Wedged(text, has_hangul(text))


class Key(StrEnum):
    """What the app does with a key press."""

    PASS = "pass"  # not ours: Kivy's widgets get it
    EAT = "eat"  # taken, nothing to do
    BACK = "back"
    SCAN = "scan"  # :attr:`Keyboard.scanned` holds the code
    IME = "ime"  # refuse: the scanner is behind a Korean IME
    PIN_SUBMIT = "pin_submit"
    PIN_DELETE = "pin_delete"


class Keyboard:
    """Key presses and typed text → :class:`Key` actions and PIN digits, per step."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, *, fullscreen: bool = False) -> None:
        self.wedge = WedgeScanner(clock)
        self.fullscreen = fullscreen
        self.scanned: str | None = None

    def key_down(self, key: int, step: Step, *, pin_digits: int = 0, field_focused: bool = False) -> Key:
        """``field_focused``: the scan screen's paste field has the focus (it takes keys)."""
        self.scanned = None
        if key == ESCAPE:
            back = not self.fullscreen and step not in (Step.SCAN, Step.CLOSED)
            return Key.BACK if back else Key.EAT
        if key in (ENTER, KP_ENTER):
            if step == Step.SCAN and not field_focused:
                code = self.wedge.enter()
                if code is not None:
                    if code.ime:
                        return Key.IME
                    self.scanned = code.text
                    return Key.SCAN
            if step in PIN_STEPS:
                return Key.PIN_SUBMIT if pin_digits >= MIN_PIN else Key.EAT
        if key == BACKSPACE and step in PIN_STEPS:
            return Key.PIN_DELETE
        return Key.PASS

    def text(self, text: str, step: Step, *, field_focused: bool = False) -> str:
        """Typed text: gathered as a wedge code on the scan screen; on a PIN screen the
        digits to press are returned (anything else typed is dropped)."""
        if step == Step.SCAN and not field_focused:
            self.wedge.typed(text)
        elif step in PIN_STEPS:
            return "".join(ch for ch in text if ch.isdigit())
        return ""
