"""``simsa verify DIR --receipt ID`` on an export: found and proved, by full id or short
code; a rejected record is found but does not count; an unknown receipt is a no."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shared.ballot import ballot_id, short_code
from simsa.cli import main
from tests.support.ledgers import LedgerBuilder


def _receipt(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    code = main(["verify", *args, "--no-state", "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_a_kiosk_ballot_is_found_by_id_and_by_short_code(
    mini_export: Path, mini_ledger: LedgerBuilder, capsys: pytest.CaptureFixture[str]
) -> None:
    i = next(k for k, e in enumerate(mini_ledger.entries) if e["type"] == "ballot" and e["kiosk"] == "k02")
    bid = ballot_id(mini_ledger.entries[i]["signed_ballot"])
    code, rc = _receipt([str(mini_export), "--receipt", bid], capsys)
    assert code == 0 and rc["index"] == i and rc["ballot_id"] == bid
    code, rc = _receipt([str(mini_export), "--receipt", short_code(bid)], capsys)
    assert code == 0 and rc["index"] == i


def test_a_rejected_record_is_found_but_does_not_count(
    mini_export: Path, mini_ledger: LedgerBuilder, capsys: pytest.CaptureFixture[str]
) -> None:
    i = next(k for k, e in enumerate(mini_ledger.entries) if e["type"] == "rejected")
    code, rc = _receipt([str(mini_export), "--receipt", ballot_id(mini_ledger.entries[i]["signed_ballot"])], capsys)
    assert code == 1 and rc["index"] == i
    assert "was rejected (not_assigned): it does not count" in rc["problems"][0]["what"]


@pytest.mark.parametrize("receipt", ["Zz9_" * 10 + "Zz8", "ZZZZ-ZZZZ"])
def test_an_unknown_receipt_is_a_no(mini_export: Path, capsys: pytest.CaptureFixture[str], receipt: str) -> None:
    code, rc = _receipt([str(mini_export), "--receipt", receipt], capsys)
    assert code == 1 and rc["index"] is None
    assert "is on the ledger" in rc["problems"][0]["what"]


def test_a_short_code_typed_loosely_is_found(
    mini_export: Path, mini_ledger: LedgerBuilder, capsys: pytest.CaptureFixture[str]
) -> None:
    i = next(k for k, e in enumerate(mini_ledger.entries) if e["type"] == "ballot")
    bid = ballot_id(mini_ledger.entries[i]["signed_ballot"])
    typed = short_code(bid).lower().replace("-", " ").replace("0", "o").replace("1", "l")
    code, rc = _receipt([str(mini_export), "--receipt", typed], capsys)
    assert code == 0 and rc["index"] == i and rc["ballot_id"] == bid


@pytest.mark.parametrize(("receipt", "says"), [("AbC1-x9_Z", "'_'"), ("7Q2M-K4X", "has 7"), ("7Q2M-K4XU", "U is never used")])
def test_a_malformed_receipt_code_says_what_is_wrong(
    mini_export: Path, capsys: pytest.CaptureFixture[str], receipt: str, says: str
) -> None:
    assert main(["verify", str(mini_export), "--no-state", "--receipt", receipt]) == 1
    err = capsys.readouterr().err
    assert "receipt code" in err and says in err


def test_the_receipt_summary_reads_well(mini_export: Path, mini_ledger: LedgerBuilder, capsys: pytest.CaptureFixture[str]) -> None:
    e = next(e for e in mini_ledger.entries if e["type"] == "ballot" and e["kiosk"] is None)
    assert main(["verify", str(mini_export), "--no-state", "--receipt", ballot_id(e["signed_ballot"])]) == 0
    out = capsys.readouterr().out
    assert "FOUND · 확인됨" in out and "approval on g" in out and "online" in out
