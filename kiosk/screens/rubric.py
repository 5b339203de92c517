"""The rubric sheet: each criterion with its maximum, nothing pre-filled. A value is set
with the quick-pick chips or the − / + steppers; a re-scored proposal shows the
previous scores beside each criterion."""

from __future__ import annotations

from kivy.factory import Factory

from kiosk.session import Session

from .base import KioskScreen

NICE_STEPS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500)


def chip_values(top: int, most: int = 7) -> list[int]:
    """Quick-pick values 0 … top in a round step, at most ``most`` of them, top included."""
    step = next((s for s in NICE_STEPS if top // s + 1 <= most), NICE_STEPS[-1])
    values = list(range(0, top + 1, step))
    if values[-1] != top:
        values[-1] = top
    return values


class RubricScreen(KioskScreen):
    _built_for: tuple[str, str] | None = None

    def show(self, session: Session) -> None:
        ids = self.ids
        item = session.current
        if item is None:
            return
        ids.title.text = item.title
        ids.sub.text = f"{item.target} · {self.t('rubric.title')}"
        if session.notice:
            ids.notice.text, ids.notice.error = session.notice.text(self.app.lang), session.notice.error
        elif item.previous is not None:
            ids.notice.text, ids.notice.error = self.t("rubric.rescore"), False
        else:
            ids.notice.text = ""
        ids.back.text = self.t("back")
        ids.next.text = self.t("next")
        key = (item.target, self.app.lang)
        if self._built_for != key or len(ids.rows.children) != len(session.manifest.rubric):
            self._build(session)
            self._built_for = key
        for row in ids.rows.children:
            value = session.scores.get(row.criterion)
            row.ids.value.text = "—" if value is None else str(value)
            for chip in row.ids.chips.children:
                chip.kind = "chosen" if value is not None and chip.value == value else "chip"
        missing = sum(1 for v in session.scores.values() if v is None)
        ids.next.kind = "primary" if not missing else "secondary"

    def _build(self, session: Session) -> None:
        rows = self.ids.rows
        rows.clear_widgets()
        item = session.current
        assert item is not None
        en = self.app.lang == "en"
        for c in session.manifest.rubric:
            row = Factory.CriterionRow()
            row.criterion = c.id
            row.ids.label.text = c.label_en if en else c.label_ko
            row.ids.max.text = self.t("rubric.max", max=c.max)
            prev = (item.previous or {}).get(c.id)
            row.ids.previous.text = self.t("rubric.previous", score=prev) if prev is not None else ""
            row.ids.minus.bind(on_release=lambda _b, cid=c.id: self.step(cid, -1))
            row.ids.plus.bind(on_release=lambda _b, cid=c.id: self.step(cid, +1))
            for v in chip_values(c.max):
                chip = Factory.ScoreChip(text=str(v))
                chip.value = v
                chip.bind(on_release=lambda _b, cid=c.id, v=v: self.app.set_score(cid, v))
                row.ids.chips.add_widget(chip)
            rows.add_widget(row)

    def step(self, criterion: str, delta: int) -> None:
        session = self.app.session
        top = session.manifest.criteria()[criterion].max
        now = session.scores.get(criterion)
        value = 0 if now is None else min(max(now + delta, 0), top)
        self.app.set_score(criterion, value)
