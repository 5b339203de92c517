"""The live-server helpers of the tests: :mod:`simsa.live` (a real ``simsa server``
subprocess, also used by ``simsa demo`` and the benchmarks) and the ``live_server`` fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
)
from simsa.live import server_env as _env
from simsa.live import start_server as _start_server
from tests.support import forked, paused_server
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

def start_server(
    event_dir: Path, *, pause: tuple[Path, int] | None = None, **kwargs: Any
) -> LiveServer:
    """:func:`simsa.live.start_server`, plus ``pause = (file, n)``: in the fork,
    :func:`tests.support.paused_server.install` makes the first write of at least ``n``
    entries create ``file`` and wait before its commit, to be killed. The fault lives here,
    in the test suite's launcher, never in the product.

    Servers are forks of this process's fork server (:mod:`tests.support.forked`), unless
    they run under ``wrap``, with ``--workers`` or with verification worker processes: those
    start as a new Python, whose multiprocessing state (resource tracker, pools) is its own."""
    if pause is not None:
        kwargs["launcher"] = forked.launcher_with(paused_server.install, *pause)
    elif _forkable(kwargs):
        kwargs.setdefault("launcher", forked.launch)
    return _start_server(event_dir, **kwargs)


def _forkable(kwargs: dict[str, Any]) -> bool:
    own_processes = (kwargs.get("workers") or 1) > 1 or (kwargs.get("env") or {}).get("SIMSA_VERIFY_WORKERS", "0") != "0"
    return not kwargs.get("wrap") and not own_processes


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
