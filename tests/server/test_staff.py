"""Staff: login, strangers refused on every staff route, signed statements naming the
staff member, conflicts and resolutions, revocations (staff and authority), close, results;
disabling an account, re-enabling it and a new password (``simsa staff …`` beside the app)."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from argon2 import Type, extract_parameters
from sqlalchemy import select, update

from audit.source import HttpSource
from audit.verify import verify_ledger
from server.db.schema import staff as staff_table
from server.db.schema import staff_sessions
from server.services.staff import add_staff
from shared.encoding import jcs
from shared.ledger import verify_statement_entry
from shared.tally import results_hash
from simsa.cli import main
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


def _statement(srv: Harness, index: int) -> dict[str, Any]:
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
    assert srv.client.post("/api/v1/kiosks/k1/closure", json=k.closure()).json()["matches"] is True
    assert srv.client.post("/api/v1/staff/kiosks/k1/close", headers=srv.staff).json()["closure_included"] is True
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


def test_login_throttle_backs_off_per_account_and_counts_per_address() -> None:
    from server.services.staff import LoginThrottle, LoginThrottled

    t = LoginThrottle(per_address=8, window_s=60, free=3, cap_s=4)
    for k in range(3):
        t.check("bob", "10.0.0.9", 100.0 + k)
        t.failed("bob", "10.0.0.9", 100.0 + k)
    try:  # the account waits 1 s after its third failure, from any address …
        t.check("bob", "10.0.0.10", 102.5)
    except LoginThrottled as exc:
        assert exc.retry_after == 1
    else:
        raise AssertionError("a fourth try right after three failures was allowed")
    t.check("bob", "10.0.0.10", 103.0)  # … for 1 s only
    t.failed("bob", "10.0.0.10", 103.0)
    for k in range(2):
        t.failed("bob", "10.0.0.11", 110.0 + k)
    with_wait = [t.account.wait("bob", 111.0 + x) for x in (0, 3, 4)]
    assert with_wait == [4.0, 1.0, 0.0]  # 1, 2, 4 s … capped at 4 s: never a lockout
    t.succeeded("bob", "10.0.0.11")
    t.check("bob", "10.0.0.11", 111.0)
    for k in range(8):  # eight wrong passwords for eight names from one address
        t.failed(f"n{k}", "10.0.0.12", 120.0)
    try:
        t.check("carol", "10.0.0.12", 121.0)
    except LoginThrottled as exc:
        assert exc.retry_after == 59
    else:
        raise AssertionError("the address was not throttled across names")
    t.check("carol", "10.0.0.13", 121.0)  # another address is not
    t.check("carol", "10.0.0.12", 180.0)  # the window has passed


# --- disabling an account, re-enabling it, a new password -----------------------------


def _staff_cli(srv: Harness, *args: str) -> int:
    """``simsa staff ARGS`` on the live app's own database, as an operator runs it beside the server."""
    return main(["staff", *args, "--event", str(srv.event.dir), "--db", srv.ctx.settings.database_url])


def _new_member(srv: Harness, password: str = "volunteer-pw") -> str:
    """A member of the test's own (the login throttle lives in the process, keyed by name)."""
    name = f"vol-{uuid.uuid4().hex[:10]}"
    add_staff(srv.ctx.db, name, password)
    return name


def _login(srv: Harness, name: str, password: str) -> int:
    return srv.client.post("/api/v1/staff/login", json={"name": name, "password": password}).status_code


def _two_sessions(srv: Harness, name: str, password: str) -> tuple[str, str]:
    """Two logins: one token to send as a bearer token, one as the session cookie."""
    tokens = []
    for _ in range(2):
        r = srv.client.post("/api/v1/staff/login", json={"name": name, "password": password})
        assert r.status_code == 200, r.text
        tokens.append(r.json()["token"])
    srv.client.cookies.clear()
    return tokens[0], tokens[1]


def _answers(srv: Harness, bearer: str, cookie: str) -> tuple[int, int, str]:
    """The API by bearer token, the API by cookie, and where the dashboard sends the cookie."""
    by_bearer = srv.client.get("/api/v1/staff/me", headers={"Authorization": f"Bearer {bearer}"})
    by_cookie = srv.client.get("/api/v1/staff/me", headers={"Cookie": f"simsa_session={cookie}"})
    page = srv.client.get("/staff/", headers={"Cookie": f"simsa_session={cookie}"}, follow_redirects=False)
    where = page.headers["location"] if page.status_code == 303 else str(page.status_code)
    return by_bearer.status_code, by_cookie.status_code, where


def test_disable_ends_every_session_at_once_and_enable_lets_the_member_back(
    srv: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    name = _new_member(srv)
    bearer, cookie = _two_sessions(srv, name, "volunteer-pw")
    assert _answers(srv, bearer, cookie) == (200, 200, "200")
    before = srv.sth()
    capsys.readouterr()
    assert _staff_cli(srv, "disable", name) == 0
    assert capsys.readouterr().out == f"staff member {name} disabled; 2 sessions ended\n"
    # the very next request with either is refused; the dashboard sends the cookie to the login
    assert _answers(srv, bearer, cookie) == (401, 401, "/staff/login?next=/staff/")
    assert _login(srv, name, "volunteer-pw") == 401
    assert _staff_cli(srv, "disable", name) == 0
    assert capsys.readouterr().out == f"staff member {name} was disabled already; 0 sessions ended\n"
    assert _staff_cli(srv, "list") == 0
    assert f"{name} " in capsys.readouterr().out.split("(disabled)")[0]
    assert _staff_cli(srv, "enable", name) == 0
    assert capsys.readouterr().out == f"staff member {name} enabled; they can log in again\n"
    assert _answers(srv, bearer, cookie) == (401, 401, "/staff/login?next=/staff/")  # old sessions stay ended
    assert _login(srv, name, "volunteer-pw") == 200
    assert _staff_cli(srv, "enable", name) == 0
    assert capsys.readouterr().out == f"staff member {name} was enabled already\n"
    assert srv.sth() == before  # the ledger is not touched


def test_a_session_that_outlived_the_disabling_is_refused(srv: Harness) -> None:
    """Every request checks the account itself, not only whether the session row exists."""
    name = _new_member(srv)
    bearer, cookie = _two_sessions(srv, name, "volunteer-pw")
    with srv.ctx.db.write() as conn:  # disabled behind the service's back: the sessions survive
        conn.execute(update(staff_table).where(staff_table.c.name == name).values(disabled=True))
    assert _answers(srv, bearer, cookie) == (401, 401, "/staff/login?next=/staff/")
    r = srv.client.post("/api/v1/staff/revocations", json={"reviewer": "rep-01", "reason": "x"}, headers={"Authorization": f"Bearer {bearer}"})
    assert (r.status_code, r.json()["code"]) == (401, "unauthorized")
    assert _staff_cli(srv, "enable", name) == 0  # and re-enabling does not bring them back
    assert _answers(srv, bearer, cookie) == (401, 401, "/staff/login?next=/staff/")


def test_a_new_password_ends_the_sessions_and_replaces_the_old_one(srv: Harness, capsys: pytest.CaptureFixture[str]) -> None:
    name = _new_member(srv)
    bearer, cookie = _two_sessions(srv, name, "volunteer-pw")
    capsys.readouterr()
    assert _staff_cli(srv, "password", name, "--password", "short") == 1
    assert "at least 8 characters" in capsys.readouterr().err
    assert _answers(srv, bearer, cookie) == (200, 200, "200")  # a refused change changes nothing
    assert _staff_cli(srv, "password", name, "--password", "a-new-password") == 0
    assert capsys.readouterr().out == f"password of staff member {name} changed; 2 sessions ended\n"
    assert _answers(srv, bearer, cookie) == (401, 401, "/staff/login?next=/staff/")
    assert _login(srv, name, "volunteer-pw") == 401
    assert _login(srv, name, "a-new-password") == 200
    srv.client.cookies.clear()
    # a disabled account keeps its new password and stays disabled
    assert _staff_cli(srv, "disable", name) == 0
    assert _staff_cli(srv, "password", name, "--password", "third-password") == 0
    assert capsys.readouterr().out.endswith("0 sessions ended (the account stays disabled)\n")
    assert _login(srv, name, "third-password") == 401
    assert _staff_cli(srv, "enable", name) == 0
    assert _login(srv, name, "third-password") == 200


def test_a_login_racing_a_disable_makes_no_session(srv: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """The password is checked outside the write transaction; a disable or a new password
    in that gap must not be followed by a fresh session."""
    from server.services import staff as staff_service

    real = staff_service._hasher

    class Meanwhile:
        """The real hasher, with ``change`` run right after a password is checked."""

        def __init__(self, change: Any) -> None:
            self.change = change

        def hash(self, password: str) -> str:
            return real.hash(password)

        def verify(self, hashed: str, password: str) -> bool:
            ok = real.verify(hashed, password)
            with monkeypatch.context() as m:
                m.setattr(staff_service, "_hasher", real)
                self.change()
            return ok

    name = _new_member(srv)
    for change in (lambda: staff_service.set_disabled(srv.ctx.db, name, True),
                   lambda: staff_service.set_password(srv.ctx.db, name, "changed-meanwhile")):
        staff_service.set_disabled(srv.ctx.db, name, False)
        monkeypatch.setattr(staff_service, "_hasher", Meanwhile(change))
        assert staff_service.login(srv.ctx.db, name, "volunteer-pw", 1.0, srv.ctx.clock, client="race") is None
        monkeypatch.setattr(staff_service, "_hasher", real)
        with srv.ctx.db.read() as conn:
            assert conn.execute(select(staff_sessions).where(staff_sessions.c.staff == name)).first() is None
    assert staff_service.login(srv.ctx.db, name, "changed-meanwhile", 1.0, srv.ctx.clock, client="race") is not None


class _AuditorSession:
    """The in-process app as the auditor's HTTP session (TestClient refuses a ``timeout``)."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def request(self, method: str, url: str, *, data: bytes | None = None, params: dict[str, Any] | None = None,
                headers: dict[str, str] | None = None, timeout: Any = None) -> Any:
        return self.client.request(method, url, content=data, params=params, headers=headers)

    def close(self) -> None:
        pass


def test_a_disabled_members_past_statements_stay_and_verify(srv: Harness, ballots: Ballots, capsys: pytest.CaptureFixture[str]) -> None:
    srv.enrol(Kiosk("k1"))  # alice approves the kiosk: a statement in her name
    r = srv.client.post("/api/v1/staff/revocations", json={"reviewer": "mem-01-1", "reason": "카드 분실"}, headers=srv.staff)
    revocation = r.json()["index"]
    size = srv.sth()["tree_size"]
    entries = srv.client.get(f"/api/v1/ledger/entries?start=0&end={size}").json()["entries"]
    before = [jcs(e["entry"]) for e in entries]
    capsys.readouterr()
    assert _staff_cli(srv, "disable", "alice") == 0
    assert capsys.readouterr().out == "staff member alice disabled; 1 session ended\n"
    assert srv.client.get("/api/v1/staff/me", headers=srv.staff).status_code == 401
    after = [jcs(e["entry"]) for e in srv.client.get(f"/api/v1/ledger/entries?start=0&end={size}").json()["entries"]]
    assert after == before and srv.sth()["tree_size"] == size
    statements = [_statement(srv, i) for i in range(size) if "statement" in entries[i]["entry"]]
    assert {(s["role"], s["id"], s["body"]["type"]) for s in statements} >= {("staff", "alice", "kiosk"), ("staff", "alice", "revocation")}
    assert _statement(srv, revocation)["body"]["reviewer"] == "mem-01-1"
    # the auditor (what simsa verify runs), over the live app's public API, says yes
    verdict = verify_ledger(HttpSource("http://testserver", session=_AuditorSession(srv.client)), workers=1)
    assert verdict.ok, [str(p) for p in verdict.problems]
    assert srv.client.post("/api/v1/ballots", json=ballots.approval("mem-01-1")).json()["code"] == "revoked_credential"


def test_production_passwords_are_argon2id_at_full_strength(tmp_path: Path) -> None:
    """The suite hashes at test strength (tests/conftest.py); the product, in a process of its
    own, at argon2-cffi's RFC 9106 profile with one lane: 64 MiB, 3 passes."""
    code = "from server.services import staff; print(staff._hasher.hash('a password of eight'))"
    made = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    params = extract_parameters(made.stdout.strip())
    assert (params.type, params.memory_cost, params.time_cost, params.parallelism) == (Type.ID, 65536, 3, 1)
