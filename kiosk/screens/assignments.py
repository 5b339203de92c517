"""My assignments: what is left first, then what is done; a "judge the next one" button
that opens the first proposal left; progress. A done proposal is judged again only after a
second, deliberate tap; a refused online ballot shows red and stays to do. The list keeps
its scroll position while the reviewer moves through it."""

from __future__ import annotations

from kivy.factory import Factory

from kiosk.flow import todo_first
from kiosk.session import Session

from .base import KioskScreen


class AssignmentsScreen(KioskScreen):
    _generation = -1

    def show(self, session: Session) -> None:
        ids = self.ids
        done, left = session.progress
        total = done + left
        ids.title.text = self.t("list.title" if session.form == "rubric" else "list.title.approval")
        ids.progress.text = self.t("list.progress", done=done, left=left)
        ids.bar.ratio = done / total if total else 0
        if session.notice:
            ids.notice.text, ids.notice.error = session.notice.text(self.app.lang), session.notice.error
        elif session.rescore_ask is not None:
            ids.notice.text, ids.notice.error = self.t("list.rescore.ask"), False
        elif total and not left:
            ids.notice.text, ids.notice.error = self.t("list.all_done"), False
        elif not total:
            ids.notice.text, ids.notice.error = self.t("list.none"), False
        else:
            ids.notice.text = ""
        ids.finish.text = self.t("logout")
        nxt = session.next_todo
        ids.next_todo.text = self.t("list.next_todo")
        ids.next_todo.disabled = nxt is None
        ids.next_todo.opacity = 0 if nxt is None else 1
        scroll = ids.scroll
        keep = scroll.scroll_y if session.generation == self._generation else 1.0
        self._generation = session.generation
        rows = ids.rows
        rows.clear_widgets()
        for item in todo_first(session.items):
            row = Factory.AssignmentRow()
            if item.form == "rubric":
                row.ids.key.text, row.ids.name.text = item.target, item.title
                todo = "list.todo"
            else:
                row.ids.key.text = self.t("list.group", group=item.target)
                row.ids.name.text = self.t("list.group.detail", n=len(item.offered),
                                           max=session.manifest.max_choices)
                todo = "list.todo.approval"
            asking = session.rescore_ask == item.target
            if item.done:
                row.ids.state.text = self.t("list.rescore.ask") if asking else self.t("list.done")
                row.ids.go.text = self.t("list.rescore.yes") if asking else self.t("list.again")
                row.ids.go.kind = "primary" if asking else "secondary"
            elif item.refused:
                row.ids.state.text = self.t("list.refused")
                row.ids.go.text = self.t("list.refused.again")
                row.ids.go.kind = "primary"
            else:
                row.ids.state.text = ""
                row.ids.go.text = self.t(todo)
                row.ids.go.kind = "primary"
            row.ids.go.bind(on_release=lambda _b, t=item.target: self.app.choose(t))
            row.done, row.refused, row.asking = bool(item.done), bool(item.refused and not item.done), asking
            rows.add_widget(row)
        scroll.scroll_y = keep
