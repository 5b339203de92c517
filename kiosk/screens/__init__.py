"""The kiosk's screens: one ``<name>.py`` and one ``<name>.kv`` each, listed here.

:data:`SCREENS` is the registry the app builds its ScreenManager from;
:data:`STEP_SCREEN` says which screen shows each :class:`~kiosk.session.Step`.
"""

from __future__ import annotations

from kiosk.session import Step

#: name → (module, class); each module has a same-named .kv file beside it.
SCREENS: dict[str, tuple[str, str]] = {
    "scan": ("kiosk.screens.scan", "ScanScreen"),
    "pin": ("kiosk.screens.pin", "PinScreen"),
    "assignments": ("kiosk.screens.assignments", "AssignmentsScreen"),
    "rubric": ("kiosk.screens.rubric", "RubricScreen"),
    "approval": ("kiosk.screens.approval", "ApprovalScreen"),
    "confirm": ("kiosk.screens.confirm", "ConfirmScreen"),
    "receipt": ("kiosk.screens.receipt", "ReceiptScreen"),
    "done": ("kiosk.screens.done", "DoneScreen"),
    "staff": ("kiosk.screens.staff", "StaffScreen"),
    "closed": ("kiosk.screens.closed", "ClosedScreen"),
}

STEP_SCREEN: dict[Step, str] = {
    Step.SCAN: "scan",
    Step.PIN: "pin",
    Step.UNLOCKING: "pin",
    Step.STAFF_PIN: "pin",
    Step.STAFF_CHECKING: "pin",
    Step.ASSIGNMENTS: "assignments",
    Step.RUBRIC: "rubric",
    Step.APPROVAL: "approval",
    Step.CONFIRM: "confirm",
    Step.SAVING: "confirm",
    Step.RECEIPT: "receipt",
    Step.DONE: "done",
    Step.STAFF: "staff",
    Step.CLOSED: "closed",
}
