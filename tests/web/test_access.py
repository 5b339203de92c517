"""Strangers get nowhere: every staff page and staff API route of the real app, walked
without a session (and with a forged one), answers 401/403 or a redirect to the login
page; a logged-in browser's forms are refused without their CSRF token or from another
site."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from fastapi.routing import APIRoute

from server.app import create_app
from server.settings import Settings
from tests.support.live import LiveServer
from tests.web.conftest import PASSWORD, STAFF

pytestmark = pytest.mark.live  # a live server and requests; no browser

PUBLIC = {"/staff/login", "/api/v1/staff/login"}


def all_routes(routes: list[Any]) -> Iterator[tuple[str, set[str]]]:
    """(path, methods) of every HTTP route, through included routers (FastAPI keeps those as
    branches with ``effective_route_contexts`` since 0.16x; older ones flatten them)."""
    for r in routes:
        if isinstance(r, APIRoute):
            yield r.path, set(r.methods or ())
        elif hasattr(r, "effective_route_contexts"):
            for c in r.effective_route_contexts():
                methods = getattr(c.original_route, "methods", None)
                if methods:
                    yield c.path, set(methods)


def staff_routes(event_dir: Path) -> list[tuple[str, str]]:
    """(method, path) of every route under /staff and /api/v1/staff, parameters filled in."""
    app = create_app(Settings(event_dir=event_dir))
    out = []
    for raw, methods in all_routes(list(app.routes)):
        if not raw.startswith(("/staff", "/api/v1/staff")) or raw in PUBLIC:
            continue
        path = re.sub(r"\{[^}]+\}", "k1", raw)
        out += [(m, path) for m in sorted(methods) if m != "HEAD"]
    return sorted(set(out))


def refused(resp: requests.Response) -> bool:
    if resp.status_code in (401, 403):
        return True
    return resp.status_code in (302, 303, 307) and resp.headers.get("location", "").startswith("/staff/login")


def test_every_staff_route_refuses_strangers(server: LiveServer) -> None:
    routes = staff_routes(server.event_dir)
    paths = {p for _, p in routes}
    # The walk covers every page and action of the dashboard and of the staff API.
    for must in ("/staff/", "/staff/kiosks", "/staff/kiosks/k1", "/staff/conflicts", "/staff/rejections",
                 "/staff/reviewers", "/staff/close", "/staff/live", "/staff/kiosks/batches",
                 "/staff/conflicts/resolve", "/staff/reviewers/k1/revoke", "/api/v1/staff/overview",
                 "/api/v1/staff/bundles", "/api/v1/staff/close"):
        assert must in paths, must
    bad = []
    for cookies in ({}, {"simsa_session": "forged-token"}):
        for method, path in routes:
            r = requests.request(method, server.url + path, cookies=cookies, allow_redirects=False, timeout=20,
                                 headers={"Accept": "text/html"})
            if not refused(r):
                bad.append(f"{method} {path} with {cookies or 'no cookie'}: {r.status_code}")
    assert bad == []
    # Pages send strangers to the login page and back where they were going.
    r = requests.get(server.url + "/staff/conflicts", allow_redirects=False, timeout=20)
    assert r.status_code == 303 and r.headers["location"] == "/staff/login?next=/staff/conflicts"
    # The staff API answers problem+json.
    r = requests.get(server.url + "/api/v1/staff/kiosks", timeout=20)
    assert r.status_code == 401 and r.json()["code"] == "unauthorized"


def test_forms_need_their_csrf_token_and_this_site(server: LiveServer) -> None:
    s = requests.Session()
    assert s.post(server.url + "/api/v1/staff/login", json={"name": STAFF, "password": PASSWORD}, timeout=20).ok
    page = s.get(server.url + "/staff/kiosks", timeout=20).text
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token is not None
    # No token, a wrong token, another site's Origin: all refused, nothing on the ledger.
    size = s.get(server.url + "/api/v1/ledger/sth", timeout=20).json()["tree_size"]
    for data, headers in (
        ({}, {}),
        ({"csrf": "x" * 32}, {}),
        ({"csrf": token.group(1)}, {"Origin": "http://evil.example"}),
    ):
        r = s.post(server.url + "/staff/reviewers/mem-01-1/revoke", data={**data, "reason": "x"}, headers=headers,
                   allow_redirects=False, timeout=20)
        assert r.status_code == 403, (data, headers, r.status_code)
        if "Origin" not in headers:  # a person with a stale form is told what to do
            assert "text/html" in r.headers["content-type"] and "아무것도 기록되지 않았습니다" in r.text
    assert s.get(server.url + "/api/v1/ledger/sth", timeout=20).json()["tree_size"] == size
    # Pages that name something unknown say so as a page.
    r = s.get(server.url + "/staff/kiosks/no-such-kiosk", timeout=20)
    assert r.status_code == 404 and "no-such-kiosk" in r.text and "<h1>" in r.text
    r = s.get(server.url + "/staff/reviewers/nobody/revoke", timeout=20)
    assert r.status_code == 404 and "nobody" in r.text
    # The login form itself carries a double-submit token.
    r = requests.post(server.url + "/staff/login", data={"name": STAFF, "password": PASSWORD, "csrf": "guess"},
                      allow_redirects=False, timeout=20)
    assert r.status_code == 403 and "simsa_session" not in r.cookies
    # With the page's token the same form works (and the revocation names the staff member).
    r = s.post(server.url + "/staff/reviewers/mem-01-1/revoke", data={"csrf": token.group(1), "reason": "test"},
               allow_redirects=False, timeout=20)
    assert r.status_code == 303
    entries = s.get(server.url + "/api/v1/ledger/entries", params={"start": size}, timeout=20).json()["entries"]
    assert [(e["entry"]["type"], e["entry"]["signer"]["id"]) for e in entries] == [("revocation", STAFF)]
