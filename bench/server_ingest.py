"""Ledger server ingest benchmark: the KINTEX 2017 day's on-site rubric ballots (about
11,300) posted by kiosks through HTTP in batches of at most 500 records to a real
``simsa server`` process (SQLite) — accepted ballots per second beside the raw Ed25519
verify rate of this machine, measured in the same run.

Two runs: the server pinned to one core (verification in the request thread; the load
generator on the other core), then the server free on every core with its verification
pool. The raw rate is one core verifying prepared signatures with keys already loaded.

    .venv/bin/python -m bench.server_ingest [--kiosks 40] [--clients 4] [--postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from client import LedgerClient
from shared.encoding import b64u_decode, jcs
from shared.timefmt import format_time

from .server_event import BenchEvent, kiosk_batches, make_event


def raw_verify_rate(samples: list[tuple[bytes, bytes, bytes]], seconds: float = 3.0) -> float:
    """Ed25519 verifications per second on one core, messages ready, through
    :func:`shared.keys.signature_ok` — the library the server itself uses (libsodium)."""
    from shared.keys import signature_ok

    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for key, sig, msg in samples:
            signature_ok(key, msg, sig)
        n += len(samples)
    return n / (time.perf_counter() - start)


def _samples(ev: BenchEvent, bodies: list[list[bytes]], n: int = 2000) -> list[tuple[bytes, bytes, bytes]]:
    out = []
    for kiosk in bodies:
        for rec in json.loads(kiosk[0])["records"]:
            b = rec["signed_ballot"]
            key = ev.manifest.reviewers[b["ballot"]["reviewer"]].key
            out.append((b64u_decode(key), b64u_decode(b["sig"]), jcs(b["ballot"])))
            if len(out) >= n:
                return out
    return out


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU seconds of every live process in a process group (server and workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            fields = Path(f"/proc/{d}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # field 5 (pgrp), counted after the command name
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def run_once(ev: BenchEvent, keys: dict[str, Any], bodies: list[list[bytes]], *, clients: int, workers: int,
             wrap: list[str] | None, tmp: Path, tag: str, db: str | None = None) -> dict[str, Any]:
    from server.context import Context
    from server.services.staff import add_staff, login
    from server.settings import Settings
    from simsa.live import ONE_CLIENT_IS_A_VENUE, start_server

    db = db or f"sqlite:///{tmp / f'{tag}.sqlite'}"
    ctx = Context.open(Settings(event_dir=ev.dir, db_url=db, verify_workers=0))
    add_staff(ctx.db, "bench", "bench-password")
    token = login(ctx.db, "bench", "bench-password", 1.0)
    ctx.close()
    env = {"SIMSA_VERIFY_WORKERS": str(workers), **ONE_CLIENT_IS_A_VENUE}
    latencies: list[float] = []
    with start_server(ev.dir, db_url=db, env=env, log_path=tmp / f"{tag}.log", wrap=wrap) as srv:
        staff = LedgerClient.for_url(srv.url, agent="simsa-bench")
        staff.token = token
        for kid, key in keys.items():
            body = {"kiosk": kid, "public_key": key.public_b64u, "registered_at": format_time(datetime.now(UTC).replace(microsecond=0))}
            staff.register({**body, "sig": key.sign_b64u(jcs(body))})
            staff.approve_kiosk(token, kid)
        time.sleep(2)  # let the verification workers finish starting

        def kiosk_sync(item: tuple[str, list[bytes]]) -> int:
            kid, batches = item
            kiosk = LedgerClient.for_url(srv.url, agent="simsa-bench", timeout=(5.0, 600.0))
            accepted = 0
            for body in batches:
                t = time.perf_counter()
                out = kiosk.post_batch(kid, body)
                latencies.append(time.perf_counter() - t)
                accepted += sum(1 for x in out["results"] if x["status"] == "accepted")
            return accepted

        cpu0 = group_cpu_seconds(srv.process.pid)
        start = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            accepted = sum(pool.map(kiosk_sync, zip(keys, bodies, strict=True)))
        wall = time.perf_counter() - start
        cpu = group_cpu_seconds(srv.process.pid) - cpu0
        size = staff.sth()["tree_size"]
    assert size == 1 + len(keys) + accepted
    return {"accepted": accepted, "wall_s": wall, "rate": accepted / wall, "requests": len(latencies),
            "batch_p50_ms": statistics.median(latencies) * 1000, "cpu_us_per_ballot": cpu / accepted * 1e6}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kiosks", type=int, default=40)
    ap.add_argument("--clients", type=int, default=4, help="kiosks posting at the same time")
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--postgres", action="store_true",
                    help="store the ledger in a throwaway PostgreSQL cluster (fsync on) instead of SQLite")
    args = ap.parse_args(argv)
    cores = sorted(os.sched_getaffinity(0))
    cluster = None
    if args.postgres:
        from simsa.pgcluster import start_cluster

        cluster = start_cluster(durable=True)
    try:
        return _main(args, cores, cluster)
    finally:
        if cluster is not None:
            cluster.stop()


def _main(args: argparse.Namespace, cores: list[int], cluster: Any) -> dict[str, Any]:
    def db_for(tag: str) -> str | None:
        return None if cluster is None else cluster.url(cluster.create_database(f"bench_{tag}"))

    with tempfile.TemporaryDirectory(prefix="simsa-bench-") as tmp_name:
        tmp = Path(tmp_name)
        ev = make_event(tmp / "event")
        keys, bodies = kiosk_batches(ev, args.kiosks, args.batch)
        n = sum(len(json.loads(b)["records"]) for k in bodies for b in k)
        sizes = [len(json.loads(b)["records"]) for k in bodies for b in k]
        print(f"{n} signed rubric ballots from {args.kiosks} kiosks in {len(sizes)} batches (largest {max(sizes)}, mean {n / len(sizes):.0f})")
        samples = _samples(ev, bodies)

        def raw_rate() -> float:  # on the server's first core, with the load generator off it
            os.sched_setaffinity(0, {cores[0]})
            rate = raw_verify_rate(samples)
            os.sched_setaffinity(0, set(cores[1:]) or {cores[0]})
            return rate

        raws = [raw_rate()]
        one = run_once(ev, keys, bodies, clients=args.clients, workers=0, wrap=["taskset", "-c", str(cores[0])], tmp=tmp, tag="one",
                       db=db_for("one"))
        raws.append(raw_rate())
        os.sched_setaffinity(0, set(cores))
        every = run_once(ev, keys, bodies, clients=args.clients, workers=len(cores), wrap=None, tmp=tmp, tag="all",
                         db=db_for("all"))
        raws.append(raw_rate())
        print(f"raw Ed25519 verify on one core, before, between and after the runs: {', '.join(f'{r:,.0f}/s' for r in raws)}")
        r1, r2 = (raws[0] + raws[1]) / 2, (raws[1] + raws[2]) / 2
        print(f"server on one core:   {one['rate']:,.0f} ballots/s = {one['rate'] / r1:.2f} × raw verify "
              f"({one['accepted']} in {one['wall_s']:.1f} s, median batch {one['batch_p50_ms']:.0f} ms); "
              f"server CPU {one['cpu_us_per_ballot']:.0f} µs per ballot against {1e6 / r1:.0f} µs per raw verify")
        print(f"server on {len(cores)} cores:   {every['rate']:,.0f} ballots/s = {every['rate'] / r2:.2f} × raw verify "
              f"({every['accepted']} in {every['wall_s']:.1f} s, median batch {every['batch_p50_ms']:.0f} ms; load generator "
              f"on the same cores); server CPU {every['cpu_us_per_ballot']:.0f} µs per ballot")
        print(f"load average during the run: {os.getloadavg()[0]:.1f} (other work on the machine slows both runs)")
        if cluster is not None:
            print("database: PostgreSQL with fsync on; its processes run on any core "
                  "(in the one-core run the server is pinned, the database is not)")
        out: dict[str, Any] = {"ballots": n, "raw_verify_per_s": raws, "cores": len(cores)}
        out |= {"one_core": one, "all_cores": every}
    return out


if __name__ == "__main__":
    main()
