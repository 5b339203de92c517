"""Issue 11, "the kiosk for the people in front of it", played in a real window under Xvfb
(tests/kiosk/layout_driver.py) at 1280×800, 800×1280 and 1024×600: every screen fits
(no label's text outside its box, no touch target under 48 dp; every screen once more in
high contrast at 1024×600), a reviewer scores eleven
proposals without the list and cannot end the session by a stray tap, a refused online
ballot is red and not counted, and SIGTERM ends even a fullscreen kiosk cleanly.
Screenshots go to ``artifacts/kiosk-layout*/``."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import pytest

from kiosk.screens.colours import COLOURS, EDGE_DP, rgba
from kiosk.tools.frames import frame
from tests.kiosk.conftest import STAFF_PIN
from tests.kiosk.window import REPO, window_env, xvfb
from tests.support.events import EventFiles
from tests.support.live import STAFF_NAME, STAFF_PASSWORD, LiveServer, free_port

pytestmark = [pytest.mark.gui, pytest.mark.slow]
TEXT_COLOURS = ("INK", "INK_ON_DARK", "PRIMARY", "SUCCESS", "DANGER", "DEMO", "DISABLED")
SIZES = [[1280, 800], [800, 1280], [1024, 600]]
CONTRAST_SIZE = [1024, 600]  # every screen once more in high contrast, at the tightest size


@pytest.fixture(scope="module")
def big_display() -> Iterator[str]:
    """A private Xvfb display large enough for a portrait window (1280×1280)."""
    with xvfb(1280, 1280) as display:
        yield display


def _env(display: str, kivy_home: Path, console: bool = False) -> dict[str, str]:
    return window_env(display, kivy_home, console=console)


def run_driver(plan: dict[str, Any], display: str, out: Path, kivy_home: Path, timeout: float = 420) -> dict[str, Any]:
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    plan_path = out / "plan.json"
    plan_path.write_text(json.dumps(plan))
    with open(out / "driver.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "tests.kiosk.layout_driver", str(plan_path)], cwd=REPO,
                                env=_env(display, kivy_home), stdout=log, stderr=subprocess.STDOUT)
        try:
            proc.wait(timeout)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    text = (out / "driver.log").read_text(errors="replace")
    assert (out / "result.json").exists(), f"the app ended without a result:\n{text[-4000:]}"
    result: dict[str, Any] = json.loads((out / "result.json").read_text())
    assert result["ok"], f"{result.get('error')}\n{text[-3000:]}"
    return result


def assert_fits(result: dict[str, Any], out: Path) -> None:
    overflow = {k: v for k, v in result["overflow"].items() if v}
    small = {k: v for k, v in result["small"].items() if v}
    assert overflow == {}, json.dumps(overflow, ensure_ascii=False, indent=1)
    assert small == {}, json.dumps(small, ensure_ascii=False, indent=1)
    for name in result["shots"]:
        assert (out / name).stat().st_size > 10_000, name
    for w, h in SIZES:
        assert any(n.endswith(f"-{w}x{h}.png") for n in result["shots"])


def assert_high_contrast(result: dict[str, Any]) -> None:
    """Every screen also fits in high contrast (assert_fits covered the ``-hc`` shots): the
    window is white, labels use only the high-contrast text colours (no grey), and every
    enabled button has a black border, 4 dp wide."""
    w, h = CONTRAST_SIZE
    shots = [n for n in result["shots"] if n.endswith(f"-hc-{w}x{h}.png")]
    assert len(shots) == len(result["contrast_seen"]) >= 10, shots
    allowed = {tuple(round(c, 3) for c in rgba(COLOURS[k][1])) for k in TEXT_COLOURS}
    for seen, shot in zip(result["contrast_seen"], shots, strict=True):
        assert seen["high"] and seen["clear"] == [1, 1, 1, 1] and seen["edge_dp"] == pytest.approx(EDGE_DP[1]), shot
        grey = [c for c in seen["label_colours"] if tuple(c) not in allowed and c[3] > 0]
        assert grey == [], (shot, grey)
        assert seen["button_borders"] in ([], [[0, 0, 0, 1]]), (shot, seen["button_borders"])


def test_every_screen_fits_and_a_reviewer_gets_through_eleven(
    mini_event: EventFiles, tmp_path: Path, artifacts_dir: Path, big_display: str
) -> None:
    out = artifacts_dir / "kiosk-layout"
    frames = tmp_path / "frames"
    frames.mkdir()
    cv2.imwrite(str(frames / "a-hall.png"), frame(None, "none", 3))
    card = tmp_path / "card.png"
    cv2.imwrite(str(card), frame(mini_event.credentials["rep-01"], "clean", 5))
    other = tmp_path / "other.png"
    cv2.imwrite(str(other), frame("https://example.org/not-a-judging-card", "clean", 5))
    plan = {"other_frame": str(other), "data": str(tmp_path / "kiosk"), "manifest": str(mini_event.manifest_path),
            "server": f"http://127.0.0.1:{free_port()}",  # nobody listens: the staff screen shows a sync error
            "frames": str(frames), "card_frame": str(card), "pin": mini_event.pins["rep-01"], "staff_pin": STAFF_PIN,
            "out": str(out), "idle_s": 12, "sizes": SIZES, "contrast_size": CONTRAST_SIZE}
    r = run_driver(plan, big_display, out, tmp_path / "kivy-home")
    assert_fits(r, out)
    assert_high_contrast(r)
    # 5. after a refused scan the camera hint no longer says "reading…"
    assert r["refused_hint"] == "이 카드는 열 수 없습니다 (위 안내를 보세요)"
    assert "Community participation" in r["rubric_en_labels"]  # 1. fits whole at every size (checked above)
    # 9. a large-text setting on every screen (the bar), and it fits too
    assert r["big_text_font"] > r["normal_text_font"]
    # 3. no accidental exits
    assert r["finish_with_left"] == {"step": "assignments", "asking": True, "overlay": True}
    assert r["after_keep_going"] == "assignments"
    assert r["receipt_finish"] == {"step": "receipt", "asking": True}
    # a second tap 0.2 s after "next proposal" does not press the sheet's "next" under the finger
    assert r["double_tap"] == {"step": "rubric", "notice": None, "scores": ["None"] * 4}
    # 8. the idle question covers the sheet without moving it, and "continue" keeps it
    assert r["idle_asked"]["title"] == "계속하시겠어요?" and r["idle_asked"]["moved"] == 0
    assert r["idle_kept"] == {"step": "rubric", "score": 10, "overlay": False}
    # 5. the receipt names the proposal, the total and where to check
    rec = r["receipt"]
    assert rec["what"].startswith("p02 ") and rec["total"] == "합계 80점 / 100점"
    assert rec["check"].endswith("/verify") and rec["title"] == "이 키오스크에 저장되었습니다"
    # 4. eleven proposals, receipt to next sheet, never the list
    assert r["all_done"] == {"progress": [11, 0], "receipts": 11, "list_seen": False}
    assert r["done_codes"] == 11
    assert r["lang_after"] == "ko"  # the English of the last reviewer is not the next one's
    assert r["contrast_after"] == [False, False, list(rgba(COLOURS["BG"][0]))]  # nor their high contrast
    # 9. the staff screen: local time, an error in words, no overlap with the title
    st = r["staff"]
    assert st["title_bottom"] >= st["info_top"]
    joined = "\n".join(st["texts"])
    assert "KST" in joined and "서버에 닿지 않습니다" in joined
    assert not any(t.rstrip().endswith("Z") for t in st["texts"])
    assert "증인" not in joined and "itness" not in joined  # no witnesses in this manifest: nothing about them


def test_online_refused_ballot_is_red_and_not_counted(
    live_server: LiveServer, mini_event: EventFiles, tmp_path: Path, artifacts_dir: Path, big_display: str
) -> None:
    out = artifacts_dir / "kiosk-layout-online"
    rid = sorted(r for r in mini_event.credentials if r.startswith("mem-"))[0]
    plan = {"data": str(tmp_path / "online"), "manifest": str(mini_event.manifest_path), "server": live_server.url,
            "online": True, "credential": mini_event.credentials[rid], "pin": mini_event.pins[rid], "reviewer": rid,
            "staff_pin": STAFF_PIN, "staff_name": STAFF_NAME, "staff_password": STAFF_PASSWORD, "out": str(out),
            "idle_s": 120, "sizes": SIZES}
    r = run_driver(plan, big_display, out, tmp_path / "kivy-home")
    assert_fits(r, out)
    # 6. no camera online: the screen says to type the card, not to show it
    assert r["online_scan"]["title"] == "카드의 글자를 입력해 주세요" and "입력" in r["online_scan"]["step1"]
    # 2. refused between confirm and submit: red, "not accepted", not done, on the list in red
    assert r["revoked"] == 200
    ref = r["refused"]
    assert ref["red"] is True and ref["title"] == "제출되지 않았습니다" and "직원" in ref["detail"]
    assert ref["delivery"]["status"] == "refused" and ref["progress"][0] == 0
    assert any(refused and text for refused, text in r["refused_row"])


def test_sigterm_ends_a_fullscreen_kiosk_cleanly(
    mini_event: EventFiles, tmp_path: Path, big_display: str
) -> None:
    """9. systemd stops the kiosk: exit 0 within seconds, the store intact; no CRITICAL at start."""
    frames = tmp_path / "frames"
    frames.mkdir()
    cv2.imwrite(str(frames / "a-hall.png"), frame(None, "none", 3))
    data = tmp_path / "kiosk"
    cmd = [sys.executable, "-m", "simsa", "kiosk", "--data", str(data), "--manifest", str(mini_event.manifest_path),
           "--frames", str(frames), "--fullscreen", "--kiosk-id", "k-term", "--staff-pin", STAFF_PIN]
    log_path = tmp_path / "kiosk.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=REPO, env=_env(big_display, tmp_path / "kivy-home", console=True),
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and proc.poll() is None:
                if "Start application main loop" in log_path.read_text(errors="replace"):
                    break
                time.sleep(0.3)
            time.sleep(1.5)
            assert proc.poll() is None, log_path.read_text(errors="replace")[-3000:]
            proc.send_signal(signal.SIGTERM)
            started = time.monotonic()
            rc = proc.wait(15)
            took = time.monotonic() - started
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    text = log_path.read_text(errors="replace")
    assert rc == 0, text[-3000:]
    assert took < 10
    assert "CRITICAL" not in text, text[-3000:]
    from kiosk.store import KioskStore, Meta

    store = KioskStore(data / "kiosk.sqlite")
    assert store.get(Meta.KIOSK_ID) == "k-term" or store.get_json(Meta.SIGNED_MANIFEST) is not None
    assert store.head()[0] == 0
