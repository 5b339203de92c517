"""A closed kiosk: it takes no more cards; staff can still sync and export."""

from __future__ import annotations

from kiosk.session import Session

from .base import KioskScreen


class ClosedScreen(KioskScreen):
    def show(self, session: Session) -> None:
        self.ids.title.text = self.t("closed.title")
        self.ids.help.text = self.t("closed.help")
        self.ids.staff.text = self.t("staff.button")
        self.ids.notice.text = session.notice.text(self.app.lang) if session.notice else ""
