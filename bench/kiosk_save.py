"""Benchmark: how long a kiosk takes to save a confirmed ballot — sign, check with the
shared rules, append to the chain and commit durably (SQLite WAL, synchronous=FULL) —
i.e. the time between "Submit" and the receipt, without the UI.

    python -m bench.kiosk_save [--ballots 500] [--dir DIR]

DIR (default a temporary folder) decides the disk being measured: run it on the
kiosk's own storage to get the figure that matters. Each save is one job as the app
runs it (:meth:`kiosk.session.Session.confirm`). Also reported: the durable append
alone, and a PIN unlock (scrypt at the event's cost) for scale.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from kiosk.identity import setup
from kiosk.session import Session
from kiosk.sim import cast, channel_reviewers
from kiosk.store import KioskStore
from organiser.demo import mini
from organiser.writer import write_event


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q * (len(xs) - 1)))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ballots", type=int, default=500)
    ap.add_argument("--dir", type=Path)
    args = ap.parse_args()
    import random

    with tempfile.TemporaryDirectory(prefix="simsa-bench-save-", dir=args.dir) as tmp:
        base = Path(tmp)
        write_event(mini(datetime.now(UTC), random.Random(3)), base / "event", workers=1)
        import csv

        def rows(name: str) -> dict[str, str]:
            with open(base / "event" / name, newline="", encoding="utf-8") as f:
                return {r[0]: r[1] for r in list(csv.reader(f))[1:]}

        creds, pins = rows("credentials.csv"), rows("pins.csv")
        store = KioskStore(base / "kiosk" / "kiosk.sqlite")
        signed = json.loads((base / "event" / "manifest.json").read_text())
        kiosk, _ = setup(store, signed, channel="kiosk", kiosk_id="bench", staff_pin="000000")
        people = channel_reviewers(kiosk.manifest, "kiosk", creds, pins)
        save_ms: list[float] = []
        unlock_ms: list[float] = []
        # the simulator's reviewers (kiosk/sim.py), each save one job as the app runs it
        cast(people, [Session(kiosk, store)], args.ballots, random.Random(3), save_ms, unlocks=unlock_ms)
        append_ms: list[float] = []
        sb = store.records(0, 1)[0]["signed_ballot"]
        raw = KioskStore(base / "raw" / "raw.sqlite")
        for k in range(200):
            t0 = time.perf_counter()
            raw.append({**sb, "sig": sb["sig"][:-4] + f"{k:04d}"}, reviewer="r", target="p", created_at="x")
            append_ms.append((time.perf_counter() - t0) * 1000)
        disk = args.dir or Path(tempfile.gettempdir())
    import os

    from shared.credential import open_seed, seal

    real = seal(event="e", reviewer="r", seed=os.urandom(32), pin="123456", logn=15, salt=os.urandom(16),
                nonce=os.urandom(12))
    real_ms: list[float] = []
    for _ in range(5):
        t0 = time.perf_counter()
        open_seed(real, "123456", min_logn=15)
        real_ms.append((time.perf_counter() - t0) * 1000)
    print(f"kiosk save benchmark: {args.ballots} rubric ballots on {disk} (mini event, scrypt 2^{kiosk.manifest.kdf_min_logn})")
    print(f"command: python -m bench.kiosk_save --ballots {args.ballots}" + (f" --dir {args.dir}" if args.dir else "") + "\n")
    print("| step | p50 ms | p95 ms | p99 ms |")
    print("|---|---|---|---|")
    for name, xs in (("save: sign + check + durable commit", save_ms), ("durable append alone", append_ms),
                     (f"unlock a card (scrypt 2^{kiosk.manifest.kdf_min_logn}) and list", unlock_ms),
                     ("open a real event's card (scrypt 2^15)", real_ms)):
        print(f"| {name} | {statistics.median(xs):.2f} | {pct(xs, 0.95):.2f} | {pct(xs, 0.99):.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
