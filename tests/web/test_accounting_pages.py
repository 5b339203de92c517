"""Issue 9 in a real browser against a live server: a never-synced kiosk is red at once
(overview, kiosk page, close checklist); the lost-ballot scenario — a kiosk with 3 ballots
saved offline closed by staff — needs a typed override (a form that works without
JavaScript), and the 3 records, arriving afterwards, are on the ledger and on the page;
bundle mistakes say what to do; ``simsa verify`` lists the override and the late records.
Steps run in order on one server; screenshots go to artifacts/web/."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from shared.manifest import Manifest
from tests.support import forked
from tests.support.events import EventFiles
from tests.support.live import LiveServer
from tests.web.conftest import LAPTOP, PASSWORD, STAFF, Watch, login, shoot
from tests.web.sim import Reviewers, SimKiosk

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@dataclass
class Site:
    url: str
    manifest: Manifest
    reviewers: Reviewers
    http: requests.Session
    auth: dict[str, str]
    page: Page
    watch: Watch
    shots: Path
    tmp: Path

    def shot(self, name: str) -> None:
        shoot(self.page, self.shots, f"i9-{name}")

    def enrol(self, kiosk: str) -> SimKiosk:
        k = SimKiosk(self.url, kiosk, self.http)
        assert k.register().status_code == 202
        r = self.http.post(f"{self.url}/api/v1/staff/kiosks/{kiosk}/approve", headers=self.auth, timeout=20)
        assert r.status_code == 200, r.text
        return k

    def fill(self, k: SimKiosk, n: int) -> None:
        """``n`` more valid rubric ballots on kiosk ``k``'s chain."""
        m, rv = self.manifest, self.reviewers
        pairs = [(r, p) for r in sorted(m.reviewers) if m.reviewers[r].role == "representative"
                 for p in rv.rubric_targets(r)]
        for _ in range(n):
            rep, p = pairs[len(k.records)]
            k.record(rv.rubric(rep, p, kiosk=k.kiosk))

    def entries(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        while True:
            got = self.http.get(f"{self.url}/api/v1/ledger/entries", params={"start": len(out)}, timeout=20).json()
            if not got["entries"]:
                return out
            out += [e["entry"] for e in got["entries"]]


@pytest.fixture(scope="module")
def site(server: LiveServer, manifest: Manifest, event_copy: EventFiles, browser: Browser, shots: Path,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    # JavaScript off: every form here must work without it
    ctx = browser.new_context(viewport=LAPTOP, base_url=server.url, locale="ko-KR", timezone_id="Asia/Seoul",
                              java_script_enabled=False)
    ctx.set_default_timeout(15_000)
    watch = Watch()
    page = watch.attach(ctx.new_page())
    http = requests.Session()
    token = http.post(f"{server.url}/api/v1/staff/login", json={"name": STAFF, "password": PASSWORD}, timeout=20).json()["token"]
    s = Site(server.url, manifest, Reviewers(event_copy, manifest), http, {"Authorization": f"Bearer {token}"},
             page, watch, shots, tmp_path_factory.mktemp("i9-files"))
    login(page)
    yield s
    assert not watch.errors, watch.errors
    ctx.close()
    http.close()


def step_a_never_synced_kiosk_is_red_everywhere_at_once(site: Site) -> None:
    site.enrol("usb")  # approved, holds ballots on a USB stick, never synced
    page = site.page
    page.goto("/staff/")
    expect(page.locator("#alarms li.bad", has_text="usb")).to_contain_text("서명된 마지막 기록을 한 번도 보내지 않았습니다")
    site.shot("01-overview-nohead")
    page.goto("/staff/kiosks")
    expect(page.locator("#kiosk-table tr[data-kiosk=usb]")).to_have_class(re.compile("bad"))
    expect(page.locator("#kiosk-table tr[data-kiosk=usb] td[data-col=missing]")).to_contain_text("?")
    page.goto("/staff/kiosks/usb")
    expect(page.locator("#todo-nohead")).to_be_visible()
    expect(page.locator("#todo-ok")).to_have_count(0)
    expect(page.locator("#stake-signed")).to_contain_text("없음")
    site.shot("02-kiosk-nohead")
    page.goto("/staff/close")
    expect(page.locator("#close-check li.bad")).to_contain_text("서명된 마지막 기록을 보낸 적 없는 키오스크 1대")
    expect(page.locator("#close-kiosks tr[data-kiosk=usb]")).to_have_class(re.compile("bad"))
    expect(page.locator("#close-kiosks form[action='/staff/kiosks/usb/close']")).to_have_count(0)  # no one-click close


def step_closing_a_kiosk_with_unsent_ballots_needs_an_override_and_loses_nothing(site: Site) -> None:
    page = site.page
    k = site.enrol("k1")
    site.fill(k, 5)
    assert k.sync().json()["synced_seq"] == 5
    site.fill(k, 3)  # saved offline: seq 6-8
    assert k.report_head().status_code == 200  # only its signed head gets through
    page.goto("/staff/kiosks/k1")
    expect(page.locator("#todo-ok")).to_have_count(0)
    expect(page.locator("#todo-missing")).to_contain_text("순번 6–8")
    expect(page.locator("#stake-signed")).to_contain_text("8")
    expect(page.locator("#stake-synced")).to_have_text("5")
    expect(page.locator("#stake-missing")).to_contain_text("순번 6–8")
    expect(page.locator("#stake-contact")).to_contain_text("분 전")
    site.shot("03-kiosk-stake")
    # the wrong name: refused, nothing on the ledger
    size = len(site.entries())
    page.fill("#override-confirm", "k2")
    page.fill("#override-reason", "the kiosk was unplugged")
    page.click("#close-kiosk-btn")
    expect(page.locator("#flash")).to_contain_text("키오스크 이름 k1을 정확히 입력하고 사유를 적으세요")
    expect(page).to_have_url(re.compile("/staff/kiosks/k1"))
    assert len(site.entries()) == size
    page.goto("/staff/kiosks/k1")
    page.fill("#override-confirm", "k1")
    page.fill("#override-reason", "the kiosk was unplugged and sent back")
    page.click("#close-kiosk-btn")
    expect(page.locator("#flash")).to_contain_text("키오스크 k1을 마감했습니다")
    close = site.entries()[-1]
    assert close["type"] == "kiosk-close" and close["statement"]["override"]["missing"] == {"first": 6, "last": 8}
    assert close["statement"]["override"]["reason"] == "the kiosk was unplugged and sent back"
    # the kiosk comes back online: its 3 records are logged, never counted, never refused
    r = k.sync(6)
    assert r.status_code == 200 and [(x["seq"], x["code"]) for x in r.json()["results"]] == [
        (6, "kiosk_closed"), (7, "kiosk_closed"), (8, "kiosk_closed")]
    assert k.closure().json()["status"] == "late"
    late = [e for e in site.entries() if e["type"] == "rejected" and e["code"] == "kiosk_closed"]
    assert [e["seq"] for e in late] == [6, 7, 8]
    page.goto("/staff/kiosks/k1")
    expect(page.locator("#todo-late")).to_contain_text("3건")
    expect(page.locator("#override-note")).to_contain_text("the kiosk was unplugged and sent back")
    expect(page.locator("#override-note")).to_contain_text("6–8")
    for seq in (6, 7, 8):
        expect(page.locator("#refusals tr", has_text="kiosk_closed").filter(has_text=f"{seq}")).not_to_have_count(0)
    site.shot("04-kiosk-late")
    page.goto("/staff/")
    expect(page.locator("#alarms li.warn", has_text="k1")).to_contain_text("마감 뒤에 도착한 기록 3건")
    expect(page.locator("#late li[data-code=kiosk_closed]")).to_contain_text("3")
    expect(page.locator("#ledger-types tr[data-type=rejected]")).to_contain_text("3")
    site.shot("05-overview-reconcile")


def step_bundle_mistakes_say_what_to_do(site: Site) -> None:
    page = site.page
    k = site.enrol("k3")
    site.fill(k, 4)
    files = k.export(site.tmp / "usb-k3" / "simsa-bundle-k3", per_batch=2)
    readme = next(f for f in files if f.name == "README.json")
    batch2 = next(f for f in files if f.name == "batch-0002.json")
    page.goto("/staff/kiosks")
    page.set_input_files("#bundle-file", [str(readme)])
    page.click("#bundle-submit")
    expect(page.locator(".bundle-note[data-key='b.readme.only']")).to_contain_text("아무것도 가져오지 않았습니다")
    site.shot("06-bundle-readme-only")
    page.goto("/staff/kiosks")
    page.set_input_files("#bundle-file", [str(batch2), str(readme)])
    page.click("#bundle-submit")
    expect(page.locator(".bundle-note[data-key='b.readme.missing']")).to_contain_text("batch-0001.json")
    expect(page.locator(".bundle-help")).to_contain_text("순번 1부터")
    site.shot("07-bundle-missing-file")
    # the refused batch still told the server how far the kiosk has signed
    page.goto("/staff/kiosks/k3")
    expect(page.locator("#todo-missing")).to_contain_text("순번 1–4")
    # all files, in any order: applied by seq, everything in
    page.goto("/staff/kiosks")
    page.set_input_files("#bundle-file", [str(f) for f in reversed(files)])
    page.click("#bundle-submit")
    expect(page.locator(".bundle-note[data-key='b.readme.order']")).to_be_visible()
    page.goto("/staff/kiosks/k3")
    expect(page.locator("#todo-ok")).to_be_visible()


def step_closing_the_event_with_kiosks_open_needs_a_reason_and_verify_lists_it(site: Site) -> None:
    page = site.page
    page.goto("/staff/close")
    expect(page.locator("#close-override-help")).to_be_visible()
    page.fill("#confirm-event", site.manifest.event)
    page.fill("#close-reason", "usb and k3 stay open: their ballots were not brought")
    page.click("#close-event-btn")
    expect(page.locator("#flash")).to_contain_text("결과를 공개했습니다")
    close = site.entries()[-1]
    assert close["type"] == "close"
    assert {k["kiosk"] for k in close["statement"]["override"]["kiosks"]} == {"usb", "k3"}
    out = forked.run(["verify", site.url, "--no-state", "--json"])
    v = json.loads(out.stdout)
    assert v["ok"], v["problems"]
    assert [(g["kiosk"], g["code"], g["seqs"]) for g in v["late_records"]] == [("k1", "kiosk_closed", [6, 7, 8])]
    assert [(o["type"], o["kiosk"]) for o in v["overrides"]] == [("kiosk-close", "k1"), ("close", None)]
    assert v["overrides"][0]["missing"] == {"first": 6, "last": 8}
    text = forked.run(["verify", site.url, "--no-state"]).stdout
    assert "kiosk k1 seq 6-8 logged as rejected kiosk_closed" in text and "the kiosk was unplugged and sent back" in text


STORY = (
    step_a_never_synced_kiosk_is_red_everywhere_at_once,
    step_closing_a_kiosk_with_unsent_ballots_needs_an_override_and_loses_nothing,
    step_bundle_mistakes_say_what_to_do,
    step_closing_the_event_with_kiosks_open_needs_a_reason_and_verify_lists_it,
)


def test_a_day_of_kiosk_accounting(site: Site) -> None:
    """The steps build on each other on one server (the kiosks of one step are closed or
    counted in the next), so they run in the story's order as one test."""
    for step in STORY:
        step(site)
