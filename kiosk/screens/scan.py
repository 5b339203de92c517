"""Scan: the live camera preview with a framing guide, what to do, and what went wrong.
In online mode the card's text can also be pasted."""

from __future__ import annotations

from typing import Any

from kivy.graphics.texture import Texture
from kivy.properties import BooleanProperty

from kiosk.scanner import ScanResult
from kiosk.session import Session

from .base import KioskScreen


class ScanScreen(KioskScreen):
    preview_on = BooleanProperty(True)  # online with no camera: no preview, room for typing

    def show(self, session: Session) -> None:
        ids = self.ids
        camera = self.app.camera_error() is None
        self.preview_on = camera or not self.app.online
        if self.app.online and not camera:  # nothing to show a card to: type or paste its text
            ids.title.text, ids.help.text = self.t("scan.title.type"), self.t("scan.no_camera.online")
            ids.step1.text = self.t("scan.step1.type")
        elif self.app.online:
            ids.title.text, ids.help.text = self.t("scan.title.online"), self.t("scan.help")
            ids.step1.text = self.t("scan.step1.online")
        else:
            ids.title.text, ids.help.text = self.t("scan.title"), self.t("scan.help")
            ids.step1.text = self.t("scan.step1")
        ids.step2.text = self.t("scan.step2")
        ids.step3.text = self.t(f"scan.step3.{session.form}")
        ids.step4.text = self.t("scan.step4")
        ids.notice.text = session.notice.text(self.app.lang) if session.notice else ""
        ids.notice.error = bool(session.notice and session.notice.error)
        ids.staff.text = self.t("staff.button")
        ids.staff.opacity = 0 if self.app.online else 1
        ids.staff.disabled = self.app.online
        ids.paste_row.opacity = 1 if self.app.online else 0
        ids.paste_row.height = ids.paste_row.minimum_height if self.app.online else 0
        ids.paste_row.disabled = not self.app.online
        ids.paste.hint_text = self.t("scan.paste.hint")
        ids.paste_go.text = self.t("scan.paste.go")
        self.show_hint(None)

    def show_hint(self, result: ScanResult | None) -> None:
        """Under the preview: reading, nothing found yet, two cards, or no camera."""
        err = self.app.camera_error()
        self.ids.nocam.text = self.t("scan.no_camera.title") if err else ""
        if err:
            self.ids.hint.text = self.t("scan.no_camera.online" if self.app.online else "scan.no_camera")
        elif result is None:
            notice = self.app.session.notice
            refused = notice is not None and notice.error
            self.ids.hint.text = self.t("scan.hint.refused" if refused else "scan.hint.fit")
        elif result.text is not None:
            notice = self.app.session.notice
            refused = notice is not None and notice.error and self.app.session.step.value == "scan"
            self.ids.hint.text = self.t("scan.hint.refused" if refused else "scan.hint.reading")
        elif result.ambiguous:
            self.ids.hint.text = self.t("scan.hint.two")
        else:  # no code in this frame; while a refusal is up the hint keeps pointing at it
            notice = self.app.session.notice
            refused = notice is not None and notice.error and self.app.session.step.value == "scan"
            self.ids.hint.text = self.t("scan.hint.refused" if refused else "scan.hint.none")
        self.ids.guide.found = bool(result and result.text)

    def show_frame(self, buf: bytes, size: tuple[int, int]) -> None:
        img = self.ids.preview
        tex = img.texture
        if tex is None or tuple(tex.size) != size:
            tex = Texture.create(size=size, colorfmt="rgb")
        tex.blit_buffer(buf, colorfmt="rgb", bufferfmt="ubyte")
        img.texture = tex
        img.canvas.ask_update()

    def paste(self, *_: Any) -> None:
        text = self.ids.paste.text.strip()
        self.ids.paste.text = ""
        if text:
            self.app.on_scanned(text)
