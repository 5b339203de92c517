"""How hard each credential is to open without its PIN: the scrypt cost chosen from a
measurement on the organiser's machine.

A photographed card can be attacked offline, one guess per scrypt run, with no kiosk
lockout. The cost is set so that one guess takes at least :data:`TARGET_S` on the machine
that seals the cards (an attacker's core is about as fast; docs/SECURITY.md does the sums),
and never below :data:`FLOOR_LOGN`; it is recorded as the manifest's ``kdf_min_logn``.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from shared.credential import MAX_LOGN
from shared.scrypt import scrypt

#: One guess should cost at least this long on the organiser's machine.
TARGET_S = 0.25
#: The least cost a real event uses, however fast the machine.
FLOOR_LOGN = 15
#: PIN digits: a real event's cards, and a demo's (typed often while testing).
REAL_PIN_DIGITS = 8
DEMO_PIN_DIGITS = 6


def scrypt_seconds(logn: int, *, repeat: int = 1) -> float:
    """CPU seconds one scrypt(n = 2^logn, r = 8, p = 1) takes on one core here (the best
    of ``repeat``): what a guess costs, whatever else the machine is busy with."""
    best = math.inf
    for _ in range(repeat):
        t0 = time.thread_time()
        scrypt(b"12345678", os.urandom(16), logn)
        best = min(best, time.thread_time() - t0)
    return best


@dataclass(frozen=True)
class Choice:
    logn: int
    seconds: float  # measured at ``logn``


def choose_logn(
    target_s: float = TARGET_S, *, floor: int = FLOOR_LOGN, ceiling: int = MAX_LOGN,
    measure: Callable[[int], float] = scrypt_seconds,
) -> Choice:
    """The least scrypt cost from ``floor`` whose measured guess takes ``target_s`` or
    more (each step doubles the time and the memory), capped at ``ceiling``."""
    logn = floor
    seconds = measure(logn)
    while seconds < target_s and logn < ceiling:
        logn += 1
        seconds = measure(logn)
    return Choice(logn, seconds)
