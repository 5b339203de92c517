"""Drives the real kiosk app in its own process (under Xvfb), as a person would: a
camera frame with the card appears, the PIN pad is tapped, the sheet filled, the ballot
confirmed; then staff sync and close the kiosk. A screenshot of every screen is saved.

    python -m tests.kiosk.gui_driver PLAN.json

PLAN names the data folder, manifest, server URL, frames folder, the card frame to
"show", the PINs and the output folder; the driver writes ``result.json`` there and
``voted`` once the ballot is saved, then waits for the test to write ``network-up``.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

os.environ.setdefault("KIVY_NO_ARGS", "1")
if "SIMSA_GUI_DEBUG" not in os.environ:
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="kivy-home-"))

from kiosk.kivyconf import configure_kivy
from kiosk.launch import prepare
from kiosk.store import Meta

Wait = tuple[str, Callable[[], bool], float]
Script = Generator[Wait, None, None]


def until(what: str, cond: Callable[[], bool], timeout: float = 20.0) -> Wait:
    return (what, cond, timeout)


def pause(seconds: float) -> Wait:
    end = time.monotonic() + seconds
    return (f"pause {seconds}", lambda: time.monotonic() >= end, seconds + 5)


def main() -> None:
    plan = json.loads(Path(sys.argv[1]).read_text())
    out = Path(plan["out"])
    out.mkdir(parents=True, exist_ok=True)
    kiosk, store = prepare(Path(plan["data"]), server=plan.get("server"), manifest=Path(plan["manifest"]),
                           online=plan.get("online", False), kiosk_id=plan.get("kiosk_id"),
                           staff_pin=plan.get("staff_pin"))
    configure_kivy(fullscreen=False)
    from kivy.clock import Clock

    from kiosk.app import KioskApp, KioskOptions
    from kiosk.session import Step

    frames = Path(plan["frames"]) if plan.get("frames") else None
    app = KioskApp(kiosk, store, KioskOptions(frames=frames, camera=None, sync_interval=2.0,
                                             export_dir=out / "usb", idle_s=plan.get("idle_s", 60.0)))
    result: dict[str, Any] = {"shots": [], "steps": [], "ok": False}

    def shot(name: str) -> None:
        path = out / f"{name}.png"
        app.root_view.export_to_png(str(path))
        result["shots"].append(path.name)
        result.setdefault("small_targets", []).extend(f"{name}: {w}" for w in small_targets())

    def small_targets() -> list[str]:
        """Buttons on screen smaller than 48 dp either way."""
        from kivy.metrics import dp
        from kivy.uix.behaviors import ButtonBehavior

        return [
            f"{type(w).__name__} {getattr(w, 'text', '')!r} {tuple(round(x) for x in w.size)}"
            for w in app.root_view.walk()
            if isinstance(w, ButtonBehavior) and w.opacity > 0 and not w.disabled
            and min(w.width, w.height) < dp(48)
        ]

    def hold_jobs() -> Any:
        """Occupy the app's single job thread until the returned event is set."""
        import threading

        gate = threading.Event()
        app.jobs.submit(gate.wait, 30)
        return gate

    def keyboard(text: str) -> None:
        """What a USB handheld scanner (or a keyboard) does: characters, then Enter."""
        from kivy.core.window import Window

        app.last_input = time.monotonic()
        for ch in text:
            Window.dispatch("on_textinput", ch)
        Window.dispatch("on_key_down", 13, 40, None, [])

    def tap(widget: Any) -> None:
        assert not widget.disabled, f"{widget} is disabled"
        app.last_input = time.monotonic()  # what a finger on the screen does to the idle timer
        widget.trigger_action(duration=0)

    def step() -> Step:
        return app.session.step

    def leave(finish: Any) -> Script:
        """Finish with work left: answer "finish anyway", then close the codes of the visit."""
        tap(finish)
        if app.session.finish_asking:
            yield pause(0.3)
            tap(app.overlay.ids.leave)
        yield until("codes of the visit", lambda: step() in (Step.DONE, Step.SCAN))
        if step() == Step.DONE:
            yield pause(0.3)
            tap(app.screens["done"].ids.close)

    def kiosk_script() -> Script:
        yield until("scan screen", lambda: step() == Step.SCAN and app.root_view.ids.sm.current == "scan")
        yield until("a frame was decoded",
                    lambda: app.screens["scan"].ids.hint.text not in ("", app.screens["scan"].t("scan.hint.fit")))
        yield pause(0.4)
        shot("01-scan")
        shutil.copy(plan["card_frame"], Path(plan["frames"]) / "zz-card.png")  # the card comes into view
        yield until("PIN pad after the scan", lambda: step() == Step.PIN, 30)
        (Path(plan["frames"]) / "zz-card.png").unlink()
        pin = app.screens["pin"]
        for d in plan["pin"][:3]:
            tap(pin.ids[f"k{d}"])
        yield pause(0.3)
        shot("02-pin")
        for d in plan["pin"][3:]:
            tap(pin.ids[f"k{d}"])
        gate = hold_jobs()  # keep the job thread busy so the unlock waits and the spinner shows
        tap(pin.ids.ok)
        yield pause(0.5)
        result["unlocking_shown"] = step() == Step.UNLOCKING and pin.ids.spinner.active
        shot("02b-pin-unlocking")
        gate.set()
        yield until("assignments", lambda: step() == Step.ASSIGNMENTS)
        yield pause(0.4)
        shot("03-assignments")
        rows = app.screens["assignments"].ids.rows.children[::-1]
        tap(rows[0].ids.go)
        yield until("rubric", lambda: step() == Step.RUBRIC)
        yield pause(0.4)
        shot("04-rubric-empty")
        rubric = app.screens["rubric"]
        tap(rubric.ids.next)  # nothing filled: the sheet says what is missing
        yield until("missing notice", lambda: app.session.notice is not None)
        for row in rubric.ids.rows.children[::-1]:
            chips = row.ids.chips.children[::-1]
            tap(chips[len(chips) // 2])
            tap(row.ids.plus)
        yield pause(0.3)
        shot("05-rubric-filled")
        tap(rubric.ids.next)
        yield until("confirm", lambda: step() == Step.CONFIRM)
        yield pause(0.4)
        shot("06-confirm")
        gate = hold_jobs()
        tap(app.screens["confirm"].ids.submit)
        yield pause(0.5)
        result["saving_shown"] = step() == Step.SAVING and app.screens["confirm"].ids.spinner.active
        result["saved_while_spinning"] = store.head()[0]  # nothing is "saved" before the commit
        shot("06b-saving")
        gate.set()
        yield until("receipt", lambda: step() == Step.RECEIPT)
        yield pause(0.4)
        shot("07-receipt")
        receipt = app.session.receipt
        assert receipt is not None
        result["ballot_id"], result["seq"] = receipt.ballot_id, receipt.seq
        rids = app.screens["receipt"].ids
        result["code_shown"], result["qr_data"] = rids.code.text, rids.qr.data
        result["saved_before_network"] = store.head()[0] == receipt.seq
        tap(app.screens["receipt"].ids.list)
        yield until("assignments again", lambda: step() == Step.ASSIGNMENTS)
        app.toggle_lang()
        yield pause(0.4)
        shot("08-assignments-english")
        app.toggle_lang()
        yield from leave(app.screens["assignments"].ids.finish)
        yield until("back to scan", lambda: step() == Step.SCAN)
        yield pause(0.4)
        shot("09-scan-after-finish")
        (out / "voted").write_text(receipt.ballot_id)
        yield until("network back", lambda: (out / "network-up").exists(), 90)
        tap(app.screens["scan"].ids.staff)
        yield until("staff PIN", lambda: step() == Step.STAFF_PIN)
        for d in plan["staff_pin"]:
            tap(pin.ids[f"k{d}"])
        yield pause(0.3)
        shot("10-staff-pin")
        tap(pin.ids.ok)
        yield until("staff menu", lambda: step() == Step.STAFF)
        staff = app.screens["staff"]
        deadline = time.monotonic() + 60
        while store.synced_seq() < store.head()[0] and time.monotonic() < deadline:
            if not staff.ids.sync.disabled:
                tap(staff.ids.sync)
            yield pause(1.0)
        result["synced_seq"] = store.synced_seq()
        result["sync_state"] = store.sync_state().__dict__
        app.refresh_staff()
        yield until("staff shows the sync", lambda: any(
            str(result["synced_seq"]) in w.text for w in staff.ids.info.children), 15)
        yield pause(0.4)
        shot("11-staff-synced")
        tap(staff.ids.export)
        yield until("bundle exported", lambda: (out / "usb").exists() and bool(staff.message), 15)
        tap(staff.ids.close)
        yield pause(0.3)
        shot("12-staff-close-confirm")
        tap(staff.ids.close)
        yield until("closed", lambda: step() == Step.CLOSED)
        yield pause(0.4)
        shot("13-closed")
        yield until("closure handed in", lambda: bool(store.get(Meta.CLOSURE_SENT)), 30)
        result["closure_sent"] = True

    def online_script() -> Script:
        yield until("scan screen", lambda: step() == Step.SCAN and app.root_view.ids.sm.current == "scan")
        scan = app.screens["scan"]
        scan.ids.paste.text = plan["credential"]
        yield pause(0.3)
        shot("21-online-paste")
        tap(scan.ids.paste_go)
        yield until("PIN pad", lambda: step() == Step.PIN)
        pin = app.screens["pin"]
        for d in plan["pin"]:
            tap(pin.ids[f"k{d}"])
        tap(pin.ids.ok)
        yield until("groups", lambda: step() == Step.ASSIGNMENTS)
        yield pause(0.4)
        shot("22-online-groups")
        tap(app.screens["assignments"].ids.rows.children[-1].ids.go)
        yield until("approval sheet", lambda: step() == Step.APPROVAL)
        grid = app.screens["approval"].ids.grid.children[::-1]
        top = app.session.manifest.max_choices
        for b in grid[: top + 1]:  # one too many: the counter stops at the maximum
            tap(b)
        yield pause(0.4)
        shot("23-approval")
        result["choices"] = len(app.session.choices)
        tap(app.screens["approval"].ids.next)
        yield until("confirm", lambda: step() == Step.CONFIRM)
        yield pause(0.4)
        shot("24-approval-confirm")
        tap(app.screens["confirm"].ids.submit)
        yield until("receipt", lambda: step() == Step.RECEIPT, 30)
        yield pause(0.4)
        shot("25-online-receipt")
        receipt = app.session.receipt
        assert receipt is not None and receipt.delivery is not None
        result["ballot_id"] = receipt.ballot_id
        result["delivery"] = receipt.delivery.__dict__
        yield from leave(app.screens["receipt"].ids.finish)
        yield until("back to scan", lambda: step() == Step.SCAN)
        if plan.get("idle_s"):
            scan.ids.paste.text = plan["credential"]
            tap(scan.ids.paste_go)
            yield until("PIN pad", lambda: step() == Step.PIN)
            yield until("idle warning", lambda: app.overlay.kind == "idle", plan["idle_s"] + 5)
            yield pause(0.3)
            shot("25b-idle-warning")
            yield until("idle logout", lambda: step() == Step.SCAN, plan["idle_s"] + 10)
            result["idle_logout"] = app.session.notice is not None and app.session.notice.key == "idle.logout"
            yield pause(0.4)
            shot("26-idle-logout")
            keyboard("ㄴㅑㅡㄴㅁ1.ㅡㅑㅜㅑ")  # a scanner behind a Korean IME: say what to do
            yield until("IME hint", lambda: app.session.notice is not None and app.session.notice.key == "scan.ime")
            result["ime_hint"] = True
            keyboard(plan["credential"])  # a handheld scanner types the card
            yield until("PIN pad from the scanner", lambda: step() == Step.PIN)
            keyboard(plan["pin"])  # and the PIN on a keyboard
            yield until("list from a typed PIN", lambda: step() == Step.ASSIGNMENTS)
            from kivy.core.window import Window

            Window.dispatch("on_key_down", 27, 41, None, [])  # Escape: back, never out of the app
            yield until("back to scan after Escape", lambda: step() == Step.SCAN)
            result["escape_kept_app"] = app.root_view.get_root_window() is not None

    gen = online_script() if plan.get("online") else kiosk_script()
    state: dict[str, Any] = {"wait": None, "since": time.monotonic()}

    def tick(_dt: float) -> None:
        try:
            w = state["wait"]
            if w is not None:
                what, cond, timeout = w
                if not cond():
                    if time.monotonic() - state["since"] > timeout:
                        raise TimeoutError(f"waited {timeout:.0f} s for {what} (step {step()}, notice "
                                           f"{app.session.notice})")
                    return
                result["steps"].append(what)
            state["wait"] = next(gen)
            state["since"] = time.monotonic()
        except StopIteration:
            result["ok"] = True
            finish()
        except Exception:
            result["error"] = traceback.format_exc()
            try:
                shot("zz-failure")
            finally:
                finish()

    def finish() -> None:
        ev.cancel()
        (out / "result.json").write_text(json.dumps(result, indent=2, default=str))
        app.quit()

    ev = Clock.schedule_interval(tick, 0.05)
    app.run()


if __name__ == "__main__":
    main()
