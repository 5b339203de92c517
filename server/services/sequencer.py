"""The sequencer: group commit of submissions onto the ledger.

Submissions that passed the stateless checks (:mod:`server.services.precheck`) wait in a
bounded queue as :class:`Job` objects. One integrator thread per process takes whatever
is waiting — at most ``max_group`` entries, after lingering at most ``linger_s`` for more
— and, in ledger order, lets each job apply revocation, closing and the window and append
its entries, all in **one** write transaction under the ledger lock with one set of Merkle
nodes and **one** signed tree head (:meth:`server.ledger.store.Ledger.appending`). Only
when that transaction has committed does every job's future get its outcome and the
group's STH, so no receipt is given before it is durable.

A job's own refusal (a revoked reviewer, a kiosk chain gap …) is its outcome and touches
nothing; any other failure — the database, a bug — rolls the whole group back and fails
every job in it with ``503 not_committed`` and ``Retry-After``: nothing is half-written,
and a client may simply send again (submissions are idempotent). Past ``max_queue``
waiting submissions :meth:`Sequencer.submit` refuses at once with ``503 busy`` and
``Retry-After`` rather than letting latency grow without bound.

Several processes on one database each run an integrator; the ledger head row lock
(``SELECT … FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite) makes them commit
whole groups in turn, so the database's order is the ledger's.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, deque
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..db.engine import bulk_insert
from ..db.schema import ballots
from ..ledger.store import Appender, Ledger
from .errors import Busy, NotCommitted

log = logging.getLogger("simsa.server.sequencer")

#: Seconds a client is told to wait after a 503 from the sequencer.
RETRY_AFTER_S = 1


@dataclass
class Group:
    """One group's transaction, as the jobs in it see it."""

    app: Appender
    #: The jobs of the group, in ledger order (a job may look up state for all of its kind).
    jobs: list[Any] = field(default_factory=list)
    #: ``ballots`` rows to insert when the group is complete: their ``sth_size`` is the
    #: size of the group's STH, known only then.
    ballot_rows: list[dict[str, Any]] = field(default_factory=list)
    #: What jobs of one kind share within the group (looked-up state, ids appended so far).
    memo: dict[str, Any] = field(default_factory=dict)
    #: Ballots of this group per (reviewer, target), not yet in the ``ballots`` table.
    pending: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add_ballot(self, row: dict[str, Any]) -> None:
        """A ballot row of an entry this group appended (inserted by :meth:`finish`)."""
        self.ballot_rows.append(row)
        self.pending[(row["reviewer"], row["target"])] += 1

    def finish(self) -> None:
        for row in self.ballot_rows:
            row["sth_size"] = self.app.next_index
        bulk_insert(self.app.conn, ballots, self.ballot_rows)


class Job(Protocol):
    """A submission waiting for the integrator."""

    #: At most how many ledger entries it appends (bounds the group).
    @property
    def size(self) -> int: ...

    def apply(self, group: Group) -> Any:
        """Under the ledger lock: append this job's entries (or refuse it, appending
        nothing) and return its outcome. Raising fails the whole group."""


@dataclass(frozen=True)
class Committed:
    """A job's outcome and the STH of the group it was committed in (``None`` when the
    group appended nothing)."""

    outcome: Any
    sth: dict[str, Any] | None


def busy(detail: str) -> Busy:
    return Busy(detail, retry_after=RETRY_AFTER_S)


def not_committed(exc: BaseException) -> NotCommitted:
    return NotCommitted(f"the ledger could not commit this submission ({type(exc).__name__}); "
                   f"nothing of it was written: send it again in {RETRY_AFTER_S} s", retry_after=RETRY_AFTER_S)


class Sequencer:
    """The queue and its integrator thread (started on the first submission)."""

    def __init__(self, ledger: Ledger, *, max_queue: int = 1000, max_group: int = 1000, linger_s: float = 0.002) -> None:
        self.ledger = ledger
        self.max_queue = max_queue
        self.max_group = max_group
        self.linger_s = linger_s
        self._queue: deque[tuple[Job, Future[Committed]]] = deque()
        self._cv = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        self.groups = 0  # committed groups, for logs and tests
        self.jobs = 0

    def submit(self, job: Job) -> Future[Committed]:
        """Queue ``job``; its future resolves once its group is durable (or failed with
        :class:`~server.services.errors.NotCommitted`). Raises
        :class:`~server.services.errors.Busy` when the queue is full."""
        fut: Future[Committed] = Future()
        with self._cv:
            if self._closed:
                raise busy("the server is shutting down; send again in a moment")
            if len(self._queue) >= self.max_queue:
                raise busy(f"{len(self._queue)} submissions are waiting for the ledger; send again in {RETRY_AFTER_S} s")
            self._queue.append((job, fut))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="simsa-integrator", daemon=True)
                self._thread.start()
            self._cv.notify()
        return fut

    def run(self, job: Job) -> Committed:
        """Queue ``job`` and wait for its group (for callers on a worker thread)."""
        return self.submit(job).result()

    def close(self, timeout: float = 30.0) -> None:
        """Commit what is queued, then stop the integrator."""
        with self._cv:
            self._closed = True
            self._cv.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def waiting(self) -> int:
        with self._cv:
            return len(self._queue)

    # --- the integrator ----------------------------------------------------------------

    def _take(self) -> list[tuple[Job, Future[Committed]]] | None:
        with self._cv:
            while not self._queue and not self._closed:
                self._cv.wait()
            if not self._queue:
                return None
            deadline = time.monotonic() + self.linger_s
            while sum(j.size for j, _ in self._queue) < self.max_group and not self._closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cv.wait(left)
            group: list[tuple[Job, Future[Committed]]] = [self._queue.popleft()]
            entries = group[0][0].size
            while self._queue and entries + self._queue[0][0].size <= self.max_group:
                job = self._queue.popleft()
                entries += job[0].size
                group.append(job)
            return group

    def _run(self) -> None:
        while True:
            group = self._take()
            if group is None:
                return
            try:
                self._integrate(group)
            except BaseException as exc:  # never leave a request waiting
                for _, fut in group:
                    if not fut.done():
                        fut.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise

    def _integrate(self, group: list[tuple[Job, Future[Committed]]]) -> None:
        outcomes: list[Any] = []
        try:
            with self.ledger.appending() as app:
                g = Group(app, [job for job, _ in group])
                for job, _ in group:
                    outcomes.append(job.apply(g))
                g.finish()
        except Exception as exc:
            log.exception("a group of %d submissions failed and was rolled back", len(group))
            for _, fut in group:
                fut.set_exception(not_committed(exc))
            return
        self.groups += 1
        self.jobs += len(group)
        for (_, fut), outcome in zip(group, outcomes, strict=True):
            fut.set_result(Committed(outcome, app.sth))
