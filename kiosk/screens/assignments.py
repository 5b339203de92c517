"""My assignments: every proposal (or group) with done / left, and progress."""

from __future__ import annotations

from kivy.factory import Factory

from kiosk.session import Session

from .base import KioskScreen


class AssignmentsScreen(KioskScreen):
    def show(self, session: Session) -> None:
        ids = self.ids
        done, left = session.progress
        total = done + left
        ids.title.text = self.t("list.title" if session.form == "rubric" else "list.title.approval")
        ids.progress.text = self.t("list.progress", done=done, left=left)
        ids.bar.ratio = done / total if total else 0
        if session.notice:
            ids.notice.text, ids.notice.error = session.notice.text(self.app.lang), session.notice.error
        elif total and not left:
            ids.notice.text, ids.notice.error = self.t("list.all_done"), False
        elif not total:
            ids.notice.text, ids.notice.error = self.t("list.none"), False
        else:
            ids.notice.text = ""
        ids.finish.text = self.t("logout")
        rows = ids.rows
        rows.clear_widgets()
        for item in session.items:
            row = Factory.AssignmentRow()
            if item.form == "rubric":
                row.ids.key.text, row.ids.name.text = item.target, item.title
                todo = "list.todo"
            else:
                row.ids.key.text = self.t("list.group", group=item.target)
                row.ids.name.text = self.t("list.group.detail", n=len(item.offered),
                                           max=session.manifest.max_choices)
                todo = "list.todo.approval"
            row.ids.state.text = self.t("list.done") if item.done else ""
            row.ids.go.text = self.t("list.again" if item.done else todo)
            row.ids.go.kind = "secondary" if item.done else "primary"
            row.ids.go.bind(on_release=lambda _b, t=item.target: self.app.choose(t))
            row.done = bool(item.done)
            rows.add_widget(row)
