"""Staff mode: who this kiosk is, how far the server holds its chain, alarms, and the
actions — sync now, export a USB bundle, close the kiosk."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kivy.factory import Factory

from kiosk.i18n import code_text, tr
from kiosk.session import Session

from .base import KioskScreen

#: The event's time zone for everything the staff screen shows (SIMSA_TZ overrides).
EVENT_TZ = "Asia/Seoul"


def event_zone() -> ZoneInfo:
    name = os.environ.get("SIMSA_TZ") or EVENT_TZ
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(EVENT_TZ)


def local_time(stamp: str | None, tz: ZoneInfo | None = None) -> str | None:
    """``2026-12-02T09:05:01Z`` → ``12-02 18:05:01 KST`` in the event's time zone; text that
    is not a timestamp comes back as it is."""
    if not stamp:
        return None
    try:
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    if when.tzinfo is None:
        return stamp
    local = when.astimezone(tz or event_zone())
    return local.strftime("%m-%d %H:%M:%S ") + (local.tzname() or "")


def readable_error(raw: str, lang: str) -> tuple[str, str]:
    """The sync worker's last error (``<stamp> <message>``) as (when, what in words) plus
    the technical message kept short for whoever fixes it."""
    stamp, _, detail = raw.partition(" ")
    when = local_time(stamp) or ""
    if not stamp[:4].isdigit():
        when, detail = "", raw
    words = tr("staff.error.unreachable", lang)
    short = detail if len(detail) <= 90 else detail[:87] + "…"
    return when, f"{words}\n({short})" if short else words


def witnessed_text(witnessed: dict[str, Any] | None, lang: str) -> str | None:
    """The staff screen's "witnessed" value: None without a witness policy (no row), "never"
    before the first cosigned checkpoint, else its size and how many witnesses cosigned."""
    if witnessed is None:
        return None
    if not witnessed:
        return tr("staff.never", lang)
    return tr("staff.witnessed.size", lang, size=witnessed["size"], n=len(witnessed.get("cosigners", [])))


@dataclass(frozen=True)
class StaffView:
    """Everything the staff screen shows, read from the store on a worker."""

    kiosk: str
    fingerprint: str
    server: str | None
    enrolment: str
    head_seq: int
    synced_seq: int
    accepted: int
    duplicate: int
    rejected: int
    queued_online: int
    opened: int
    locked: int
    last_sync: str | None
    last_sth: dict[str, Any] | None
    last_error: str | None
    alarms: list[tuple[str, str, str]]
    closed: bool
    syncing: bool
    #: Under a witness policy: the last witnessed ``{"size", "root", "cosigners"}`` ({} if none yet).
    witnessed: dict[str, Any] | None = None


class StaffScreen(KioskScreen):
    message = ""
    confirming_close = False

    def show(self, session: Session) -> None:
        ids = self.ids
        ids.title.text = self.t("staff.title")
        ids.sync.text = self.t("staff.sync")
        ids.export.text = self.t("staff.export")
        ids.close.text = self.t("staff.close.confirm") if self.confirming_close else self.t("staff.close")
        ids.leave.text = self.t("staff.leave")
        ids.quit.text = self.t("staff.quit")
        ids.notice.text = session.notice.text(self.app.lang) if session.notice else self.message
        ids.notice.error = bool(session.notice and session.notice.error)
        self.app.refresh_staff()

    def on_pre_enter(self, *_: Any) -> None:
        self.message = ""
        self.confirming_close = False

    def fill(self, v: StaffView) -> None:
        ids = self.ids
        t = self.t
        rows = [
            (t("staff.kiosk"), v.kiosk),
            (t("staff.fingerprint"), v.fingerprint),
            (t("staff.server"), v.server or t("staff.none")),
            (t("staff.enrolment"), t(f"enrol.{v.enrolment}") + ("  ·  " + t("staff.syncing") if v.syncing else "")),
            (t("staff.queue"), f"{v.head_seq - v.synced_seq + v.queued_online}  ({t('staff.chain', head=v.head_seq, synced=v.synced_seq)})"),
            ("", t("staff.results", accepted=v.accepted, duplicate=v.duplicate, rejected=v.rejected)),
            (t("staff.last_sync"), local_time(v.last_sync) or t("staff.never")),
            (t("staff.last_sth"), f"#{v.last_sth['tree_size']}  {v.last_sth['root_hash'][:16]}…" if v.last_sth else t("staff.never")),
            ("", t("staff.opened", n=v.opened) + "  ·  " + t("staff.locked", n=v.locked)),
        ]
        witnessed = witnessed_text(v.witnessed, self.app.lang)
        if witnessed is not None:
            rows.insert(8, (t("staff.witnessed"), witnessed))
        if v.last_error:
            when, what = readable_error(v.last_error, self.app.lang)
            rows.append((t("staff.error") + (f"\n{when}" if when else ""), what))
        grid = ids.info
        grid.clear_widgets()
        for k, val in rows:
            grid.add_widget(Factory.InfoKey(text=k))
            grid.add_widget(Factory.InfoValue(text=val))
        ids.alarms_title.text = t("staff.alarms")
        box = ids.alarms
        box.clear_widgets()
        if not v.alarms:
            line = Factory.AlarmLine(text=t("staff.no_alarms"))
            line.ok = True
            box.add_widget(line)
        for at, code, detail in v.alarms[:6]:
            box.add_widget(Factory.AlarmLine(text=f"{local_time(at)}  {code_text(code, self.app.lang)}: {detail}"))
        ids.sync.disabled = v.server is None or v.syncing
        ids.close.disabled = v.closed

    def say(self, text: str) -> None:
        self.message = text
        self.ids.notice.text = text
        self.ids.notice.error = False

    def close_pressed(self) -> None:
        if not self.confirming_close:
            self.confirming_close = True
            self.ids.close.text = self.t("staff.close.confirm")
            self.ids.notice.text, self.ids.notice.error = self.t("staff.close.warning"), True
            return
        self.confirming_close = False
        self.app.close_kiosk()
