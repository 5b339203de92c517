"""Start-up: settings from arguments and environment, the ledger key checked against the
manifest, a database of another event refused, migrations matching the schema."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pydantic import ValidationError

from server.context import Context
from server.db.schema import metadata
from server.settings import ConfigError, Settings
from shared.encoding import b64u
from tests.server.conftest import Harness
from tests.support.events import EventFiles, make_mini_event


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch, mini_event: EventFiles) -> None:
    monkeypatch.setenv("SIMSA_EVENT_DIR", str(mini_event.dir))
    monkeypatch.setenv("SIMSA_PORT", "9123")
    monkeypatch.setenv("SIMSA_DB_URL", "postgresql://u@127.0.0.1/simsa")
    s = Settings()
    assert (s.port, s.database_url) == (9123, "postgresql+psycopg://u@127.0.0.1/simsa")
    monkeypatch.setenv("SIMSA_PORT", "not-a-port")
    with pytest.raises(ValidationError):
        Settings()
    monkeypatch.setenv("SIMSA_PORT", "80")
    monkeypatch.setenv("SIMSA_DB_URL", "mysql://x")
    with pytest.raises(ValidationError, match="sqlite:/// or postgresql://"):
        Settings()
    monkeypatch.delenv("SIMSA_DB_URL")
    assert Settings().database_url == f"sqlite:///{(mini_event.dir / 'simsa.sqlite').resolve()}"
    with pytest.raises(ValidationError, match=r"no manifest\.json"):
        Settings(event_dir=mini_event.dir / "nowhere")


def test_the_ledger_key_must_be_the_manifests(mini_event: EventFiles, tmp_path: Path) -> None:
    d = tmp_path / "ev"
    shutil.copytree(mini_event.dir, d)
    (d / "ledger.key").write_text(b64u(bytes(range(32))) + "\n")
    with pytest.raises(ConfigError, match="another event's ledger key"):
        Settings(event_dir=d).load_event()
    (d / "ledger.key").unlink()
    with pytest.raises(ConfigError, match=r"ledger\.key is missing"):
        Settings(event_dir=d).load_event()


def test_a_database_of_another_event_is_refused(srv: Harness, tmp_path: Path) -> None:
    other = make_mini_event(tmp_path / "other", seed=99)
    url = srv.ctx.db.url
    with pytest.raises(ConfigError, match="another manifest"):
        Context.open(Settings(event_dir=other.dir, db_url=_plain(url), verify_workers=0))


def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def test_migrations_create_exactly_the_schema(srv: Harness) -> None:
    with srv.ctx.db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []
