"""Staff: login, strangers refused on every staff route, signed statements naming the
staff member, conflicts and resolutions, revocations (staff and authority), close, results."""

from __future__ import annotations

import csv
import io

from shared.encoding import jcs
from shared.ledger import verify_statement_entry
from shared.tally import results_hash
from tests.server.conftest import Harness
from tests.server.kit import Ballots, Kiosk, now

STAFF_ROUTES = [
    ("POST", "/api/v1/staff/logout"),
    ("GET", "/api/v1/staff/me"),
    ("GET", "/api/v1/staff/overview"),
    ("GET", "/api/v1/staff/kiosks"),
    ("GET", "/api/v1/staff/conflicts"),
    ("GET", "/api/v1/staff/rejections"),
    ("GET", "/api/v1/staff/reviewers/rep-01"),
    ("POST", "/api/v1/staff/kiosks/k1/approve"),
    ("POST", "/api/v1/staff/kiosks/k1/close"),
    ("POST", "/api/v1/staff/bundles"),
    ("POST", "/api/v1/staff/resolutions"),
    ("POST", "/api/v1/staff/revocations"),
    ("POST", "/api/v1/staff/revocations/import"),
    ("POST", "/api/v1/staff/close"),
]


def test_every_staff_route_refuses_strangers(srv: Harness) -> None:
    paths = srv.client.get("/openapi.json").json()["paths"]
    listed = {(m.upper(), p) for p, ops in paths.items() for m in ops if p.startswith("/api/v1/staff/")}
    listed.discard(("POST", "/api/v1/staff/login"))
    routes = {(m, p.replace("{kiosk}", "k1").replace("{reviewer}", "rep-01")) for m, p in listed}
    assert set(STAFF_ROUTES) <= routes
    before = srv.sth()
    for method, path in sorted(routes):  # every staff API route the app serves, whoever added it
        for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Cookie": "simsa_session=forged"}):
            r = srv.client.request(method, path, json={}, headers=headers)
            assert r.status_code == 401, (method, path, r.text)
            assert r.json()["code"] == "unauthorized"
            assert r.headers["content-type"].startswith("application/problem+json")
    assert srv.sth() == before


def test_login_logout_and_cookie_sessions(srv: Harness) -> None:
    r = srv.client.post("/api/v1/staff/login", json={"name": "alice", "password": "wrong-password"})
    assert (r.status_code, r.json()["code"]) == (401, "bad_credentials")
    r = srv.client.post("/api/v1/staff/login", json={"name": "nobody", "password": "alice-password"})
    assert r.status_code == 401
    r = srv.client.post("/api/v1/staff/login", json={"name": "alice"})
    assert (r.status_code, r.json()["code"]) == (400, "malformed")
    r = srv.client.post("/api/v1/staff/login", json={"name": "alice", "password": "alice-password"})
    assert r.status_code == 200 and "simsa_session" in r.cookies
    token = r.json()["token"]
    assert srv.client.get("/api/v1/staff/me").json()["staff"] == "alice"  # by cookie
    # a cookie-authenticated change from another site is refused; from this site it works
    r = srv.client.post("/api/v1/staff/revocations", json={"reviewer": "rep-01", "reason": "x"}, headers={"Origin": "http://evil.example"})
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")
    r = srv.client.post("/api/v1/staff/revocations", json={"reviewer": "rep-01", "reason": "x"}, headers={"Origin": "http://testserver"})
    assert r.status_code == 200
    assert srv.client.post("/api/v1/staff/logout").status_code == 200
    srv.client.cookies.clear()
    assert srv.client.get("/api/v1/staff/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_staff_pages_redirect_strangers_to_the_login(srv: Harness) -> None:
    r = srv.client.get("/staff/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/staff/login")


def _statement(srv: Harness, index: int) -> dict:  # type: ignore[type-arg]
    entry = srv.client.get(f"/api/v1/ledger/entries?start={index}&end={index + 1}").json()["entries"][0]["entry"]
    m = srv.ctx.manifest
    st = verify_statement_entry(entry, event=m.event, authority_key=m.authority_key)
    return {"entry": entry, "body": st.body, "role": st.signer_role, "id": st.signer_id}


def test_revocations_by_staff_and_by_the_authority(srv: Harness, ballots: Ballots) -> None:
    r = srv.client.post("/api/v1/staff/revocations", json={"reviewer": "mem-01-1", "reason": "카드 분실"}, headers=srv.staff)
    assert r.status_code == 200
    s = _statement(srv, r.json()["index"])
    assert (s["role"], s["id"], s["body"]["staff"], s["body"]["reviewer"]) == ("staff", "alice", "alice", "mem-01-1")
    again = srv.client.post("/api/v1/staff/revocations", json={"reviewer": "mem-01-1", "reason": "again"}, headers=srv.staff)
    assert again.json()["index"] == r.json()["index"] and again.json()["new"] is False
    assert srv.client.post("/api/v1/staff/revocations", json={"reviewer": "ghost", "reason": "x"}, headers=srv.staff).status_code == 404
    authority = srv.event.authority()
    st = {"type": "revocation", "event": "mini", "reviewer": "mem-01-2", "reason": "organiser", "at": now()}
    signed = {"statement": st, "sig": authority.sign_b64u(jcs(st))}
    r = srv.client.post("/api/v1/staff/revocations/import", json=signed, headers=srv.staff)
    assert r.status_code == 200, r.text
    s = _statement(srv, r.json()["index"])
    assert (s["role"], s["body"]["reviewer"]) == ("authority", "mem-01-2")
    forged = {"statement": {**st, "reviewer": "mem-01-3"}, "sig": srv.ctx.event.ledger_key.sign_b64u(jcs({**st, "reviewer": "mem-01-3"}))}
    r = srv.client.post("/api/v1/staff/revocations/import", json=forged, headers=srv.staff)
    assert (r.status_code, r.json()["code"]) == (400, "bad_signature")
    assert srv.client.get("/api/v1/revocations").json()["revoked"] == ["mem-01-1", "mem-01-2"]
    r = srv.client.post("/api/v1/ballots", json=ballots.approval("mem-01-2"))
    assert r.json()["code"] == "revoked_credential"


def test_conflicts_resolution_close_and_results(srv: Harness, ballots: Ballots) -> None:
    rep = ballots.reps()[0]
    k = Kiosk("k1")
    srv.enrol(k)
    first, second = ballots.rubric(rep, "p02"), ballots.rubric(rep, "p02", scores={c.id: c.max for c in ballots.manifest.rubric})
    k.add(first)
    k.add(second)
    srv.sync(k)
    member = ballots.members()[0]
    for _ in range(2):
        assert srv.client.post("/api/v1/ballots", json=ballots.approval(member)).status_code == 201
    conflicts = srv.client.get("/api/v1/staff/conflicts", headers=srv.staff).json()["conflicts"]
    assert {(c["reviewer"], c["target"]) for c in conflicts} == {(rep, "p02"), (member, "g1")}
    c = next(c for c in conflicts if c["reviewer"] == rep)
    first_id = c["ballots"][0]["id"]
    assert c["resolved"] is None and c["effective"] == c["ballots"][1]["id"]  # the later one by policy
    r = srv.client.post("/api/v1/staff/resolutions", json={"reviewer": rep, "target": "p02", "ballot": first_id, "reason": "심사위원 확인"}, headers=srv.staff)
    assert r.status_code == 200, r.text
    s = _statement(srv, r.json()["index"])
    assert (s["body"]["ballot"], s["body"]["staff"]) == (first_id, "alice")
    c = next(c for c in srv.client.get("/api/v1/staff/conflicts", headers=srv.staff).json()["conflicts"] if c["reviewer"] == rep)
    assert c["resolved"] == first_id == c["effective"]
    r = srv.client.post("/api/v1/staff/resolutions", json={"reviewer": rep, "target": "p03", "ballot": first_id, "reason": "x"}, headers=srv.staff)
    assert r.status_code == 404
    lookup = srv.client.get(f"/api/v1/staff/reviewers/{rep}", headers=srv.staff).json()
    assert next(b["id"] for b in lookup["ballots"]) == first_id and lookup["conflicts"]
    overview = srv.client.get("/api/v1/staff/overview", headers=srv.staff).json()
    assert overview["ballots"] == {"kiosk": 2, "online": 2} and overview["conflicts"] == {"total": 2, "resolved": 1}

    assert (srv.client.get("/api/v1/results").status_code, srv.client.get("/api/v1/results").json()["code"]) == (404, "not_closed")
    assert srv.client.get("/api/v1/results.csv").status_code == 404
    assert srv.client.post("/api/v1/staff/close", json={"event": "other"}, headers=srv.staff).status_code == 400
    r = srv.client.post("/api/v1/staff/close", json={"event": "mini"}, headers=srv.staff)
    assert r.status_code == 200
    s = _statement(srv, r.json()["index"])
    published = srv.client.get("/api/v1/results").json()
    assert s["body"]["results_hash"] == published["results_hash"] == results_hash(published["results"])
    p02 = next(p for p in published["results"]["proposals"] if p["id"] == "p02")
    assert p02["kiosk"]["ballots"] == 1 and p02["kiosk"]["score"] == 50.0  # the resolved first ballot (half marks)
    rows = list(csv.DictReader(io.StringIO(srv.client.get("/api/v1/results.csv").text)))
    assert len(rows) == len(ballots.manifest.proposals) and next(r for r in rows if r["proposal"] == "p02")["kiosk_score"] == "50.0"
    for path, body in [("/api/v1/staff/close", {"event": "mini"}), ("/api/v1/staff/revocations", {"reviewer": "rep-02", "reason": "x"}),
                       ("/api/v1/staff/resolutions", {"reviewer": rep, "target": "p02", "ballot": first_id, "reason": "x"})]:
        r = srv.client.post(path, json=body, headers=srv.staff)
        assert (r.status_code, r.json()["code"]) == (409, "event_closed"), path
    r = srv.client.post("/api/v1/kiosks", json=Kiosk("late").registration())
    assert r.status_code == 202  # registering is harmless; approving is not possible
    assert srv.client.post("/api/v1/staff/kiosks/late/approve", headers=srv.staff).json()["code"] == "event_closed"


def test_bundle_import_is_a_sync(srv: Harness, ballots: Ballots) -> None:
    k = Kiosk("k1")
    srv.enrol(k)
    for rep in ballots.reps()[:3]:
        k.add(ballots.rubric(rep))
    r = srv.client.post("/api/v1/staff/bundles", json=k.batch(), headers=srv.staff)
    assert r.status_code == 200 and [x["status"] for x in r.json()["results"]] == ["accepted"] * 3
    r = srv.client.post("/api/v1/kiosks/k1/batches", json=k.batch())
    assert [x["status"] for x in r.json()["results"]] == ["duplicate"] * 3
    assert srv.client.post("/api/v1/staff/bundles", json=[1], headers=srv.staff).json()["code"] == "malformed"


def test_actions_on_unknown_kiosks(srv: Harness) -> None:
    for path in ["/api/v1/staff/kiosks/nope/approve", "/api/v1/staff/kiosks/nope/close"]:
        r = srv.client.post(path, headers=srv.staff)
        assert (r.status_code, r.json()["code"]) == (404, "not_found")


def test_login_is_throttled_after_five_wrong_passwords(srv: Harness) -> None:
    name = f"mallory-{srv.sth()['timestamp']}"  # a name of its own: the throttle lives in the process
    for _ in range(5):
        r = srv.client.post("/api/v1/staff/login", json={"name": name, "password": "guess-guess"})
        assert r.status_code == 401
    r = srv.client.post("/api/v1/staff/login", json={"name": name, "password": "guess-guess"})
    assert (r.status_code, r.json()["code"]) == (429, "too_many_attempts")
    assert 0 < r.json()["retry_after"] <= 301
    # another name from the same address is not affected
    r = srv.client.post("/api/v1/staff/login", json={"name": "alice", "password": "alice-password"})
    assert r.status_code == 200


def test_login_throttle_window() -> None:
    from server.services.staff import LoginThrottle, LoginThrottled

    t = LoginThrottle(limit=3, window_s=60)
    for k in range(3):
        t.check("bob", "10.0.0.9", 100.0 + k)
        t.failed("bob", "10.0.0.9", 100.0 + k)
    try:
        t.check("bob", "10.0.0.9", 110.0)
    except LoginThrottled as exc:
        assert exc.retry_after == 51
    else:
        raise AssertionError("a fourth try inside the window was allowed")
    t.check("bob", "10.0.0.10", 110.0)  # another address
    t.check("bob", "10.0.0.9", 161.0)  # the first failure left the window
    t.succeeded("bob", "10.0.0.9")
    t.check("bob", "10.0.0.9", 162.0)
