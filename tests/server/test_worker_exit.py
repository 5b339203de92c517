"""``kill -9`` of a real ``simsa server``: its verification workers and the
multiprocessing resource tracker do not live on as orphans."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from tests.support.events import EventFiles
from tests.support.live import copy_event, start_server

pytestmark = pytest.mark.slow


def children(pid: int) -> set[int]:
    """Live (not zombie) processes whose parent is ``pid``."""
    out = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            out.add(int(entry.name))
    return out


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_workers_exit_when_the_server_is_killed(mini_event: EventFiles, tmp_path: Path) -> None:
    event_dir = copy_event(mini_event.dir, tmp_path / "event")
    with start_server(event_dir, env={"SIMSA_VERIFY_WORKERS": "2"}) as srv:
        deadline = time.monotonic() + 60
        kids: set[int] = set()
        while time.monotonic() < deadline:  # the pool is warmed at start: two workers and the tracker
            kids = children(srv.process.pid)
            if len(kids) >= 3:
                break
            time.sleep(0.2)
        assert len(kids) >= 3, f"expected two workers and the resource tracker, found {kids}\n{srv.log()}"
        os.kill(srv.process.pid, signal.SIGKILL)  # the server only, as the OOM killer would
        srv.process.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(alive(p) for p in kids):
            time.sleep(0.2)
        left = [p for p in kids if alive(p)]
        assert not left, f"orphans still running: {left}"
