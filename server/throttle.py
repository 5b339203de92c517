"""Bounded, per-process rate limits: a sliding-window counter per key, exponential backoff
per key, and a gate that lets a few slow jobs (argon2) run at once with a bounded queue.

Every table is an LRU of at most ``max_keys`` entries whose entries also expire by time:
under a spray of new keys the least recently seen key goes first — the one whose window
or backoff is furthest in the past — so the keys being hammered right now are kept, and
memory stays bounded. Times are ``time.monotonic()`` seconds passed in by the caller.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict, deque
from dataclasses import dataclass


class Limited(Exception):
    """Refused by a limit; ``retry_after`` whole seconds (at least 1) until it may pass."""

    def __init__(self, retry_after: float, what: str = "") -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        self.what = what
        super().__init__(f"{what}: retry after {self.retry_after} s")


class Window:
    """At most ``limit`` events per key in any ``window_s`` seconds (sliding window)."""

    def __init__(self, limit: int, window_s: float, max_keys: int = 10_000) -> None:
        self.limit, self.window_s, self.max_keys = limit, window_s, max_keys
        self._events: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._events.get(key)
        if q is None:
            q = deque()
            self._events[key] = q
            while len(self._events) > self.max_keys:
                self._events.popitem(last=False)
        else:
            self._events.move_to_end(key)
        while q and now - q[0] >= self.window_s:
            q.popleft()
        return q

    def wait(self, key: str, now: float) -> float:
        """Seconds until ``key`` may have one more event (0: now)."""
        with self._lock:
            q = self._recent(key, now)
            return 0.0 if len(q) < self.limit else self.window_s - (now - q[0])

    def hit(self, key: str, now: float, what: str = "") -> None:
        """Count one event for ``key``, or raise :class:`Limited` without counting it."""
        with self._lock:
            q = self._recent(key, now)
            if len(q) >= self.limit:
                raise Limited(self.window_s - (now - q[0]), what)
            q.append(now)

    def add(self, key: str, now: float) -> None:
        """Count one event for ``key`` whatever the limit (a failure that happened anyway)."""
        with self._lock:
            self._recent(key, now).append(now)

    def count(self, key: str, now: float) -> int:
        with self._lock:
            return len(self._recent(key, now))

    def __len__(self) -> int:
        return len(self._events)


class Budget:
    """At most ``units`` (e.g. bytes) per key in each fixed window of ``window_s`` seconds."""

    def __init__(self, units: int, window_s: float, max_keys: int = 10_000) -> None:
        self.units, self.window_s, self.max_keys = units, window_s, max_keys
        self._used: OrderedDict[str, tuple[float, int]] = OrderedDict()
        self._lock = threading.Lock()

    def spend(self, key: str, amount: int, now: float, what: str = "") -> None:
        """Spend ``amount`` of ``key``'s budget, or raise :class:`Limited` spending nothing."""
        with self._lock:
            start, used = self._used.get(key, (now, 0))
            if now - start >= self.window_s:
                start, used = now, 0
            if used + amount > self.units:
                raise Limited(self.window_s - (now - start), what)
            self._used[key] = (start, used + amount)
            self._used.move_to_end(key)
            while len(self._used) > self.max_keys:
                self._used.popitem(last=False)


@dataclass
class _Fails:
    n: int
    last: float


class Backoff:
    """Exponential backoff per key: after ``free`` failures in a row, the next attempt must
    wait ``base_s * 2**(failures - free)`` seconds (at most ``cap_s``) after the last failure.
    A key forgets its failures ``reset_s`` seconds after the last one, or on success. The
    wait is bounded by ``cap_s``, so nobody can lock a key out for longer than that."""

    def __init__(self, free: int, base_s: float, cap_s: float, reset_s: float, max_keys: int = 10_000) -> None:
        self.free, self.base_s, self.cap_s, self.reset_s, self.max_keys = free, base_s, cap_s, reset_s, max_keys
        self._fails: OrderedDict[str, _Fails] = OrderedDict()
        self._lock = threading.Lock()

    def wait(self, key: str, now: float) -> float:
        """Seconds ``key`` must still wait before its next attempt (0: now)."""
        with self._lock:
            f = self._fails.get(key)
            if f is None:
                return 0.0
            if now - f.last >= self.reset_s:
                del self._fails[key]
                return 0.0
            if f.n < self.free:
                return 0.0
            delay = min(self.cap_s, self.base_s * 2.0 ** (f.n - self.free))
            return max(0.0, delay - (now - f.last))

    def failed(self, key: str, now: float) -> None:
        with self._lock:
            f = self._fails.get(key)
            if f is None or now - f.last >= self.reset_s:
                f = _Fails(0, now)
                self._fails[key] = f
                while len(self._fails) > self.max_keys:
                    self._fails.popitem(last=False)
            self._fails.move_to_end(key)
            f.n += 1
            f.last = now

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._fails.pop(key, None)

    def failures(self, key: str) -> int:
        with self._lock:
            f = self._fails.get(key)
            return 0 if f is None else f.n

    def __len__(self) -> int:
        return len(self._fails)


class Gate:
    """At most ``running`` jobs at once and ``queued`` more waiting; past that,
    :meth:`enter` raises :class:`Limited` at once instead of queueing."""

    def __init__(self, running: int, queued: int, retry_after_s: float = 2.0) -> None:
        self.running, self.queued, self.retry_after_s = running, queued, retry_after_s
        self._sem = threading.BoundedSemaphore(running)
        self._lock = threading.Lock()
        self._inside = 0  # running + waiting

    def __enter__(self) -> Gate:
        with self._lock:
            if self._inside >= self.running + self.queued:
                raise Limited(self.retry_after_s, "busy")
            self._inside += 1
        self._sem.acquire()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._sem.release()
        with self._lock:
            self._inside -= 1
