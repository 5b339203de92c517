"""The small rules that keep a reviewer moving and in their session, free of Kivy and of
the wall clock (each takes an injected monotonic ``clock``) so they are unit-tested:

- :class:`IdleTimer` — how long without input, when to ask "계속하시겠어요?", when to log out;
- :class:`Housekeeper` — the window's once-a-second tick: idle warning and logout, and the
  last person's notice cleared from the scan screen;
- :class:`FinishGuard` — "Finish" with proposals left asks once before it ends the session;
- :class:`TapGate` — taps in the moment after a screen change are not taken (a second tap
  meant for the previous screen must not press what now sits under the finger);
- :func:`next_unscored` and :func:`todo_first` — the quick way through the list;
- :func:`ledger_status` — "on the ledger" or "witnessed" for an online ballot's receipt.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from .assignments import Item

Clock = Callable[[], float]

#: Default seconds without input before a reviewer is logged out, and of warning before.
IDLE_S = 90.0
WARN_S = 20.0
#: Taps this soon after a screen change are ignored.
SETTLE_S = 0.6


class Idle(StrEnum):
    ACTIVE = "active"
    WARN = "warn"
    EXPIRED = "expired"


@dataclass
class IdleTimer:
    """Input resets it; :meth:`state` says whether to warn (with seconds left) or log out.
    The warning is an overlay: nothing of the sheet is dropped until it expires."""

    timeout_s: float = IDLE_S
    warn_s: float = WARN_S
    clock: Clock = time.monotonic

    def __post_init__(self) -> None:
        if self.timeout_s <= 0:
            raise ValueError(f"idle timeout must be positive, got {self.timeout_s}")
        self.warn_s = min(self.warn_s, self.timeout_s)
        self.last = self.clock()

    def touch(self) -> None:
        self.last = self.clock()

    def left(self) -> float:
        return self.timeout_s - (self.clock() - self.last)

    def state(self) -> tuple[Idle, int]:
        """(state, whole seconds left, at least 1 while warning)."""
        left = self.left()
        if left <= 0:
            return Idle.EXPIRED, 0
        if left <= self.warn_s:
            return Idle.WARN, max(1, int(left + 0.999))
        return Idle.ACTIVE, int(left)


#: Seconds a notice ("thank you", "not a card") stays on the scan screen for the next person.
NOTICE_S = 10.0


@dataclass(frozen=True)
class TickPlan:
    """What the window does on this tick."""

    clear_notice: bool
    idle: Idle
    left: int


class Housekeeper:
    """The idle and notice rules of the kiosk window's tick, on the timer's clock.

    At rest (the scan or closed screen) or while a job runs, nobody is idle; a reviewer
    gets the warning overlay, then is logged out (:attr:`Idle.EXPIRED`, once: the timer
    starts again). A notice shown at rest is cleared after :data:`NOTICE_S` seconds."""

    def __init__(self, timer: IdleTimer, notice_s: float = NOTICE_S) -> None:
        self.timer = timer
        self.notice_s = notice_s
        self.notice: object = None
        self.since = timer.clock()

    def notice_is(self, notice: object) -> None:
        """The notice on screen now (its age counts from when it changed)."""
        if notice is not self.notice:
            self.notice, self.since = notice, self.timer.clock()

    def tick(self, *, at_rest: bool, busy: bool) -> TickPlan:
        clear = self.notice is not None and at_rest and self.timer.clock() - self.since > self.notice_s
        state, left = self.timer.state()
        if at_rest or busy:
            self.timer.touch()
            state = Idle.ACTIVE
        elif state == Idle.EXPIRED:
            self.timer.touch()
        return TickPlan(clear, state, left)


@dataclass
class FinishGuard:
    """Ending a session with work left takes two deliberate steps: the first "Finish"
    only asks (:attr:`asking`); "finish anyway" confirms; anything else withdraws it."""

    asking: bool = False

    def request(self, left: int) -> bool:
        """True if the session may end now; else start asking."""
        if left <= 0 or self.asking:
            self.asking = False
            return True
        self.asking = True
        return False

    def withdraw(self) -> None:
        self.asking = False


@dataclass
class TapGate:
    """Taps during a screen change and :data:`SETTLE_S` after it are not taken."""

    settle_s: float = SETTLE_S
    clock: Clock = time.monotonic

    def __post_init__(self) -> None:
        self.changed_at = -1e9
        self.screen: str | None = None

    def shown(self, screen: str) -> None:
        """Call on every redraw with the screen now shown; only a change restarts the wait."""
        if screen != self.screen:
            self.screen = screen
            self.changed_at = self.clock()

    def allows(self) -> bool:
        return self.clock() - self.changed_at >= self.settle_s


def next_unscored(items: Sequence[Item], after: str | None) -> Item | None:
    """The next item not yet done after ``after`` in list order, wrapping round; None when
    everything is done."""
    start = 0
    if after is not None:
        idx = next((i for i, it in enumerate(items) if it.target == after), -1)
        start = idx + 1
    n = len(items)
    for k in range(n):
        it = items[(start + k) % n]
        if not it.done:
            return it
    return None


def todo_first(items: Sequence[Item]) -> list[Item]:
    """The list as shown: what is left to do first (in order), then what is done."""
    return [i for i in items if not i.done] + [i for i in items if i.done]


def ledger_status(index: int | None, witnessed: bool, witnessed_size: int | None) -> str:
    """The i18n key for an online ballot the server put at ledger ``index``.

    Without a witness policy (``witnessed`` False) it is simply on the ledger. Under one,
    it is *witnessed* once the newest checkpoint the kiosk saw cosigned (size
    ``witnessed_size``) covers it — leaf ``index`` lies in a tree of size > ``index`` —
    and until then on the ledger with witnessing pending (DESIGN §4)."""
    if not witnessed or index is None:
        return "receipt.sent"
    if witnessed_size is not None and index < witnessed_size:
        return "receipt.witnessed"
    return "receipt.witness_pending"
