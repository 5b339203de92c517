"""/verify in Chromium under a 2-of-2 witness policy: a receipt is shown *witnessed* once
a checkpoint cosigned by both real witnesses includes it, and *not yet witnessed* while
the witnesses are down; the browser checks the note signatures itself."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, expect

from shared.checkpoint import ledger_verifier
from shared.manifest import verify_signed_manifest
from shared.note import parse_note
from simsa.cli import main
from tests.server.kit import Ballots, receipt_id, reviewer_keys
from tests.support.events import load_event_files
from tests.support.live import free_port, start_server
from tests.support.witnesses import LiveWitness, keygen
from tests.web.conftest import LAPTOP, Watch, new_context

pytestmark = pytest.mark.browser


def test_verify_page_shows_witnessed_and_not_yet(browser: Browser, tmp_path: Path) -> None:
    v1 = keygen(tmp_path / "w1.key", "w1.example/simsa")
    v2 = keygen(tmp_path / "w2.key", "w2.example/simsa")
    ev = tmp_path / "event"
    assert main(["event", "init", str(ev), "--demo", "mini", "--witness", v1.vkey, "--witness", v2.vkey]) == 0
    m = verify_signed_manifest(json.loads((ev / "manifest.json").read_text()))
    ballots = Ballots(m, reviewer_keys(load_event_files(ev), m))
    log = ledger_verifier(f"localhost/simsa/{m.event}", m.ledger_key)
    w1 = LiveWitness(tmp_path / "w1.key", tmp_path / "w1", [log.vkey], free_port())
    w2 = LiveWitness(tmp_path / "w2.key", tmp_path / "w2", [log.vkey], free_port())
    env = {"SIMSA_WITNESSES": json.dumps([f"{v1.vkey}={w1.url}", f"{v2.vkey}={w2.url}"])}
    w1.start()
    w2.start()
    try:
        with start_server(ev, env=env) as srv:
            first = ballots.approval(ballots.members()[0])
            assert requests.post(srv.url + "/api/v1/ballots", json=first, timeout=10).status_code == 201
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                r = requests.get(srv.url + "/tlog/witnessed-checkpoint", timeout=10)
                if r.status_code == 200 and r.text.split("\n")[1] == "2" and len(parse_note(r.text).signatures) == 3:
                    break
                time.sleep(0.2)
            else:
                raise AssertionError("no checkpoint of size 2 cosigned by both witnesses in 30 s")
            w1.kill()
            w2.kill()
            second = ballots.approval(ballots.members()[1])
            assert requests.post(srv.url + "/api/v1/ballots", json=second, timeout=10).status_code == 201

            ctx = new_context(browser, LAPTOP, srv.url)
            watch = Watch()
            page = watch.attach(ctx.new_page())
            page.goto(f"/verify?lang=en&r={receipt_id(first)}")
            expect(page.locator("#verdict")).to_have_attribute("data-result", "ok")
            expect(page.locator("#verify-witness")).to_have_attribute("data-witnessed", "1")
            expect(page.locator("#verify-witness")).to_contain_text("Witnessed")
            expect(page.locator("#verify-witness")).to_contain_text("2/2")
            page.goto(f"/verify?lang=en&r={receipt_id(second)}")
            expect(page.locator("#verdict")).to_have_attribute("data-result", "ok")
            expect(page.locator("#verify-witness")).to_have_attribute("data-witnessed", "0")
            expect(page.locator("#verify-witness")).to_contain_text("not yet witnessed")
            page.screenshot(path=str(tmp_path / "verify-not-witnessed.png"), full_page=True)
            # the browser's own note checks: a flipped cosignature byte, another ledger key
            note = requests.get(srv.url + "/tlog/witnessed-checkpoint", timeout=10).text
            policy = requests.get(srv.url + "/tlog/witnesses", timeout=10).json()
            last = note.rstrip("\n").rsplit(" ", 1)[1]
            flipped = note.replace(last, ("A" if last[10] != "A" else "B").join([last[:10], last[11:]]))
            js = "([n, k, p]) => SimsaVerify.checkCheckpoint(n, k, p)"
            good = page.evaluate(js, [note, m.ledger_key, policy])
            assert good["ledgerOk"] and sorted(good["cosigners"]) == sorted([v1.name, v2.name])
            bad = page.evaluate(js, [flipped, m.ledger_key, policy])
            assert bad["cosigners"] == [] and bad["bad"] in (v1.name, v2.name)
            other = page.evaluate(js, [note, m.authority_key, policy])
            assert not other["ledgerOk"]
            assert watch.errors == []
            ctx.close()
    finally:
        w1.kill()
        w2.kill()
