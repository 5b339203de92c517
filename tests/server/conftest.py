"""Server test fixtures: the app in-process over both backends, and signed ballots.

``srv`` is parametrised over SQLite and PostgreSQL (the same suite runs on both); the
PostgreSQL cluster is started once per session (``tests/support/postgres.py``).
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.context import Context
from server.services.staff import add_staff, login
from server.settings import Settings
from shared.manifest import Manifest
from tests.server.kit import Ballots, Kiosk, reviewer_keys
from tests.support.events import EventFiles
from tests.support.postgres import PgCluster

STAFF = ("alice", "alice-password")


@pytest.fixture(scope="session")
def ballots(mini_event: EventFiles, mini_manifest: Manifest) -> Ballots:
    return Ballots(mini_manifest, reviewer_keys(mini_event, mini_manifest))


@dataclass(frozen=True)
class Template:
    """A migrated database with entry 0 and staff member alice logged in (``token``),
    made once per session and copied for each test (argon2 and migrations are slow)."""

    backend: str
    location: str  # SQLite file path, or PostgreSQL template database name
    token: str


def _prepare(event_dir: Path, db_url: str) -> str:
    ctx = Context.open(make_settings(event_dir, db_url))
    try:
        add_staff(ctx.db, *STAFF)
        token = login(ctx.db, STAFF[0], STAFF[1], 24.0)
        assert token is not None
        return token
    finally:
        ctx.close()


@pytest.fixture(scope="session")
def sqlite_template(mini_event: EventFiles, tmp_path_factory: pytest.TempPathFactory) -> Template:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite"
    token = _prepare(mini_event.dir, f"sqlite:///{path}")
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0
    return Template("sqlite", str(path), token)


@pytest.fixture(scope="session")
def pg_template(mini_event: EventFiles, pg_cluster: PgCluster) -> Template:
    name = pg_cluster.create_database("simsa_template")
    token = _prepare(mini_event.dir, pg_cluster.url(name))
    return Template("postgres", name, token)


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]

#: Tests whose behaviour does not depend on the database (HTTP limits and headers, the clock
#: rules, alarms from the replay, the API's shape) run once, on SQLite: a module name, or
#: ``module::test``. Storage, SQL, NUL handling, migrations and concurrency run on both.
ONE_BACKEND = frozenset({
    "test_limits",  # in-memory throttles and body-size checks before any SQL
    "test_transport",  # HTTPS, proxies and headers
    "test_server_time",  # which clock judges a ballot
    "test_split_reviewer",  # alarms computed from the replay
    "test_independent_client",  # a client written from PROTOCOL.md alone
    "test_audit::test_openapi_documents_the_normative_routes",
    "test_audit::test_an_independent_client_checks_the_whole_ledger_and_recomputes_the_results",
    "test_audit::test_inclusion_by_leaf_hash_and_parameter_errors",
})


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``db`` (so ``srv``) runs on SQLite and PostgreSQL, or once for ONE_BACKEND."""
    if "db" not in metafunc.fixturenames:
        return
    module = metafunc.module.__name__.rsplit(".", 1)[-1]
    one = module in ONE_BACKEND or f"{module}::{metafunc.function.__name__}" in ONE_BACKEND
    metafunc.parametrize("db", ["sqlite"] if one else BACKENDS, indirect=True)


@pytest.fixture
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """``(database URL, staff token)``: a private copy of the template on each backend."""
    if request.param == "sqlite":
        t: Template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "ledger.sqlite"
        shutil.copyfile(t.location, path)
        yield f"sqlite:///{path}", t.token
        return
    t = request.getfixturevalue("pg_template")
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    name = f"t_{uuid.uuid4().hex[:12]}"
    cluster._admin(f'CREATE DATABASE "{name}" TEMPLATE "{t.location}"')
    try:
        yield cluster.url(name), t.token
    finally:
        cluster.drop_database(name)


@dataclass
class Harness:
    client: TestClient
    ctx: Context
    event: EventFiles
    token: str

    def __repr__(self) -> str:  # short: hypothesis prints it with a falsifying example
        return f"Harness({self.ctx.manifest.event})"

    @property
    def staff(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def sth(self) -> dict[str, Any]:
        r = self.client.get("/api/v1/ledger/sth")
        assert r.status_code == 200
        return dict(r.json())

    def enrol(self, kiosk: Kiosk) -> None:
        r = self.client.post("/api/v1/kiosks", json=kiosk.registration())
        assert r.status_code == 202, r.text
        r = self.client.post(f"/api/v1/staff/kiosks/{kiosk.id}/approve", headers=self.staff)
        assert r.status_code == 200, r.text

    def sync(self, kiosk: Kiosk, start: int = 1, end: int | None = None) -> Any:
        return self.client.post(f"/api/v1/kiosks/{kiosk.id}/batches", json=kiosk.batch(start, end))


def make_settings(event_dir: Path, db_url: str | None, **kw: Any) -> Settings:
    """Settings for in-process tests: signature checks in the request thread."""
    return Settings(event_dir=event_dir, db_url=db_url, verify_workers=0, **kw)


@pytest.fixture
def srv(mini_event: EventFiles, db: tuple[str, str]) -> Iterator[Harness]:
    """The app in-process for the mini event on a fresh ledger, with staff member alice."""
    url, token = db
    app = create_app(make_settings(mini_event.dir, url))
    with TestClient(app) as client:
        yield Harness(client, app.state.ctx, mini_event, token)
