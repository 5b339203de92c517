"""The ledger replayed with the shared code (``shared.replay``), kept up to date incrementally.

Merge, conflicts and results are computed from this state — the very functions an
auditor runs — never from the server's side tables. Ballots were checked when they were
appended, so the replay skips the per-ballot rules; statements are still verified.
"""

from __future__ import annotations

import logging
import threading
import time

import orjson
from sqlalchemy import Connection

from shared.replay import LedgerState, Replay

from ..db.engine import Database
from ..ledger.store import Ledger

log = logging.getLogger("simsa.server.replay")

PAGE = 5000


class ReplayedLedger:
    """A :class:`shared.replay.Replay` fed from the database as the ledger grows."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self._replay = Replay(check_ballots=False, keep_signed=False)
        self._lock = threading.Lock()

    def state(self, conn: Connection, upto: int | None = None) -> LedgerState:
        """The state after the first ``upto`` entries (default: all committed ones — at
        least those ``conn`` sees; newer ones when another request has replayed them
        already, since the ledger only grows).

        Callers must not mutate the returned state.
        """
        with self._lock:
            r = self._replay
            if upto is None:
                upto = max(self.ledger.head(conn)[0], r.state.size)
            if r.state.size > upto:
                raise RuntimeError(f"replay is at {r.state.size}, past the asked size {upto}")
            while r.state.size < upto:
                page = self.ledger.entries_text(conn, r.state.size, min(upto, r.state.size + PAGE))
                if not page:
                    break
                for _, text in page:
                    data = text.encode("utf-8")
                    r.add(orjson.loads(data), entry_jcs=data)
            return r.state

    def warm(self, db: Database) -> threading.Thread:
        """Catch up with the whole ledger on a background thread. After a restart a large
        ledger takes a while to replay (a minute for a million ballots); started with the
        server, the first staff view finds it done or under way instead of starting it."""

        def run() -> None:
            start = time.monotonic()
            try:
                with db.read() as conn:
                    size = self.state(conn).size
            except Exception:  # e.g. the server is stopping; the next view catches up itself
                log.warning("the background replay of the ledger stopped", exc_info=True)
                return
            log.info("ledger replayed for merge and results: %d entries in %.1f s", size, time.monotonic() - start)

        thread = threading.Thread(target=run, name="simsa-replay", daemon=True)
        thread.start()
        return thread
