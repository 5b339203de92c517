"""Issue 10: the server refuses strangers cheaply, early and in bounded space — one test per
finding that failed before (the live flood is tests/server/test_abuse.py)."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from server.app import create_app
from server.counting import MAX_BATCH_CONTAINERS, containers
from server.db.schema import kiosks, rejections
from server.guards import TrustedProxies, guards_of
from server.services.refusals import MAX_STORED_BODY, flush_anonymous
from server.settings import Settings
from server.throttle import Gate, Limited, Window
from shared.ballot import MAX_SIGNED_BALLOT_BYTES
from shared.chain import MAX_BATCH_RECORDS
from shared.encoding import b64u, sha256
from tests.server.conftest import Harness, make_settings
from tests.server.kit import Ballots, Kiosk
from tests.support.events import EventFiles


@pytest.fixture
def tight(mini_event: EventFiles, db: tuple[str, str]) -> Iterator[Harness]:
    """The app with small limits, so a test can reach each one in a few requests."""
    url, token = db
    app = create_app(make_settings(mini_event.dir, url, ballots_per_reviewer_minute=5, registrations_per_address_hour=3,
                                   max_pending_kiosks=4))
    with TestClient(app) as client:
        yield Harness(client, app.state.ctx, mini_event, token)


def _count(h: Harness, table: Any = rejections) -> int:
    with h.ctx.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


# --- finding 2: the anonymous CPU lever --------------------------------------------------


def test_batch_limit_is_sized_to_the_largest_honest_batch(ballots: Ballots) -> None:
    largest = MAX_BATCH_RECORDS * (MAX_SIGNED_BALLOT_BYTES + 128) + 1024
    default = Settings.model_fields["max_batch_bytes"].default
    assert largest <= default <= 4 * 1024 * 1024  # was 8 MiB: twice what any kiosk sends
    k = Kiosk("k1")  # a full batch of the longest comments — even with Python's escapes (kiosks send JCS)
    rep = ballots.reps()[0]
    for _ in range(MAX_BATCH_RECORDS):
        k.add(ballots.rubric(rep, edit={"comment": "가" * 500}))
    raw = json.dumps(k.batch()).encode()  # \uXXXX escapes: 6 bytes a character
    assert len(raw) <= default and containers(raw) <= MAX_BATCH_CONTAINERS


def test_a_batch_of_empty_objects_is_refused_before_it_is_parsed(srv: Harness) -> None:
    k = Kiosk("k1")
    srv.enrol(k)
    body = b'{"kiosk":"k1","records":[' + b",".join([b"{}"] * 300_000) + b'],"head":{}}'
    assert containers(body) > MAX_BATCH_CONTAINERS
    r = srv.client.post("/api/v1/kiosks/k1/batches", content=body, headers={"content-type": "application/json"})
    assert (r.status_code, r.json()["code"]) == (400, "malformed"), r.text
    assert "JSON objects and arrays" in r.json()["detail"]
    # a string full of braces is not counted: it builds no objects
    assert containers(b'{"a":"' + b"{[" * 10_000 + b'\\"{"}') == 1


def test_an_unknown_or_pending_kiosk_is_refused_from_its_path(srv: Harness) -> None:
    garbage = b'{"kiosk":"x","records":[' + b",".join([b"{}"] * 1000) + b"]}"
    for kiosk in ("nosuch", "k9"):
        if kiosk == "k9":
            assert srv.client.post("/api/v1/kiosks", json=Kiosk("k9").registration()).status_code == 202
        r = srv.client.post(f"/api/v1/kiosks/{kiosk}/batches", content=garbage, headers={"content-type": "application/json"})
        assert (r.status_code, r.json()["code"]) == (403, "unknown_kiosk"), r.text


# --- finding 3: login as a lever ---------------------------------------------------------


def test_the_argon2_gate_bounds_running_and_waiting_checks() -> None:
    gate = Gate(running=1, queued=1, retry_after_s=2)
    release = threading.Event()
    entered: list[str] = []

    def hold(tag: str) -> None:
        with gate:
            entered.append(tag)
            release.wait(10)

    first = threading.Thread(target=hold, args=("a",))
    first.start()
    while not entered:
        release.wait(0.01)
    second = threading.Thread(target=hold, args=("b",))  # waits in the queue
    second.start()
    for _ in range(200):
        if gate._inside == 2:
            break
        release.wait(0.01)
    with pytest.raises(Limited) as exc, gate:
        pass
    assert exc.value.retry_after == 2
    release.set()
    first.join(10)
    second.join(10)
    assert entered == ["a", "b"]
    with gate:  # free again
        pass


def test_throttle_tables_stay_bounded_and_keep_the_key_under_attack() -> None:
    w = Window(limit=3, window_s=60, max_keys=100)
    for _ in range(3):
        w.add("attacker", 0.0)
    for i in range(10_000):
        w.add(f"spray-{i}", 1.0)
        if i % 50 == 0:
            assert w.wait("attacker", 1.0) > 0  # recently seen: never evicted
    assert len(w) <= 100


def test_a_stranger_cannot_lock_out_a_staff_member(srv: Harness) -> None:
    for _ in range(6):  # the old per-(name, address) throttle locked the name out after five
        srv.client.post("/api/v1/staff/login", json={"name": "alice", "password": "wrong-wrong"})
    throttle = guards_of(srv.ctx).login
    for _ in range(20):  # and a stranger keeps failing alice's name from elsewhere
        throttle.failed("alice", "198.51.100.9", time.monotonic())
    r = srv.client.post("/api/v1/staff/login", json={"name": "alice", "password": "alice-password"})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) <= 30  # a bounded backoff …
    throttle.account._fails["alice"].last -= 30  # … 30 s later …
    r = srv.client.post("/api/v1/staff/login", json={"name": "alice", "password": "alice-password"})
    assert r.status_code == 200  # … alice is in: not a lockout


def test_a_rotating_x_forwarded_for_does_not_bypass_the_address_limit(srv: Harness) -> None:
    for i in range(30):
        r = srv.client.post("/api/v1/staff/login", json={"name": f"nobody-{i}", "password": "guess-guess"},
                            headers={"X-Forwarded-For": f"203.0.113.{i}"})
        assert r.status_code == 401
    r = srv.client.post("/api/v1/staff/login", json={"name": "nobody-x", "password": "guess-guess"},
                        headers={"X-Forwarded-For": "198.51.100.7"})
    assert (r.status_code, r.json()["code"]) == (429, "too_many_attempts")


async def _client_seen(settings: Settings, peer: str, headers: list[tuple[bytes, bytes]]) -> tuple[str, str]:
    seen: dict[str, Any] = {}

    async def app(scope: Any, _receive: Any, _send: Any) -> None:
        seen.update(scope)

    scope = {"type": "http", "client": (peer, 5000), "scheme": "http", "headers": headers}
    await TrustedProxies(app, settings)(scope, None, None)  # type: ignore[arg-type]
    return seen["client"][0], seen["scheme"]


def test_forwarded_headers_count_only_from_a_trusted_proxy(mini_event: EventFiles) -> None:
    import asyncio

    fwd = [(b"x-forwarded-for", b"198.51.100.7, 10.0.0.5"), (b"x-forwarded-proto", b"https")]
    none = Settings(event_dir=mini_event.dir)
    assert asyncio.run(_client_seen(none, "127.0.0.1", fwd)) == ("127.0.0.1", "http")
    trusting = Settings(event_dir=mini_event.dir, trusted_proxies="127.0.0.1, 10.0.0.0/8")
    assert asyncio.run(_client_seen(trusting, "127.0.0.1", fwd)) == ("198.51.100.7", "https")
    assert asyncio.run(_client_seen(trusting, "192.0.2.1", fwd)) == ("192.0.2.1", "http")  # not a proxy of ours
    with pytest.raises(ValueError, match="trusted_proxies"):
        Settings(event_dir=mini_event.dir, trusted_proxies="proxy.example")


# --- finding 4: anonymous disk fill and the live stamp -----------------------------------


def test_garbage_ballots_are_kept_short_rate_limited_and_do_not_move_the_live_stamp(srv: Harness) -> None:
    fixed = srv.ctx.ledger.clock()
    srv.ctx.ledger.clock = lambda: fixed  # one minute of refusals, whatever the wall clock does
    stamp = srv.client.get("/staff/live", headers=srv.staff).json()["v"]
    before = _count(srv)
    garbage = b"x" * (60 * 1024)
    for _ in range(40):
        r = srv.client.post("/api/v1/ballots", content=garbage, headers={"content-type": "application/json"})
        assert (r.status_code, r.json()["code"]) == (400, "malformed")
    assert _count(srv) - before == srv.ctx.settings.refusals_per_source_minute  # 10, not 40
    with srv.ctx.db.read() as conn:
        row = conn.execute(select(rejections).order_by(rejections.c.id.desc()).limit(1)).one()
    assert row.ballot_id == b64u(sha256(garbage)) and len(row.body) == MAX_STORED_BODY
    assert srv.client.get("/staff/live", headers=srv.staff).json()["v"] == stamp
    flush_anonymous(srv.ctx, force=True)  # the minute is over: the rest as one summary row
    kept = srv.client.get("/api/v1/staff/rejections?limit=1", headers=srv.staff).json()["rejections"][0]
    assert kept["detail"].startswith("30 more refusals like this from testclient")


# --- finding 5: floods of ballots and registrations --------------------------------------


def test_one_reviewer_gets_a_bounded_number_of_ballots_per_target(srv: Harness, ballots: Ballots) -> None:
    member = ballots.members()[0]
    limit = srv.ctx.manifest.max_per_target
    assert limit == 3
    codes = []
    for _ in range(limit + 2):
        r = srv.client.post("/api/v1/ballots", json=ballots.approval(member))
        codes.append(r.status_code if r.status_code != 422 else r.json()["code"])
    assert codes == [201] * limit + ["too_many_ballots"] * 2


def test_one_reviewer_gets_a_bounded_number_of_ballots_per_minute(tight: Harness, ballots: Ballots) -> None:
    statuses = []
    for member in ballots.members()[:1]:
        groups = sorted(tight.ctx.manifest.assignments[member])
        assert groups
        for _ in range(7):
            r = tight.client.post("/api/v1/ballots", json=ballots.approval(member))
            statuses.append(r.status_code)
    assert statuses.count(429) >= 2 and 429 in statuses[5:]  # five a minute in this app
    r = tight.client.post("/api/v1/ballots", json=ballots.approval(ballots.members()[1]))
    assert r.status_code == 201  # another reviewer is not held back
    last = tight.client.post("/api/v1/ballots", json=ballots.approval(ballots.members()[0]))
    assert last.json()["code"] == "rate_limited" and int(last.headers["Retry-After"]) >= 1


def test_a_ballot_sent_again_gets_its_receipt_past_the_per_minute_limit(tight: Harness, ballots: Ballots) -> None:
    """Re-sends count toward the reviewer's minute (the request makes no read to tell them
    apart), but one past the limit is still answered with its original receipt — only a
    new ballot is limited."""
    member = ballots.members()[2]
    first = ballots.approval(member)
    r = tight.client.post("/api/v1/ballots", json=first)
    assert r.status_code == 201
    again = [tight.client.post("/api/v1/ballots", json=first) for _ in range(7)]  # five a minute here
    assert [a.status_code for a in again] == [200] * 7
    assert all(a.json() == r.json() for a in again)
    new = tight.client.post("/api/v1/ballots", json=ballots.approval(member))
    assert new.status_code == 429 and new.json()["code"] == "rate_limited"


def test_registrations_are_bounded_per_address_and_pending_ones_expire(tight: Harness) -> None:
    statuses = [tight.client.post("/api/v1/kiosks", json=Kiosk(f"r{i}").registration()).status_code for i in range(5)]
    assert statuses == [202, 202, 202, 429, 429]
    assert _count(tight, kiosks) == 3
    later = tight.ctx.clock() + timedelta(hours=25)
    tight.ctx.clock = lambda: later
    guards_of(tight.ctx).registrations = Window(3, 3600.0)  # an hour has passed for the limit too
    assert tight.client.post("/api/v1/kiosks", json=Kiosk("fresh").registration()).status_code == 202
    with tight.ctx.db.read() as conn:
        assert [r.id for r in conn.execute(select(kiosks.c.id))] == ["fresh"]


def test_staff_dismiss_a_pending_kiosk_from_the_kiosks_page(srv: Harness) -> None:
    for kid in ("spam1", "spam2"):
        assert srv.client.post("/api/v1/kiosks", json=Kiosk(kid).registration()).status_code == 202
    assert srv.client.post("/api/v1/staff/login", json={"name": "alice", "password": "alice-password"}).status_code == 200
    page = srv.client.get("/staff/kiosks", headers={"Accept-Language": "ko"}).text
    assert 'id="dismiss-spam1"' in page and "거절" in page
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf is not None
    assert srv.client.post("/staff/kiosks/spam1/dismiss", data={}, follow_redirects=False).status_code == 403
    r = srv.client.post("/staff/kiosks/spam1/dismiss", data={"csrf": csrf.group(1)}, follow_redirects=False)
    assert r.status_code == 303
    page = srv.client.get("/staff/kiosks").text
    assert 'id="dismiss-spam1"' not in page and 'id="dismiss-spam2"' in page
    r = srv.client.post("/api/v1/staff/kiosks/spam2/dismiss", headers=srv.staff)
    assert r.json() == {"kiosk": "spam2", "status": "dismissed"}
    k = Kiosk("k1")
    srv.enrol(k)
    r = srv.client.post("/api/v1/staff/kiosks/k1/dismiss", headers=srv.staff)
    assert (r.status_code, r.json()["code"]) == (409, "conflict")  # an enrolled kiosk is closed, not dismissed


def test_submissions_per_address_are_limited_before_the_body_is_read(mini_event: EventFiles, db: tuple[str, str]) -> None:
    app = create_app(make_settings(mini_event.dir, db[0], submit_per_address_minute=5,
                                   submit_bytes_per_address_minute=1024 * 1024))
    with TestClient(app) as client:
        codes = [client.post("/api/v1/ballots", content=b"{}", headers={"content-type": "application/json"}).status_code
                 for _ in range(6)]
        assert codes == [400] * 5 + [429]
        r = client.post("/api/v1/kiosks/k1/batches", content=b"{}", headers={"content-type": "application/json"})
        assert (r.status_code, r.json()["code"]) == (429, "rate_limited")
        assert int(r.headers["Retry-After"]) >= 1 and r.headers["connection"] == "close"
        assert client.get("/api/v1/ledger/sth").status_code == 200  # reading is not limited
    app = create_app(make_settings(mini_event.dir, db[0], submit_bytes_per_address_minute=1024 * 1024))
    with TestClient(app) as client:  # a byte budget: 1 MiB a minute here
        big = b"x" * (600 * 1024)
        first = client.post("/api/v1/kiosks/nosuch/batches", content=big, headers={"content-type": "application/json"})
        again = client.post("/api/v1/kiosks/nosuch/batches", content=big, headers={"content-type": "application/json"})
        assert (first.json()["code"], again.json()["code"]) == ("unknown_kiosk", "rate_limited")
