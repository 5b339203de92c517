"""The staff dashboard in a real browser against a live server, as event staff use it:
log in, approve a kiosk, watch a gap appear and close after a sync, import a bundle,
resolve conflicts, read rejections, revoke a credential, check a receipt, close the
kiosks and the event, read the results. The steps run in order on one server, as one
test (each step builds on the one before, so the order is the story's, not pytest's); the
kiosks and reviewers are simulated with the shared core (tests/web/sim.py).

Screenshots of every step are kept in artifacts/web/.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from shared.ballot import ballot_id, short_code
from shared.encoding import b64u_decode
from shared.keys import fingerprint
from shared.manifest import Manifest
from shared.replay import replay
from tests.support.events import EventFiles
from tests.support.live import LiveServer
from tests.web.conftest import LAPTOP, STAFF, TABLET, Watch, login, new_context, no_horizontal_overflow, shoot
from tests.web.sim import Reviewers, SimKiosk, post_online

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@dataclass
class World:
    url: str
    manifest: Manifest
    reviewers: Reviewers
    http: requests.Session
    page: Page
    watch: Watch
    shots: Path
    tmp: Path
    kiosks: dict[str, SimKiosk] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)

    def entries(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        while True:
            got = self.http.get(f"{self.url}/api/v1/ledger/entries", params={"start": len(out)}, timeout=20).json()
            if not got["entries"]:
                return out
            out += [e["entry"] for e in got["entries"]]

    def shot(self, name: str) -> None:
        shoot(self.page, self.shots, name)


@pytest.fixture(scope="module")
def world(
    server: LiveServer, manifest: Manifest, event_copy: EventFiles, browser: Browser, shots: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[World]:
    ctx = new_context(browser, LAPTOP, server.url)
    watch = Watch()
    page = watch.attach(ctx.new_page())
    http = requests.Session()
    w = World(server.url, manifest, Reviewers(event_copy, manifest), http, page, watch, shots,
              tmp_path_factory.mktemp("web-files"))
    yield w
    ctx.close()
    http.close()


def rubric_reviewer(m: Manifest, group: str, n: int = 0) -> str:
    reps = sorted(r for r, rev in m.reviewers.items() if rev.role == "representative"
                  and any(m.proposals[p].group == group for p in m.assignments[r] if p in m.proposals))
    return reps[n]


def members(m: Manifest) -> list[str]:
    return sorted(r for r, rev in m.reviewers.items() if rev.role == "member")


def step_login(world: World) -> None:
    page = world.page
    page.goto("/staff/kiosks")
    expect(page).to_have_url(re.compile(r"/staff/login\?next=/staff/kiosks"))
    page.fill("#name", STAFF)
    page.fill("#password", "not-the-password")
    page.click("form button[type=submit]")
    expect(page.locator("#login-error")).to_contain_text("비밀번호")
    world.shot("01-login-refused")
    page.fill("#password", "mina-password-1")
    page.click("form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/staff/kiosks$"))
    page.goto("/staff/")
    expect(page.locator("h1")).to_have_text("개요")
    expect(page.locator(".who")).to_contain_text(STAFF)
    expect(page.locator("#alarms")).to_contain_text("확인할 문제가 없습니다")
    world.shot("02-overview-empty")


def step_approve_kiosk(world: World) -> None:
    k1 = world.kiosks["k1"] = SimKiosk(world.url, "k1", world.http)
    assert k1.register().status_code == 202
    page = world.page
    page.goto("/staff/")
    expect(page.locator("#alarms")).to_contain_text("승인을 기다리는 키오스크 1대")
    page.goto("/staff/kiosks")
    row = page.locator("#pending tr[data-kiosk=k1]")
    expect(row).to_contain_text(fingerprint(k1.key.public))
    world.shot("03-kiosk-pending")
    row.get_by_role("button", name="승인").click()
    expect(page.locator("#flash")).to_contain_text("키오스크 k1을 승인했습니다")
    expect(page.locator("#pending")).to_have_count(0)
    assert world.http.get(f"{world.url}/api/v1/kiosks/k1", timeout=10).json()["status"] == "approved"
    approval = [e for e in world.entries() if e["type"] == "kiosk"]
    assert [(e["statement"]["kiosk"], e["signer"]["id"]) for e in approval] == [("k1", STAFF)]
    world.shot("04-kiosk-approved")


def step_gap_appears_and_closes_after_sync(world: World) -> None:
    m, rv, k1 = world.manifest, world.reviewers, world.kiosks["k1"]
    rep = rubric_reviewer(m, "g1")
    targets = rv.rubric_targets(rep)[:6]
    for i, p in enumerate(targets):
        k1.record(rv.rubric(rep, p, kiosk="k1", level=0.5 + 0.08 * i))
    world.notes["k1_rep"], world.notes["k1_targets"] = rep, targets
    assert k1.sync(1, 3).json()["synced_seq"] == 3
    page = world.page
    page.goto("/staff/kiosks")
    row = page.locator("#kiosk-table tr[data-kiosk=k1]")
    expect(row.locator("td[data-col=missing]")).to_have_text("0")
    # The kiosk's upload keeps failing, but its signed head gets through: a gap appears,
    # and the open page shows it by itself (live refresh).
    assert k1.report_head().status_code == 200
    expect(row.locator("td[data-col=recorded]")).to_have_text("6", timeout=15_000)
    expect(row.locator("td[data-col=missing]")).to_contain_text("3")
    expect(row.locator("td[data-col=missing]")).to_contain_text("순번 4–6")
    expect(row).to_have_class(re.compile("bad"))
    world.shot("05-kiosk-gap")
    page.goto("/staff/")
    expect(page.locator("#alarms")).to_contain_text("키오스크 k1: 기록 3건이 서버에 아직 없습니다 (순번 4–6)")
    world.shot("06-overview-gap")
    page.locator("#alarms li", has_text="k1").get_by_role("link").click()
    expect(page).to_have_url(re.compile("/staff/kiosks/k1$"))
    expect(page.locator("#todo-missing")).to_contain_text("순번 4–6")
    expect(page.locator("#todo")).to_contain_text("순번 4")
    world.shot("07-kiosk-detail-gap")
    # A faulty upload skips record 4: the server refuses it whole, and says so.
    r = k1.sync(5)
    assert r.status_code == 409 and r.json()["code"] == "chain_gap"
    expect(page.locator("#refusals")).to_contain_text("chain_gap", timeout=15_000)
    page.goto("/staff/")
    expect(page.locator("#alarms li.bad", has_text="순번 5의")).to_contain_text("키오스크 k1: 순번 5의 기록이 빈 곳 때문에 거부되었습니다")
    page.goto("/staff/kiosks/k1")
    # The network comes back: the kiosk syncs the rest, and the gap closes on the open page.
    assert k1.sync(4).json()["synced_seq"] == 6
    expect(page.locator("#missing")).to_have_text("0", timeout=15_000)
    expect(page.locator("#todo-ok")).to_be_visible()
    world.shot("08-kiosk-detail-synced")
    page.goto("/staff/")
    expect(page.locator("#alarms")).not_to_contain_text("k1")


def step_bundle_import(world: World) -> None:
    """Kiosk k2 never reaches the network: everything arrives on a USB stick."""
    m, rv = world.manifest, world.reviewers
    k2 = world.kiosks["k2"] = SimKiosk(world.url, "k2", world.http)
    rep = rubric_reviewer(m, "g2")
    for i, p in enumerate(rv.rubric_targets(rep)[:5]):
        k2.record(rv.rubric(rep, p, kiosk="k2", level=0.9 - 0.07 * i))
    files = [str(f) for f in k2.export(world.tmp / "usb-1" / "simsa-bundle-k2", per_batch=3)]
    page = world.page
    page.goto("/staff/kiosks")
    page.set_input_files("#bundle-file", files)
    page.click("#bundle-submit")
    expect(page.locator("h1")).to_have_text("묶음 가져오기 결과")
    # The kiosk registers through the bundle; its records wait for staff to approve it.
    expect(page.locator(".bundle-item[data-kind=registration]")).to_contain_text("묶음으로 등록되었습니다")
    expect(page.locator(".bundle-item[data-kind=batch] .bundle-problem")).to_have_count(2)
    expect(page.locator("#bundle-pending-k2")).to_contain_text(fingerprint(k2.key.public))
    world.shot("09-bundle-needs-approval")
    page.click("#bundle-approve-k2")
    expect(page.locator("#flash")).to_contain_text("키오스크 k2를 승인했습니다")
    page.set_input_files("#bundle-file", files)
    page.click("#bundle-submit")
    batches = page.locator(".bundle-item[data-kind=batch]")
    expect(batches).to_have_count(2)
    expect(batches.nth(0).locator(".bundle-summary")).to_contain_text("새로 접수 3")
    expect(batches.nth(1).locator(".bundle-summary")).to_contain_text("새로 접수 2")
    rows = page.locator("tr[data-seq]")
    expect(rows).to_have_count(5)
    assert [rows.nth(i).get_attribute("data-seq") for i in range(5)] == ["1", "2", "3", "4", "5"]
    assert {rows.nth(i).get_attribute("data-status") for i in range(5)} == {"accepted"}
    first_receipt = rows.nth(0).locator("td.hash").get_attribute("title")
    assert first_receipt == world.http.get(f"{world.url}/api/v1/receipts/{first_receipt}", timeout=10).json()["id"]
    world.shot("10-bundle-imported")
    # The same files again add nothing twice.
    page.goto("/staff/kiosks")
    page.set_input_files("#bundle-file", files)
    page.click("#bundle-submit")
    expect(page.locator(".bundle-summary").first).to_contain_text("이미 있음 3")
    assert {rows.nth(i).get_attribute("data-status") for i in range(5)} == {"duplicate"}
    page.goto("/staff/kiosks")
    row = page.locator("#kiosk-table tr[data-kiosk=k2]")
    expect(row.locator("td[data-col=synced]")).to_have_text("5")
    expect(row.locator("td[data-col=missing]")).to_have_text("0")
    # A file that is not part of a bundle is refused with a reason.
    junk = world.tmp / "notes.json"
    junk.write_text('{"hello": ')
    page.set_input_files("#bundle-file", str(junk))
    page.click("#bundle-submit")
    expect(page.locator("#bundle-error")).to_contain_text("JSON")


def step_resolve_conflicts(world: World) -> None:
    m, rv = world.manifest, world.reviewers
    k1, k2 = world.kiosks["k1"], world.kiosks["k2"]
    rep, target = world.notes["k1_rep"], world.notes["k1_targets"][0]
    # The reviewer scores the same proposal again at kiosk k1 (a correction): a conflict.
    k1.record(rv.rubric(rep, target, kiosk="k1", level=1.0))
    assert k1.sync(7).json()["results"][0]["status"] == "accepted"
    # Online members like proposals of their group; one does it twice.
    mems = members(m)[:14]
    for i, r in enumerate(mems):
        g = sorted(m.assignments[r])[0]
        ok = [p for p in m.groups[g] if m.proposals[p].community != m.reviewers[r].community]
        picks = [ok[(i + j) % len(ok)] for j in range(4)]
        assert post_online(world.url, world.http, rv.approval(r, g, picks)).status_code == 201
    twice = mems[0]
    g = sorted(m.assignments[twice])[0]
    ok = [p for p in m.groups[g] if m.proposals[p].community != m.reviewers[twice].community]
    assert post_online(world.url, world.http, rv.approval(twice, g, ok[-2:])).status_code == 201
    world.notes["members"] = mems
    del k2  # k2 holds no conflict

    page = world.page
    page.goto("/staff/conflicts")
    cards = page.locator("section.conflict")
    expect(cards).to_have_count(2)
    card = page.locator(f"section.conflict[data-reviewer='{rep}']")
    expect(card).to_contain_text(target)
    ballots = card.locator("tr[data-ballot]")
    expect(ballots).to_have_count(2)
    expect(ballots.nth(0)).to_contain_text("k1 #1")
    expect(ballots.nth(1)).to_contain_text("k1 #7")
    expect(ballots.nth(1)).to_contain_text("기본 (규칙)")  # onsite-first: the later kiosk ballot
    world.shot("11-conflicts-open")
    # Staff decide the first score counts, with a reason.
    first_id = ballots.nth(0).get_attribute("data-ballot")
    ballots.nth(0).locator("input[type=radio]").check()
    card.locator("input[name=reason]").fill("심사위원 확인: 첫 점수가 맞음")
    card.get_by_role("button", name="결정 기록").click()
    expect(page.locator("#flash")).to_contain_text(f"{rep} / {target}")
    expect(page.locator("section.conflict")).to_have_count(1)
    # The other one: keep the rule's default, reason required.
    other = page.locator("section.conflict").first
    other.get_by_role("button", name="결정 기록").click()  # empty reason: the browser refuses
    expect(page.locator("section.conflict")).to_have_count(1)
    other.locator("input[name=reason]").fill("나중 선택을 반영")
    other.get_by_role("button", name="결정 기록").click()
    expect(page.locator("#no-conflicts")).to_be_visible()
    page.goto("/staff/conflicts?show=all")
    decided = page.locator(f"section.conflict[data-reviewer='{rep}']")
    expect(decided).to_contain_text(f"{STAFF} 결정: 심사위원 확인: 첫 점수가 맞음")
    expect(decided.locator(f"tr[data-ballot='{first_id}']")).to_contain_text("반영됨")
    world.shot("12-conflicts-decided")
    resolutions = [e for e in world.entries() if e["type"] == "resolution"]
    assert [(e["statement"]["reviewer"], e["statement"]["ballot"] if e["statement"]["reviewer"] == rep else None,
             e["signer"]["id"]) for e in resolutions] == [(rep, first_id, STAFF), (twice, None, STAFF)]


def step_rejections_with_reasons(world: World) -> None:
    m, rv, k1 = world.manifest, world.reviewers, world.kiosks["k1"]
    mem = world.notes["members"][1]
    other = next(g for g in m.groups if g not in m.assignments[mem])
    r = post_online(world.url, world.http, rv.approval(mem, other, [m.groups[other][0]]))
    assert r.status_code == 422 and r.json()["code"] == "not_assigned"
    # At the kiosk, scores above the rubric's maximum (a kiosk bug): the record is kept on
    # the ledger as rejected, so the kiosk's chain stays complete.
    rep = world.notes["k1_rep"]
    k1.record(rv.rubric(rep, world.notes["k1_targets"][1], kiosk="k1", level=1.5))
    res = k1.sync(8).json()["results"][0]
    assert (res["status"], res["code"]) == ("rejected", "bad_scores")
    world.notes["rejected_receipt"] = res["id"]
    page = world.page
    page.goto("/staff/rejections")
    expect(page.locator("tr[data-code]")).to_have_count(5)  # and k1 gap batch, k2 batches before approval
    page.select_option("#f-code", "not_assigned")
    page.click("#filters button[type=submit]")
    rows = page.locator("tr[data-code]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("배정되지 않은 제안입니다")
    expect(rows.first).to_contain_text(mem)
    world.shot("13-rejections-by-code")
    page.goto("/staff/rejections")
    page.select_option("#f-kiosk", "k1")
    page.click("#filters button[type=submit]")
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text("키오스크 기록에 빈 곳이 있습니다")
    expect(rows.first).to_contain_text("점수나 선택이 규칙에 맞지 않습니다")
    expect(rows.first.locator("td.num")).to_have_text(str(res["index"]))
    page.fill("#f-reviewer", "nobody")
    page.click("#filters button[type=submit]")
    expect(page.locator("#no-rejections")).to_be_visible()


def step_reviewer_lookup_and_revoke(world: World) -> None:
    m, rv = world.manifest, world.reviewers
    mem = world.notes["members"][2]
    page = world.page
    page.goto("/staff/reviewers")
    page.fill("#rid", mem)
    page.click("#reviewer-find")
    card = page.locator("#reviewer-card")
    expect(card).to_contain_text(m.reviewers[mem].community)
    expect(card).to_contain_text("유효")
    ballots = page.locator("#reviewer-ballots tr[data-ballot]")
    expect(ballots).to_have_count(1)
    expect(ballots.first).to_contain_text("온라인")
    receipt = ballots.first.get_attribute("data-ballot")
    assert receipt is not None
    expect(ballots.first).to_contain_text(short_code(receipt))
    world.shot("14-reviewer")
    page.click("#revoke-link")
    expect(page.locator("h1")).to_contain_text(mem)
    world.shot("15-revoke-confirm")
    page.fill("#revoke-reason", "카드 분실 신고")
    page.click("#revoke-confirm")
    expect(page.locator("#flash")).to_contain_text(f"{mem}의 자격증명을 취소했습니다")
    expect(page.locator("#revoked-line")).to_contain_text("카드 분실 신고")
    rev = [e for e in world.entries() if e["type"] == "revocation"]
    assert [(e["statement"]["reviewer"], e["signer"]["id"]) for e in rev] == [(mem, STAFF)]
    g = sorted(m.assignments[mem])[0]
    again = post_online(world.url, world.http, rv.approval(mem, g, []))
    assert again.status_code == 422 and again.json()["code"] == "revoked_credential"
    page.goto("/staff/reviewers?id=nobody-here")
    expect(page.locator("#reviewer-notfound")).to_be_visible()


def step_verify_receipts_in_the_browser(world: World) -> None:
    page = world.page
    accepted = next(e for e in world.entries() if e["type"] == "ballot")
    bid = ballot_id(accepted["signed_ballot"])
    page.goto(f"/verify?r={short_code(bid)}")
    verdict = page.locator("#verdict")
    expect(verdict).to_have_attribute("data-result", "ok")
    expect(page.locator("ol.steps li[data-ok='1']")).to_have_count(4)
    expect(page.locator("ol.steps")).to_contain_text(f"{short_code(bid)} · {bid}")
    # every ballot in the reviewer's name is listed, this one marked (a stolen key shows)
    in_name = page.locator("#in-name")
    expect(in_name).to_contain_text(accepted["signed_ballot"]["ballot"]["reviewer"])
    expect(in_name.locator(f"li.this[data-id='{bid}']")).to_have_count(1)
    lkey = world.http.get(f"{world.url}/api/v1/ledger/key", timeout=10).json()["public_key"]
    expect(page.locator("ol.steps")).to_contain_text(fingerprint(b64u_decode(lkey, length=32)))
    world.shot("16-verify-ok")
    page.fill("#receipt", bid)
    page.click("#verify-submit")
    expect(verdict).to_have_attribute("data-result", "ok")
    # typed as people type it: lower case, a space for the dash, O for 0 and l for 1
    page.fill("#receipt", short_code(bid).lower().replace("-", " ").replace("0", "o").replace("1", "l"))
    page.click("#verify-submit")
    expect(verdict).to_have_attribute("data-result", "ok")
    page.fill("#receipt", world.notes["rejected_receipt"])
    page.click("#verify-submit")
    expect(verdict).to_have_attribute("data-result", "rejected")
    expect(verdict).to_contain_text("bad_scores")
    page.fill("#receipt", "AAAA-AAAA")
    page.click("#verify-submit")
    expect(verdict).to_have_attribute("data-result", "error")
    expect(verdict).to_contain_text("원장에 없습니다")
    page.fill("#receipt", "AbC1-x9_Z")  # an old-style code: "_" is not in a receipt code
    page.click("#verify-submit")
    expect(verdict).to_contain_text("XXXX-XXXX")
    expect(verdict).to_contain_text("7Q2M-K4XD")
    page.goto("/ledger")
    expect(page.locator("#ledger-fp")).to_have_text(fingerprint(b64u_decode(lkey, length=32)))
    size = int(page.locator("#sth-size").inner_text())
    lines = world.http.get(f"{world.url}/ledger/entries.jsonl", timeout=20).text.splitlines()
    assert len(lines) == size and json.loads(lines[0])["type"] == "manifest"
    world.shot("17-ledger")


def step_close_kiosks_and_event_then_results(world: World) -> None:
    k1 = world.kiosks["k1"]
    page = world.page
    assert k1.closure().status_code == 202
    page.goto("/staff/kiosks/k1")
    rec = page.locator("#reconcile")
    expect(rec.locator("tr.bad")).to_have_count(0)
    expect(rec).to_contain_text("일치")
    world.shot("18-kiosk-closure-match")
    page.click("#close-kiosk-btn")
    expect(page.locator("#flash")).to_contain_text("키오스크 k1을 마감했습니다")
    # k2, still offline, is closed on the kiosk; its closure travels on the USB stick.
    k2 = world.kiosks["k2"]
    files = [str(f) for f in k2.export(world.tmp / "usb-2" / "simsa-bundle-k2", closed=True)]
    page.goto("/staff/kiosks")
    page.set_input_files("#bundle-file", files)
    page.click("#bundle-submit")
    expect(page.locator(".bundle-item[data-kind=closure]")).to_contain_text("서버 기록과 일치합니다")
    page.goto("/staff/close")
    expect(page.locator("#close-check")).to_contain_text("아직 마감하지 않은 키오스크 1대")
    expect(page.locator("#close-kiosks tr[data-kiosk=k2]")).to_contain_text("일치")
    world.shot("19-close-page")
    page.click("#close-k2")
    expect(page.locator("#flash")).to_contain_text("k2")
    page.fill("#confirm-event", "wrong")
    page.click("#close-event-btn")
    expect(page.locator("#close-event .notice.bad")).to_contain_text(world.manifest.event)
    page.fill("#confirm-event", world.manifest.event)
    page.click("#close-event-btn")
    expect(page.locator("#flash")).to_contain_text("결과를 공개했습니다")
    expect(page.locator("#closed-note")).to_be_visible()
    sel = world.manifest.selection
    kiosk_table = page.locator("#ranking-kiosk")
    expect(kiosk_table.locator("tr[data-line]")).to_contain_text(f"위 {min(sel.quota_kiosk, 10)}건 선정")
    expect(page.locator("#charts svg.chart")).to_have_count(3)
    world.shot("20-closed-results")
    api = world.http.get(f"{world.url}/api/v1/results", timeout=20).json()
    page.goto("/results")
    expect(page.locator("#results-hash dd")).to_have_text(api["results_hash"])
    n_selected = len(api["results"]["selected"])
    expect(page.locator("#all-proposals tr.selected")).to_have_count(n_selected)
    world.shot("21-public-results")
    csv_text = world.http.get(f"{world.url}/api/v1/results.csv", timeout=20).text
    assert csv_text.splitlines()[0].startswith("proposal,title,")
    # Every staff action is on the ledger, signed, and the ledger replays with every check.
    state = replay(world.entries())
    assert state.close is not None and state.close["results_hash"] == api["results_hash"]
    assert {e["signer"]["id"] for e in world.entries() if "signer" in e} == {STAFF}


def step_pages_at_tablet_size_in_english(world: World, browser: Browser) -> None:
    ctx = new_context(browser, TABLET, world.url)
    page = world.watch.attach(ctx.new_page())
    try:
        login(page, lang="en")
        for path, name, heading in [
            ("/staff/", "overview", "Overview"), ("/staff/kiosks", "kiosks", "Kiosks"),
            ("/staff/kiosks/k1", "kiosk-k1", "Kiosk k1"), ("/staff/conflicts?show=all", "conflicts", "Conflicts"),
            ("/staff/rejections", "rejections", "Rejections"),
            ("/staff/reviewers?id=" + world.notes["members"][2], "reviewer", "Reviewer lookup"),
            ("/staff/close", "close", "Close and results"), ("/verify", "verify", "Check your receipt"),
            ("/ledger", "ledger", "Public ledger"), ("/results", "results", "Results"),
        ]:
            page.goto(path)
            expect(page.locator("h1").first).to_contain_text(heading)
            assert page.locator("html").get_attribute("lang") == "en"
            assert no_horizontal_overflow(page), f"{path} scrolls sideways at 1280 px"
            shoot(page, world.shots, f"tablet-en-{name}")
    finally:
        ctx.close()
    for path in ("/staff/", "/staff/kiosks", "/staff/close", "/results"):
        world.page.goto(path)
        assert no_horizontal_overflow(world.page), f"{path} scrolls sideways at 1366 px"
    assert world.watch.errors == []


STORY = (
    step_login,
    step_approve_kiosk,
    step_gap_appears_and_closes_after_sync,
    step_bundle_import,
    step_resolve_conflicts,
    step_rejections_with_reasons,
    step_reviewer_lookup_and_revoke,
    step_verify_receipts_in_the_browser,
    step_close_kiosks_and_event_then_results,
)


def test_a_day_at_the_dashboard(world: World, browser: Browser) -> None:
    """The whole day, step by step on one server (a failure names its step_… function)."""
    for step in STORY:
        step(world)
    step_pages_at_tablet_size_in_english(world, browser)
