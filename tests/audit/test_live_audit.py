"""End to end against a real ``simsa server``: ballots over HTTP (online and a kiosk batch),
then ``simsa verify URL`` (twice: the second run checks consistency with the first),
``simsa ledger export`` + ``simsa verify DIR``, ``--receipt``, and the results report
after staff close the event."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from shared.ballot import approval_ballot, rubric_ballot, short_code, sign_ballot
from shared.chain import GENESIS, make_batch, make_record, record_hash
from shared.encoding import jcs
from shared.keys import SigningKey
from shared.manifest import Manifest
from shared.timefmt import format_time
from simsa.cli import main
from tests.support.ledgers import seed_key
from tests.support.live import STAFF_NAME, STAFF_PASSWORD, LiveServer, live_server

__all__ = ["live_server"]
pytestmark = pytest.mark.slow


def _now() -> str:
    return format_time(datetime.now(UTC).replace(microsecond=0))


def _online_ballots(m: Manifest, keys: dict[str, SigningKey], count: int) -> list[dict[str, Any]]:
    out = []
    members = [r for r in sorted(m.reviewers.values(), key=lambda r: r.id) if r.role == "member"][:count]
    for n, r in enumerate(members):
        group = sorted(m.assignments[r.id])[0]
        allowed = [p for p in m.groups[group] if m.proposals[p].community != r.community]
        b = approval_ballot(
            event=m.event, reviewer=r.id, channel="online", kiosk=None, created_at=_now(),
            nonce=str(uuid.uuid4()), group=group, choices=allowed[n % 3 : n % 3 + 2],
        )
        out.append(sign_ballot(b, keys[r.id]).to_json())
    return out


def _kiosk_records(m: Manifest, keys: dict[str, SigningKey], kiosk: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    prev = GENESIS
    reps = [r for r in sorted(m.reviewers.values(), key=lambda r: r.id) if r.role == "representative"][:3]
    for n, r in enumerate(reps):
        for p in sorted(m.assignments[r.id])[:2]:
            b = rubric_ballot(
                event=m.event, reviewer=r.id, channel="kiosk", kiosk=kiosk, created_at=_now(),
                nonce=str(uuid.uuid4()), proposal=p, scores={c.id: (n + 3) % (c.max + 1) for c in m.rubric},
            )
            rec = make_record(len(records) + 1, prev, sign_ballot(b, keys[r.id]).to_json())
            prev = record_hash(rec)
            records.append(rec)
    return records


def _verify(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    code = main(["verify", *args, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_an_auditor_gets_a_yes_from_the_url_alone(
    live_server: LiveServer,
    mini_manifest: Manifest,
    mini_keys: dict[str, SigningKey],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, m, s = live_server.url, mini_manifest, requests.Session()
    token = s.post(url + "/api/v1/staff/login", json={"name": STAFF_NAME, "password": STAFF_PASSWORD}, timeout=10).json()["token"]
    staff = {"Authorization": f"Bearer {token}"}

    receipts = []
    for sb in _online_ballots(m, mini_keys, 5):
        r = s.post(url + "/api/v1/ballots", json=sb, timeout=10)
        assert r.status_code == 201, r.text
        receipts.append(r.json()["id"])

    kiosk, kkey = "k-live", seed_key("live kiosk")
    reg = {"kiosk": kiosk, "public_key": kkey.public_b64u, "registered_at": _now()}
    r = s.post(url + "/api/v1/kiosks", json={**reg, "sig": kkey.sign_b64u(jcs(reg))}, timeout=10)
    assert r.status_code == 202, r.text
    assert s.post(url + f"/api/v1/staff/kiosks/{kiosk}/approve", json={}, headers=staff, timeout=10).status_code == 200
    records = _kiosk_records(m, mini_keys, kiosk)
    batch = make_batch(kiosk, records, kkey, 0, GENESIS)
    r = s.post(url + f"/api/v1/kiosks/{kiosk}/batches", json=batch, timeout=10)
    assert r.status_code == 200, r.text
    assert {x["status"] for x in r.json()["results"]} == {"accepted"}

    state = str(tmp_path / "state")
    code, v = _verify([url, "--state", state, "--workers", "1"], capsys)
    assert code == 0, v["problems"]
    assert v["types"]["ballot"] == 5 + len(records) and v["signatures"] == v["types"]["ballot"]
    assert any("inclusion proofs hold" in p for p in v["passed"])

    # More ballots, then a second run: consistent with the head remembered from the first.
    for sb in _online_ballots(m, mini_keys, 8)[5:]:
        assert s.post(url + "/api/v1/ballots", json=sb, timeout=10).status_code == 201
    code, v = _verify([url, "--state", state, "--workers", "1"], capsys)
    assert code == 0, v["problems"]
    assert v["remembered_heads"] == 1 and any("consistent with 1 tree head" in p for p in v["passed"])

    # One receipt: found by its full id and by its short code, proved included.
    code, rc = _verify([url, "--receipt", receipts[2], "--state", state], capsys)
    assert code == 0 and rc["ok"] and rc["ballot_id"] == receipts[2], rc
    code, rc = _verify([url, "--receipt", short_code(receipts[3]).lower(), "--no-state"], capsys)
    assert code == 0 and rc["ballot_id"] == receipts[3], rc
    code, rc = _verify([url, "--receipt", "A" * 43, "--no-state"], capsys)
    assert code == 1 and "no ballot with receipt" in rc["problems"][0]["what"]

    # Staff close the event; the published results must be the recomputed ones.
    r = s.post(url + "/api/v1/staff/close", json={"event": m.event}, headers=staff, timeout=30)
    assert (r.status_code, r.json()["code"]) == (409, "kiosks_unreconciled"), r.text  # k-live is open
    r = s.post(url + "/api/v1/staff/close", json={"event": m.event, "reason": "k-live left open"}, headers=staff, timeout=30)
    assert r.status_code == 200, r.text
    code, v = _verify([url, "--state", state, "--workers", "2"], capsys)
    assert code == 0, v["problems"]
    assert v["published_results_match"] is True

    # Export, then verify offline: the same yes.
    out = tmp_path / "export"
    assert main(["ledger", "export", "--url", url, str(out)]) == 0
    capsys.readouterr()
    lines = (out / "entries.jsonl").read_bytes().splitlines()
    assert len(lines) == json.loads((out / "sth.json").read_text())["tree_size"]
    assert json.loads(lines[0])["type"] == "manifest" and (out / "results.json").exists()
    code, v = _verify([str(out), "--no-state", "--workers", "1"], capsys)
    assert code == 0, v["problems"]
    assert v["published_results_match"] is True

    # The results report from the ledger alone, the same as the server publishes.
    report = tmp_path / "report"
    assert main(["results", url, "--out", str(report), "--no-state", "--workers", "1"]) == 0
    capsys.readouterr()
    published = s.get(url + "/api/v1/results", timeout=10).json()
    assert json.loads((report / "results.json").read_text())["results"] == published["results"]
    assert (report / "results.csv").read_text(encoding="utf-8") == s.get(url + "/api/v1/results.csv", timeout=10).text
