"""``simsa results DIR --out OUT``: the report is the recomputed results, self-contained HTML."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from simsa.cli import main
from tests.support.ledgers import LedgerBuilder


@pytest.fixture(scope="module")
def report(mini_export: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    assert main(["results", str(mini_export), "--out", str(out), "--no-state", "--workers", "1"]) == 0
    return out


def test_json_and_csv_are_the_published_results(report: Path, mini_ledger: LedgerBuilder) -> None:
    published = mini_ledger.published()
    assert json.loads((report / "results.json").read_text()) == published
    assert published is not None
    rows = list(csv.DictReader((report / "results.csv").read_text(encoding="utf-8").splitlines()))
    assert [r["proposal"] for r in rows] == [p["id"] for p in published["results"]["proposals"]]
    assert {r["proposal"] for r in rows if r["selected_by"]} == set(published["results"]["selected"])


def test_html_is_self_contained_with_charts_and_every_proposal(report: Path, mini_ledger: LedgerBuilder) -> None:
    html = (report / "results.html").read_text(encoding="utf-8")
    assert html.count("<svg") >= 5 and "<script" not in html
    assert not re.search(r'(src|href)="https?://', html)
    m = mini_ledger.manifest
    for p in m.proposals.values():
        assert f"<b>{p.id}</b>" in html and p.title in html
    assert m.title_ko in html and "원장 검증 통과" in html


def test_no_report_from_a_ledger_that_does_not_verify(
    mini_export: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    bad = tmp_path / "bad"
    shutil.copytree(mini_export, bad)
    lines = (bad / "entries.jsonl").read_bytes().splitlines()
    lines[-1] = lines[-1].replace(b'"results_hash":"', b'"results_hash":"x', 1)
    (bad / "entries.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    assert main(["results", str(bad), "--out", str(tmp_path / "out"), "--no-state", "--workers", "1"]) == 1
    assert not (tmp_path / "out").exists()
    assert "no report is written" in capsys.readouterr().err
