"""Test-only launcher: ``simsa`` with a fault injected from outside the product.

    python -m tests.support.paused_server PAUSE_FILE MIN_ENTRIES server --event DIR …

Runs the real ``simsa`` command line after wrapping :meth:`server.ledger.store.Appender.finish`
so that the first write transaction of at least ``MIN_ENTRIES`` new entries after start —
a group of the sequencer, a kiosk batch — creates ``PAUSE_FILE`` once its entries, Merkle
nodes and STH are written and then sleeps *before the commit*, holding the ledger lock:
the moment a crash test ``kill -9``s the server. Nothing of this exists in production code.
"""

from __future__ import annotations

import sys
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


def main(argv: list[str]) -> int:
    from simsa.cli import main as simsa_main

    install(Path(argv[0]), int(argv[1]))
    return simsa_main(argv[2:])


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
