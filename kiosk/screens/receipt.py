"""The receipt: "saved" (shown only after the commit), the short code to write down, and
a QR code of the full ballot id to check on the public ledger later."""

from __future__ import annotations

from kiosk.session import Session

from .base import KioskScreen


class ReceiptScreen(KioskScreen):
    def show(self, session: Session) -> None:
        ids = self.ids
        r = session.receipt
        if r is None:
            return
        ids.title.text = self.t("receipt.title")
        ids.code_label.text = self.t("receipt.code")
        ids.code.text = r.short
        ids.full.text = r.ballot_id
        ids.qr.data = r.ballot_id
        ids.help.text = self.t("receipt.help")
        d = r.delivery
        if d is None:
            ids.status.text = ""
        elif d.status == "sent":
            ids.status.text = self.t("receipt.sent", index=d.index)
        elif d.status == "refused":
            from kiosk.i18n import code_text

            ids.status.text = self.t("receipt.refused", reason=code_text(d.code or "", self.app.lang))
        else:
            ids.status.text = self.t("receipt.queued")
        done, left = session.progress
        ids.progress.text = self.t("list.progress", done=done, left=left)
        ids.next.text = self.t("receipt.next")
        ids.next.disabled = left == 0
        ids.next.opacity = 0 if left == 0 else 1
        ids.finish.text = self.t("receipt.finish")
        ids.finish.kind = "primary" if left == 0 else "secondary"
