"""``simsa demo`` end to end, small: the command ``make demo`` runs, with real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_demo_runs_the_whole_day_and_the_ledger_verifies(tmp_path: Path) -> None:
    """The day on the 100-reviewer event with the default 3,000 kiosk ballots and 500 online
    likes asked for: every assignment once and no more (312 and 72), two re-scorings, and an
    auditor's VALID. (The KINTEX-sized sealing is tests/organiser/test_demo.py's.)"""
    demo = tmp_path / "demo"
    out = subprocess.run(
        [sys.executable, "-m", "simsa", "demo", "--dir", str(demo), "--event", "mini", "--kiosks", "2",
         "--online", "500", "--conflicts", "2", "--no-keep-running"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    text = out.stdout
    assert "312 ballots signed and durably saved offline" in text
    assert "72 online ballots posted straight to the server" in text
    assert "2 reviewers re-scored a proposal at another kiosk" in text
    assert "VALID" in text
    # the auditor's report was written from the ledger alone
    results = json.loads((demo / "results" / "results.json").read_text())
    body = results.get("results", results)
    assert len(body["selected"]) > 0
    # the USB kiosk's bundle is on disk, as a stick would hold it
    assert list((demo / "usb").glob("simsa-bundle-kiosk-usb-*/batch-0001.json"))


def test_every_demo_option_reaches_the_demo(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """``--full`` was once parsed and dropped: each option must arrive in DemoOptions."""
    import simsa.demo
    from simsa.cli import main

    got: list[simsa.demo.DemoOptions] = []

    def run_demo(opts: simsa.demo.DemoOptions) -> int:
        got.append(opts)
        return 0

    monkeypatch.setattr(simsa.demo, "run_demo", run_demo)
    args = ["demo", "--dir", str(tmp_path), "--event", "mini", "--full", "--kiosks", "3", "--ballots", "7",
            "--online", "5", "--conflicts", "1", "--port", "1234", "--seed", "9", "--no-keep-running"]
    assert main(args) == 0
    assert got == [simsa.demo.DemoOptions(dir=tmp_path, kiosks=3, ballots=7, online=5, conflicts=1, port=1234,
                                          keep_running=False, seed=9, full=True, event="mini")]
    assert main(["demo", "--dir", str(tmp_path), "--no-keep-running"]) == 0
    assert got[1].event == "kintex-2017" and got[1].full is False


def test_demo_refuses_to_wipe_a_folder_it_did_not_make(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    out = subprocess.run(
        [sys.executable, "-m", "simsa", "demo", "--dir", str(tmp_path), "--no-keep-running"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode != 0
    assert "not a demo folder" in out.stderr + out.stdout
    assert (tmp_path / "precious.txt").read_text() == "keep me"
