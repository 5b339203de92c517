"""The PIN pad: for a reviewer's card, and for the staff PIN. Digits never leave the
screen until OK; while scrypt runs on a worker a spinner turns."""

from __future__ import annotations

from typing import Any

from kiosk.session import Session, Step

from .base import KioskScreen

MAX_DIGITS = 12


class PinScreen(KioskScreen):
    digits = ""

    def show(self, session: Session) -> None:
        ids = self.ids
        staff = session.step in (Step.STAFF_PIN, Step.STAFF_CHECKING)
        busy = session.step in (Step.UNLOCKING, Step.STAFF_CHECKING)
        ids.title.text = self.t("staff.pin.title" if staff else "pin.title")
        ids.who.text = "" if staff else self.t("pin.for", reviewer=session.reviewer or "")
        ids.notice.text = session.notice.text(self.app.lang) if session.notice else ""
        ids.spinner.active = busy
        ids.busy.text = self.t("pin.opening") if busy and not staff else ""
        ids.cancel.text = self.t("pin.cancel")
        ids.erase.text = self.t("pin.clear")
        ids.ok.text = self.t("pin.ok")
        for b in self.keys():
            b.disabled = busy
        ids.cancel.disabled = busy
        self._draw()

    def keys(self) -> list[Any]:
        return [self.ids[f"k{d}"] for d in "0123456789"] + [self.ids.erase, self.ids.ok]

    def on_pre_enter(self, *_: object) -> None:
        self.digits = ""  # whoever comes next starts with an empty pad
        self._draw()

    def _draw(self) -> None:
        n = len(self.digits)
        self.ids.dots.text = " ".join(["●"] * n + ["○"] * max(0, 6 - n))
        self.ids.ok.disabled = n < 4 or self.ids.spinner.active

    def press(self, digit: str) -> None:
        if len(self.digits) < MAX_DIGITS:
            self.digits += digit
            self.app.session.clear_notice()
        self._draw()

    def clear(self) -> None:
        self.digits = ""
        self._draw()

    def submit(self) -> None:
        pin, self.digits = self.digits, ""
        self.app.pin_entered(pin)
