"""The crash tests' fault, injected from outside the product.

:func:`install`, run in a forked ``simsa server`` before it starts
(:func:`tests.support.forked.launcher_with`), wraps :meth:`server.ledger.store.Appender.finish`
so that the first write transaction of at least ``min_entries`` new entries after start —
a group of the sequencer, a kiosk batch — creates ``pause_file`` once its entries, Merkle
nodes and STH are written and then sleeps *before the commit*, holding the ledger lock:
the moment a crash test ``kill -9``s the server. Nothing of this exists in production code.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from server.ledger.store import Appender

PAUSE_S = 120.0


def install(pause_file: Path, min_entries: int) -> None:
    real = Appender.finish

    def finish(self: Appender) -> Any:
        n = len(self._entries)
        sth = real(self)
        if n >= min_entries and not pause_file.exists():
            pause_file.write_text(f"paused before committing {n} entries (tree size {self.size})\n")
            time.sleep(PAUSE_S)
        return sth

    Appender.finish = finish  # type: ignore[method-assign]
