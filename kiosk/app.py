"""The Kivy shell around :class:`kiosk.session.Session`.

The UI thread only draws and forwards taps; card checks, scrypt, signing, disk and the
network run on workers (one job thread, the scan worker, the sync worker) and come back
with ``Clock.schedule_once``. :func:`configure_kivy` must run before anything imports
``kivy.core.window``: call :func:`kiosk.kivyconf.configure_kivy` before importing this.
"""

from __future__ import annotations

import importlib
import os
import signal
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.timefmt import format_time

from .camera import FolderFrames, FrameSource, OpenCVCamera, ScanWorker
from .flow import WARN_S, Housekeeper, Idle, IdleTimer, TapGate
from .i18n import tr
from .identity import Kiosk, close
from .keyboard import Key, Keyboard
from .scanner import ScanResult
from .session import IDLE_S, Notice, Session, Step
from .store import KioskStore, Meta

FONT_CANDIDATES = (
    ("/usr/share/fonts/truetype/nanum/NanumGothic.ttf", "/usr/share/fonts/truetype/nanum/NanumGothicBold.ttf"),
    ("/usr/share/fonts/truetype/nanum/NanumBarunGothic.ttf", "/usr/share/fonts/truetype/nanum/NanumBarunGothicBold.ttf"),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
)
HERE = Path(__file__).resolve().parent
BIG_TEXT = 1.25  # the large-text setting's factor


def register_font() -> str | None:
    """Make a Korean font every label's default; return its path, or None (then a banner
    says so in English, the only script the fallback font draws)."""
    from kivy.core.text import DEFAULT_FONT, LabelBase

    for regular, bold in FONT_CANDIDATES:
        if os.path.exists(regular):
            LabelBase.register(DEFAULT_FONT, regular, fn_bold=bold if os.path.exists(bold) else regular)
            return regular
    Logger.warning("simsa kiosk: no Korean font found (install fonts-nanum); Korean text will not show")
    return None


@dataclass(frozen=True)
class KioskOptions:
    camera: int | None = 0
    frames: Path | None = None
    fullscreen: bool = False
    lang: str = "ko"
    sync_interval: float = 15.0
    export_dir: Path | None = None
    data_dir: Path | None = None
    idle_s: float = IDLE_S


from kivy.app import App  # noqa: E402  (kiosk.kivyconf.configure_kivy ran before this import)
from kivy.clock import Clock  # noqa: E402
from kivy.core.window import Window  # noqa: E402
from kivy.lang import Builder  # noqa: E402
from kivy.logger import Logger  # noqa: E402
from kivy.properties import BooleanProperty, StringProperty  # noqa: E402
from kivy.uix.screenmanager import FadeTransition, ScreenManager  # noqa: E402

from .screens import SCREENS, STEP_SCREEN  # noqa: E402
from .screens.base import KioskScreen  # noqa: E402


class KioskApp(App):  # type: ignore[misc]
    lang = StringProperty("ko")
    online = BooleanProperty(False)
    font_missing = BooleanProperty(False)
    portrait = BooleanProperty(False)
    compact = BooleanProperty(False)  # a short screen (a 10" tablet in landscape)
    big_text = BooleanProperty(False)
    high_contrast = BooleanProperty(False)  # black on white, thick borders (theme.pal)

    def __init__(self, kiosk: Kiosk, store: KioskStore, opts: KioskOptions, **kw: Any) -> None:
        super().__init__(**kw)
        self.kiosk, self.store, self.opts = kiosk, store, opts
        self.lang = opts.lang
        self.online = kiosk.channel == "online"
        self.title = f"simsa — {kiosk.manifest.title_ko}"
        self.jobs = ThreadPoolExecutor(max_workers=1, thread_name_prefix="simsa-job")
        self.idle_timer = IdleTimer(opts.idle_s, min(WARN_S, opts.idle_s / 3))
        self.tap_gate = TapGate()
        self.housekeeper = Housekeeper(self.idle_timer)
        self.keyboard = Keyboard(fullscreen=opts.fullscreen)
        self.overlay: Any = None
        self._generation = -1
        self._fit_ev: Any = None
        self.syncer: Any = None
        self.sync_worker: Any = None
        self.source: FrameSource | None = None
        self.scan_worker: ScanWorker | None = None
        self.screens: dict[str, KioskScreen] = {}
        self.root_view: Any = None
        self._quitting = False
        self._preview_seen = 0
        witnessed = store.get_json(Meta.LAST_WITNESSED) if kiosk.manifest.witnesses else None
        #: Size of the newest checkpoint cosigned as the manifest demands (None: none yet, or no policy).
        self.witnessed_size: int | None = int(witnessed["size"]) if witnessed else None
        self.session = self._make_session()

    # --- building ------------------------------------------------------------------------

    def _make_session(self) -> Session:
        deliver = None
        if self.kiosk.server:
            from client import LedgerClient, RetryPolicy

            from .sync import Syncer

            self.syncer = Syncer(self.kiosk, self.store, LedgerClient.for_url(self.kiosk.server))
            if self.online:
                syncer = self.syncer

                def deliver(bid: str, sb: dict[str, Any]) -> Any:
                    # the person waits at the screen: one short retry at most; a ballot the
                    # busy server did not take stays queued for the sync worker
                    return syncer.deliver_one(bid, sb, timeout=(3.0, 8.0), retry=RetryPolicy(attempts=2, total_s=3.0))

        return Session(self.kiosk, self.store, deliver=deliver)

    def build(self) -> Any:
        self.font_missing = register_font() is None
        Window.clearcolor = (0.953, 0.961, 0.976, 1)
        importlib.import_module("kiosk.screens.widgets")  # registers FlatButton & co. with the Factory
        Builder.load_file(str(HERE / "screens" / "widgets.kv"))
        Builder.load_file(str(HERE / "app.kv"))
        root = _root()
        sm: ScreenManager = root.ids.sm
        sm.transition = FadeTransition(duration=0.12)
        for name, (module, cls) in SCREENS.items():
            Builder.load_file(str(HERE / "screens" / f"{name}.kv"))
            screen = getattr(importlib.import_module(module), cls)(self, name=name)
            self.screens[name] = screen
            sm.add_widget(screen)
        self.root_view = root
        from .screens.overlay import Overlay

        self.overlay = Overlay(self._overlay_choice)
        self.session.listeners.append(lambda _s: self.redraw())
        Window.bind(on_key_down=self._on_key_down, on_textinput=self._on_textinput,
                    on_touch_down=self._on_touch, on_request_close=self._on_request_close,
                    size=self._resized)
        self._resized(Window, Window.size)
        signal.signal(signal.SIGTERM, self._on_sigterm)  # after SDL's own handler, which only asks
        signal.signal(signal.SIGINT, self._on_sigterm)
        Clock.schedule_interval(self._tick, 1.0)
        Clock.schedule_interval(self._preview, 1 / 12)
        self._start_camera()
        if self.syncer is not None:
            from .sync import SyncWorker

            self.sync_worker = SyncWorker(self.syncer, interval=self.opts.sync_interval,
                                          on_report=lambda r: Clock.schedule_once(lambda _dt: self._synced(r)))
            self.sync_worker.start()
        Clock.schedule_once(lambda _dt: self.redraw(), 0)
        return root

    def _start_camera(self) -> None:
        if self.opts.frames is not None:
            self.source = FolderFrames(self.opts.frames)
        elif self.opts.camera is not None:
            self.source = OpenCVCamera(self.opts.camera)
        if self.source is None:
            return
        self.source.start()
        self.scan_worker = ScanWorker(
            self.source,
            on_text=lambda text: Clock.schedule_once(lambda _dt: self.on_scanned(text)),
            on_result=lambda r: Clock.schedule_once(lambda _dt: self._scan_result(r)),
        )
        self.scan_worker.start()

    @property
    def last_input(self) -> float:
        return self.idle_timer.last

    @last_input.setter
    def last_input(self, _value: float) -> None:
        self.idle_timer.touch()

    def _on_sigterm(self, _signum: int, _frame: Any) -> None:
        """systemd stop, kill, Ctrl-C: end cleanly in every mode (fullscreen included) —
        the workers finish, the store is committed, the window closes, exit code 0."""
        self._quitting = True
        Clock.schedule_once(lambda _dt: self.stop(), 0)

    def _resized(self, _win: Any, size: Any) -> None:
        w, h = size
        self.portrait = h > w * 1.05
        self.compact = h < 700
        if self.root_view is not None:
            self._draw_bar()
        self.refit()

    def refit(self, *_: Any) -> None:
        """Fit the text of the screen shown, after the layout has settled."""
        if self._fit_ev is None:
            self._fit_ev = Clock.create_trigger(self._fit, 0.05)
        self._fit_ev()

    def _fit(self, _dt: float) -> None:
        from .screens.fit import fit_texts

        if fit_texts(self.root_view, BIG_TEXT if self.big_text else 1.0):
            Clock.schedule_once(lambda _dt: fit_texts(self.root_view, BIG_TEXT if self.big_text else 1.0), 0.05)

    def toggle_big_text(self) -> None:
        self.big_text = not self.big_text
        self.redraw()

    def toggle_contrast(self) -> None:
        self.high_contrast = not self.high_contrast
        self.redraw()

    def on_high_contrast(self, _app: Any, high: bool) -> None:
        from .screens.theme import pal

        pal.use(high)
        Window.clearcolor = pal.BG

    def on_stop(self) -> None:
        if self.scan_worker is not None:
            self.scan_worker.stop()
        if self.source is not None:
            self.source.stop()
        if self.sync_worker is not None:
            self.sync_worker.stop()
        self.jobs.shutdown(wait=True, cancel_futures=False)

    # --- drawing -------------------------------------------------------------------------

    def redraw(self) -> None:
        """Show the screen of the session's step, drawn from the session."""
        s = self.session
        if s.generation != self._generation:  # a new reviewer: the kiosk's own language and size
            if self._generation >= 0 and s.step in (Step.SCAN, Step.CLOSED):
                self.lang = self.opts.lang
                self.big_text = False
                self.high_contrast = False
            self._generation = s.generation
        self.housekeeper.notice_is(s.notice)
        name = STEP_SCREEN[s.step]
        sm = self.root_view.ids.sm
        if sm.current != name:
            sm.current = name
        self.tap_gate.shown(name)
        self.screens[name].show(s)
        self._draw_bar()
        if s.finish_asking:
            self._show_overlay("finish")
        elif self.overlay is not None and self.overlay.kind == "finish":
            self._hide_overlay()
        self.refit()
        if self.scan_worker is not None:
            if s.step == Step.SCAN:
                self.scan_worker.active.set()
            else:
                self.scan_worker.active.clear()

    def _draw_bar(self) -> None:
        ids = self.root_view.ids
        m = self.kiosk.manifest
        ids.event_title.text = m.title_en if self.lang == "en" else m.title_ko
        ids.demo.text = tr("demo.short" if self.portrait or self.compact else "demo.banner", self.lang) if m.is_demo else ""
        ids.demo.opacity = 1 if m.is_demo else 0
        ids.font_warning.text = "Korean font missing: install fonts-nanum" if self.font_missing else ""
        where = tr("channel.online", self.lang) if self.online else self.kiosk.id
        ids.where.text = where
        ids.lang_button.text = tr("lang.button", self.lang)
        ids.big_text.text = tr("big_text.off" if self.big_text else "big_text.on", self.lang)
        ids.contrast.text = tr("contrast.off" if self.high_contrast else "contrast.on", self.lang)

    def toggle_lang(self) -> None:
        self.lang = "en" if self.lang == "ko" else "ko"
        self.redraw()

    def screen(self, name: str) -> Any:
        return self.screens[name]

    def camera_error(self) -> str | None:
        if self.source is None:
            return "no camera"
        return self.source.error

    def _preview(self, _dt: float) -> None:
        if self.source is None or self.session.step != Step.SCAN:
            return
        frame, count = self.source.latest()
        if frame is None or count == self._preview_seen:
            return
        self._preview_seen = count
        import cv2

        h, w = frame.shape[:2]
        scale = 640 / w
        small = cv2.resize(frame, (640, max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
        rgb = cv2.cvtColor(small, cv2.COLOR_BGR2RGB)[::-1, ::-1]  # textures start bottom-left; mirror view
        self.screens["scan"].show_frame(rgb.copy().tobytes(), (rgb.shape[1], rgb.shape[0]))

    def _scan_result(self, r: ScanResult) -> None:
        if self.session.step == Step.SCAN:
            self.screens["scan"].show_hint(r)

    # --- work off the UI thread ----------------------------------------------------------

    def run_job(self, job: Callable[[], Any] | None, then: Callable[[Any], None]) -> Future[Any] | None:
        """Run ``job`` on the job thread; hand its result to ``then`` on the UI thread."""
        if job is None:
            return None
        fut = self.jobs.submit(job)

        def done(f: Future[Any]) -> None:
            exc = f.exception()
            if exc is not None:
                Clock.schedule_once(lambda _dt: self._job_failed(exc))
            else:
                Clock.schedule_once(lambda _dt: then(f.result()))

        fut.add_done_callback(done)
        return fut

    def _job_failed(self, exc: BaseException) -> None:
        Logger.error(f"simsa kiosk: a background job failed: {type(exc).__name__}: {exc}")
        self.session.logout(Notice("save.failed", {"error": f"{type(exc).__name__}: {exc}"}))

    # --- what the screens call -----------------------------------------------------------

    def on_scanned(self, text: str) -> None:
        self.idle_timer.touch()
        self.run_job(self.session.scanned(text), self.session.card_checked)
        if self.session.step == Step.SCAN:
            self.redraw()

    def pin_entered(self, pin: str) -> None:
        if self.session.step == Step.STAFF_PIN:
            self.run_job(self.session.staff_pin_entered(pin), self.session.staff_checked)
        else:
            self.run_job(self.session.pin_entered(pin), self.session.unlock_finished)

    def choose(self, target: str) -> None:
        self.session.choose(target)

    def choose_next(self) -> None:
        nxt = self.session.next_todo
        if nxt is not None:
            self.session.choose(nxt.target)

    def set_score(self, criterion: str, value: int) -> None:
        self.session.set_score(criterion, value)

    def toggle(self, proposal: str) -> None:
        self.session.toggle(proposal)

    def review(self) -> None:
        self.session.review()

    def confirm(self) -> None:
        self.run_job(self.session.confirm(), self.session.save_finished)

    def next_item(self) -> None:
        self.session.next_item()

    def finish(self) -> None:
        self.session.finish()
        if self.scan_worker is not None and self.session.step in (Step.SCAN, Step.DONE):
            self.scan_worker.forget()  # the card still in front of the camera does not log in again

    def to_list(self) -> None:
        self.session.to_list()

    def keep_going(self) -> None:
        self.session.keep_going()

    # --- overlays ------------------------------------------------------------------------

    def _show_overlay(self, kind: str, seconds: int = 0) -> None:
        o = self.overlay
        t = self.lang
        if kind == "finish":
            left = self.session.progress[1]
            o.ids.title.text = tr("finish.ask.title", t, n=left)
            o.ids.body.text = tr("finish.ask.body", t)
            o.ids.leave.text, o.ids.stay.text = tr("finish.ask.leave", t), tr("finish.ask.stay", t)
        else:
            o.ids.title.text = tr("idle.ask.title", t)
            o.ids.body.text = tr("idle.ask.body", t, s=seconds)
            o.ids.leave.text, o.ids.stay.text = tr("idle.ask.leave", t), tr("idle.ask.stay", t)
        o.kind = kind
        if o.parent is None:
            self.root_view.add_widget(o)
        self.refit()

    def _hide_overlay(self) -> None:
        o = self.overlay
        if o is not None and o.parent is not None:
            o.parent.remove_widget(o)
        if o is not None:
            o.kind = ""

    def _overlay_choice(self, kind: str, choice: str) -> None:
        self.idle_timer.touch()
        self._hide_overlay()
        if kind == "finish":
            if choice == "leave":
                self.finish()
            else:
                self.keep_going()
        elif kind == "idle" and choice == "leave":
            self.session.logout(Notice("bye", error=False))

    def back(self) -> None:
        self.session.back()

    def staff_requested(self) -> None:
        if not self.online:
            self.session.staff_requested()

    # --- staff ---------------------------------------------------------------------------

    def refresh_staff(self) -> None:
        from .screens.staff import StaffView

        worker = self.sync_worker

        def read() -> StaffView:
            st = self.store.sync_state()
            return StaffView(
                kiosk=self.kiosk.id, fingerprint=self.kiosk.fingerprint, server=self.kiosk.server,
                enrolment=self.store.get(Meta.ENROLMENT) or "none", head_seq=st.head_seq, synced_seq=st.synced_seq,
                accepted=st.accepted, duplicate=st.duplicate, rejected=st.rejected,
                queued_online=st.outbox_queued, opened=st.opened, locked=len(self.store.locked_cards()),
                last_sync=self.store.get(Meta.LAST_SYNC_AT), last_sth=self.store.get_json(Meta.LAST_STH),
                last_error=self.store.get(Meta.LAST_ERROR), alarms=self.store.alarms(8),
                closed=bool(self.store.get(Meta.CLOSED_AT)), syncing=bool(worker and worker.busy),
                witnessed=(self.store.get_json(Meta.LAST_WITNESSED) or {}) if self.kiosk.manifest.witnesses else None,
            )

        def fill(view: StaffView) -> None:
            if self.session.step == Step.STAFF:
                self.screens["staff"].fill(view)

        self.run_job(read, fill)

    def sync_now(self) -> None:
        if self.sync_worker is not None:
            self.sync_worker.sync_now()
            self.screens["staff"].say(tr("staff.syncing", self.lang))

    def _synced(self, report: Any) -> None:
        from .sync import SyncReport

        if isinstance(report, SyncReport) and report.witnessed_size is not None:
            self.witnessed_size = max(self.witnessed_size or 0, report.witnessed_size)
            if self.session.step == Step.RECEIPT:
                self.redraw()  # "witnessing pending" becomes "witnessed"
        if self.session.step == Step.STAFF:
            staff = self.screens["staff"]
            if isinstance(report, SyncReport):
                staff.say(tr("staff.synced", self.lang, synced=report.synced_seq, head=report.head_seq))
            else:
                staff.say(tr("staff.sync_failed", self.lang, error=str(report)[:120]))
            self.refresh_staff()

    def export_dir(self) -> Path:
        if self.opts.export_dir is not None:
            return self.opts.export_dir
        media = Path("/media")
        if media.is_dir():
            sticks = sorted(p for p in media.glob("*/*") if p.is_dir() and os.access(p, os.W_OK))
            if sticks:
                return sticks[0]
        return (self.opts.data_dir or self.store.path.parent) / "bundles"

    def export_bundle(self) -> None:
        from .bundle import export_bundle

        dest = self.export_dir()
        stamp = format_time(datetime.now(UTC).replace(microsecond=0))

        def work() -> str:
            folder = export_bundle(self.kiosk, self.store, dest, stamp)
            n = len(list(folder.glob("batch-*.json")))
            if n == 0:
                return tr("staff.exported.none", self.lang, synced=self.store.synced_seq())
            return tr("staff.exported", self.lang, path=str(folder), files=n)

        self.run_job(work, self.screens["staff"].say)

    def close_kiosk(self) -> None:
        stamp = format_time(datetime.now(UTC).replace(microsecond=0))

        def work() -> dict[str, Any]:
            return close(self.kiosk, self.store, stamp)

        def closed(_closure: dict[str, Any]) -> None:
            self.session.kiosk_closed()
            if self.sync_worker is not None:
                self.sync_worker.sync_now()  # hand the closure in

        self.run_job(work, closed)

    def quit(self) -> None:
        self._quitting = True
        self.stop()

    # --- input ---------------------------------------------------------------------------

    def _on_touch(self, _win: Any, touch: Any) -> bool:
        """Every touch keeps the session alive; one in the moment after a screen change is
        not taken (it was meant for the screen before)."""
        self.idle_timer.touch()
        if self.overlay is not None and self.overlay.kind == "idle":
            return False  # the overlay takes it: "continue"
        overlay_up = self.overlay is not None and self.overlay.parent is not None
        return not overlay_up and not self.tap_gate.allows()

    def _tick(self, _dt: float) -> None:
        step = self.session.step
        plan = self.housekeeper.tick(at_rest=step in (Step.SCAN, Step.CLOSED), busy=self.session.busy)
        if plan.clear_notice:
            self.session.clear_notice()  # "thank you" or "not a card" is for the last person, not the next
        if plan.idle == Idle.WARN:
            self._show_overlay("idle", plan.left)  # the sheet stays as it is under the question
        elif self.overlay is not None and self.overlay.kind == "idle":
            self._hide_overlay()
        if plan.idle == Idle.EXPIRED:
            self.session.idle()

    def _on_request_close(self, *_: Any) -> bool:
        return self.opts.fullscreen and not self._quitting  # a kiosk is closed by staff, not by Alt-F4

    def _focused_input(self) -> bool:
        return bool(self.session.step == Step.SCAN and self.screens["scan"].ids.paste.focus)

    def _on_key_down(self, _win: Any, key: int, _scancode: int, _codepoint: str | None, _mods: list[str]) -> bool:
        self.idle_timer.touch()
        pin = self.screens["pin"]
        action = self.keyboard.key_down(key, self.session.step, pin_digits=len(pin.digits),
                                        field_focused=self._focused_input())
        if action == Key.BACK:
            self.back()
        elif action == Key.SCAN and self.keyboard.scanned is not None:
            self.on_scanned(self.keyboard.scanned)
        elif action == Key.IME:
            self.session.refuse(Notice("scan.ime"))  # a keyboard-wedge scanner behind a Korean IME
        elif action == Key.PIN_SUBMIT:
            pin.submit()
        elif action == Key.PIN_DELETE:
            pin.digits = pin.digits[:-1]
            pin._draw()
        return action != Key.PASS

    def _on_textinput(self, _win: Any, text: str) -> None:
        """A handheld scanner types the credential and Enter; digits go to the PIN pad."""
        for ch in self.keyboard.text(text, self.session.step, field_focused=self._focused_input()):
            self.screens["pin"].press(ch)


def _root() -> Any:
    from kivy.factory import Factory

    return Factory.RootView()
