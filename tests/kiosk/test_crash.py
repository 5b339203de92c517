"""kill -9 a writing kiosk at random moments, a hundred times: every ballot it confirmed
is still there, the chain is whole, and a sync puts each record on the ledger once."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from client import LedgerClient, ServerUnavailable
from kiosk.store import KioskStore, check_chain
from kiosk.sync import Syncer
from tests.kiosk.conftest import make_station
from tests.kiosk.fake_server import FakeLedger, fake_session
from tests.support.events import EventFiles

ITERATIONS = 100
REPO = Path(__file__).resolve().parents[2]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow
def test_kill_9_loses_no_confirmed_ballot(mini_event: EventFiles, tmp_path: Path) -> None:
    st = make_station(mini_event, tmp_path / "kiosk", kiosk_id="k-crash")
    st.store.close()
    rng = random.Random(20170223)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.kiosk.writer_proc", str(tmp_path / "kiosk"), str(mini_event.dir)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1, env=env,
        cwd=REPO,
    )
    assert proc.stdin is not None and proc.stdout is not None
    confirmed: dict[int, str] = {}
    killed_mid_stream = 0

    def take(line: str) -> None:
        _, _, seq, bid = line.split()
        assert confirmed.setdefault(int(seq), bid) == bid, f"seq {seq} confirmed twice with different ballots"

    try:
        for _ in range(ITERATIONS):
            proc.stdin.write("fork\n")
            proc.stdin.flush()
            pid = 0
            while not pid:
                line = proc.stdout.readline()
                assert line, f"the fork server died: {proc.stderr.read() if proc.stderr else ''}"
                if line.startswith("PID "):
                    pid = int(line.split()[1])
                elif line.startswith("SAVED "):
                    take(line)
            want = rng.randint(0, 4)
            got = 0
            while got < want:
                line = proc.stdout.readline()
                if line.startswith("SAVED "):
                    take(line)
                    got += int(line.split()[1]) == pid
            time.sleep(rng.uniform(0, 0.012))  # land anywhere: signing, checking, writing, fsync
            os.kill(pid, signal.SIGKILL)
            killed_mid_stream += 1
            for _ in range(500):
                if not _alive(pid):
                    break
                time.sleep(0.002)
            assert not _alive(pid)
        proc.stdin.close()
        for line in proc.stdout:  # confirmations printed just before a kill
            if line.startswith("SAVED "):
                take(line)
    finally:
        proc.kill()
        proc.wait(10)
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()

    store = KioskStore(tmp_path / "kiosk" / "kiosk.sqlite")
    n = check_chain(store)
    assert killed_mid_stream == ITERATIONS
    assert n >= len(confirmed) > ITERATIONS
    by_seq = {r["seq"]: r for r in store.records(0, limit=10 * n)}
    from shared.ballot import ballot_id

    for seq, bid in confirmed.items():
        assert ballot_id(by_seq[seq]["signed_ballot"]) == bid, f"confirmed ballot at seq {seq} is gone"

    # sync through a flaky link; the ledger gets 1..n exactly once
    from kiosk.identity import load

    kiosk = load(store)
    ledger = FakeLedger(kiosk.signed_manifest, mini_event.ledger_key())
    ledger.faults.extend(["lost", "reset", "500", "timeout", "lost"])
    syncer = Syncer(kiosk, store, LedgerClient("http://fake", fake_session(ledger)))
    for _ in range(20):
        try:
            if syncer.sync_once().complete:
                break
        except ServerUnavailable:
            continue
    assert ledger.kiosk_seqs(kiosk.id) == list(range(1, n + 1))
