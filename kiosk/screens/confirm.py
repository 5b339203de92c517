"""Confirm: what will be signed, in words, before it is; then the spinner while it is
signed and committed to disk."""

from __future__ import annotations

from kivy.factory import Factory

from kiosk.session import Session, Step

from .base import KioskScreen


class ConfirmScreen(KioskScreen):
    def show(self, session: Session) -> None:
        ids = self.ids
        item = session.current
        if item is None:
            return
        saving = session.step == Step.SAVING
        ids.title.text = self.t("confirm.title")
        ids.target.text = (f"{item.target}  {item.title}" if item.form == "rubric"
                           else self.t("list.group", group=item.target))
        lines = ids.lines
        lines.clear_widgets()
        en = self.app.lang == "en"
        if item.form == "rubric":
            for c in session.manifest.rubric:
                name = Factory.SummaryName(text=c.label_en if en else c.label_ko)
                value = Factory.SummaryValue(text=f"{session.scores.get(c.id)} / {c.max}")
                lines.add_widget(name)
                lines.add_widget(value)
            got, top = session.weighted_total
            ids.total.text = self.t("confirm.total", total=_num(got), max=_num(top))
        else:
            for p in sorted(session.choices):
                lines.add_widget(Factory.SummaryName(text=f"♥  {p}"))
                lines.add_widget(Factory.SummaryValue(text=session.manifest.proposals[p].title, font_size="20sp"))
            ids.total.text = (self.t("confirm.likes", n=len(session.choices)) if session.choices
                              else self.t("confirm.none"))
        ids.notice.text = session.notice.text(self.app.lang) if session.notice else ""
        ids.spinner.active = saving
        ids.saving.text = self.t("confirm.saving") if saving else ""
        ids.fix.text = self.t("confirm.fix")
        ids.submit.text = self.t("confirm.submit")
        ids.fix.disabled = ids.submit.disabled = saving


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.1f}"
