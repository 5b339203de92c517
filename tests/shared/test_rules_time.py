"""Rule 11 by the server's clock (DESIGN §5): an online ballot is judged by when the server
received it, a kiosk ballot may not be signed after the server saw it. Every edge is
tried on both sides; the replay of a ledger judges the same from the entries'
``received_at``."""

from __future__ import annotations

from typing import Any

import pytest

from shared.errors import Rejection
from shared.ledger import ballot_entry, manifest_entry
from shared.replay import LedgerError, replay
from shared.rules import check_ballot
from shared.timefmt import parse_time
from tests.support import tiny

M = tiny.manifest()  # both windows 2017-02-23 09:00–18:00 UTC, tolerance 300 s


def day(hms: str) -> str:
    return f"2017-02-23T{hms}Z"


def online_ballot(created: str) -> dict[str, Any]:
    return tiny.signed(tiny.approval(created_at=created))


def kiosk_ballot(created: str) -> dict[str, Any]:
    return tiny.signed(tiny.rubric(created_at=created))


def judge(channel: str, created: str, received: str) -> str:
    sb = online_ballot(created) if channel == "online" else kiosk_ballot(created)
    kiosk = None if channel == "online" else tiny.KIOSK
    try:
        check_ballot(M, sb, channel=channel, kiosk=kiosk, received_at=parse_time(received))
    except Rejection as exc:
        assert exc.detail
        return exc.code
    return "accepted"


EDGES = [
    # online: received inside the window
    ("online", day("09:00:00"), day("09:00:00"), "accepted"),
    ("online", day("08:59:59"), day("08:59:59"), "outside_window"),  # received before the start
    ("online", day("18:00:00"), day("18:00:00"), "accepted"),
    ("online", day("18:00:00"), day("18:00:01"), "outside_window"),  # received a second after the end
    # the window closed yesterday; the ballot is dated inside it: refused
    ("online", day("12:00:00"), "2017-02-24T12:00:00Z", "outside_window"),
    # online: created within the tolerance (300 s) of received
    ("online", day("12:00:00"), day("12:05:00"), "accepted"),
    ("online", day("11:59:59"), day("12:05:00"), "outside_window"),
    ("online", day("12:05:00"), day("12:00:00"), "accepted"),
    ("online", day("12:05:01"), day("12:00:00"), "outside_window"),  # dated in the future
    ("online", "2017-03-02T12:00:00Z", day("12:00:00"), "outside_window"),  # 7 days ahead
    # kiosk: created inside the window ± tolerance, not after received + tolerance
    ("kiosk", day("08:55:00"), day("09:30:00"), "accepted"),
    ("kiosk", day("08:54:59"), day("09:30:00"), "outside_window"),
    ("kiosk", day("18:05:00"), day("18:10:00"), "accepted"),
    ("kiosk", day("18:05:01"), day("18:10:00"), "outside_window"),
    ("kiosk", day("12:05:00"), day("12:00:00"), "accepted"),
    ("kiosk", day("12:05:01"), day("12:00:00"), "outside_window"),  # signed after the server saw it
    ("kiosk", day("10:00:00"), "2017-02-25T10:00:00Z", "accepted"),  # synced two days late: fine
]


@pytest.mark.parametrize(("channel", "created", "received", "code"), EDGES)
def test_rule_11_edges(channel: str, created: str, received: str, code: str) -> None:
    assert judge(channel, created, received) == code


def test_without_received_at_only_created_at_is_judged() -> None:
    """What a kiosk checks before it signs: the full rule implies this one."""
    check_ballot(M, online_ballot(day("12:00:00")), channel="online")
    with pytest.raises(Rejection, match="outside the online window"):
        check_ballot(M, online_ballot("2017-02-24T12:00:00Z"), channel="online")
    for channel, created, received, code in EDGES:
        if code == "accepted":
            sb = online_ballot(created) if channel == "online" else kiosk_ballot(created)
            check_ballot(M, sb, channel=channel, kiosk=None if channel == "online" else tiny.KIOSK)
        del received


@pytest.mark.parametrize(("created", "received", "ok"), [(day("12:00:00"), day("12:04:00"), True),
                                                          (day("12:00:00"), "2017-02-24T12:00:00Z", False),
                                                          ("2017-03-02T12:00:00Z", day("12:00:00"), False)])
def test_the_replay_judges_by_the_entrys_received_at(created: str, received: str, ok: bool) -> None:
    entries = [manifest_entry(tiny.signed_manifest(), day("08:00:00")),
               ballot_entry(online_ballot(created), received, None, None)]
    if ok:
        assert len(replay(entries).accepted) == 1
    else:
        with pytest.raises(LedgerError, match="entry 1: an accepted ballot that the rules reject: outside_window"):
            replay(entries)
