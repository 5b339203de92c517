"""Drives one real kiosk window (under Xvfb) through every screen and resizes it to each
size of the plan on each screen: 1280×800 landscape, 800×1280 portrait, 1024×600 (a 10"
tablet). On every screen at every size it records labels whose text does not fit their box
and touch targets under 48 dp, and saves a screenshot. On the way it plays the problems of
issue 11 with real touches (through Kivy's input loop, not ``trigger_action``):

- a second tap right after "next proposal", where the next screen has another button;
- "finish" with proposals left (asks, does not log out);
- eleven proposals scored from receipt to next sheet without the list;
- the idle question over a half-filled sheet (nothing moves, nothing is lost);
- the language of one reviewer not carried to the next;
- the staff screen with a sync error, in local time and words.

    python -m tests.kiosk.layout_driver PLAN.json
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.kivyconf import configure_kivy
from kiosk.launch import prepare
from kiosk.store import Meta
from tests.kiosk.gui_driver import Script, Wait, pause, until  # also sets KIVY_* for a test process


def main() -> None:
    plan = json.loads(Path(sys.argv[1]).read_text())
    out = Path(plan["out"])
    out.mkdir(parents=True, exist_ok=True)
    online = bool(plan.get("online"))
    kiosk, store = prepare(Path(plan["data"]), server=plan.get("server"), manifest=Path(plan["manifest"]),
                           online=online, kiosk_id=None if online else "k-layout", staff_pin=plan["staff_pin"])
    sizes = [tuple(s) for s in plan["sizes"]]
    configure_kivy(fullscreen=False, size=sizes[0])
    from kivy.clock import Clock
    from kivy.core.window import Window
    from kivy.tests.common import UnitTestTouch

    from kiosk.app import KioskApp, KioskOptions
    from kiosk.screens.fit import overflowing, small_targets
    from kiosk.session import Step

    frames = Path(plan["frames"]) if plan.get("frames") else None
    app = KioskApp(kiosk, store, KioskOptions(frames=frames, camera=None, sync_interval=1.0, lang="ko",
                                             idle_s=plan["idle_s"]))
    result: dict[str, Any] = {"shots": [], "overflow": {}, "small": {}, "steps": [], "ok": False}

    def contrast_colours() -> dict[str, Any]:
        """What the high-contrast setting did to the widgets on screen."""
        from kivy.uix.label import Label

        from kiosk.screens.theme import pal
        from kiosk.screens.widgets import FlatButton

        screen = app.root_view.ids.sm.current_screen
        labels = [w for w in screen.walk() if isinstance(w, Label) and not isinstance(w, FlatButton) and w.text]
        buttons = [w for w in screen.walk() if isinstance(w, FlatButton) and not w.disabled and w.opacity > 0]
        from kivy.metrics import dp

        return {"high": bool(pal.high), "clear": list(Window.clearcolor), "edge_dp": float(pal.edge / dp(1)),
                "label_colours": sorted({tuple(round(c, 3) for c in w.color) for w in labels}),
                "button_borders": sorted({tuple(round(c, 3) for c in w.border) for w in buttons})}

    def step() -> Step:
        return app.session.step

    def press(widget: Any) -> tuple[float, float]:
        """A finger on the widget's centre, through the window's input handling."""
        x, y = widget.to_window(*widget.center)
        return press_at(x, y)

    def press_at(x: float, y: float) -> tuple[float, float]:
        t = UnitTestTouch(x, y)
        t.touch_down()
        t.touch_up()
        return x, y

    def sized(w: int, h: int) -> Callable[[], bool]:
        return lambda: tuple(Window.size) == (w, h)

    def measure(name: str, w: int, h: int) -> Script:
        app.idle_timer.touch()
        Window.size = (w, h)
        yield until(f"{name} at {w}x{h}", sized(w, h), 10)
        yield settled(name, w, h)
        key = f"{name}@{w}x{h}"
        result["overflow"][key] = overflowing(app.root_view)
        result["small"][key] = small_targets(app.root_view)
        path = out / f"{name}-{w}x{h}.png"
        Window.screenshot(str(path))
        # Window.screenshot numbers the file; keep the plain name
        made = sorted(out.glob(f"{name}-{w}x{h}*.png"), key=lambda p: p.stat().st_mtime)[-1]
        made.rename(path)
        result["shots"].append(path.name)

    def shown(name: str) -> bool:
        """``name`` is the screen shown, its transition over, and it takes taps again."""
        sm = app.root_view.ids.sm
        return bool(sm.current == name and not sm.transition.is_active and app.tap_gate.allows())

    def settled(name: str, w: int, h: int) -> Wait:
        """Wait for the layout at the new size: the root laid out at the window's size, a
        few frames drawn since (layout, then the text fitter), and nothing overflowing or
        too small — or, if something does, 2 s, so that a loaded machine's slow layout is
        not judged early and a real overflow is still recorded."""
        start, frames = time.monotonic(), Clock.frames_displayed

        def ready() -> bool:
            drawn = Clock.frames_displayed - frames >= 4 and time.monotonic() - start >= 0.2
            laid = tuple(int(v) for v in app.root_view.size) == (w, h)
            if drawn and laid and not overflowing(app.root_view) and not small_targets(app.root_view):
                return True
            return time.monotonic() - start >= 2.2

        return (f"{name} laid out at {w}x{h}", ready, 10)

    def check(name: str) -> Script:
        """The screen at every size: what overflows, what is too small, a screenshot; and
        once more in high contrast at the plan's ``contrast_size``."""
        for w, h in sizes:
            yield from measure(name, w, h)
        if plan.get("contrast_size") and not app.high_contrast:
            app.toggle_contrast()
            yield from measure(name + "-hc", *plan["contrast_size"])
            result.setdefault("contrast_seen", []).append(contrast_colours())
            app.toggle_contrast()
        Window.size = sizes[0]
        yield until(f"{name} back at {sizes[0][0]}x{sizes[0][1]}", sized(*sizes[0]), 10)
        yield settled(name, *sizes[0])
        app.idle_timer.touch()

    def online_script() -> Script:
        """Online, no camera: the screen says to type the card; the card is revoked between
        confirm and submit; the refusal is red, not counted, and stays on the list."""
        import requests

        yield until("scan screen", lambda: step() == Step.SCAN and app.root_view.ids.sm.current == "scan")
        scan = app.screens["scan"]
        result["online_scan"] = {"title": scan.ids.title.text, "step1": scan.ids.step1.text}
        yield from check("21-online-type")
        scan.ids.paste.text = plan["credential"]
        press(scan.ids.paste_go)
        yield until("PIN pad", lambda: step() == Step.PIN)
        for d in plan["pin"]:
            app.screens["pin"].press(d)
        yield pause(0.7)
        press(app.screens["pin"].ids.ok)
        yield until("groups", lambda: step() == Step.ASSIGNMENTS, 30)
        yield pause(0.7)
        press(app.screens["assignments"].ids.next_todo)
        yield until("approval sheet", lambda: step() == Step.APPROVAL)
        yield pause(0.7)
        for b in app.screens["approval"].ids.grid.children[::-1][:2]:
            press(b)
        yield until("two liked", lambda: len(app.session.choices) == 2, 10)
        yield from check("22-approval")
        press(app.screens["approval"].ids.next)
        yield until("confirm", lambda: step() == Step.CONFIRM)
        yield pause(0.7)
        # staff revoke the card now, at the server, before the reviewer taps submit
        with requests.Session() as http:
            token = http.post(plan["server"] + "/api/v1/staff/login", timeout=10,
                              json={"name": plan["staff_name"], "password": plan["staff_password"]}).json()["token"]
            r = http.post(plan["server"] + "/api/v1/staff/revocations", headers={"Authorization": f"Bearer {token}"},
                          json={"reviewer": plan["reviewer"], "reason": "card reported lost"}, timeout=10)
            result["revoked"] = r.status_code
        press(app.screens["confirm"].ids.submit)
        yield until("receipt", lambda: step() == Step.RECEIPT, 30)
        yield from check("23-refused")
        rec = app.screens["receipt"]
        r0 = app.session.receipt
        result["refused"] = {"red": rec.refused, "title": rec.ids.title.text, "detail": rec.ids.refused_detail.text,
                             "delivery": r0.delivery.__dict__ if r0 and r0.delivery else None,
                             "progress": list(app.session.progress), "ballot_id": r0.ballot_id if r0 else None}
        press(rec.ids.list)
        yield until("list", lambda: step() == Step.ASSIGNMENTS)
        yield from check("24-list-refused")
        rows = app.screens["assignments"].ids.rows.children[::-1]
        result["refused_row"] = [(r.refused, r.ids.state.text) for r in rows]

    def script() -> Script:
        yield until("scan screen", lambda: step() == Step.SCAN and app.root_view.ids.sm.current == "scan")
        yield pause(1.0)
        yield from check("01-scan")
        assert frames is not None
        # a code that is not a judging card: refused, and the hint under the camera says so
        (frames / "zz-other.png").write_bytes(Path(plan["other_frame"]).read_bytes())
        yield until("refused scan", lambda: app.session.notice is not None and app.session.notice.key == "card.not_simsa")
        yield pause(1.0)
        result["refused_hint"] = app.screens["scan"].ids.hint.text
        (frames / "zz-other.png").unlink()
        yield pause(0.5)
        app.session.clear_notice()
        (frames / "zz-card.png").write_bytes(Path(plan["card_frame"]).read_bytes())
        yield until("PIN pad", lambda: step() == Step.PIN, 30)
        (frames / "zz-card.png").unlink()
        pin = app.screens["pin"]
        for d in plan["pin"][:3]:
            pin.press(d)
        yield from check("02-pin")
        for d in plan["pin"][3:]:
            pin.press(d)
        yield pause(0.7)
        press(pin.ids.ok)
        yield until("list", lambda: step() == Step.ASSIGNMENTS, 30)
        app.toggle_lang()  # this reviewer reads English; the next one must not inherit it
        yield from check("03-list-en")
        app.toggle_lang()
        app.toggle_big_text()  # large text still fits (and in high contrast: check())
        yield from check("03b-list-large")
        result["big_text_font"] = app.screens["assignments"].ids.title.font_size
        app.toggle_big_text()
        yield pause(0.7)
        result["normal_text_font"] = app.screens["assignments"].ids.title.font_size
        lst = app.screens["assignments"]
        press(lst.ids.finish)  # with 11 left: a question, not a logout
        yield pause(0.3)
        result["finish_with_left"] = {"step": step().value, "asking": app.session.finish_asking,
                                      "overlay": app.overlay.parent is not None}
        yield from check("04-finish-ask")
        press(app.overlay.ids.stay)
        yield pause(0.3)
        result["after_keep_going"] = step().value
        press(lst.ids.next_todo)
        yield until("rubric", lambda: step() == Step.RUBRIC)
        rubric = app.screens["rubric"]
        yield from check("05-rubric-empty")
        app.toggle_lang()  # "Community participation" and the other English labels fit too
        yield from check("05b-rubric-en")
        result["rubric_en_labels"] = [r.ids.label.text for r in rubric.ids.rows.children[::-1]]
        app.toggle_lang()
        yield pause(0.7)
        first_row = rubric.ids.rows.children[-1]
        app.set_score(first_row.criterion, 10)
        # the idle question over a half-filled sheet: the layout does not move, nothing is lost
        yield pause(0.3)
        y_before = first_row.to_window(*first_row.pos)[1]
        yield until("idle question", lambda: app.overlay.kind == "idle", plan["idle_s"] + 5)
        yield pause(0.4)
        Window.screenshot(str(out / "06-idle-ask.png"))
        result["idle_asked"] = {"title": app.overlay.ids.title.text,
                                "moved": first_row.to_window(*first_row.pos)[1] - y_before,
                                "step": step().value}
        press(app.overlay.ids.stay)
        yield pause(0.3)
        result["idle_kept"] = {"step": step().value, "score": app.session.scores.get(first_row.criterion),
                               "overlay": app.overlay.parent is not None}
        for row in rubric.ids.rows.children[::-1]:
            chips = row.ids.chips.children[::-1]
            press(chips[-2])
        yield until("sheet filled", lambda: all(v is not None for v in app.session.scores.values()), 30)
        yield from check("07-rubric-filled")
        press(rubric.ids.next)
        yield until("confirm", lambda: step() == Step.CONFIRM)
        yield from check("08-confirm")
        press(app.screens["confirm"].ids.submit)
        yield until("receipt", lambda: step() == Step.RECEIPT)
        yield from check("09-receipt")
        rec = app.screens["receipt"]
        result["receipt"] = {"title": rec.ids.title.text, "what": rec.ids.what.text, "total": rec.ids.total.text,
                             "check": rec.ids.check.text, "code": rec.ids.code.text}
        press(rec.ids.finish)  # 10 left: asks
        yield pause(0.3)
        result["receipt_finish"] = {"step": step().value, "asking": app.session.finish_asking}
        press(app.overlay.ids.stay)
        yield pause(0.7)
        # "next proposal", and a second tap on the same spot 0.2 s later (a double tap)
        x, y = press(rec.ids.next)
        yield pause(0.2)
        press_at(x, y)
        yield pause(0.8)
        result["double_tap"] = {"step": step().value, "notice": app.session.notice.key if app.session.notice else None,
                                "scores": sorted(str(v) for v in app.session.scores.values())}
        # the other nine, from receipt straight to the next sheet
        screens_seen: set[str] = set()
        while app.session.progress[1] > 0:
            yield until("a sheet", lambda: step() == Step.RUBRIC)
            # on a loaded machine the sheet may be drawn late, and taps before it settles are not taken
            yield until("the sheet takes taps", lambda: shown("rubric"), 30)
            for row in rubric.ids.rows.children[::-1]:
                press(row.ids.chips.children[0])
            # a touch in a scroll view reaches its button a moment later: wait for the chips to light
            yield until("sheet filled", lambda: all(v is not None for v in app.session.scores.values()), 30)
            press(rubric.ids.next)
            yield until("confirm", lambda: step() == Step.CONFIRM)
            yield until("confirm takes taps", lambda: shown("confirm"), 30)
            press(app.screens["confirm"].ids.submit)
            yield until("receipt", lambda: step() == Step.RECEIPT)
            yield until("receipt takes taps", lambda: shown("receipt"), 30)
            screens_seen.add(app.root_view.ids.sm.current)
            if app.session.progress[1] > 0:
                gate_ok = app.tap_gate.allows()
                press(rec.ids.next)
                if step() != Step.RUBRIC:  # record what happened to a tap that did nothing
                    result.setdefault("lost", []).append({"gate": gate_ok, "step": step().value,
                                                          "screen": app.root_view.ids.sm.current,
                                                          "since": time.monotonic() - app.tap_gate.changed_at})
                    yield pause(1.0)
                    press(rec.ids.next)
            screens_seen.add(app.root_view.ids.sm.current)
        result["all_done"] = {"progress": list(app.session.progress), "receipts": len(app.session.receipts),
                              "list_seen": "assignments" in screens_seen}
        yield from check("10-receipt-last")
        app.toggle_lang()
        press(rec.ids.finish)
        yield until("codes of the session", lambda: step() == Step.DONE)
        yield from check("11-done-en")
        result["done_codes"] = len(app.screens["done"].ids.codes.children)
        app.toggle_contrast()  # this reviewer wants high contrast; the next one must not inherit it
        yield pause(0.3)
        press(app.screens["done"].ids.close)
        yield until("scan again", lambda: step() == Step.SCAN)
        yield pause(0.5)
        result["lang_after"] = app.lang
        from kiosk.screens.theme import pal

        result["contrast_after"] = [app.high_contrast, bool(pal.high), list(Window.clearcolor)]
        # staff, with the server unreachable: the error in words and local time
        yield until("a sync error", lambda: bool(store.get(Meta.LAST_ERROR)), 30)
        press(app.screens["scan"].ids.staff)
        yield until("staff PIN", lambda: step() == Step.STAFF_PIN)
        for d in plan["staff_pin"]:
            app.screens["pin"].press(d)
        yield pause(0.7)
        result["staff_pin_typed"] = app.screens["pin"].digits
        press(app.screens["pin"].ids.ok)
        yield pause(0.1)
        result["staff_pin_after"] = [step().value, str(app.session.notice)]
        yield until("staff", lambda: step() == Step.STAFF, 30)
        staff = app.screens["staff"]
        yield until("staff rows", lambda: len(staff.ids.info.children) > 4, 15)
        yield from check("12-staff")
        texts = [w.text for w in staff.ids.info.children]
        title = staff.ids.title
        info = staff.ids.info
        result["staff"] = {"texts": texts,
                           "title_bottom": title.to_window(title.x, title.y)[1],
                           "info_top": info.to_window(info.x, info.top)[1]}
        press(staff.ids.leave)
        yield until("scan", lambda: step() == Step.SCAN)

    gen = online_script() if online else script()
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
                result.setdefault("step_s", []).append([what, round(time.monotonic() - state["since"], 2)])
            state["wait"] = next(gen)
            state["since"] = time.monotonic()
        except StopIteration:
            result["ok"] = True
            done()
        except Exception:
            result["error"] = traceback.format_exc()
            Window.screenshot(str(out / "zz-failure.png"))
            done()

    def done() -> None:
        ev.cancel()
        (out / "result.json").write_text(json.dumps(result, indent=2, default=str))
        app.quit()

    ev = Clock.schedule_interval(tick, 0.05)
    app.run()


if __name__ == "__main__":
    main()
