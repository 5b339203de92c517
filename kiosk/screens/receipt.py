"""The receipt, and what became of the ballot in words that do not overlap: "saved on
this kiosk" (offline chain), "saved · waiting to send" (online, queued), "on the public
record #n" (online, the server's index), and a red "not accepted" when the server refused
it — that one counts for nothing and says to ask staff. The receipt names the proposal and
its total, the short code to write down, where to check it, and a QR of the full id."""

from __future__ import annotations

from kivy.properties import BooleanProperty

from kiosk.flow import ledger_status
from kiosk.i18n import code_text
from kiosk.session import Receipt, Session

from .base import KioskScreen


def check_url(server: str | None) -> str | None:
    """Where a receipt code is checked: the ledger server's public /verify page."""
    return f"{server.rstrip('/')}/verify" if server else None


def status_key(r: Receipt) -> str:
    d = r.delivery
    if d is None:
        return "saved"
    return d.status if d.status in ("sent", "refused") else "queued"


class ReceiptScreen(KioskScreen):
    refused = BooleanProperty(False)

    def show(self, session: Session) -> None:
        ids = self.ids
        r = session.receipt
        if r is None:
            return
        kind = status_key(r)
        self.refused = kind == "refused"
        ids.title.text = self.t(f"receipt.title.{kind}")
        if r.likes is not None:  # an approval ballot is for a group
            ids.what.text = self.t("list.group", group=r.target)
        else:
            ids.what.text = self.t("receipt.what", target=r.target, title=r.title)
        if r.total is not None:
            ids.total.text = self.t("receipt.total", total=_num(r.total[0]), max=_num(r.total[1]))
        elif r.likes is not None:
            ids.total.text = self.t("receipt.likes", n=r.likes)
        else:
            ids.total.text = ""
        d = r.delivery
        ids.refused_detail.text = (self.t("receipt.refused.detail", reason=code_text(d.code or "", self.app.lang))
                                   if self.refused and d is not None else "")
        ids.code_label.text = self.t("receipt.code")
        ids.code.text = r.short
        ids.full.text = r.ballot_id
        ids.qr.data = r.ballot_id
        ids.help.text = "" if self.refused else self.t("receipt.help2")
        url = check_url(self.app.kiosk.server)
        ids.check.text = "" if self.refused else (self.t("receipt.check", url=url) if url else self.t("receipt.check.none"))
        if kind == "sent":
            key = ledger_status(d.index if d else None, self.app.kiosk.manifest.witnesses is not None,
                                self.app.witnessed_size)
            ids.status.text = self.t(key, index=d.index if d else "")
        elif kind == "queued":
            ids.status.text = self.t("receipt.queued")
        elif kind == "saved":
            ids.status.text = self.t("receipt.saved.detail")
        else:
            ids.status.text = ""
        done, left = session.progress
        ids.progress.text = self.t("list.progress", done=done, left=left)
        ids.next.text = self.t("receipt.next")
        ids.next.disabled = left == 0
        ids.next.opacity = 0 if left == 0 else 1
        ids.list.text = self.t("receipt.list")
        ids.finish.text = self.t("receipt.finish")
        ids.finish.kind = "primary" if left == 0 else "secondary"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.1f}"
