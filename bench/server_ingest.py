"""Ledger server ingest benchmark: the KINTEX 2017 day's on-site rubric ballots (11,336)
posted by kiosks through HTTP in batches of at most 500 records, against a real
``simsa server`` process — accepted ballots per second beside the raw Ed25519 verify
rate of this machine, measured in the same run.

    .venv/bin/python -m bench.server_ingest [--kiosks 40] [--clients 4] [--db URL]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

from shared.encoding import b64u_decode, jcs

from .server_event import kiosk_batches, make_event


def raw_verify_rate(samples: list[tuple[bytes, bytes, bytes]], seconds: float = 3.0) -> float:
    """Ed25519 verifications per second on one core: keys loaded, messages ready."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    prepared = [(Ed25519PublicKey.from_public_bytes(p), s, m) for p, s, m in samples]
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for key, sig, msg in prepared:
            key.verify(sig, msg)
        n += len(prepared)
    return n / (time.perf_counter() - start)


def _samples(ev: Any, bodies: list[list[bytes]], n: int = 2000) -> list[tuple[bytes, bytes, bytes]]:
    import json

    out = []
    for kiosk in bodies:
        for rec in json.loads(kiosk[0])["records"]:
            b = rec["signed_ballot"]
            out.append((b64u_decode(ev.manifest.reviewers[b["ballot"]["reviewer"]].key), b64u_decode(b["sig"]), jcs(b["ballot"])))
            if len(out) >= n:
                return out
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kiosks", type=int, default=40)
    ap.add_argument("--clients", type=int, default=4, help="kiosks posting at the same time")
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--db", help="database URL (default: SQLite in a temporary event folder)")
    ap.add_argument("--verify-workers", type=int, default=2)
    args = ap.parse_args(argv)

    from server.context import Context
    from server.services.staff import add_staff, login
    from server.settings import Settings
    from tests.support.live import start_server

    with tempfile.TemporaryDirectory(prefix="simsa-bench-") as tmp:
        t0 = time.perf_counter()
        ev = make_event(Path(tmp) / "event")
        keys, bodies = kiosk_batches(ev, args.kiosks, args.batch)
        n_ballots = sum(len(__import__("json").loads(b)["records"]) for k in bodies for b in k)
        print(f"prepared {n_ballots} signed ballots for {args.kiosks} kiosks in {time.perf_counter() - t0:.1f} s")
        raw = raw_verify_rate(_samples(ev, bodies))
        print(f"raw Ed25519 verify, one core: {raw:,.0f}/s")

        ctx = Context.open(Settings(event_dir=ev.dir, db_url=args.db, verify_workers=0))
        add_staff(ctx.db, "bench", "bench-password")
        token = login(ctx.db, "bench", "bench-password", 1.0)
        ctx.close()
        env = {"SIMSA_VERIFY_WORKERS": str(args.verify_workers)}
        with start_server(ev.dir, db_url=args.db, env=env, log_path=Path(tmp) / "server.log") as srv:
            s = requests.Session()
            s.headers["Authorization"] = f"Bearer {token}"
            from datetime import UTC, datetime

            from shared.encoding import jcs as _j
            from shared.timefmt import format_time

            for kid, key in keys.items():
                body = {"kiosk": kid, "public_key": key.public_b64u, "registered_at": format_time(datetime.now(UTC).replace(microsecond=0))}
                s.post(srv.url + "/api/v1/kiosks", json={**body, "sig": key.sign_b64u(_j(body))}, timeout=30).raise_for_status()
                s.post(srv.url + f"/api/v1/staff/kiosks/{kid}/approve", timeout=30).raise_for_status()

            latencies: list[float] = []

            def kiosk_sync(batches: list[bytes]) -> int:
                sess = requests.Session()
                accepted = 0
                for body in batches:
                    kid = __import__("json").loads(body[: body.index(b',"records"')] + b"}")["kiosk"]
                    t = time.perf_counter()
                    r = sess.post(f"{srv.url}/api/v1/kiosks/{kid}/batches", data=body,
                                  headers={"content-type": "application/json"}, timeout=300)
                    latencies.append(time.perf_counter() - t)
                    r.raise_for_status()
                    accepted += sum(1 for x in r.json()["results"] if x["status"] == "accepted")
                return accepted

            start = time.perf_counter()
            with ThreadPoolExecutor(args.clients) as pool:
                accepted = sum(pool.map(kiosk_sync, bodies))
            wall = time.perf_counter() - start
            size = s.get(srv.url + "/api/v1/ledger/sth", timeout=30).json()["tree_size"]
    rate = accepted / wall
    out = {
        "ballots": n_ballots,
        "accepted": accepted,
        "tree_size": size,
        "requests": len(latencies),
        "mean_batch": n_ballots / len(latencies),
        "wall_s": wall,
        "accepted_per_s": rate,
        "raw_verify_per_s": raw,
        "ratio": rate / raw,
        "batch_p50_s": statistics.median(latencies),
        "cores": os.cpu_count(),
    }
    print(
        f"ingest: {accepted} accepted in {wall:.1f} s over {len(latencies)} batches (mean {out['mean_batch']:.0f} records): "
        f"{rate:,.0f} ballots/s = {rate / raw:.2f} × the raw verify rate; median batch {out['batch_p50_s'] * 1000:.0f} ms"
    )
    return out


if __name__ == "__main__":
    main()
