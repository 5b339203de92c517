"""Fixtures shared by the whole suite."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.manifest import Manifest, verify_signed_manifest
from tests.support.events import EventFiles, make_mini_event

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"

#: A test that asks for one of these fixtures, or whose module uses one of these names, starts
#: a real process (server, PostgreSQL, Chromium, Xvfb): it is marked ``live`` and stays out of
#: ``make check``'s fast lane (``-m "not (live or slow or browser or gui or postgres)"``).
LIVE_FIXTURES = frozenset({"live_server", "server", "fresh_server", "pg_cluster", "pg_db", "pg_template", "browser", "big_display"})
LIVE_NAMES = frozenset({"start_server", "start_cluster", "start_witness", "sync_playwright", "FaultProxy", "make_witness"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        module = getattr(item, "module", None)
        uses = set(getattr(item, "fixturenames", ()))
        if uses & LIVE_FIXTURES or (module is not None and LIVE_NAMES & set(vars(module))):
            item.add_marker(pytest.mark.live)


@pytest.fixture(scope="session")
def mini_event(tmp_path_factory: pytest.TempPathFactory) -> EventFiles:
    """A generated ``mini`` event folder, shared read-only by the session."""
    return make_mini_event(tmp_path_factory.mktemp("mini-event"))


@pytest.fixture(scope="session")
def mini_manifest(mini_event: EventFiles) -> Manifest:
    return verify_signed_manifest(json.loads(mini_event.manifest_path.read_text()))


@pytest.fixture(scope="session")
def artifacts_dir() -> Iterator[Path]:
    """Where tests keep screenshots and other artefacts (``artifacts/`` at the repo root)."""
    ARTIFACTS.mkdir(exist_ok=True)
    yield ARTIFACTS


# Server helpers (tests/support/live.py, tests/support/postgres.py): a real `simsa server`
# subprocess and a throwaway PostgreSQL cluster, for every area's tests.
from tests.support.live import live_server  # noqa: E402, F401
from tests.support.postgres import pg_cluster, pg_db  # noqa: E402, F401
