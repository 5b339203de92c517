"""Dashboard page times at the KINTEX 2017 scale, against a real ``simsa server``: the day's
on-site rubric ballots (11,336, from 40 kiosks, one kiosk holding back its last batch so
the pages show a gap) plus online approval ballots, then every staff page, the live stamp
and the public pages, before and after the event is closed.

    .venv/bin/python -m bench.dashboard_pages [--online 3000]

Prints, per page, the first request (which may replay the ledger into memory) and the
median of the next three, with the page size.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import requests

from client import LedgerClient
from shared.ballot import approval_ballot
from shared.encoding import jcs
from shared.timefmt import format_time
from simsa.live import ONE_CLIENT_IS_A_VENUE, add_staff, start_server

from .server_event import kiosk_batches, make_event, seed_key

STAFF = ("bench", "bench-password-1")


def timed(s: requests.Session, url: str, n: int = 4, headers: dict[str, str] | None = None) -> tuple[float, float, int]:
    times = []
    size = 0
    for _ in range(n):
        t = time.perf_counter()
        r = s.get(url, timeout=120, headers=headers)
        times.append(time.perf_counter() - t)
        r.raise_for_status()
        size = len(r.content)
    return times[0], statistics.median(times[1:]), size


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--online", type=int, default=3000, help="online approval ballots to add")
    args = ap.parse_args(argv)
    d = Path(tempfile.mkdtemp(prefix="simsa-dash-")) / "event"
    ev = make_event(d)
    keys, bodies = kiosk_batches(ev, 40)
    add_staff(d, None, *STAFF)
    srv = start_server(d, env=ONE_CLIENT_IS_A_VENUE)
    try:
        s = requests.Session()  # the pages (HTML) are timed raw; the API through the client
        api = LedgerClient.for_url(srv.url, agent="simsa-bench", timeout=(5.0, 300.0))
        token = api.staff_login(*STAFF)
        for kid, key in keys.items():
            body = {"kiosk": kid, "public_key": key.public_b64u, "registered_at": "2026-01-01T00:00:00Z"}
            api.register({**body, "sig": key.sign_b64u(jcs(body))})
            api.approve_kiosk(token, kid)
        for kid, mine in zip(keys, bodies, strict=True):
            for b in mine[:-1] if kid == "kiosk-03" else mine:
                api.post_batch(kid, b)
        m = ev.manifest
        now = format_time(datetime.now(UTC).replace(microsecond=0))
        rng = random.Random(3)
        for r in [r for r, x in sorted(m.reviewers.items()) if x.role == "member"][: args.online]:
            g = sorted(m.assignments[r])[0]
            ok = [p for p in m.groups[g] if m.proposals[p].community != m.reviewers[r].community]
            ballot = approval_ballot(event=m.event, reviewer=r, channel="online", kiosk=None, created_at=now,
                                     nonce=str(uuid.uuid4()), group=g, choices=rng.sample(ok, min(6, len(ok))))
            api.post_ballot({"ballot": ballot, "sig": seed_key("reviewer " + r).sign_b64u(jcs(ballot))})
        size = api.sth()["tree_size"]
        print(f"ledger: {size} entries, {len(m.proposals)} proposals, {len(m.reviewers)} reviewers, 40 kiosks")
        rid = next(iter(sorted(m.reviewers)))
        pages = ["/staff/", "/staff/kiosks", "/staff/kiosks/kiosk-03", "/staff/conflicts", "/staff/rejections",
                 f"/staff/reviewers?id={rid}", "/staff/close", "/staff/live", "/ledger", "/verify"]
        for p in pages:
            first, median, n = timed(s, srv.url + p)
            print(f"{p:32s} first {first * 1000:7.0f} ms   then {median * 1000:6.0f} ms   {n // 1024:5d} KB")
        # what live.js fetches when the stamp changes (the charts left out)
        first, median, n = timed(s, srv.url + "/staff/close", headers={"X-Simsa-Live": "1"})
        print(f"{'/staff/close (live refresh)':32s} first {first * 1000:7.0f} ms   then {median * 1000:6.0f} ms   {n // 1024:5d} KB")
        api.staff("POST", "/api/v1/staff/close", {"event": m.event, "reason": "bench: kiosks left open"})
        for p in ["/staff/close", "/results"]:
            first, median, n = timed(s, srv.url + p)
            print(f"{p + ' (closed)':32s} first {first * 1000:7.0f} ms   then {median * 1000:6.0f} ms   {n // 1024:5d} KB")
    finally:
        srv.stop()


if __name__ == "__main__":
    main()
