"""The overview's "needs attention" list (dashboard.alarms): each problem once, the worst
first, each pointing where it is fixed; idle kiosks only while the kiosk window is open."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

from server.context import Context
from server.services.channels import SourceWatch
from server.services.dashboard import KioskRefusal, KioskStatus, alarms
from server.services.views import Bilingual, ChannelCounts, ConflictCounts, KioskCounts, Overview
from shared.manifest import Manifest
from shared.timefmt import format_time


def kiosk(kid: str, **kw: Any) -> KioskStatus:
    row: dict[str, Any] = {
        "head_known": True, "received_all": True, "missing_range": None, "late": 0, "override": None,
        "override_staff": None, "kiosk": kid, "status": "approved", "key_fingerprint": "", "requested_at": None,
        "approved_by": None, "approved_index": None, "recorded_seq": 10, "synced_seq": 10, "missing": 0,
        "accepted": 0, "rejected": 0, "last_sync_at": None, "closure": None, "closure_matches": None,
        "closed_index": None, "last_contact": None, "reported_at": None, "synced_hash": None, "forks": 0,
        "gap_refusals": 0, "open_gap": None, "oldest_unsynced": None, "idle_minutes": None,
    }
    row.update(kw)
    return KioskStatus(**row)


def gap(seq: int) -> KioskRefusal:
    return KioskRefusal(kiosk="k3", code="chain_gap", seq=seq, times=1, first_at="x", last_at="x", id=1, at="x", detail="")


def overview(open_conflicts: int = 0, closed: bool = False, revoked: int = 0) -> Overview:
    return Overview(
        event="mini", title=Bilingual("", ""), tree_size=1, sth=None, closed=closed, close_index=None,
        ballots=ChannelCounts(0, 0), rejections={"online": {"revoked_credential": revoked}} if revoked else {},
        refusals={}, late={}, ledger_types={"manifest": 1}, kiosks=KioskCounts(0, 0, 0),
        conflicts=ConflictCounts(open_conflicts + 2, 2), revoked=0, staff=0, reviewers=0, proposals=0,
    )


class _Watched(SourceWatch):
    """Reviewers' sources as given, without a database (the split alarm's own tests are in
    tests/server/test_split_reviewer.py)."""

    def update(self, ctx: Context) -> None:
        pass


def ctx_at(m: Manifest, when: datetime) -> Context:
    return cast(Context, SimpleNamespace(manifest=m, clock=lambda: when, source_watch=_Watched()))


def test_each_problem_named_worst_first(mini_manifest: Manifest) -> None:
    now = mini_manifest.windows["kiosk"].start + timedelta(hours=1)
    rows = [
        kiosk("k1", missing=3, synced_seq=7, recorded_seq=10, last_contact=format_time(now)),
        kiosk("k2", forks=1, last_contact=format_time(now)),
        kiosk("k3", open_gap=gap(12), last_contact=format_time(now)),
        kiosk("k4", closure_matches=False, last_contact=format_time(now)),
        kiosk("k5", status="pending"),
        kiosk("k6", last_contact=format_time(now - timedelta(minutes=25))),
        kiosk("k7", head_known=False, synced_seq=0, recorded_seq=0),  # never synced: red at once
        kiosk("k8", status="closed", late=3, last_contact=format_time(now)),
    ]
    got = alarms(ctx_at(mini_manifest, now), overview(open_conflicts=2, revoked=1), rows)
    assert [(a.level, a.key, a.href) for a in got] == [
        ("bad", "alarm.fork", "/staff/kiosks/k2"),
        ("bad", "alarm.closure", "/staff/kiosks/k4"),
        ("bad", "alarm.missing", "/staff/kiosks/k1"),
        ("bad", "alarm.gap", "/staff/kiosks/k3"),
        ("bad", "alarm.nohead", "/staff/kiosks/k7"),
        ("warn", "alarm.late", "/staff/kiosks/k8#refusals"),
        ("warn", "alarm.pending", "/staff/kiosks"),
        ("warn", "alarm.conflicts", "/staff/conflicts"),
        ("info", "alarm.revoked", "/staff/rejections?code=revoked_credential"),
        ("info", "alarm.silent", "/staff/kiosks/k6"),
    ]
    assert got[2].args == {"kiosk": "k1", "n": 3, "first": 8, "last": 10}
    assert got[-1].args == {"kiosk": "k6", "minutes": 25}


def test_idle_kiosks_only_in_the_window_and_grouped(mini_manifest: Manifest) -> None:
    w = mini_manifest.windows["kiosk"]
    idle = [kiosk(f"k{i}", last_contact=format_time(w.start)) for i in range(5)]
    inside = alarms(ctx_at(mini_manifest, w.start + timedelta(hours=2)), overview(), idle)
    assert [(a.key, a.args) for a in inside] == [("alarm.silent.many", {"n": 5})]
    after = alarms(ctx_at(mini_manifest, w.end + timedelta(hours=1)), overview(), idle)
    assert after == []
    closed = alarms(ctx_at(mini_manifest, w.start + timedelta(hours=2)), overview(closed=True), idle)
    assert closed == []
