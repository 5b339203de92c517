"""The approval sheet: like up to N proposals of the group, with a counter. The reviewer's
own community's proposal is not offered."""

from __future__ import annotations

from kivy.factory import Factory

from kiosk.session import Session

from .base import KioskScreen


class ApprovalScreen(KioskScreen):
    _built_for: tuple[str, str] | None = None

    def show(self, session: Session) -> None:
        ids = self.ids
        item = session.current
        if item is None:
            return
        top = session.manifest.max_choices
        ids.title.text = self.t("approval.title", max=top)
        ids.sub.text = f"{self.t('list.group', group=item.target)} · {self.t('approval.own')}"
        ids.counter.text = self.t("approval.counter", n=len(session.choices), max=top)
        if session.notice:
            ids.notice.text, ids.notice.error = session.notice.text(self.app.lang), session.notice.error
        elif item.previous is not None:
            ids.notice.text = self.t("approval.previous", n=len(item.previous.get("choices", [])))
            ids.notice.error = False
        else:
            ids.notice.text = ""
        ids.back.text = self.t("back")
        ids.next.text = self.t("next")
        key = (item.target, self.app.lang)
        if self._built_for != key:
            ids.grid.clear_widgets()
            for pid in item.offered:
                b = Factory.LikeButton()
                b.proposal = pid
                b.title = session.manifest.proposals[pid].title
                b.bind(on_release=lambda _b, p=pid: self.app.toggle(p))
                ids.grid.add_widget(b)
            self._built_for = key
        prev = set((item.previous or {}).get("choices", []))
        for b in ids.grid.children:
            chosen = b.proposal in session.choices
            b.kind = "chosen" if chosen else "chip"
            mark = "♥" if chosen else "♡"
            was = "  ·  " + self.t("approval.was") if b.proposal in prev else ""
            b.text = f"{mark}  {b.proposal}  {b.title}{was}"
