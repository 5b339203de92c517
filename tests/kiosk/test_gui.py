"""End to end under Xvfb: the real app, a camera frame with the card, taps on the PIN pad
and the sheet, a receipt with no network; then the server comes up, staff sync, the
ballot is on the ledger, and the kiosk is closed. Screenshots of every screen go to
``artifacts/kiosk/``. The online client is driven the same way against a live server."""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import cv2
import pytest
import requests

from kiosk.tools.frames import frame
from tests.kiosk.conftest import STAFF_PIN
from tests.kiosk.window import REPO, window_env, xvfb
from tests.support.events import EventFiles
from tests.support.live import (
    STAFF_NAME,
    STAFF_PASSWORD,
    LiveServer,
    add_staff,
    copy_event,
    free_port,
    start_server,
)

pytestmark = [pytest.mark.gui, pytest.mark.slow]


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    """A private Xvfb display (1280×800) for the test's app processes."""
    with xvfb(1280, 800) as d:
        yield d


def drive(plan: Mapping[str, object], display: str, out: Path, kivy_home: Path) -> subprocess.Popen[bytes]:
    """Start the driver on ``plan``; its screenshots and log go to ``out``, Kivy's own config
    and icons to ``kivy_home`` (a temporary folder, not among the artefacts)."""
    out.mkdir(parents=True, exist_ok=True)
    plan_path = out / "plan.json"
    plan_path.write_text(json.dumps(plan))
    env = window_env(display, kivy_home)
    with open(out / "driver.log", "wb") as log:
        return subprocess.Popen([sys.executable, "-m", "tests.kiosk.gui_driver", str(plan_path)], cwd=REPO,
                                env=env, stdout=log, stderr=subprocess.STDOUT)


def finish(proc: subprocess.Popen[bytes], out: Path, timeout: float = 120) -> dict[str, object]:
    try:
        proc.wait(timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    log = (out / "driver.log").read_text(errors="replace")
    assert (out / "result.json").exists(), f"the app ended without a result:\n{log[-4000:]}"
    result: dict[str, object] = json.loads((out / "result.json").read_text())
    assert result["ok"], f"{result.get('error')}\n{log[-3000:]}"
    return result


def wait_for(cond: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_card_to_receipt_offline_then_sync_and_close(
    mini_event: EventFiles, tmp_path: Path, artifacts_dir: Path, display: str
) -> None:
    out = artifacts_dir / "kiosk"
    shutil.rmtree(out, ignore_errors=True)
    frames = tmp_path / "frames"
    frames.mkdir()
    rid = "rep-01"
    cv2.imwrite(str(frames / "a-hall.png"), frame(None, "none", 3))  # the hall, no card yet
    card = tmp_path / "card.png"
    cv2.imwrite(str(card), frame(mini_event.credentials[rid], "clean", 5))
    event_dir = copy_event(mini_event.dir, tmp_path / "event")
    add_staff(event_dir, None, STAFF_NAME, STAFF_PASSWORD)
    port = free_port()
    plan = {"data": str(tmp_path / "kiosk"), "manifest": str(event_dir / "manifest.json"),
            "server": f"http://127.0.0.1:{port}", "frames": str(frames), "card_frame": str(card),
            "pin": mini_event.pins[rid], "staff_pin": STAFF_PIN, "kiosk_id": "k-gui", "out": str(out)}
    proc = drive(plan, display, out, tmp_path / "kivy-home")
    srv: LiveServer | None = None
    try:
        # no server is listening yet: the whole vote happens without a network
        wait_for(lambda: (out / "voted").exists() or proc.poll() is not None, 150, "the vote")
        assert (out / "voted").exists(), (out / "driver.log").read_text(errors="replace")[-3000:]
        srv = start_server(event_dir, port=port)
        s = requests.Session()
        token = s.post(srv.url + "/api/v1/staff/login", json={"name": STAFF_NAME, "password": STAFF_PASSWORD},
                       timeout=10).json()["token"]
        (out / "network-up").write_text("")
        wait_for(lambda: s.get(srv.url + "/api/v1/kiosks/k-gui", timeout=5).json()["status"] == "pending", 60,
                 "the kiosk's registration")
        r = s.post(srv.url + "/api/v1/staff/kiosks/k-gui/approve", headers={"Authorization": f"Bearer {token}"},
                   timeout=10)
        assert r.status_code == 200, r.text
        result = finish(proc, out)
        status = s.get(srv.url + "/api/v1/kiosks/k-gui", timeout=5).json()
        entries = s.get(srv.url + "/api/v1/ledger/entries", params={"start": 0, "end": 1000}, timeout=10).json()
    finally:
        if proc.poll() is None:
            proc.kill()
        if srv is not None:
            srv.stop()
    assert result["saved_before_network"] is True and result["seq"] == 1
    assert result["unlocking_shown"] is True and result["saving_shown"] is True  # spinners while workers run
    assert result["saved_while_spinning"] == 0
    assert status["synced_seq"] == 1
    ballots = [e["entry"] for e in entries["entries"] if e["entry"]["type"] == "ballot"]
    assert [(b["kiosk"], b["seq"]) for b in ballots] == [("k-gui", 1)]
    from shared.ballot import ballot_id, short_code

    assert ballot_id(ballots[0]["signed_ballot"]) == result["ballot_id"]
    # the receipt screen: the short code to read aloud, the QR of the full id
    assert result["code_shown"] == short_code(str(result["ballot_id"])) and result["qr_data"] == result["ballot_id"]
    assert result["closure_sent"] is True
    shots = result["shots"]
    assert isinstance(shots, list)
    for name in ("01-scan", "02-pin", "03-assignments", "04-rubric-empty", "05-rubric-filled", "06-confirm",
                 "07-receipt", "10-staff-pin", "11-staff-synced", "13-closed"):
        assert f"{name}.png" in shots and (out / f"{name}.png").stat().st_size > 10_000
    assert list((out / "usb").glob("simsa-bundle-k-gui-*/registration.json"))
    assert result["small_targets"] == []  # every button on every screen is at least 48 dp


def test_online_client_pasted_card_to_ledger_receipt(
    live_server: LiveServer, mini_event: EventFiles, tmp_path: Path, artifacts_dir: Path, display: str
) -> None:
    out = artifacts_dir / "kiosk-online"
    shutil.rmtree(out, ignore_errors=True)
    manifest = mini_event.manifest_path
    rid = sorted(r for r in mini_event.credentials if r.startswith("mem-"))[0]
    plan = {"data": str(tmp_path / "online"), "manifest": str(manifest), "server": live_server.url,
            "online": True, "credential": mini_event.credentials[rid], "pin": mini_event.pins[rid], "out": str(out),
            "idle_s": 6}
    result = finish(drive(plan, display, out, tmp_path / "kivy-home"), out)
    delivery = result["delivery"]
    assert isinstance(delivery, dict) and delivery["status"] == "sent"
    with contextlib.closing(requests.Session()) as s:
        r = s.get(live_server.url + "/api/v1/ledger/entries",
                  params={"start": delivery["index"], "end": delivery["index"] + 1}, timeout=10).json()
    from shared.ballot import ballot_id

    assert ballot_id(r["entries"][0]["entry"]["signed_ballot"]) == result["ballot_id"]
    assert result["choices"] == 6 and result["idle_logout"] is True and result["escape_kept_app"] is True
    assert result["ime_hint"] is True
    assert result["small_targets"] == []
