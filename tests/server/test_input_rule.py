"""One input rule for every JSON and form field, path and query: a NUL or a lone
surrogate is ``400 malformed`` at parse time on both backends — never a 500 — and a
kiosk record whose ballot holds a NUL is logged as rejected without sticking the kiosk.
Also: problem titles name what was refused, 415 without a JSON Content-Type, 405 with
Allow."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from shared.replay import replay
from tests.server.conftest import Harness
from tests.server.kit import Ballots, Kiosk

BAD = ["\x00", "\ud800", "a\udfffb"]


def send(srv: Harness, path: str, body: Any, *, staff: bool = False) -> Any:
    """POST ``body`` as JSON with every non-ASCII character escaped (a lone surrogate has
    no UTF-8 form; ``\\ud800`` is how a client sends one)."""
    headers = {"content-type": "application/json", **(srv.staff if staff else {})}
    return srv.client.post(path, content=json.dumps(body, ensure_ascii=True), headers=headers)


def refused(r: Any, title: str) -> None:
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["code"] == "malformed", body
    assert body["title"].startswith(title), body["title"]


@pytest.mark.parametrize("bad", BAD)
def test_online_ballot_with_bad_text_is_malformed_and_kept(srv: Harness, ballots: Ballots, bad: str) -> None:
    member = ballots.members()[0]
    good = ballots.approval(member)
    for spoiled in (
        {**good, "ballot": {**good["ballot"], "event": "x" + bad}},  # a value
        {**good, "x" + bad: 1},  # a field name
    ):
        r = send(srv, "/api/v1/ballots", spoiled)
        refused(r, "The ballot is not well-formed")
    kept = srv.client.get("/api/v1/staff/rejections?code=malformed", headers=srv.staff).json()["rejections"]
    assert len(kept) == 2
    assert srv.sth()["tree_size"] == 1


@pytest.mark.parametrize("bad", BAD)
def test_staff_fields_with_bad_text_are_malformed(srv: Harness, ballots: Ballots, bad: str) -> None:
    member = ballots.members()[0]
    refused(send(srv, "/api/v1/staff/login", {"name": "alice" + bad, "password": "p"}), "The login request is not well-formed")
    refused(send(srv, "/api/v1/staff/revocations", {"reviewer": member, "reason": "lost" + bad}, staff=True),
            "The revocation request is not well-formed")
    refused(send(srv, "/api/v1/staff/resolutions", {"reviewer": member, "target": "g1", "ballot": "b", "reason": bad},
                 staff=True), "The resolution request is not well-formed")
    refused(send(srv, "/api/v1/staff/bundles", {"kiosk": "k" + bad, "records": [], "head": {}}, staff=True),
            "The kiosk bundle is not well-formed")
    refused(send(srv, "/api/v1/kiosks", {"kiosk": "k" + bad, "public_key": "", "registered_at": "", "sig": ""}),
            "The kiosk registration is not well-formed")
    assert srv.client.get("/api/v1/staff/reviewers/" + member, headers=srv.staff).json()["revoked"] is None


def test_urls_and_forms_with_a_nul_are_malformed(srv: Harness) -> None:
    for url in ("/api/v1/staff/rejections?reviewer=%00", "/api/v1/staff/reviewers/a%00b", "/verify?id=%ED%A0%80"):
        r = srv.client.get(url, headers=srv.staff)
        refused(r, "The URL is not well-formed")
    r = srv.client.post("/staff/login", data={"name": "alice\x00", "password": "x"})
    refused(r, "The login form is not well-formed")


def test_a_kiosk_record_with_a_nul_is_rejected_and_the_kiosk_goes_on(srv: Harness, ballots: Ballots) -> None:
    """A kiosk (or a forged one) that signed a ballot holding a NUL: the record is logged as
    ``malformed`` (JCS writes the NUL as an escape), and the next good batch syncs."""
    k = Kiosk("k1")
    srv.enrol(k)
    reps = ballots.reps()
    k.add(ballots.rubric(reps[0], edit={"comment": "좋아요\x00"}))
    r = srv.sync(k)
    assert r.status_code == 200, r.text
    assert [(x["status"], x["code"]) for x in r.json()["results"]] == [("rejected", "malformed")]
    again = srv.sync(k)  # re-sent: the original answer, not a 500
    assert again.status_code == 200 and again.json()["results"][0]["status"] == "duplicate"
    k.add(ballots.rubric(reps[1]))
    r = srv.sync(k)
    assert r.status_code == 200 and r.json()["synced_seq"] == 2, r.text
    assert r.json()["results"][-1]["status"] == "accepted"
    size = srv.sth()["tree_size"]
    entries = [e["entry"] for e in srv.client.get(f"/api/v1/ledger/entries?start=0&end={size}").json()["entries"]]
    st = replay(entries)  # the auditor judges the record alike
    assert [c for _, c, _, _ in st.rejected] == ["malformed"] and len(st.accepted) == 1


def test_a_batch_with_a_lone_surrogate_is_refused_whole(srv: Harness, ballots: Ballots) -> None:
    k = Kiosk("k1")
    srv.enrol(k)
    k.add(ballots.rubric(ballots.reps()[0]))
    batch = copy.deepcopy(k.batch())
    batch["records"][0]["signed_ballot"]["ballot"]["comment"] = "\ud800"
    refused(send(srv, "/api/v1/kiosks/k1/batches", batch), "The kiosk batch is not well-formed")
    assert srv.sync(k).json()["synced_seq"] == 1  # the real batch still syncs


def test_json_routes_want_a_json_content_type(srv: Harness, ballots: Ballots) -> None:
    sb = json.dumps(ballots.approval(ballots.members()[0]))
    for headers in ({}, {"content-type": "text/plain"}):
        r = srv.client.post("/api/v1/ballots", content=sb, headers=headers)
        assert r.status_code == 415 and r.json()["code"] == "unsupported_media_type", r.text
        r = srv.client.post("/api/v1/staff/login", content='{"name":"a","password":"b"}', headers=headers)
        assert r.status_code == 415, r.text


def test_method_not_allowed_says_what_is(srv: Harness) -> None:
    r = srv.client.get("/api/v1/ballots")
    assert r.status_code == 405 and r.headers["allow"] == "POST" and r.json()["code"] == "method_not_allowed"
    r = srv.client.delete("/staff/login")
    assert r.status_code == 405 and r.headers["allow"] == "GET, POST", r.headers
