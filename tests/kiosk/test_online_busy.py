"""The kiosk's online client and the server's back-pressure (issue 12): a ``503 busy``
with ``Retry-After`` leaves the ballot queued in the kiosk's outbox, never refused or
lost, and the next sync delivers it."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from client import LedgerClient, RetryPolicy, ServerUnavailable
from kiosk.sync import Syncer
from shared.encoding import jcs
from tests.kiosk.conftest import Station
from tests.kiosk.fake_server import FakeAdapter, FakeLedger
from tests.support.events import EventFiles


class BusyFirst(FakeAdapter):
    """Answers the first ``busy`` online ballot posts as the sequencer does when full."""

    def __init__(self, ledger: FakeLedger, busy: int) -> None:
        super().__init__(ledger)
        self.busy = busy

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if request.method == "POST" and (request.path_url or "").startswith("/api/v1/ballots") and self.busy > 0:
            self.busy -= 1
            r = requests.Response()
            r.status_code = 503
            r._content = jcs({"type": "urn:simsa:problem:busy", "status": 503, "code": "busy",
                              "detail": "1000 submissions are waiting for the ledger", "retry_after": 1})
            r.headers["Content-Type"] = "application/problem+json"
            r.headers["Retry-After"] = "1"
            r.url, r.request = request.url or "", request
            return r
        return super().send(request, **kwargs)


def test_a_503_busy_keeps_the_online_ballot_queued_until_it_is_taken(online_station: Station, mini_event: EventFiles) -> None:
    st = online_station
    ledger = FakeLedger(st.kiosk.signed_manifest, mini_event.ledger_key())
    s = requests.Session()
    s.mount("http://fake", BusyFirst(ledger, busy=4))
    waits: list[float] = []  # two sends a call, as the kiosk app bounds a reviewer's wait
    client = LedgerClient("http://fake", s, retry=RetryPolicy(attempts=2, total_s=3.0, sleep=waits.append))
    syncer = Syncer(st.kiosk, st.store, client)
    session = st.session(deliver=syncer.deliver_one)
    st.login(session, st.reviewer("online"))
    st.vote_first(session)
    assert session.receipt is not None and session.receipt.delivery is not None
    assert session.receipt.delivery.status == "queued"  # not refused: busy is "send again"
    bid = session.receipt.ballot_id
    assert [b for b, _ in st.store.queued_online()] == [bid]
    with pytest.raises(ServerUnavailable):  # still busy once: the pass stops, the ballot stays
        syncer.sync_once()
    assert [b for b, _ in st.store.queued_online()] == [bid] and not ledger.online
    assert len(waits) == 2 and all(1.0 <= w <= 1.2 for w in waits)  # Retry-After: 1, honoured
    report = syncer.sync_once()
    assert report.online_sent == 1 and st.store.queued_online() == []
    assert len(ledger.online) == 1
