"""``simsa server`` and ``simsa staff`` refuse clearly when something is wrong."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from shared.encoding import b64u
from simsa.cli import main
from tests.support.events import EventFiles


def test_staff_add_and_list(mini_event: EventFiles, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    assert main(["staff", "add", "bob", "--password", "bob-password", "--event", str(mini_event.dir), "--db", db]) == 0
    assert "statement key" in capsys.readouterr().out
    assert main(["staff", "add", "bob", "--password", "other-password", "--event", str(mini_event.dir), "--db", db]) == 1
    assert "bob exists already" in capsys.readouterr().err
    assert main(["staff", "add", "eve", "--password", "short", "--event", str(mini_event.dir), "--db", db]) == 1
    assert "at least 8 characters" in capsys.readouterr().err
    assert main(["staff", "list", "--event", str(mini_event.dir), "--db", db]) == 0
    assert capsys.readouterr().out.startswith("bob ")


def test_server_refuses_a_wrong_ledger_key(mini_event: EventFiles, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = tmp_path / "ev"
    shutil.copytree(mini_event.dir, d)
    (d / "ledger.key").write_text(b64u(bytes(32)) + "\n")
    assert main(["server", "--event", str(d), "--port", "1"]) == 1
    err = capsys.readouterr().err
    assert "another event's ledger key" in err and "Traceback" not in err


def test_server_needs_an_event(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("SIMSA_EVENT_DIR", raising=False)
    assert main(["server"]) == 1
    assert "--event DIR" in capsys.readouterr().err
