"""Sync against a real ``simsa server`` process: enrolment approved by staff, batches
through a proxy that resets connections mid-body, answers 500 and stalls past the
timeout; the STH checked for consistency; revocations pulled; a USB bundle imported on
a second server gives the same ledger; and ``simsa kiosk-sim`` end to end."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from client import LedgerClient, ServerUnavailable
from kiosk.bundle import export_bundle, read_bundle
from kiosk.sim import ledger_seqs
from kiosk.store import Meta
from kiosk.sync import Syncer, SyncReport
from tests.kiosk.conftest import Station, make_station
from tests.kiosk.fault_proxy import FaultProxy
from tests.kiosk.test_sync import fill
from tests.support.events import EventFiles
from tests.support.live import STAFF_NAME, STAFF_PASSWORD, LiveServer, add_staff, copy_event, start_server

pytestmark = pytest.mark.slow


class Staff:
    def __init__(self, url: str) -> None:
        self.url = url
        self.http = requests.Session()
        r = self.http.post(url + "/api/v1/staff/login", json={"name": STAFF_NAME, "password": STAFF_PASSWORD},
                           timeout=10)
        r.raise_for_status()
        self.http.headers["Authorization"] = "Bearer " + r.json()["token"]

    def post(self, path: str, body: object = None) -> requests.Response:
        return self.http.post(self.url + "/api/v1/staff" + path, json=body, timeout=30)


@pytest.fixture
def proxy(live_server: LiveServer) -> Iterator[FaultProxy]:
    p = FaultProxy(live_server.url, stall_s=3.0)
    yield p
    p.close()


def until_complete(syncer: Syncer, passes: int = 25) -> SyncReport:
    for _ in range(passes):
        try:
            report = syncer.sync_once()
        except ServerUnavailable:
            continue
        if report.complete and report.enrolment == "approved":
            return report
    raise AssertionError(f"no complete sync; alarms {syncer.store.alarms(5)}")


def test_faults_against_the_real_server(
    live_server: LiveServer, proxy: FaultProxy, station: Station, mini_event: EventFiles
) -> None:
    fill(station, 40)
    client = LedgerClient(proxy.url, timeout=(2.0, 1.5))
    syncer = Syncer(station.kiosk, station.store, client)
    assert syncer.sync_once().enrolment == "pending"
    staff = Staff(live_server.url)
    assert staff.post(f"/kiosks/{station.kiosk.id}/approve").status_code == 200
    proxy.fail("/batches", "reset_mid_body", "500", "timeout", "reset_before", "reset_mid_body")
    report = until_complete(syncer)
    assert not report.alarms
    assert [f for _, p, f in proxy.log if "/batches" in p][:5] == [
        "reset_mid_body", "500", "timeout", "reset_before", "reset_mid_body"]
    on_ledger = ledger_seqs(LedgerClient(live_server.url))
    assert on_ledger[station.kiosk.id] == list(range(1, 41))  # each record once, in order
    state = station.store.sync_state()
    assert state.synced_seq == 40 and state.accepted + state.duplicate == 40 and state.rejected == 0
    assert state.duplicate == 40  # the first answer was lost after the server committed the batch
    # more ballots, another STH: the consistency proof from the last one checks out
    old_size = station.store.get_json(Meta.LAST_STH)["tree_size"]
    fill(station, 5)
    report = until_complete(syncer)
    assert report.sth_size is not None and report.sth_size > old_size and not report.alarms
    assert ledger_seqs(LedgerClient(live_server.url))[station.kiosk.id] == list(range(1, 46))
    # a revocation by staff reaches the kiosk at the next sync
    rid = station.reviewer()
    r = staff.post("/revocations", {"reviewer": rid, "reason": "card lost"})
    assert r.status_code == 200, r.text
    syncer.sync_once()
    assert station.store.is_revoked(rid)


def test_usb_bundle_gives_the_same_ledger_as_a_network_sync(
    live_server: LiveServer, mini_event: EventFiles, tmp_path: Path
) -> None:
    st = make_station(mini_event, tmp_path / "kiosk", kiosk_id="k-usb")
    fill(st, 25)
    folder = export_bundle(st.kiosk, st.store, tmp_path / "usb", "2017-02-23T12:00:00Z")
    batches = read_bundle(folder)
    # network: the kiosk syncs with server A
    syncer = Syncer(st.kiosk, st.store, LedgerClient(live_server.url))
    syncer.sync_once()
    Staff(live_server.url).post("/kiosks/k-usb/approve")
    until_complete(syncer)
    # USB: staff import the same bundle on server B (the kiosk registered there before the event)
    event_b = copy_event(mini_event.dir, tmp_path / "event-b")
    add_staff(event_b, None, STAFF_NAME, STAFF_PASSWORD)
    with start_server(event_b) as srv_b:
        reg = json.loads((folder / "registration.json").read_text())
        assert requests.post(srv_b.url + "/api/v1/kiosks", json=reg, timeout=10).status_code == 202
        staff_b = Staff(srv_b.url)
        assert staff_b.post("/kiosks/k-usb/approve").status_code == 200
        for batch in batches + batches:  # a second import changes nothing
            r = staff_b.post("/bundles", batch)
            assert r.status_code == 200, r.text
        a, b = LedgerClient(live_server.url), LedgerClient(srv_b.url)
        ballots_a = [e["entry"] for e in a.entries(0, 1000) if e["entry"]["type"] in ("ballot", "rejected")]
        ballots_b = [e["entry"] for e in b.entries(0, 1000) if e["entry"]["type"] in ("ballot", "rejected")]
    strip = [{k: v for k, v in e.items() if k != "received_at"} for e in ballots_a]
    assert strip == [{k: v for k, v in e.items() if k != "received_at"} for e in ballots_b]
    assert [e["seq"] for e in ballots_b] == list(range(1, 26))


def test_kiosk_sim_puts_each_kiosks_seqs_on_the_ledger_once(
    live_server: LiveServer, mini_event: EventFiles, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from simsa.cli import main

    code = main(["kiosk-sim", "--event", str(live_server.event_dir), "--server", live_server.url, "--kiosks", "3",
                 "--ballots", "60", "--online-ballots", "4", "--staff", f"{STAFF_NAME}:{STAFF_PASSWORD}",
                 "--data", str(tmp_path / "sim")])
    summary = json.loads(capsys.readouterr().out)
    assert code == 0 and summary["exactly_once"] is True, summary
    assert summary["ballots"] == 60 and summary["kiosks"] == 3 and summary["online_ballots"] == 4
    seqs = ledger_seqs(LedgerClient(live_server.url))
    assert {k: v for k, v in seqs.items() if k.startswith("sim-")} == {
        k: list(range(1, n + 1)) for k, n in summary["per_kiosk"].items()}
    # and an online client sets itself up from the same server
    from kiosk.launch import prepare

    kiosk, store = prepare(tmp_path / "o", server=live_server.url, manifest=None, online=True)
    assert kiosk.channel == "online" and kiosk.server == live_server.url and store.path.name == "online.sqlite"
    assert kiosk.signed_manifest == json.loads((live_server.event_dir / "manifest.json").read_text())


def test_an_idle_kiosk_stays_in_contact(live_server: LiveServer, mini_event: EventFiles, tmp_path: Path) -> None:
    """Passes with nothing to send still report the kiosk's head: the server keeps it as
    the seq recorded on the kiosk and as contact (the dashboard's "last contact")."""
    st = make_station(mini_event, tmp_path / "kiosk", kiosk_id="k-idle")
    syncer = Syncer(st.kiosk, st.store, LedgerClient(live_server.url), head_every=0.0)
    assert syncer.sync_once().enrolment == "pending"
    staff = Staff(live_server.url)

    def row() -> dict[str, object]:
        kiosks = staff.http.get(live_server.url + "/api/v1/staff/kiosks", timeout=10).json()["kiosks"]
        return dict(next(k for k in kiosks if k["kiosk"] == "k-idle"))

    assert staff.post("/kiosks/k-idle/approve").status_code == 200
    assert row()["last_sync_at"] is None
    report = syncer.sync_once()  # approved, no ballot yet
    assert report.head_reported and not report.alarms
    first = row()
    assert first["last_sync_at"] is not None and (first["recorded_seq"], first["synced_seq"]) == (0, 0)
    fill(st, 2)
    assert until_complete(syncer).pushed == 2
    report = syncer.sync_once()  # everything held: a head-only batch again
    assert report.head_reported and report.pushed == 0 and not report.alarms
    last = row()
    assert (last["recorded_seq"], last["synced_seq"], last["missing"]) == (2, 2, 0)
    assert str(last["last_sync_at"]) >= str(first["last_sync_at"])
