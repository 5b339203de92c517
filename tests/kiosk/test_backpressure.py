"""Issue 12's back-pressure, client side: while the server answers 503 with Retry-After, the
online client waits as told (bounded), keeps the ballot queued in its own store, and sends
it once the server takes it again. A real ``simsa server`` behind a proxy that sheds load
(tests/kiosk/fault_proxy.py); the client's waits are recorded, not slept."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from client import LedgerClient, RetryPolicy, ServerUnavailable
from kiosk.sim import channel_reviewers, open_station
from kiosk.sync import Backoff, SyncWorker
from shared.manifest import verify_signed_manifest
from tests.kiosk.fault_proxy import FaultProxy
from tests.support.events import EventFiles
from tests.support.live import LiveServer


def test_an_online_ballot_stays_queued_while_the_server_sheds_load(
    live_server: LiveServer, mini_event: EventFiles, tmp_path: Path
) -> None:
    proxy = FaultProxy(live_server.url)
    try:
        signed = json.loads((live_server.event_dir / "manifest.json").read_text(encoding="utf-8"))
        manifest = verify_signed_manifest(signed)
        slept: list[float] = []
        client = LedgerClient.for_url(
            proxy.url, retry=RetryPolicy(attempts=3, total_s=10.0, sleep=slept.append, rng=random.Random(1))
        )
        st = open_station(tmp_path / "online.sqlite", signed, proxy.url, channel="online", client=client)
        person = channel_reviewers(manifest, "online", mini_event.credentials, mini_event.pins)[0]

        proxy.fail("/api/v1/ballots", "503", "503", "503")
        assert person.visit(st.session, random.Random(2), 1, []) == 1  # the person is told it is saved
        [(bid, sb)] = st.store.queued_online()
        assert sb["ballot"]["reviewer"] == person.id
        assert (st.store.online_status(bid) or ("",))[0] == "queued"
        assert [f for _, path, f in proxy.log if path == "/api/v1/ballots"] == ["503"] * 3
        assert len(slept) == 2 and all(1.0 <= s <= 1.2 for s in slept)  # Retry-After: 1, with jitter

        # a sync pass while the server still sheds load: the ballot stays queued and the
        # worker learns how long the server asked it to wait
        proxy.fail("/api/v1/ballots", "503", "503", "503")
        with pytest.raises(ServerUnavailable) as err:
            st.syncer.sync_once()
        assert err.value.retry_after == 1.0
        assert [bid for bid, _ in st.store.queued_online()] == [bid]
        worker = SyncWorker(st.syncer, backoff=Backoff(base=0.01, cap=60.0, rng=random.Random(3)))
        assert all(worker.delay_after(err.value) >= 1.0 for _ in range(5))

        # the server takes ballots again: the next pass sends it, once
        report = st.syncer.sync_once()
        assert report.online_sent == 1 and st.store.queued_online() == []
        status, _code, index = st.store.online_status(bid) or ("", None, None)
        assert status == "sent" and index is not None
        entry = client.entries(index, index + 1)[0]["entry"]
        assert entry["type"] == "ballot" and entry["signed_ballot"] == sb
        assert [f for _, path, f in proxy.log if path == "/api/v1/ballots"].count("ok") == 1
    finally:
        proxy.close()


def test_the_worker_never_waits_past_its_cap_whatever_the_server_asks() -> None:
    worker = SyncWorker.__new__(SyncWorker)  # only the delay rule, no thread
    worker.backoff = Backoff(base=0.01, cap=30.0, rng=random.Random(4))
    assert worker.delay_after(ServerUnavailable("busy", retry_after=3600.0)) == 30.0
    assert worker.delay_after(ServerUnavailable("down")) <= 30.0
