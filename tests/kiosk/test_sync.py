"""Sync against the in-memory fake server: batches, every answer, faults, STH checks,
revocations, USB bundles and the online outbox."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from client import LedgerClient, ServerRefused, ServerUnavailable
from kiosk.bundle import bundle_batches, export_bundle, read_bundle
from kiosk.session import run_job
from kiosk.store import Meta
from kiosk.sync import Backoff, Syncer, SyncReport, SyncWorker
from shared.ballot import sign_ballot
from shared.chain import ChainState
from shared.keys import SigningKey
from tests.kiosk.conftest import Station
from tests.kiosk.fake_server import FakeAdapter, FakeLedger, fake_session
from tests.support.events import EventFiles


def fill(st: Station, n: int) -> list[str]:
    """Save ``n`` real ballots on the station through sessions; return their ids."""
    ids: list[str] = []
    reviewers = sorted(r for r in st.manifest.reviewers if r.startswith("rep-"))
    session = st.session()
    i = 0
    while len(ids) < n:
        st.login(session, reviewers[i % len(reviewers)])
        for item in session.items[: n - len(ids)]:
            session.choose(item.target)
            if session.rescore_ask:  # judged before: the second tap opens it again
                session.choose(item.target)
            for c in st.manifest.rubric:
                session.set_score(c.id, (i + len(ids)) % (c.max + 1))
            session.review()
            session.save_finished(run_job(session.confirm()))
            assert session.receipt is not None
            ids.append(session.receipt.ballot_id)
            session.to_list()
        session.logout()
        i += 1
    return ids


def link(st: Station, mini_event: EventFiles, **kw: bool) -> tuple[FakeLedger, Syncer]:
    ledger = FakeLedger(st.kiosk.signed_manifest, mini_event.ledger_key(), **kw)
    return ledger, Syncer(st.kiosk, st.store, LedgerClient("http://fake", fake_session(ledger)))


def until_complete(syncer: Syncer, passes: int = 30) -> SyncReport:
    for _ in range(passes):
        try:
            report = syncer.sync_once()
        except ServerUnavailable:
            continue
        if report.complete:
            return report
    raise AssertionError("sync did not complete")


def test_enrol_then_push_in_batches_of_500(station: Station, mini_event: EventFiles) -> None:
    ids = fill(station, 60)
    # 60 real ballots, then more records to cross the 500 line (the store does not judge)
    more = [sign_ballot(dict(r["signed_ballot"]["ballot"], nonce=f"{i:08x}-0000-4000-8000-000000000000"),
                        SigningKey(bytes(32))).to_json() for i, r in enumerate(station.store.records(0, 1000) * 20)]
    station.store.read().execute("PRAGMA synchronous=OFF")  # filler records: no fsync each (test speed)
    for sb in more[:1140]:
        station.store.append(sb, reviewer="x", target="p", created_at="2017-02-23T10:00:00Z")
    ledger, syncer = link(station, mini_event, auto_approve=False)
    report = syncer.sync_once()
    assert report.enrolment == "pending" and ledger.batches == []
    ledger.kiosks[station.kiosk.id].status = "approved"
    report = syncer.sync_once()
    assert report.enrolment == "approved" and report.complete and report.synced_seq == 1200
    assert [len(b["records"]) for b in ledger.batches] == [500, 500, 200]
    assert report.results == {"accepted": 60, "rejected": 1140}  # bad signatures go on the ledger as rejected
    assert ledger.kiosk_seqs(station.kiosk.id) == list(range(1, 1201))
    state = station.store.sync_state()
    assert (state.accepted, state.rejected, state.synced_seq) == (60, 1140, 1200)
    assert station.store.rejected_records(1)[0][2] == "bad_signature"
    assert {e["signed_ballot"]["ballot"]["nonce"] for e in ledger.entries[1:61]} == {
        r["signed_ballot"]["ballot"]["nonce"] for r in station.store.records(0, 60)
    }
    assert len(ids) == 60
    # nothing new: no batch is sent
    syncer.sync_once()
    assert len(ledger.batches) == 3


@pytest.mark.parametrize("fault", ["reset", "lost", "500", "timeout"])
def test_faults_mid_batch_put_each_record_on_the_ledger_once(
    station: Station, mini_event: EventFiles, fault: str
) -> None:
    fill(station, 12)
    ledger, syncer = link(station, mini_event)
    syncer.enrol()
    ledger.faults.extend(["ok", fault])  # status answers, then the batch fails
    with pytest.raises(ServerUnavailable):
        syncer.sync_once()
    assert station.store.get(Meta.LAST_ERROR)
    until_complete(syncer)
    assert ledger.kiosk_seqs(station.kiosk.id) == list(range(1, 13))
    if fault == "lost":  # the server had it: the retry is answered as duplicates
        assert station.store.sync_state().duplicate == 12
    assert station.store.get(Meta.LAST_ERROR) is None


def test_more_ballots_after_a_sync_continue_the_chain(station: Station, mini_event: EventFiles) -> None:
    fill(station, 3)
    ledger, syncer = link(station, mini_event)
    until_complete(syncer)
    fill(station, 4)
    until_complete(syncer)
    assert ledger.kiosk_seqs(station.kiosk.id) == list(range(1, 8))
    assert [len(b["records"]) for b in ledger.batches] == [3, 4]


def test_records_after_staff_closed_the_kiosk_are_logged_and_the_kiosk_learns_it(
    station: Station, mini_event: EventFiles
) -> None:
    fill(station, 2)
    ledger, syncer = link(station, mini_event)
    until_complete(syncer)
    ledger.kiosks[station.kiosk.id].status = "closed"  # staff closed it by override
    fill(station, 2)
    report = until_complete(syncer)
    assert report.results == {"rejected": 2}
    assert [(e["seq"], e.get("code")) for e in ledger.entries if e.get("kiosk")] == [
        (1, None), (2, None), (3, "kiosk_closed"), (4, "kiosk_closed")]
    assert station.store.get(Meta.SERVER_CLOSED_KIOSK) == "1" and station.store.synced_seq() == 4
    # every key the kiosk wrote on the way (setup, enrolment, chain, STH, refusals) is a named one
    from kiosk.identity import close

    close(station.kiosk, station.store, "2026-12-02T18:00:00Z")
    until_complete(syncer)
    keys = {k for (k,) in station.store.read().execute("SELECT key FROM meta")}
    assert keys >= {"kiosk_closed", "closure", "last_sth", "synced_seq"}
    assert keys <= {m.value for m in Meta}, keys - {m.value for m in Meta}


def test_revocations_reach_the_kiosk(station: Station, mini_event: EventFiles) -> None:
    rid = station.reviewer()
    ledger, syncer = link(station, mini_event)
    ledger.revoked.add(rid)
    until_complete(syncer)
    session = station.session()
    session.card_checked(run_job(session.scanned(mini_event.credentials[rid])))
    assert session.notice is not None and session.notice.key == "card.revoked"


def test_sth_is_checked_for_consistency(station: Station, mini_event: EventFiles) -> None:
    fill(station, 2)
    ledger, syncer = link(station, mini_event)
    report = until_complete(syncer)
    assert report.sth_size == 3 and not report.alarms
    fill(station, 2)
    report = until_complete(syncer)
    assert report.sth_size == 5 and not report.alarms  # grew, and the proof checked out
    ledger.fork_sth = True  # the server now shows another history
    fill(station, 1)
    report = until_complete(syncer)
    assert "ledger_inconsistent" in report.alarms and report.sth_size is None
    assert station.store.get_json(Meta.LAST_STH)["tree_size"] == 5  # the last good head is kept
    assert station.store.alarms(1)[0][1] == "ledger_inconsistent"


def test_sth_that_shrinks_or_is_not_signed_raises_an_alarm(station: Station, mini_event: EventFiles) -> None:
    fill(station, 2)
    ledger, syncer = link(station, mini_event)
    until_complete(syncer)
    del ledger.entries[1:], ledger.leaves[1:]
    assert "ledger_inconsistent" in syncer.sync_once().alarms
    ledger.key = SigningKey(bytes(range(32)))
    assert "sth_invalid" in syncer.sync_once().alarms


def test_server_holding_a_different_chain_is_an_alarm(station: Station, mini_event: EventFiles) -> None:
    fill(station, 2)
    ledger, syncer = link(station, mini_event)
    until_complete(syncer)
    k = ledger.kiosks[station.kiosk.id]
    k.state = type(k.state)(2, "A" * 43)
    report = syncer.sync_once()
    assert "chain_fork" in report.alarms


def test_usb_bundle_is_exactly_what_sync_sends(station: Station, mini_event: EventFiles, tmp_path: Path) -> None:
    fill(station, 30)
    station.store.read().execute("PRAGMA synchronous=OFF")  # filler records: no fsync each (test speed)
    for i, r in enumerate(station.store.records(0, 30) * 20):  # and enough records for two batch files
        sb = sign_ballot(dict(r["signed_ballot"]["ballot"], nonce=f"{i:08x}-0000-4000-8000-000000000000"),
                         SigningKey(bytes(32))).to_json()
        station.store.append(sb, reviewer="x", target="p", created_at="2017-02-23T10:00:00Z")
    folder = export_bundle(station.kiosk, station.store, tmp_path / "usb", "2017-02-23T12:00:00Z")
    files = sorted(p.name for p in folder.iterdir())
    assert files == ["README.json", "batch-0001.json", "batch-0002.json", "registration.json"]
    bundle = read_bundle(folder)
    ledger, syncer = link(station, mini_event)
    until_complete(syncer)
    assert bundle == ledger.batches  # the same bytes a network sync posted
    assert bundle == bundle_batches(station.kiosk, station.store, 0)
    # importing the bundle into a second server gives the same ledger as the sync did
    other = FakeLedger(station.kiosk.signed_manifest, mini_event.ledger_key())
    other.handle("POST", "/api/v1/kiosks", {}, read_registration(folder))
    for batch in bundle + bundle:  # twice: the second time all duplicates
        status, _ = other.handle("POST", f"/api/v1/kiosks/{station.kiosk.id}/batches", {}, batch)
        assert status == 200
    assert [e.get("signed_ballot") for e in other.entries] == [e.get("signed_ballot") for e in ledger.entries]


def read_registration(folder: Path) -> dict[str, object]:
    import json

    reg: dict[str, object] = json.loads((folder / "registration.json").read_text())
    return reg


def test_online_ballots_go_straight_to_the_ledger_or_wait(online_station: Station, mini_event: EventFiles) -> None:
    st = online_station
    ledger = FakeLedger(st.kiosk.signed_manifest, mini_event.ledger_key())
    syncer = Syncer(st.kiosk, st.store, LedgerClient("http://fake", fake_session(ledger)))
    session = st.session(deliver=syncer.deliver_one)
    rid = st.reviewer("online")
    st.login(session, rid)
    st.vote_first(session)
    assert session.receipt is not None and session.receipt.delivery is not None
    assert session.receipt.delivery.status == "sent" and session.receipt.delivery.index == 1
    ledger.faults.append("reset")  # the link drops: the ballot waits in the outbox
    session.logout()
    st.login(session, rid)
    st.vote_first(session, value=3)  # a second approval ballot for the same group
    assert session.receipt is not None and session.receipt.delivery is not None
    assert session.receipt.delivery.status == "queued"
    assert len(st.store.queued_online()) == 1
    report = syncer.sync_once()
    assert report.online_sent == 1 and st.store.queued_online() == []
    assert len(ledger.online) == 2


def test_refused_online_ballot_is_kept_with_its_code(online_station: Station, mini_event: EventFiles) -> None:
    st = online_station
    ledger = FakeLedger(st.kiosk.signed_manifest, mini_event.ledger_key())
    syncer = Syncer(st.kiosk, st.store, LedgerClient("http://fake", fake_session(ledger)))
    session = st.session(deliver=syncer.deliver_one)
    rid = st.reviewer("online")
    st.login(session, rid)
    ledger.revoked.add(rid)  # revoked on the server, not yet known here
    st.vote_first(session)
    assert session.receipt is not None and session.receipt.delivery is not None
    assert (session.receipt.delivery.status, session.receipt.delivery.code) == ("refused", "revoked_credential")
    assert st.store.online_status(session.receipt.ballot_id) == ("refused", "revoked_credential", None)


def test_an_idle_kiosk_reports_its_head_once_per_interval(station: Station, mini_event: EventFiles) -> None:
    ledger, syncer = link(station, mini_event)
    t = [datetime(2017, 2, 23, 10, 0, tzinfo=UTC)]
    syncer.clock, syncer.head_every = (lambda: t[0]), 15.0
    fill(station, 3)
    report = syncer.sync_once()  # records to send: they carry the head; nothing more
    assert report.pushed == 3 and not report.head_reported and [len(b["records"]) for b in ledger.batches] == [3]
    t[0] += timedelta(seconds=5)
    assert not syncer.sync_once().head_reported  # a batch went out 5 s ago: contact is fresh
    assert len(ledger.batches) == 1
    t[0] += timedelta(seconds=15)
    report = syncer.sync_once()  # idle: a batch of no records, signed at the current head
    assert report.head_reported and report.pushed == 0 and not report.alarms
    head = ledger.batches[-1]
    assert head["records"] == [] and (head["head"]["seq"], head["head"]["hash"]) == station.store.head()
    assert head["head"]["kiosk"] == station.kiosk.id
    t[0] += timedelta(seconds=3)
    syncer.sync_once()  # "sync now" right after: not again within the interval
    assert len(ledger.batches) == 2
    t[0] += timedelta(seconds=15)
    assert syncer.sync_once().head_reported and len(ledger.batches) == 3
    fill(station, 1)
    t[0] += timedelta(seconds=60)
    report = syncer.sync_once()  # a new record: sent with its head, no head-only batch besides
    assert report.pushed == 1 and not report.head_reported
    assert [len(b["records"]) for b in ledger.batches] == [3, 0, 0, 1]


def test_no_head_batch_before_approval_or_on_a_fork(station: Station, mini_event: EventFiles) -> None:
    ledger, syncer = link(station, mini_event, auto_approve=False)
    fill(station, 2)
    assert syncer.sync_once().enrolment == "pending" and ledger.batches == []
    ledger.kiosks[station.kiosk.id].status = "approved"
    syncer.sync_once()
    ledger.kiosks[station.kiosk.id].state = ChainState(2, "x" * 43)  # the server holds another record 2
    syncer.head_every = 0.0
    report = syncer.sync_once()
    assert "chain_fork" in report.alarms and not report.head_reported and len(ledger.batches) == 1


def test_a_fresh_kiosk_reports_seq_0(station: Station, mini_event: EventFiles) -> None:
    ledger, syncer = link(station, mini_event)
    report = syncer.sync_once()
    assert report.head_reported and ledger.batches[0]["records"] == [] and ledger.batches[0]["head"]["seq"] == 0


def test_the_worker_reports_the_head_once_per_its_interval(station: Station, mini_event: EventFiles) -> None:
    _, syncer = link(station, mini_event)
    assert SyncWorker(syncer, interval=42.0).syncer.head_every == 42.0


def test_client_errors_are_typed(station: Station, mini_event: EventFiles) -> None:
    ledger = FakeLedger(station.kiosk.signed_manifest, mini_event.ledger_key())
    client = LedgerClient("http://fake", fake_session(ledger))
    with pytest.raises(ServerRefused) as info:
        client.post_batch("nobody", {"kiosk": "nobody", "records": [], "head": {}})
    assert info.value.code == "unknown_kiosk" and info.value.status == 403
    ledger.faults.append("500")
    with pytest.raises(ServerUnavailable, match="500"):
        client.sth()
    unreachable = LedgerClient("http://127.0.0.1:9", timeout=(0.5, 0.5))
    with pytest.raises(ServerUnavailable):
        unreachable.sth()


def test_backoff_is_jittered_and_capped() -> None:
    b = Backoff(base=1.0, cap=8.0, rng=random.Random(1))
    delays = [b.next() for _ in range(12)]
    assert all(0 <= d <= 8.0 for d in delays)
    assert max(delays[:1]) <= 1.0 and max(delays[6:]) > 1.0
    assert len(set(delays)) == len(delays)  # jitter: no two kiosks retry in step
    b.reset()
    assert b.next() <= 1.0


def test_worker_syncs_in_the_background_and_wakes_on_demand(station: Station, mini_event: EventFiles) -> None:
    fill(station, 3)
    ledger, syncer = link(station, mini_event)
    ledger.faults.extend(["reset", "reset"])
    reports: list[object] = []
    done = threading.Event()

    def on_report(r: object) -> None:
        reports.append(r)
        if isinstance(r, SyncReport) and r.complete:
            done.set()

    worker = SyncWorker(syncer, interval=3600, backoff=Backoff(base=0.01, cap=0.05), on_report=on_report)
    worker.start()
    try:
        assert done.wait(10)
        assert any(isinstance(r, ServerUnavailable) for r in reports)
        fill(station, 1)
        done.clear()
        worker.sync_now()  # without it the next pass is an hour away
        assert done.wait(10)
    finally:
        worker.stop()
        worker.join(5)
    assert ledger.kiosk_seqs(station.kiosk.id) == [1, 2, 3, 4]
    assert isinstance(worker.syncer.client.http.get_adapter("http://fake"), FakeAdapter)
