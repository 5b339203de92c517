"""Random Unicode — NUL, lone surrogates, U+2028, non-BMP — in every field, key, path and
query of every route, on SQLite and PostgreSQL: never a 5xx, and a kiosk never stuck."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote_from_bytes

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from server.app import create_app
from server.auth import COOKIE
from server.web.forms import csrf_for
from shared.encoding import jcs
from tests.server.conftest import Harness, make_settings
from tests.server.kit import Ballots, Kiosk
from tests.support.events import EventFiles

NASTY = ["\x00", "\ud800", "\udfff", "a\udc00", "\u2028", "\u2029", "\U0001f600", "\U00010000", "한", '"', "\\", "\n"]
TEXT = st.lists(st.sampled_from(NASTY) | st.characters(), max_size=6).map("".join)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                     HealthCheck.too_slow])

#: The web pages (outside the OpenAPI schema): method, path.
WEB = [("get", "/"), ("get", "/ledger"), ("get", "/ledger/entries.jsonl"), ("get", "/results"), ("get", "/verify"),
       ("get", "/staff"), ("get", "/staff/close"), ("get", "/staff/conflicts"), ("get", "/staff/kiosks"),
       ("get", "/staff/kiosks/{kiosk}"), ("get", "/staff/live"), ("get", "/staff/login"), ("get", "/staff/rejections"),
       ("get", "/staff/reviewers"), ("get", "/staff/reviewers/{reviewer}/revoke"), ("get", "/static/{name}"),
       ("post", "/staff/close"), ("post", "/staff/conflicts/resolve"), ("post", "/staff/kiosks/{kiosk}/approve"),
       ("post", "/staff/kiosks/{kiosk}/close"), ("post", "/staff/login"), ("post", "/staff/logout"),
       ("post", "/staff/reviewers/{reviewer}/revoke")]


def raw(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")  # a lone surrogate as the bytes a client could send


def fill(path: str, values: list[str]) -> str:
    parts = path.split("/")
    it = iter(values)
    return "/".join(quote_from_bytes(raw(next(it, "x")), safe="") if p.startswith("{") else p for p in parts)


def routes(srv: Harness) -> list[tuple[str, str]]:
    api = [(m, p) for p, ops in srv.client.app.openapi()["paths"].items() for m in ops]  # type: ignore[attr-defined]
    return api + WEB


def templates(ballots: Ballots, t: str) -> list[tuple[str, Any]]:
    """Bodies that are right but for one text, so the text reaches the deeper checks."""
    member = ballots.members()[0]
    good = ballots.approval(member)
    return [
        ("/api/v1/ballots", {**good, "ballot": {**good["ballot"], "event": t}}),
        ("/api/v1/ballots", {**good, "ballot": {**good["ballot"], "choices": [t]}}),
        ("/api/v1/ballots", {**good, t: 1}),
        ("/api/v1/staff/login", {"name": t, "password": t}),
        ("/api/v1/staff/revocations", {"reviewer": member, "reason": t}),
        ("/api/v1/staff/resolutions", {"reviewer": member, "target": "g1", "ballot": t, "reason": t}),
        ("/api/v1/staff/bundles", {"kiosk": t, "records": [], "head": {"kiosk": t, "seq": 0, "hash": t, "sig": t}}),
        ("/api/v1/kiosks", {"kiosk": t, "public_key": t, "registered_at": t, "sig": t}),
        ("/api/v1/staff/close", {"event": t}),
    ]


@pytest.fixture
def many_kiosks(mini_event: EventFiles, db: tuple[str, str]) -> Iterator[Harness]:
    """Like ``srv``, with room for a new kiosk from this one address for every example
    (the per-address registration limits are for strangers, not for this test)."""
    url, token = db
    app = create_app(make_settings(mini_event.dir, url, registrations_per_address_hour=10_000,
                                   pending_kiosks_per_address=10_000))
    with TestClient(app) as client:
        yield Harness(client, app.state.ctx, mini_event, token)


def check(r: Any, what: str) -> None:
    assert r.status_code < 500, f"{what}: {r.status_code} {r.text[:500]}"


@given(data=st.data())
@FUZZ
def test_random_text_on_every_route_is_never_a_5xx(srv: Harness, ballots: Ballots, data: st.DataObject) -> None:
    c = srv.client
    c.cookies.set(COOKIE, srv.token)
    method, path = data.draw(st.sampled_from(routes(srv)), label="route")
    url = fill(path, data.draw(st.lists(TEXT, min_size=2, max_size=2), label="path params"))
    query = "&".join(f"{quote_from_bytes(raw(k))}={quote_from_bytes(raw(v))}"
                     for k, v in data.draw(st.dictionaries(TEXT, TEXT, max_size=3), label="query").items())
    target = url + ("?" + query if query else "")
    if method == "get":
        check(c.get(target, headers=srv.staff), f"GET {target!r}")
        return
    if path.startswith("/api/"):
        body = data.draw(JSON, label="body")
        r = c.post(target, content=json.dumps(body, ensure_ascii=True), headers={**srv.staff, "content-type": "application/json"})
    else:
        fields = data.draw(st.dictionaries(TEXT, TEXT, max_size=3), label="form")
        fields["csrf"] = csrf_for(srv.token)
        form = "&".join(f"{quote_from_bytes(raw(k))}={quote_from_bytes(raw(v))}" for k, v in fields.items())
        r = c.post(target, content=form, headers={"content-type": "application/x-www-form-urlencoded"})
    check(r, f"POST {target!r}")


@given(t=TEXT)
@FUZZ
def test_random_text_inside_right_bodies_is_never_a_5xx(srv: Harness, ballots: Ballots, t: str) -> None:
    for path, body in templates(ballots, t):
        r = srv.client.post(path, content=json.dumps(body, ensure_ascii=True),
                            headers={**srv.staff, "content-type": "application/json"})
        check(r, f"{path} with {t!r}")


KIOSK_TEXT = st.lists(st.sampled_from([c for c in NASTY if not 0xD800 <= ord(c[-1]) <= 0xDFFF])
                      | st.characters(exclude_categories=["Cs"]), max_size=6).map("".join)


@given(field=st.sampled_from(["comment", "proposal", "kiosk", "reviewer", "event", "nonce", "created_at", "score key"]),
       text=KIOSK_TEXT)
@example(field="kiosk", text="\x00")  # quoted unescaped in the malformed detail, once a PostgreSQL 500
@example(field="proposal", text="\x00")
@example(field="score key", text="\u2028\x00")
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_a_kiosk_record_with_any_text_never_sticks_the_kiosk(many_kiosks: Harness, ballots: Ballots, field: str,
                                                              text: str) -> None:
    """Whatever text a kiosk signed into whichever field (a refusal detail may quote it),
    the record is accepted or logged as rejected, and the next good record syncs after
    it. (A kiosk cannot sign a lone surrogate: it has no UTF-8 form to hash.)"""
    srv = many_kiosks
    k = Kiosk("k-" + uuid.uuid4().hex[:8])
    srv.enrol(k)
    reps = ballots.reps()
    good = ballots.rubric(reps[0], kiosk=k.id)
    b = dict(good["ballot"])
    if field == "score key":
        b["scores"] = {**b["scores"], "x" + text: 1}
    else:
        b[field] = (b[field] if field == "comment" and field in b else "x") + text
    k.add({"ballot": b, "sig": ballots.keys[reps[0]].sign_b64u(jcs(b))})
    r = srv.sync(k)
    assert r.status_code == 200, r.text
    assert r.json()["results"][0]["status"] in ("accepted", "rejected")
    k.add(ballots.rubric(reps[1], kiosk=k.id))
    r = srv.sync(k)
    assert r.status_code == 200 and r.json()["synced_seq"] == 2, r.text
