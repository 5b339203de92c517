"""Rule 11 by the server's clock (DESIGN §5): the client's ``created_at`` cannot move a
ballot into a closed window or ahead in time. In-process on both backends with the
ledger's clock injected, and against a real ``simsa server`` whose window closed yesterday."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from shared.encoding import jcs
from shared.replay import replay
from shared.timefmt import format_time
from tests.server.conftest import Harness
from tests.server.kit import Ballots, Kiosk, reviewer_keys
from tests.support.events import make_mini_event
from tests.support.live import start_server


@contextmanager
def server_clock(srv: Harness, at: datetime) -> Iterator[None]:
    real = srv.ctx.ledger.clock
    srv.ctx.ledger.clock = lambda: at
    try:
        yield
    finally:
        srv.ctx.ledger.clock = real


def post(srv: Harness, sb: dict[str, Any]) -> tuple[int, str | None]:
    r = srv.client.post("/api/v1/ballots", json=sb)
    assert r.status_code < 500, r.text
    return r.status_code, (r.json().get("code") if r.status_code >= 400 else None)


def entries(srv: Harness) -> list[dict[str, Any]]:
    size = srv.sth()["tree_size"]
    r = srv.client.get(f"/api/v1/ledger/entries?start=0&end={size}")
    return [e["entry"] for e in r.json()["entries"]]


def test_online_is_judged_by_the_time_the_server_received_it(srv: Harness, ballots: Ballots) -> None:
    m = ballots.manifest
    end, tol = m.windows["online"].end, timedelta(seconds=m.clock_tolerance_s)
    members = ballots.members()
    # inside the window, created within the tolerance either side: accepted
    mid = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    with server_clock(srv, mid):
        assert post(srv, ballots.approval(members[0], created_at=format_time(mid - tol))) == (201, None)
        assert post(srv, ballots.approval(members[1], created_at=format_time(mid + tol))) == (201, None)
        # a second more either way, or seven days ahead: refused
        assert post(srv, ballots.approval(members[2], created_at=format_time(mid - tol - timedelta(seconds=1)))) == (422, "outside_window")
        assert post(srv, ballots.approval(members[2], created_at=format_time(mid + tol + timedelta(seconds=1)))) == (422, "outside_window")
        assert post(srv, ballots.approval(members[2], created_at=format_time(mid + timedelta(days=7)))) == (422, "outside_window")
    # received at the last second of the window: accepted; a second later: refused
    with server_clock(srv, end):
        assert post(srv, ballots.approval(members[3], created_at=format_time(end))) == (201, None)
    with server_clock(srv, end + timedelta(seconds=1)):
        assert post(srv, ballots.approval(members[4], created_at=format_time(end))) == (422, "outside_window")
    # the window closed yesterday; a ballot dated inside it is refused
    with server_clock(srv, end + timedelta(days=1)):
        assert post(srv, ballots.approval(members[5], created_at=format_time(end - timedelta(hours=2)))) == (422, "outside_window")
    kept = srv.client.get("/api/v1/staff/rejections?code=outside_window", headers=srv.staff).json()["rejections"]
    assert len(kept) == 5
    assert len(replay(entries(srv)).accepted) == 3  # the auditor's replay agrees


def test_a_kiosk_cannot_sign_after_the_server_saw_the_record(srv: Harness, ballots: Ballots) -> None:
    m = ballots.manifest
    tol = timedelta(seconds=m.clock_tolerance_s)
    k = Kiosk("k1")
    srv.enrol(k)
    reps = ballots.reps()
    at = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    k.add(ballots.rubric(reps[0], created_at=format_time(at + tol)))  # clock ahead, within tolerance
    k.add(ballots.rubric(reps[1], created_at=format_time(at + tol + timedelta(seconds=1))))
    k.add(ballots.rubric(reps[2], created_at=format_time(at + timedelta(days=7))))
    k.add(ballots.rubric(reps[3], created_at=format_time(at - timedelta(hours=1))))
    with server_clock(srv, at):
        r = srv.sync(k)
    assert r.status_code == 200, r.text
    got = [(x["status"], x["code"]) for x in r.json()["results"]]
    assert got == [("accepted", None), ("rejected", "outside_window"), ("rejected", "outside_window"), ("accepted", None)]
    assert r.json()["synced_seq"] == 4  # the chain goes on past the refused records
    st = replay(entries(srv))
    assert len(st.accepted) == 2 and [c for _, c, _, _ in st.rejected] == ["outside_window"] * 2


def _post(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(url + "/api/v1/ballots", data=jcs(body), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_live_server_refuses_a_closed_window_and_a_ballot_from_the_future(tmp_path: Path) -> None:
    """A real ``simsa server`` on an event whose online window closed yesterday (finding 1)."""
    now = datetime.now(UTC).replace(microsecond=0)
    event = make_mini_event(tmp_path / "event", now=now - timedelta(days=8))  # window: 8 days ago, for 7 days
    from shared.manifest import verify_signed_manifest

    m = verify_signed_manifest(json.loads(event.manifest_path.read_text()))
    assert m.windows["online"].end < now - timedelta(hours=23)
    b = Ballots(m, reviewer_keys(event, m))
    member = b.members()[0]
    with start_server(event.dir) as live:
        inside = format_time(m.windows["online"].end - timedelta(hours=1))
        status, body = _post(live.url, b.approval(member, created_at=inside))
        assert (status, body["code"]) == (422, "outside_window"), body
        status, body = _post(live.url, b.approval(member, created_at=format_time(now + timedelta(days=7))))
        assert (status, body["code"]) == (422, "outside_window"), body
