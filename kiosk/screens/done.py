"""The end of a visit: every receipt code of the session with its proposal, in one list to
photograph or write down (a refused one marked red), and where to check them."""

from __future__ import annotations

from kivy.factory import Factory

from kiosk.session import Session

from .base import KioskScreen
from .receipt import check_url


class DoneScreen(KioskScreen):
    def show(self, session: Session) -> None:
        ids = self.ids
        ids.title.text = self.t("done.title")
        ids.help.text = self.t("done.help")
        url = check_url(self.app.kiosk.server)
        ids.check.text = self.t("receipt.check", url=url) if url else self.t("receipt.check.none")
        ids.close.text = self.t("done.close")
        ids.codes.clear_widgets()
        for r in session.receipts:
            line = Factory.CodeLine()
            title = r.title if r.title != r.target else ""
            line.ids.what.text = f"{r.target} {title}" + (f"  ·  {self.t('done.refused')}" if r.refused else "")
            line.ids.code.text = r.short
            line.refused = r.refused
            ids.codes.add_widget(line)
