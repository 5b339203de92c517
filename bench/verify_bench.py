"""Benchmark: ``simsa verify`` on a city-shape ledger export against the raw Ed25519 rate.

    python -m bench.verify_bench [--ballots 1000000] [--workers N]

1. makes (or reuses) the city export of :mod:`bench.citygen`;
2. measures the raw Ed25519 verify rate of this machine in the same run — one core alone,
   and all cores at once — with :func:`shared.keys.signature_ok` (libsodium, the library the verifier uses), over
   ballot-sized messages, before the verification and again after it (the machine may be
   shared: the two figures show whether its load changed);
3. runs the whole verification (every check of ``simsa verify DIR``) in a fresh process
   and reads its wall time, CPU time and peak memory (main process and workers, and all
   processes together: the resident memory of the process tree, sampled);
4. prints the figures and a Markdown table for docs/BENCHMARKS.md.

The figure of merit is ballots verified per second against ``raw rate × cores``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from . import citygen


def _raw_worker(seconds: float) -> tuple[int, float]:
    from shared.keys import SigningKey, signature_ok

    items = []
    for k in range(256):
        key = SigningKey(bytes([k]) * 32)
        msg = (b'{"channel":"online","choices":["p01","p02"],"created_at":"2019-06-01T09:00:00Z",' * 3)[
            :260
        ] + bytes([k])
        items.append((key.public, msg, key.sign(msg)))
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for raw, msg, sig in items:
            signature_ok(raw, msg, sig)
        n += len(items)
    return n, time.perf_counter() - t0


def raw_rates(cores: int, seconds: float = 4.0) -> tuple[float, float]:
    """(one core alone, all cores at once) Ed25519 verifications per second."""
    with ProcessPoolExecutor(1) as one:
        n, t = one.submit(_raw_worker, seconds).result()
    single = n / t
    with ProcessPoolExecutor(cores) as pool:
        runs = list(pool.map(_raw_worker, [seconds] * cores))
    together = sum(n / t for n, t in runs)
    return single, together


def tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and every process below it, summed (from /proc)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            stat = Path(f"/proc/{d}/stat").read_text()
            statm = Path(f"/proc/{d}/statm").read_text().split()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        parents[int(d)] = int(fields[1])
        rss[int(d)] = int(statm[1]) * page
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(c for c, p in parents.items() if p == pid)
    return total


def child(folder: Path, workers: int) -> dict[str, Any]:
    """Run in a fresh process: verify the export and report what it cost."""
    from audit.source import ExportSource
    from audit.verify import verify_ledger

    t0 = time.perf_counter()
    v = verify_ledger(ExportSource(folder), workers=workers)
    wall = time.perf_counter() - t0
    me = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "ok": v.ok,
        "problems": [str(p) for p in v.problems[:3]],
        "entries": v.entries,
        "ballots": v.types["ballot"] + v.types["rejected"],
        "signatures": v.signatures,
        "wall_s": wall,
        "main_cpu_s": me.ru_utime + me.ru_stime,
        "main_peak_rss": me.ru_maxrss * 1024,
        "worker_cpu_s": v.worker_cpu,
        "worker_peak_rss": v.worker_peak_rss,
        "workers": v.workers,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ballots", type=int, default=1_000_000)
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    p.add_argument("--raw-seconds", type=float, default=4.0)
    p.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.workers)))
        return 0

    folder = citygen.ensure(args.ballots)
    cores = args.workers
    single, together = raw_rates(cores, args.raw_seconds)
    print(
        f"raw Ed25519 verify: {single:,.0f}/s on one core, {together:,.0f}/s on {cores} cores at once",
        flush=True,
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.verify_bench", "--child", str(folder), "--workers", str(cores)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    peak_all = 0
    while proc.poll() is None:
        peak_all = max(peak_all, tree_rss(proc.pid))
        time.sleep(0.1)
    out = proc.stdout.read() if proc.stdout else ""
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, proc.args, out)
    run = json.loads(out.strip().splitlines()[-1])
    single_after, together_after = raw_rates(cores, args.raw_seconds)
    print(
        f"raw Ed25519 verify after: {single_after:,.0f}/s on one core, {together_after:,.0f}/s on {cores} cores",
        flush=True,
    )
    if not run["ok"]:
        print(f"verification FAILED: {run['problems']}")
        return 1
    rate = run["ballots"] / run["wall_s"]
    ideal = single * cores
    mib = 1 << 20
    lines = [
        f"| ledger | {run['entries']:,} entries, {run['ballots']:,} signed ballots (city shape) |",
        f"| machine | {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()} |",
        f"| raw Ed25519 verify, before | {single:,.0f}/s one core alone; {together:,.0f}/s on {cores} cores at once |",
        f"| raw Ed25519 verify, after | {single_after:,.0f}/s one core alone; {together_after:,.0f}/s on {cores} cores at once |",
        f"| `simsa verify DIR`, {cores} workers | {run['wall_s']:,.1f} s wall: **{rate:,.0f} ballots/s** |",
        f"| against raw × cores | **{rate / ideal:.2f}×** of {ideal:,.0f}/s (before); {rate / (single_after * cores):.2f}× "
        f"of the rate after; {rate / together:.2f}× of the all-cores rate |",
        f"| CPU | main {run['main_cpu_s']:,.0f} s ({run['main_cpu_s'] / run['entries'] * 1e6:.0f} µs/entry), "
        f"workers {run['worker_cpu_s']:,.0f} s ({run['worker_cpu_s'] / run['entries'] * 1e6:.0f} µs/entry) |",
        f"| peak memory | main {run['main_peak_rss'] / mib:,.0f} MiB, each worker ≤ {run['worker_peak_rss'] / mib:,.0f} MiB |",
        f"| peak memory, all processes together | **{peak_all / mib:,.0f} MiB** (resident, summed over the process "
        f"tree, sampled every 0.1 s) |",
    ]
    print("| | |\n|---|---|")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
