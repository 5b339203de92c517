"""The browser's own cryptography on /verify (static/verify.js), checked against the
Python core: RFC 8785 vectors, the leaf hash of real ledger entries (Korean text, nested
objects, nulls), RFC 9162 inclusion for every index of trees of size 1..24 with tampered
proofs refused, the STH signature; and the honest message on an insecure origin."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st
from playwright.sync_api import Browser, Page, Playwright, expect

from shared.encoding import b64u, jcs
from shared.manifest import Manifest
from shared.merkle import leaf_hash, naive_inclusion_path, root_from_leaf_hashes
from shared.receipt import encode_code
from tests.support.events import EventFiles
from tests.support.live import LiveServer
from tests.web.conftest import ARGS, CHROMIUM, LAPTOP, Watch, new_context
from tests.web.sim import Reviewers, SimKiosk, post_online

pytestmark = pytest.mark.browser

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "rfc8785.json"


@pytest.fixture(scope="module")
def page(server: LiveServer, browser: Browser) -> Iterator[Page]:
    ctx = new_context(browser, LAPTOP, server.url)
    watch = Watch()
    p = watch.attach(ctx.new_page())
    p.goto("/verify")
    yield p
    assert watch.errors == []
    ctx.close()


def test_jcs_matches_rfc8785_vectors(page: Page) -> None:
    d = json.loads(VECTORS.read_text())
    cases = [(ex["input_json"], bytes.fromhex(ex["expected_hex"]).decode()) for ex in d["examples"]]
    cases += [(n["json"], n["expected"]) for n in d["number_literals"]]
    got = page.evaluate("cases => cases.map(([t]) => SimsaVerify.jcs(JSON.parse(t)))", cases)
    assert got == [want for _, want in cases]


def test_leaf_hashes_of_real_entries(page: Page, server: LiveServer, manifest: Manifest, event_copy: EventFiles) -> None:
    http = requests.Session()
    k = SimKiosk(server.url, "kjs", http)
    assert k.register().status_code == 202
    token = http.post(server.url + "/api/v1/staff/login", json={"name": "mina", "password": "mina-password-1"}).json()
    assert http.post(f"{server.url}/api/v1/staff/kiosks/kjs/approve",
                     headers={"Authorization": "Bearer " + token["token"]}, timeout=20).ok
    rv = Reviewers(event_copy, manifest)
    rep = sorted(r for r, x in manifest.reviewers.items() if x.role == "representative")[0]
    for p in rv.rubric_targets(rep)[:3]:
        k.record(rv.rubric(rep, p, kiosk="kjs"))
    # A comment with Korean, an emoji, quotes, a backslash and control characters.
    from shared.ballot import rubric_ballot, sign_ballot
    from tests.web.sim import now

    b = rubric_ballot(event=manifest.event, reviewer=rep, channel="kiosk", kiosk="kjs", created_at=now(),
                      nonce="00000000-0000-4000-8000-000000000001", proposal=rv.rubric_targets(rep)[3],
                      scores={c.id: c.max for c in manifest.rubric}, comment='좋아요 👍 "따옴표" \\ \t\n끝')
    k.record(sign_ballot(b, rv.key(rep)).to_json())
    assert k.sync().ok
    entries = http.get(server.url + "/api/v1/ledger/entries", params={"start": 0}, timeout=20).json()["entries"]
    want = [b64u(leaf_hash(jcs(e["entry"]))) for e in entries]
    got = page.evaluate(
        """async entries => Promise.all(entries.map(async e =>
             SimsaVerify.b64u(await SimsaVerify.leafHash(new TextEncoder().encode(SimsaVerify.jcs(e.entry))))))""",
        entries,
    )
    assert got == want and len(got) >= 6
    proofs = [http.get(server.url + "/api/v1/ledger/proof/inclusion", params={"index": i}, timeout=20).json()["leaf_hash"]
              for i in range(len(entries))]
    assert proofs == want


def test_inclusion_for_every_index_and_tampering(page: Page) -> None:
    leaves = [leaf_hash(f"entry {i}".encode()) for i in range(24)]
    cases = []
    for size in range(1, 25):
        root = root_from_leaf_hashes(leaves[:size])
        for i in range(size):
            path = naive_inclusion_path(leaves[:size], i)
            cases.append({"i": i, "n": size, "leaf": b64u(leaves[i]), "path": [b64u(p) for p in path],
                          "root": b64u(root)})
    got = page.evaluate(
        """async cases => {
          const V = SimsaVerify, d = V.b64uDecode;
          const out = [];
          for (const c of cases) {
            const ok = V.b64u(await V.rootFromInclusion(c.i, c.n, d(c.leaf), c.path.map(d))) === c.root;
            let tampered = false;
            if (c.path.length) {
              const p = c.path.map(d); p[0] = p[0].slice(); p[0][0] ^= 1;
              tampered = V.b64u(await V.rootFromInclusion(c.i, c.n, d(c.leaf), p)) === c.root;
            }
            let shortRefused = !c.path.length;
            if (c.path.length) {
              try { await V.rootFromInclusion(c.i, c.n, d(c.leaf), c.path.slice(1).map(d)); }
              catch (e) { shortRefused = true; }
            }
            out.push([ok, tampered, shortRefused]);
          }
          return out;
        }""",
        cases,
    )
    assert all(ok for ok, _, _ in got) and not any(t for _, t, _ in got) and all(s for _, _, s in got)
    assert len(got) == sum(range(1, 25))


def test_sth_signature(page: Page, server: LiveServer) -> None:
    sth = requests.get(server.url + "/api/v1/ledger/sth", timeout=20).json()
    key = requests.get(server.url + "/api/v1/ledger/key", timeout=20).json()["public_key"]
    forged = {**sth, "tree_size": sth["tree_size"] + 1}
    got = page.evaluate("async ([s, f, k]) => [await SimsaVerify.verifySth(s, k), await SimsaVerify.verifySth(f, k)]",
                        [sth, forged, key])
    assert got == [True, False]


def test_receipt_formats(page: Page) -> None:
    got = page.evaluate(
        "xs => xs.map(x => SimsaVerify.normaliseReceipt(x))",
        ["ZFZV-YZGT", "zfzv-yzgt", " zfzv yzgt ", "ZFZVYZGT", "ol1i-–Z ZZZ", "x" * 43, "http://h/verify?r=" + "y" * 43,
         "AbC1-x9_Z", "ZFZV-YZGU", "ZFZV-YZG", "ZFZV-YZGTT", "", "a" * 44],
    )
    short = {"kind": "short", "value": "ZFZV-YZGT"}
    assert got == [
        short, short, short, short, {"kind": "short", "value": "0111-ZZZZ"}, {"kind": "id", "value": "x" * 43},
        {"kind": "id", "value": "y" * 43}, None, None, None, None, None, None,
    ]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.binary(min_size=5, max_size=5), min_size=1, max_size=20))
def test_short_codes_match_the_python_core(page: Page, prefixes: list[bytes]) -> None:
    got = page.evaluate("xs => xs.map(x => SimsaVerify.shortCode(Uint8Array.from(x)))", [list(p) for p in prefixes])
    assert got == [encode_code(p) for p in prefixes]
    typed = page.evaluate("xs => xs.map(x => SimsaVerify.normaliseCode(x))", [c.lower() for c in got])
    assert typed == got


FAKE_DETECTOR = """
window.BarcodeDetector = class {
  constructor(opts) { this.formats = opts.formats; }
  async detect(source) {
    // what a QR decoder returns for the receipt printed by the kiosk, once the video plays
    return source.readyState >= 2 ? [{ rawValue: window.__receipt, format: "qr_code" }] : [];
  }
};
"""


def test_camera_scan_where_the_browser_decodes_qr(browser: Browser, server: LiveServer, page: Page,
                                                  manifest: Manifest, event_copy: EventFiles) -> None:
    # Linux Chromium has no BarcodeDetector: the scan button stays hidden, typing works.
    assert page.evaluate("'BarcodeDetector' in window") is False
    expect(page.locator("#scan-button")).to_be_hidden()
    rv = Reviewers(event_copy, manifest)
    mem = sorted(r for r, x in manifest.reviewers.items() if x.role == "member")[-1]
    g = sorted(manifest.assignments[mem])[0]
    receipt = post_online(server.url, requests.Session(), rv.approval(mem, g, [])).json()["id"]
    ctx = new_context(browser, LAPTOP, server.url)
    try:
        ctx.grant_permissions(["camera"])
        ctx.add_init_script(FAKE_DETECTOR + f"window.__receipt = {json.dumps(receipt)};")
        p = ctx.new_page()
        p.goto("/verify")
        p.click("#scan-button")
        expect(p.locator("#verdict")).to_have_attribute("data-result", "ok")
        assert p.input_value("#receipt") == receipt
        expect(p.locator("#scan-box")).to_be_hidden()
    finally:
        ctx.close()


def test_insecure_origin_says_what_to_do(playwright_session: Playwright, server: LiveServer) -> None:
    """Over plain http to a non-local name there is no WebCrypto: the page says so."""
    args = [*ARGS, "--host-resolver-rules=MAP simsa-venue.test 127.0.0.1"]
    b = playwright_session.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
    try:
        p = b.new_page()
        p.goto(f"http://simsa-venue.test:{server.port}/verify")
        assert p.evaluate("isSecureContext") is False
        expect(p.locator("#verify-insecure")).to_contain_text("simsa verify")
        expect(p.locator("#verify-submit")).to_be_disabled()
    finally:
        b.close()
