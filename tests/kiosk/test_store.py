"""The kiosk's durable store: pragmas, the chain, PIN failures, outbox, alarms."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from kiosk.store import KioskStore, check_chain
from shared.chain import GENESIS, record_hash, verify_chain
from shared.errors import FormatError


def sb(i: int) -> dict[str, object]:
    """A stand-in signed ballot (the store does not judge ballots)."""
    return {"ballot": {"n": i}, "sig": f"sig{i}"}


def test_wal_with_full_sync(tmp_path: Path) -> None:
    store = KioskStore(tmp_path / "k.sqlite")
    c = store.read()
    assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert c.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_chain_links_and_survives_reopening(tmp_path: Path) -> None:
    store = KioskStore(tmp_path / "k.sqlite")
    assert store.head() == (0, GENESIS)
    saved = [store.append(sb(i), reviewer="r1", target=f"p{i}", created_at="2017-02-23T10:00:00Z") for i in range(5)]
    assert [s.seq for s in saved] == [1, 2, 3, 4, 5]
    records = store.records()
    verify_chain(records)
    assert records[0]["prev"] == GENESIS and saved[-1].hash == record_hash(records[-1])
    again = KioskStore(tmp_path / "k.sqlite")
    assert again.head() == (5, saved[-1].hash) and check_chain(again) == 5
    assert [r["seq"] for r in again.records(after_seq=3)] == [4, 5]
    assert len(again.ballots_of("r1")) == 5 and again.ballots_of("r2") == []


def test_the_same_signed_ballot_is_never_recorded_twice(tmp_path: Path) -> None:
    store = KioskStore(tmp_path / "k.sqlite")
    store.append(sb(1), reviewer="r", target="p", created_at="2017-02-23T10:00:00Z")
    with pytest.raises(sqlite3.IntegrityError):
        store.append(sb(1), reviewer="r", target="p", created_at="2017-02-23T10:00:00Z")
    assert store.head()[0] == 1


def test_concurrent_writers_keep_one_chain(tmp_path: Path) -> None:
    store = KioskStore(tmp_path / "k.sqlite")

    def write(base: int) -> None:
        for i in range(25):
            store.append(sb(base + i), reviewer="r", target="p", created_at="2017-02-23T10:00:00Z")

    threads = [threading.Thread(target=write, args=(k * 100,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert check_chain(store) == 100


def test_check_chain_finds_a_tampered_record(tmp_path: Path) -> None:
    store = KioskStore(tmp_path / "k.sqlite")
    for i in range(3):
        store.append(sb(i), reviewer="r", target="p", created_at="2017-02-23T10:00:00Z")
    with store.write() as c:
        c.execute("UPDATE records SET body = replace(body, 'sig1', 'sigX') WHERE seq = 2")
    with pytest.raises(FormatError, match="record 2"):
        check_chain(store)


def test_results_pin_failures_outbox_alarms(tmp_path: Path) -> None:
    store = KioskStore(tmp_path / "k.sqlite")
    for i in range(3):
        store.append(sb(i), reviewer="r", target="p", created_at="2017-02-23T10:00:00Z")
    store.record_results(
        [{"seq": 1, "status": "accepted", "index": 4}, {"seq": 2, "status": "rejected", "code": "bad_scores", "index": 5}],
        2,
    )
    st = store.sync_state()
    assert (st.head_seq, st.synced_seq, st.accepted, st.rejected) == (3, 2, 1, 1)
    assert store.rejected_records() == [(2, "r", "bad_scores")]

    assert store.pin_failed("r", 3) == (1, False)
    assert store.pin_failed("r", 3) == (2, False)
    assert store.pin_failed("r", 3) == (3, True)
    store.opened("r", "2017-02-23T10:00:00Z")  # a locked card stays locked
    assert store.pin_state("r") == (3, True) and store.locked_cards() == ["r"]
    store.unlock_card("r")
    assert store.pin_state("r") == (0, False)

    bid = store.queue_online(sb(9), reviewer="m", target="g1", created_at="2017-02-23T10:00:00Z")
    assert store.queue_online(sb(9), reviewer="m", target="g1", created_at="2017-02-23T10:00:00Z") == bid
    assert [b for b, _ in store.queued_online()] == [bid]
    store.online_result(bid, "sent", index=7)
    assert store.queued_online() == [] and store.online_status(bid) == ("sent", None, 7)

    store.alarm("t1", "chain_fork", "x")
    store.alarm("t2", "chain_fork", "x")  # the same alarm in a row is kept once
    store.alarm("t3", "ledger_inconsistent", "y")
    assert [a[1] for a in store.alarms()] == ["ledger_inconsistent", "chain_fork"]
