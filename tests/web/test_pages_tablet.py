"""Every staff and public page as people use them at the venue (issue 9, the pages): at
800 px in Korean and English with no sideways scroll and no word or id broken mid-word,
errors in the first screen, reviewer lookup by any part of the id, /verify and the live
dot without JavaScript, times in the event's zone (KST), the results' summary and downloads
first, the CSV with titles, and /results before the event is closed.

A live server, Debian's Chromium and kiosks and reviewers simulated with the shared core
(tests/web/sim.py). Screenshots go to artifacts/web/ (tablet-800-*).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, ViewportSize, expect

from shared.ballot import ballot_id
from shared.manifest import Manifest
from tests.support.events import EventFiles
from tests.support.live import LiveServer
from tests.web.conftest import Watch, login, new_context, no_horizontal_overflow, shoot
from tests.web.sim import Reviewers, SimKiosk, post_online

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TABLET_800: ViewportSize = {"width": 800, "height": 1280}
KIOSK = "hall-a-01"

#: Words (runs without spaces) of visible text that the browser laid out over two lines.
BROKEN_WORDS_JS = """
() => {
  const out = [];
  const skip = (el) => el.closest('.hash, .code, pre, code, svg, .skip, ol.steps, dd.hash, noscript, .sr-only');
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || skip(el) || !el.getClientRects().length) continue;
    const text = n.textContent;
    const re = /\\S{2,}/g;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const r = document.createRange();
      r.setStart(n, m.index);
      r.setEnd(n, m.index + m[0].length);
      const tops = new Set(Array.from(r.getClientRects()).filter((q) => q.width > 0).map((q) => Math.round(q.bottom)));
      if (tops.size > 1) out.push(m[0]);
    }
  }
  return out;
}
"""

#: Ids (class "id") that wrapped, or cells that stick out of their table's box.
BROKEN_IDS_JS = """
() => Array.from(document.querySelectorAll('.id')).filter((e) => {
  const rects = Array.from(e.getClientRects()).filter((q) => q.width > 0);
  return new Set(rects.map((q) => Math.round(q.top))).size > 1;
}).map((e) => e.textContent)
"""


@dataclass
class Venue:
    url: str
    manifest: Manifest
    http: requests.Session
    kiosk: SimKiosk
    reviewers: Reviewers
    shots: Path


@pytest.fixture(scope="module")
def venue(server: LiveServer, manifest: Manifest, event_copy: EventFiles, browser: Browser, shots: Path) -> Iterator[Venue]:
    yield from _venue(server, manifest, event_copy, browser, shots)


@pytest.fixture
def closing_venue(
    fresh_server: LiveServer, manifest: Manifest, event_copy: EventFiles, browser: Browser, shots: Path
) -> Iterator[Venue]:
    """The same venue on a server of its own, for the test that closes the event (the
    module's other tests read an open one)."""
    yield from _venue(fresh_server, manifest, event_copy, browser, shots)


def _venue(server: LiveServer, manifest: Manifest, event_copy: EventFiles, browser: Browser, shots: Path) -> Iterator[Venue]:
    """Kiosk hall-a-01 approved with a few scores and one refused record, online likes,
    a refused online ballot: every page has rows to lay out."""
    http = requests.Session()
    rv = Reviewers(event_copy, manifest)
    k = SimKiosk(server.url, KIOSK, http)
    assert k.register().status_code == 202
    ctx = new_context(browser, TABLET_800, server.url)
    page = ctx.new_page()
    login(page)
    page.goto("/staff/kiosks")
    page.click(f"#approve-{KIOSK}")
    expect(page.locator("#flash")).to_contain_text(f"키오스크 {KIOSK}을 승인했습니다")  # 01 is 일: 을
    ctx.close()
    rep = sorted(r for r, x in manifest.reviewers.items() if x.role == "representative")[0]
    for i, p in enumerate(rv.rubric_targets(rep)[:4]):
        k.record(rv.rubric(rep, p, kiosk=KIOSK, level=0.5 + 0.1 * i))
    k.record(rv.rubric(rep, rv.rubric_targets(rep)[4], kiosk=KIOSK, level=1.5))  # refused: bad_scores
    assert k.sync().status_code == 200
    mems = sorted(r for r, x in manifest.reviewers.items() if x.role == "member")[:6]
    for r in mems:
        g = sorted(manifest.assignments[r])[0]
        ok = [p for p in manifest.groups[g] if manifest.proposals[p].community != manifest.reviewers[r].community]
        assert post_online(server.url, http, rv.approval(r, g, ok[:2])).status_code == 201
    twice = mems[1]  # likes the group again: an open conflict for the conflicts page
    g = sorted(manifest.assignments[twice])[0]
    ok = [p for p in manifest.groups[g] if manifest.proposals[p].community != manifest.reviewers[twice].community]
    assert post_online(server.url, http, rv.approval(twice, g, ok[-1:])).status_code == 201
    other = next(g for g in manifest.groups if g not in manifest.assignments[mems[0]])
    assert post_online(server.url, http, rv.approval(mems[0], other, [manifest.groups[other][0]])).status_code == 422
    yield Venue(server.url, manifest, http, k, rv, shots)
    http.close()


@pytest.fixture()
def tablet(venue: Venue, browser: Browser) -> Iterator[tuple[Page, Watch]]:
    ctx = new_context(browser, TABLET_800, venue.url)
    watch = Watch()
    page = watch.attach(ctx.new_page())
    yield page, watch
    ctx.close()


def laid_out_well(page: Page, what: str) -> None:
    assert no_horizontal_overflow(page), f"{what} scrolls sideways at 800 px"
    assert page.evaluate(BROKEN_IDS_JS) == [], f"{what}: ids wrapped"
    wide = page.evaluate("() => Array.from(document.querySelectorAll('.table-wrap'))"
                         ".filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.parentElement.id || e.closest('[id]').id)")
    assert wide == [], f"{what}: tables scroll sideways inside {wide}"
    assert page.evaluate(BROKEN_WORDS_JS) == [], f"{what}: words broken over two lines"
    nav = page.locator(".main-nav")
    box = nav.bounding_box()
    first = nav.locator("a").first.bounding_box()
    assert box is not None and first is not None and box["height"] < 2 * first["height"] + 16, f"{what}: menu wraps"
    brand = page.locator(".brand-text .event")
    assert brand.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), f"{what}: event title cut"


def staff_pages(v: Venue) -> list[tuple[str, str]]:
    rev = sorted(v.manifest.reviewers)[0]
    return [
        ("/staff/", "overview"), ("/staff/kiosks", "kiosks"), (f"/staff/kiosks/{KIOSK}", "kiosk"),
        ("/staff/conflicts?show=all", "conflicts"), ("/staff/rejections", "rejections"),
        (f"/staff/reviewers?id={rev}", "reviewer"), ("/staff/close", "close"),
    ]


PUBLIC = [("/verify", "verify"), ("/ledger", "ledger"), ("/results", "results-notyet")]


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_every_page_at_800_px(venue: Venue, tablet: tuple[Page, Watch], lang: str) -> None:
    page, watch = tablet
    login(page, lang=lang)
    for path, name in staff_pages(venue) + PUBLIC:
        page.goto(path)
        assert page.locator("html").get_attribute("lang") == lang
        shoot(page, venue.shots, f"tablet-800-{lang}-{name}")
        laid_out_well(page, f"{path} ({lang})")
    assert watch.errors == []


def test_korean_details_times_and_plain_words(venue: Venue, tablet: tuple[Page, Watch]) -> None:
    page, _ = tablet
    login(page)
    page.goto("/staff/rejections")
    rows = page.locator("tr[data-code]")
    expect(rows.first).to_be_visible()
    details = page.locator("tr[data-code] td:nth-child(6)").all_inner_texts()
    assert details and all(not re.search(r"[A-Za-z]{4,} [a-z]{3,} [a-z]{3,}", d) or "원문(영어)" in d for d in details), details
    expect(page.locator("tr[data-code=not_assigned]")).to_contain_text("배정되지 않았습니다")
    # every time in the event's zone, with its abbreviation; the footer says which zone
    when = page.locator("tr[data-code] td").first.inner_text()
    assert re.fullmatch(r"\d\d-\d\d \d\d:\d\d:\d\d KST", when), when
    expect(page.locator("footer")).to_contain_text("KST (Asia/Seoul)")
    page.goto(f"/staff/kiosks/{KIOSK}")
    assert "포크" not in page.locator("main").inner_text()
    expect(page.locator("[title*='포크']").first).to_be_attached()
    assert "해시" not in page.locator("main").inner_text().replace("결과 해시", "")
    page.goto("/ledger")
    recent = page.locator("#recent").inner_text()
    assert "· online" not in recent and "· 온라인" in recent


def test_bundle_errors_in_korean(venue: Venue, tablet: tuple[Page, Watch], tmp_path: Path) -> None:
    page, _ = tablet
    login(page)
    broken, other = tmp_path / "batch-0001.json", tmp_path / "notes.json"
    broken.write_text('{"kiosk": ')
    other.write_text('{"hello": "world"}')
    for f, words in ((broken, "batch-0001.json은 올바른 JSON이 아닙니다"),
                     (other, "notes.json은 키오스크의 기록 묶음, 등록, 마감 보고 파일이 아닙니다")):
        page.goto("/staff/kiosks")
        page.set_input_files("#bundle-file", str(f))
        page.click("#bundle-submit")
        expect(page.locator("#bundle-error")).to_contain_text(words)
        laid_out_well(page, f"bundle page ({f.name})")
    shoot(page, venue.shots, "tablet-800-ko-bundle-error")


def test_live_dot_tells_the_truth(venue: Venue, browser: Browser) -> None:
    for js in (False, True):
        ctx = browser.new_context(viewport=TABLET_800, base_url=venue.url, locale="ko-KR", java_script_enabled=js)
        page = ctx.new_page()
        try:
            login_without_js(page) if not js else login(page)
            page.goto("/staff/kiosks")
            status = page.locator("#live-status")
            if js:
                expect(status).to_have_attribute("data-state", "on")
                expect(status).to_contain_text("자동 갱신 중")
                expect(status.locator(".live-time")).to_contain_text("KST")
            else:
                expect(status).to_have_attribute("data-state", "off")
                expect(status).to_contain_text("자동 갱신 꺼짐")
                color = status.locator(".dot").evaluate("e => getComputedStyle(e).backgroundColor")
                assert color == "rgb(152, 161, 171)", color  # grey, not green
                shoot(page, venue.shots, "tablet-800-ko-live-off")
        finally:
            ctx.close()


def login_without_js(page: Page) -> None:
    page.goto("/staff/login?lang=ko")
    page.fill("#name", "mina")
    page.fill("#password", "mina-password-1")
    page.click("form button[type=submit]")
    page.wait_for_url("**/staff/")


def test_verify_without_javascript_keeps_the_code(venue: Venue, browser: Browser) -> None:
    ctx = browser.new_context(viewport=TABLET_800, base_url=venue.url, locale="ko-KR", java_script_enabled=False)
    page = ctx.new_page()
    try:
        page.goto("/verify")
        expect(page.locator("#verify-noscript")).to_be_visible()
        expect(page.locator("#verify-noscript")).to_contain_text("자바스크립트")
        page.fill("#receipt", "7Q2M-K4XD")
        page.click("#verify-submit")
        expect(page).to_have_url(re.compile(r"/verify\?r=7Q2M-K4XD"))
        expect(page.locator("#receipt")).to_have_value("7Q2M-K4XD")
        expect(page.locator("#verify-noscript")).to_contain_text("7Q2M-K4XD")
        shoot(page, venue.shots, "tablet-800-ko-verify-noscript")
        page.goto("/verify?lang=en")
        expect(page.locator("#verify-noscript")).to_contain_text("JavaScript is off")
    finally:
        ctx.close()


def test_verify_shows_times_in_the_event_zone(venue: Venue, tablet: tuple[Page, Watch]) -> None:
    page, watch = tablet
    entries = venue.http.get(f"{venue.url}/api/v1/ledger/entries", params={"start": 0}, timeout=20).json()["entries"]
    ballot = next(e["entry"] for e in entries if e["entry"]["type"] == "ballot")
    page.goto(f"/verify?r={ballot_id(ballot['signed_ballot'])}")
    expect(page.locator("#verdict")).to_have_attribute("data-result", "ok")
    steps = page.locator("ol.steps").inner_text()
    assert len(re.findall(r"\d\d:\d\d:\d\d KST", steps)) == 2, steps  # cast at, and the tree head signed at
    assert "Z " not in steps and not steps.rstrip().endswith("Z")
    assert watch.errors == []


def test_reviewer_lookup_by_any_part_of_the_id(venue: Venue, tablet: tuple[Page, Watch]) -> None:
    page, _ = tablet
    login(page)
    rid = sorted(r for r in venue.manifest.reviewers if r.startswith("rep-"))[0]
    number = rid.split("-", 1)[1]
    page.goto("/staff/reviewers")
    expect(page.locator("#rid-hint")).to_contain_text(rid.split("-")[0])  # the format, by example
    for typed in (rid.upper(), rid, f" {rid.upper()} "):
        page.fill("#rid", typed)
        page.click("#reviewer-find")
        expect(page.locator("#reviewer-card h2")).to_have_text(rid)
    # the number alone: every id with that number after a dash, to choose from
    page.fill("#rid", number)
    page.click("#reviewer-find")
    expect(page.locator(f"#reviewer-matches a.id:text-is('{rid}')")).to_have_count(1)
    page.fill("#rid", "rep")
    page.click("#reviewer-find")
    matches = page.locator("#reviewer-matches a")
    assert matches.count() > 1
    shoot(page, venue.shots, "tablet-800-ko-reviewer-matches")
    matches.first.click()
    expect(page.locator("#reviewer-card")).to_be_visible()
    page.goto("/staff/reviewers?id=zz-nobody")
    expect(page.locator("#reviewer-notfound")).to_contain_text("대소문자")


def session(page: Page) -> dict[str, str]:
    return {c["name"]: c["value"] for c in page.context.cookies() if "name" in c and "value" in c}


def in_first_screen(page: Page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    size = page.viewport_size
    return box is not None and size is not None and box["y"] >= 0 and box["y"] + box["height"] <= size["height"]


def test_results_before_close_and_close_error_at_the_top(venue: Venue, tablet: tuple[Page, Watch]) -> None:
    page, _ = tablet
    for lang, words in (("ko", "행사를 마감하면"), ("en", "when staff close the event")):
        r = page.goto(f"/results?lang={lang}")
        assert r is not None and r.status == 200
        expect(page.locator("#results-notyet")).to_contain_text(words)
        expect(page.locator("#results-notyet a[href='/verify']")).to_be_visible()
    login(page)
    page.goto("/staff/close")
    page.fill("#confirm-event", "wrong-event")
    if page.locator("#close-reason").count():  # kiosks still open: the close also wants a reason
        page.fill("#close-reason", "a reason, but the wrong event id")
    page.click("#close-event-btn")
    expect(page.locator("#page-error")).to_contain_text(venue.manifest.event)
    assert in_first_screen(page, "#page-error"), "the error is below the fold"
    shoot(page, venue.shots, "tablet-800-ko-close-error")


def test_live_update_fetches_only_on_change_and_swaps_only_what_changed(venue: Venue, tablet: tuple[Page, Watch]) -> None:
    page, watch = tablet
    login(page)
    page.goto("/staff/close")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "on")
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url) if "/staff/close" in r.url else None)
    # Nothing changes: polls of the small stamp only, never the page.
    page.wait_for_timeout(5000)
    assert fetched == []
    # An unchanged part of the page keeps its very element; the changed summary is new.
    page.locator("#close-event").evaluate("e => { e.simsaKept = 'yes'; }")  # a property, not an attribute
    before = page.locator("#results-summary").inner_text()
    m, rv = venue.manifest, venue.reviewers
    r = sorted(x for x, rev in m.reviewers.items() if rev.role == "member")[10]
    g = sorted(m.assignments[r])[0]
    ok = [p for p in m.groups[g] if m.proposals[p].community != m.reviewers[r].community]
    assert post_online(venue.url, venue.http, rv.approval(r, g, ok[:1])).status_code == 201
    expect(page.locator("#results-summary")).not_to_have_text(before, timeout=15_000)
    assert len(fetched) == 1
    assert page.locator("#close-event").evaluate("e => e.simsaKept") == "yes"
    expect(page.locator("#charts svg.chart")).to_have_count(3)  # kept: the refresh leaves them out
    full = venue.http.get(f"{venue.url}/staff/close", cookies=session(page), timeout=20)
    light = venue.http.get(f"{venue.url}/staff/close", cookies=session(page), headers={"X-Simsa-Live": "1"}, timeout=20)
    assert full.status_code == light.status_code == 200 and "<svg" in full.text and "<svg" not in light.text
    assert watch.errors == []


def test_closed_results_summary_first_and_csv_with_titles(closing_venue: Venue, browser: Browser) -> None:
    venue = closing_venue
    tablet = new_context(browser, TABLET_800, venue.url)
    watch = Watch()
    page = watch.attach(tablet.new_page())
    _closed_results(venue, page, watch)
    tablet.close()


def _closed_results(venue: Venue, page: Page, watch: Watch) -> None:
    login(page)
    page.goto(f"/staff/kiosks/{KIOSK}")
    assert venue.kiosk.closure().status_code == 202
    page.goto(f"/staff/kiosks/{KIOSK}")
    page.click("#close-kiosk-btn")
    page.goto("/staff/close")
    page.fill("#confirm-event", venue.manifest.event)
    page.click("#close-event-btn")
    expect(page.locator("#closed-note")).to_be_visible()
    # the results hash is marked as a hash: a '-' in it may wrap, as in any hash, without a broken word
    results_hash = venue.http.get(f"{venue.url}/api/v1/results", timeout=20).json()["results_hash"]
    expect(page.locator("#closed-note .hash")).to_have_text(results_hash)
    for path in ("/staff/close", "/results", "/results?lang=en"):
        page.goto(path)
        assert in_first_screen(page, "#results-summary"), f"{path}: summary below the first screen"
        assert in_first_screen(page, "#downloads"), f"{path}: downloads below the first screen"
        expect(page.locator("#all-page")).to_be_visible()
        laid_out_well(page, path)
    shoot(page, venue.shots, "tablet-800-en-results")
    page.goto("/results")
    shoot(page, venue.shots, "tablet-800-ko-results")
    text = venue.http.get(f"{venue.url}/api/v1/results.csv", timeout=20).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and all(r["title"] == venue.manifest.proposals[r["proposal"]].title for r in rows)
    assert watch.errors == []
