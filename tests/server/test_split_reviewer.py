"""A cracked card cannot vote silently: when one reviewer's ballots arrive through two
kiosks (or two channels) the dashboard raises an alarm, and the reviewer's receipt page
lists every ballot cast in their name."""

from __future__ import annotations

from server.services import dashboard, views
from tests.server.conftest import Harness
from tests.server.kit import Ballots, Kiosk


def alarm_keys(srv: Harness) -> list[tuple[str, dict[str, object]]]:
    ctx = srv.ctx
    rows = dashboard.kiosk_rows(ctx, views.kiosks_table(ctx))
    return [(a.key, a.args) for a in dashboard.alarms(ctx, views.overview(ctx), rows)]


def test_two_kiosks_for_one_reviewer_raise_an_alarm_and_the_receipt_page_lists_both(
    srv: Harness, ballots: Ballots
) -> None:
    rep = ballots.reps()[0]
    proposals = sorted(t for t in ballots.manifest.assignments[rep] if t in ballots.manifest.proposals)
    a, b = Kiosk("k-a"), Kiosk("k-b")
    srv.enrol(a)
    srv.enrol(b)
    a.add(ballots.rubric(rep, proposals[0], kiosk="k-a"))
    assert srv.sync(a).status_code == 200
    assert not [k for k, _ in alarm_keys(srv) if k.startswith("alarm.split")]
    listed = srv.client.get(f"/api/v1/reviewers/{rep}/ballots").json()
    assert len(listed["ballots"]) == 1 and listed["split"] is False

    b.add(ballots.rubric(rep, proposals[1], kiosk="k-b"))  # the same key, at another kiosk
    assert srv.sync(b).status_code == 200
    assert ("alarm.split", {"reviewer": rep, "sources": "k-a, k-b"}) in alarm_keys(srv)
    listed = srv.client.get(f"/api/v1/reviewers/{rep}/ballots").json()
    assert listed["split"] is True and listed["sources"] == ["k-a", "k-b"]
    assert [x["kiosk"] for x in listed["ballots"]] == ["k-a", "k-b"]
    page = srv.client.get("/staff", headers=srv.staff)
    assert rep in page.text
    assert srv.client.get("/api/v1/reviewers/nobody/ballots").status_code == 404


def test_a_refused_ballot_raises_no_alarm(srv: Harness, ballots: Ballots) -> None:
    """Only accepted ballots count: a member's key signing a rubric at a kiosk is refused
    wrong_form (the mini manifest keeps members online), so there is one source."""
    member = ballots.members()[0]
    assert srv.client.post("/api/v1/ballots", json=ballots.approval(member)).status_code == 201
    k = Kiosk("k-c")
    srv.enrol(k)
    k.add(ballots.rubric(member, sorted(ballots.manifest.proposals)[0], kiosk="k-c"))
    r = srv.sync(k)
    assert r.json()["results"][0]["status"] == "rejected"
    assert not [key for key, _ in alarm_keys(srv) if key.startswith("alarm.split")]
