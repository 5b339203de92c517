"""Ledger server proof latency at 1,000 and 1,000,000 entries: a real ``simsa server`` over
a ledger whose entries after the manifest are filler (proofs do not read entries), asked
for the STH, inclusion proofs and consistency proofs through HTTP; plus the cost of one
append at each size, to show it stays O(log n).

    .venv/bin/python -m bench.server_proofs [--sizes 1000 1000000] [--requests 300]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from client import LedgerClient

from .server_event import make_event

FILL_BATCH = 20_000


def fill(ctx: Any, size: int) -> float:
    """Append filler entries until the ledger has ``size`` entries; return the seconds taken."""
    start = time.perf_counter()
    at = ctx.ledger.received_at()
    while True:
        with ctx.ledger.appending() as app:
            todo = min(FILL_BATCH, size - app.size)
            if todo <= 0:
                break
            base = app.size
            for i in range(todo):
                app.append_text("kiosk", f'{{"n":{base + i},"received_at":"{at}","type":"kiosk"}}')
    return time.perf_counter() - start


def _ms(xs: list[float]) -> str:
    xs = sorted(xs)
    return f"median {statistics.median(xs) * 1000:.2f} ms, p95 {xs[int(len(xs) * 0.95) - 1] * 1000:.2f} ms"


def measure(url: str, size: int, n: int, rng: random.Random) -> dict[str, list[float]]:
    client = LedgerClient.for_url(url, agent="simsa-bench")
    out: dict[str, list[float]] = {"sth": [], "inclusion": [], "consistency": []}
    calls: dict[str, Callable[[], object]] = {
        "sth": client.sth,
        "inclusion": lambda: client.inclusion(rng.randrange(size), size),
        "consistency": lambda: client.consistency(rng.randrange(1, size), size),
    }
    for name, call in calls.items():
        for _ in range(n):
            t = time.perf_counter()
            call()
            out[name].append(time.perf_counter() - t)
    return out


def append_cost(ctx: Any, n: int = 50) -> list[float]:
    """Seconds for one committed append (one entry, one STH) at the current size."""
    out = []
    for i in range(n):
        t = time.perf_counter()
        with ctx.ledger.appending() as app:
            app.append_text("kiosk", f'{{"n":"append-{i}","type":"kiosk"}}')
        out.append(time.perf_counter() - t)
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 1_000_000])
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--db", help="database URL (default: SQLite in a temporary folder)")
    args = ap.parse_args(argv)

    from server.context import Context
    from server.settings import Settings
    from simsa.live import start_server

    rng = random.Random(9162)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="simsa-bench-") as tmp:
        ev = make_event(Path(tmp) / "event")
        settings = Settings(event_dir=ev.dir, db_url=args.db, verify_workers=0)
        for size in sorted(args.sizes):
            ctx = Context.open(settings)
            took = fill(ctx, size)
            print(f"ledger filled to {size:,} entries in {took:.1f} s")
            with start_server(ev.dir, db_url=args.db, log_path=Path(tmp) / "server.log") as srv:
                lat = measure(srv.url, size, args.requests, rng)
            appends = append_cost(ctx)  # grows the ledger by 50; later sizes fill past it
            ctx.close()
            results[str(size)] = {k: _ms(v) for k, v in lat.items()} | {"append": _ms(appends)}
            for k, v in results[str(size)].items():
                print(f"  {size:>9,} entries  {k:<11} {v}")
    return results


if __name__ == "__main__":
    main()
