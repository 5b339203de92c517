"""Benchmark: the online deadline rush of a city-shape event (issue 12).

    python -m bench.rush [--members 200000] [--seconds 20] [--connections 32 200]
                         [--db postgresql://… | --postgres] [--workers N]

A city-shape event (50 proposals, ``--members`` citizens, approval form; reviewer keys from
fixed seeds) is written; online ballots are signed beforehand by :func:`independent_sign`,
a client that shares no code with the server's rules (``hashlib``, ``rfc8785`` and
``cryptography`` only, from the manifest JSON); a real ``simsa server`` (SQLite unless
``--db``; ``--workers`` API processes) takes them from an ``httpx`` load generator on
127.0.0.1 at each connection count, for ``--seconds`` each; then ``simsa verify`` checks
the whole ledger. Printed: ballots/s, p50/p99 latency, errors by status, and the raw
Ed25519 verify rate of one core (:mod:`bench.ed25519`'s loop) measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import os
import random
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

# --- the independent client: no simsa import below this line until the next section ----

def _b64u(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def _seed(reviewer: str) -> bytes:
    """The bench's reviewer key seed (what bench.citygen.reviewer_key derives), by hand."""
    return hashlib.sha256(b"simsa bench reviewer " + reviewer.encode()).digest()


def _sign_part(args: tuple[dict[str, Any], list[dict[str, Any]], str]) -> list[bytes]:
    import rfc8785
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    m, members, now = args
    props = {p["id"]: p for p in m["proposals"]}
    groups = {g["id"]: g["proposals"] for g in m["groups"]}
    out = []
    for r in members:
        group = m["assignments"][r["id"]][0]
        choices = [p for p in groups[group] if props[p]["community"] != r["community"]][:3]
        ballot = {"v": 1, "type": "ballot", "event": m["event"], "reviewer": r["id"], "channel": "online",
                  "kiosk": None, "created_at": now, "nonce": str(uuid.uuid4()), "form": "approval",
                  "group": group, "choices": choices}
        key = Ed25519PrivateKey.from_private_bytes(_seed(r["id"]))
        out.append(json.dumps({"ballot": ballot, "sig": _b64u(key.sign(rfc8785.dumps(ballot)))}).encode())
    return out


def independent_sign(manifest_path: Path, count: int, workers: int) -> list[bytes]:
    """``count`` online approval ballots of distinct members, as request bodies."""
    m = json.loads(manifest_path.read_text(encoding="utf-8"))["manifest"]
    members = [r for r in m["reviewers"] if r["role"] == "member"][:count]
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    slim = {k: m[k] for k in ("event", "proposals", "groups")}
    slim["assignments"] = {r["id"]: m["assignments"][r["id"]] for r in members}
    parts = [members[i : i + 5000] for i in range(0, len(members), 5000)]
    with ProcessPoolExecutor(workers) as pool:
        return [b for part in pool.map(_sign_part, [(slim, p, now) for p in parts]) for b in part]


# --- the event, the server, the load ----------------------------------------------------

def make_event(out: Path, members: int) -> Path:
    from bench.citygen import _publics
    from organiser.demo import city
    from organiser.writer import write_key
    from shared.encoding import sha256
    from shared.keys import SigningKey
    from shared.manifest import sign_manifest

    now = datetime.now(UTC)
    plan = city(now - timedelta(hours=1), random.Random(2019), members=members)
    plan.start, plan.end = now - timedelta(hours=1), now + timedelta(days=1)
    authority = SigningKey(sha256(b"simsa bench authority"))
    ledger = SigningKey(sha256(b"simsa bench ledger"))
    ids = [r.id for r in plan.reviewers]
    with ProcessPoolExecutor(os.cpu_count() or 1) as pool:
        parts = [ids[i : i + 10_000] for i in range(0, len(ids), 10_000)]
        pubs = [k for part in pool.map(_publics, parts) for k in part]
    signed = sign_manifest(plan.manifest(dict(zip(ids, pubs, strict=True)), authority.public_b64u, ledger.public_b64u), authority)
    out.mkdir(parents=True, exist_ok=True)
    (out / "manifest.json").write_text(json.dumps(signed, ensure_ascii=False), encoding="utf-8")
    write_key(out / "ledger.key", ledger)
    return out


def raw_verify_rate(seconds: float = 3.0) -> float:
    """Ed25519 verifications a second on one core: bench.ed25519's loop through
    ``shared.keys.signature_ok``, the call the server makes."""
    from bench.ed25519 import engines, items, rate

    data = items()
    return rate(engines(data)["verify: shared.keys.signature_ok (libsodium)"], data, seconds)


async def _load(url: str, bodies: list[bytes], connections: int, seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    status: Counter[int | str] = Counter()
    retry_after_missing = 0
    it = iter(bodies)
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        stop = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal retry_after_missing
            while time.perf_counter() < stop:
                body = next(it, None)
                if body is None:
                    return
                t = time.perf_counter()
                try:
                    r = await client.post("/api/v1/ballots", content=body, headers={"content-type": "application/json"})
                except httpx.HTTPError as exc:
                    status[type(exc).__name__] += 1
                    continue
                latencies.append(time.perf_counter() - t)
                status[r.status_code] += 1
                if r.status_code == 503 and "retry-after" not in r.headers:
                    retry_after_missing += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        wall = time.perf_counter() - t0
    ok = status[201]
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {"connections": connections, "wall_s": round(wall, 2), "accepted": ok, "rate": round(ok / wall, 1),
            "p50_ms": round(q[49] * 1000, 1), "p99_ms": round(q[98] * 1000, 1),
            "errors": {str(k): v for k, v in status.items() if k != 201}, "503_without_retry_after": retry_after_missing,
            "used": sum(status.values())}


#: wrk's script: one distinct pre-signed body a request, in file order (one wrk thread, so
#: one counter); every status counted in the thread's state and gathered by ``done`` (which
#: runs in another), and the latency percentiles printed as JSON.
WRK_LUA = r"""
local threads = {}
setup = function(thread) threads[#threads + 1] = thread end
init = function(args)
  bodies, i, status, owed = {}, 0, {}, 0
  honour = os.getenv("RUSH_HONOUR_RETRY_AFTER") == "1"
  for line in io.lines(os.getenv("RUSH_BODIES")) do bodies[#bodies + 1] = line end
end
-- A client told 503 + Retry-After waits that long before its next request, as the kiosk's
-- client does: each 503 makes one next request on this thread wait (wrk asks delay()
-- before every request), so as many requests wait as 503s came back.
delay = function()
  if owed > 0 then owed = owed - 1; return 1000 end
  return 0
end
wrk.method, wrk.headers["Content-Type"] = "POST", "application/json"
request = function()
  i = i + 1
  if i > #bodies then i = 1 end
  return wrk.format(nil, "/api/v1/ballots", nil, bodies[i])
end
response = function(s, headers, body)
  local k = tostring(s)
  if s == 503 and headers["Retry-After"] == nil and headers["retry-after"] == nil then k = "503-without-retry-after" end
  if s == 503 and honour then owed = owed + 1 end
  status[k] = (status[k] or 0) + 1
end
done = function(summary, latency, requests)
  local parts = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("status")) do parts[#parts + 1] = string.format('"%s": %d', k, v) end
  end
  io.write(string.format('WRK {"requests": %d, "seconds": %.3f, "p50_ms": %.1f, "p99_ms": %.1f, '
    .. '"socket_errors": %d, "status": {%s}}\n', summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    table.concat(parts, ", ")))
end
"""


def _wrk(url: str, bodies: list[bytes], connections: int, seconds: float, tmp: Path, honour: bool = True) -> dict[str, Any]:
    """``wrk`` (C, one thread, ``connections`` keep-alive connections) posting ``bodies``;
    ``honour``: a 503's Retry-After (1 s) delays a next request, as real clients wait."""
    path, script = tmp / f"bodies-{connections}.jsonl", tmp / "rush.lua"
    path.write_bytes(b"\n".join(bodies) + b"\n")
    script.write_text(WRK_LUA)
    r = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "30s",
                        "-s", str(script), url], capture_output=True, text=True, timeout=seconds + 120,
                       env={**os.environ, "RUSH_BODIES": str(path), "RUSH_HONOUR_RETRY_AFTER": "1" if honour else "0"})
    line = next((x for x in r.stdout.splitlines() if x.startswith("WRK ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{r.stdout}{r.stderr}")
    w = json.loads(line[4:])
    ok = int(w["status"].get("201", 0))
    errors = {k: v for k, v in w["status"].items() if k != "201"}
    if w["socket_errors"]:
        errors["socket"] = w["socket_errors"]
    return {"connections": connections, "loadgen": "wrk" if honour else "wrk, Retry-After ignored", "wall_s": round(w["seconds"], 2), "accepted": ok,
            "rate": round(ok / w["seconds"], 1), "p50_ms": w["p50_ms"], "p99_ms": w["p99_ms"], "errors": errors,
            "503_without_retry_after": int(w["status"].get("503-without-retry-after", 0)), "used": w["requests"]}


def run(args: argparse.Namespace) -> dict[str, Any]:
    from bench.server_ingest import group_cpu_seconds
    from simsa.live import ONE_CLIENT_IS_A_VENUE, REPO, SIMSA, start_server
    from simsa.live import server_env as _env

    tmp = Path(tempfile.mkdtemp(prefix="simsa-rush-"))
    t0 = time.monotonic()
    event = make_event(tmp / "event", args.members)
    print(f"event of {args.members:,} members written in {time.monotonic() - t0:.0f} s", flush=True)
    t0 = time.monotonic()
    need = min(args.members, int(args.ballots))
    bodies = independent_sign(event / "manifest.json", need, os.cpu_count() or 1)
    print(f"{len(bodies):,} ballots signed by the independent client in {time.monotonic() - t0:.0f} s", flush=True)
    env = {"SIMSA_VERIFY_WORKERS": "0", **ONE_CLIENT_IS_A_VENUE, **dict(kv.split("=", 1) for kv in args.set)}
    out: dict[str, Any] = {"members": args.members, "db": "postgresql" if args.db else "sqlite", "workers": args.workers}
    with start_server(event, db_url=args.db, env=env, log_path=tmp / "server.log", workers=args.workers) as srv:
        out["raw_verify_per_s"] = round(raw_verify_rate(), 0)
        runs = []
        used = 0
        for c in args.connections:
            cpu0 = group_cpu_seconds(srv.process.pid)
            if args.loadgen == "wrk":
                r = _wrk(srv.url, bodies[used:], c, args.seconds, tmp, honour=not args.ignore_retry_after)
            else:
                r = asyncio.run(_load(srv.url, bodies[used:], c, args.seconds))
            r["server_cpu_s"] = round(group_cpu_seconds(srv.process.pid) - cpu0, 1)
            used += r.pop("used") + c  # and the bodies of requests still in flight when wrk stopped
            r["x_raw_verify"] = round(r["rate"] / out["raw_verify_per_s"], 3)
            runs.append(r)
            print(json.dumps(r), flush=True)
        out["runs"] = runs
        t0 = time.monotonic()
        v = subprocess.run([*SIMSA, "verify", srv.url, "--no-state", "--json"], cwd=REPO, env=_env(None),
                           capture_output=True, text=True, timeout=3600)
        verdict = json.loads(v.stdout) if v.stdout.strip().startswith("{") else {"ok": False, "stderr": v.stderr[-500:]}
        out["verify"] = {"exit": v.returncode, "ok": verdict.get("ok"), "tree_size": verdict.get("tree_size"),
                         "seconds": round(time.monotonic() - t0, 1)}
    print(json.dumps(out, indent=1))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--members", type=int, default=200_000)
    ap.add_argument("--ballots", type=int, default=120_000, help="ballots signed beforehand (distinct members)")
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--connections", type=int, nargs="+", default=[32, 200])
    ap.add_argument("--db", help="a PostgreSQL URL (default: SQLite in a temporary folder)")
    ap.add_argument("--workers", type=int, default=1, help="API processes (simsa server --workers)")
    ap.add_argument("--loadgen", choices=["wrk", "httpx"], default="wrk" if shutil.which("wrk") else "httpx",
                    help="the load generator: wrk (C; apt-get install wrk) or httpx (Python, on the same cores)")
    ap.add_argument("--ignore-retry-after", action="store_true",
                    help="wrk sends again at once after a 503 (a flood), instead of waiting Retry-After as clients do")
    ap.add_argument("--set", action="append", default=[], metavar="SIMSA_NAME=VALUE",
                    help="a server setting for this run (e.g. SIMSA_ONLINE_IN_FLIGHT=64); repeatable")
    ap.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL cluster (fsync on) instead of SQLite")
    args = ap.parse_args(argv)
    cluster = None
    if args.postgres:
        from simsa.pgcluster import start_cluster

        cluster = start_cluster(durable=True)
        args.db = cluster.url(cluster.create_database(f"rush_w{args.workers}"))
    try:
        out = run(args)
    finally:
        if cluster is not None:
            cluster.stop()
    return 0 if out["verify"]["exit"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
