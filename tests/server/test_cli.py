"""``simsa server`` and ``simsa staff`` refuse clearly when something is wrong."""

from __future__ import annotations

import shutil
import sqlite3
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


def test_staff_disable_enable_password_refuse_clearly(
    mini_event: EventFiles, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    where = ["--event", str(mini_event.dir), "--db", f"sqlite:///{tmp_path / 'db.sqlite'}"]
    assert main(["staff", "add", "bob", "--password", "bob-password", *where]) == 0
    capsys.readouterr()
    for action in (["disable", "ghost"], ["enable", "ghost"], ["password", "ghost", "--password", "ghost-password"]):
        assert main(["staff", *action, *where]) == 1, action
        out = capsys.readouterr()
        assert out.err == "simsa: error: there is no staff member 'ghost' (see simsa staff list)\n" and out.out == ""
    assert main(["staff", "password", "bob", "--password", "short", *where]) == 1
    assert capsys.readouterr().err == "simsa: error: the password must have at least 8 characters\n"
    typed = iter(["new-bob-password", "new-bob-passwort"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(typed))
    assert main(["staff", "password", "bob", *where]) == 1
    assert "the two passwords differ" in capsys.readouterr().err
    prompts: list[str] = []

    def getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        return "new-bob-password"

    monkeypatch.setattr("getpass.getpass", getpass)
    assert main(["staff", "password", "bob", *where]) == 0
    assert prompts == ["new password for bob: ", "again: "]
    assert capsys.readouterr().out == "password of staff member bob changed; 0 sessions ended\n"
    assert main(["staff", "disable", "bob", *where]) == 0
    assert main(["staff", "list", *where]) == 0
    assert capsys.readouterr().out.splitlines()[-1].endswith("(disabled)")


@pytest.mark.parametrize("action", [["list"], ["disable", "bob"], ["enable", "bob"], ["password", "bob", "--password", "bob-password"]])
def test_staff_commands_on_a_mistyped_database_create_nothing(
    mini_event: EventFiles, tmp_path: Path, capsys: pytest.CaptureFixture[str], action: list[str]
) -> None:
    """Only ``add`` may start a database; the others name the missing one and leave no file."""
    typo = tmp_path / "simsa.sqlte"
    assert main(["staff", *action, "--event", str(mini_event.dir), "--db", f"sqlite:///{typo}"]) == 1
    assert capsys.readouterr().err == f"simsa: error: there is no database at {typo}: check --db (the server's default database is EVENT_DIR/simsa.sqlite)\n"
    assert not typo.exists()
    empty = tmp_path / "empty.sqlite"
    sqlite3.connect(empty).close()
    assert main(["staff", *action, "--event", str(mini_event.dir), "--db", f"sqlite:///{empty}"]) == 1
    assert "holds no simsa ledger" in capsys.readouterr().err


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
