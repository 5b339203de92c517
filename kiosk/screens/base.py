"""What every kiosk screen shares: the app and session it shows, and translation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kivy.uix.screenmanager import Screen

from kiosk.i18n import tr
from kiosk.session import Session

if TYPE_CHECKING:
    from kiosk.app import KioskApp


class KioskScreen(Screen):  # type: ignore[misc]
    """A screen drawn from the session's state by :meth:`show`; its buttons call the
    app, which calls the session (the screen itself never changes state)."""

    def __init__(self, app: KioskApp, **kw: Any) -> None:
        super().__init__(**kw)
        self.app = app

    def t(self, key: str, **params: object) -> str:
        return tr(key, self.app.lang, **params)

    def show(self, session: Session) -> None:
        """Redraw from ``session`` in the app's language."""
        raise NotImplementedError
