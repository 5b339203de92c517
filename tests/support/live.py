"""The live-server helpers of the tests: :mod:`simsa.live` (a real ``simsa server``
subprocess, also used by ``simsa demo`` and the benchmarks) and the ``live_server`` fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from simsa.live import (
    ONE_CLIENT_IS_A_VENUE,
    READY_TIMEOUT_S,
    REPO,
    SIMSA,
    LiveServer,
    add_staff,
    copy_event,
    free_port,
    start_server,
)
from simsa.live import server_env as _env
from tests.support.events import EventFiles

__all__ = [
    "ONE_CLIENT_IS_A_VENUE",
    "READY_TIMEOUT_S",
    "REPO",
    "SIMSA",
    "STAFF_NAME",
    "STAFF_PASSWORD",
    "LiveServer",
    "_env",
    "add_staff",
    "copy_event",
    "free_port",
    "live_server",
    "start_server",
]

STAFF_NAME = "staff"
STAFF_PASSWORD = "staff-password-1"


@pytest.fixture
def live_server(mini_event: EventFiles, tmp_path: Path) -> Iterator[LiveServer]:
    """A real ``simsa server`` on a private copy of the mini event (fresh SQLite ledger),
    with one staff account ``STAFF_NAME`` / ``STAFF_PASSWORD``; stopped after the test."""
    event_dir = copy_event(mini_event.dir, tmp_path / "event")
    add_staff(event_dir, None, STAFF_NAME, STAFF_PASSWORD)
    with start_server(event_dir) as srv:
        yield srv
