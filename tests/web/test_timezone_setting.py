"""The venue's time zone as a server setting: ``SIMSA_TIMEZONE`` (or ``--timezone``) sets
the zone every page shows times in; an unknown zone stops the server with a clear error."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import requests

from tests.support.events import EventFiles
from tests.support.live import REPO, SIMSA, copy_event, start_server

pytestmark = [pytest.mark.slow]


def test_pages_follow_the_zone_setting(mini_event: EventFiles, tmp_path: Path) -> None:
    folder = copy_event(mini_event.dir, tmp_path / "event")
    with start_server(folder, env={"SIMSA_TIMEZONE": "America/New_York"}) as srv:
        page = requests.get(f"{srv.url}/ledger?lang=en", timeout=20).text
    assert re.search(r"times in E[SD]T \(America/New_York\)", page)
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d E[SD]T", page)  # the tree head's time


def test_unknown_zone_is_refused(mini_event: EventFiles, tmp_path: Path) -> None:
    folder = copy_event(mini_event.dir, tmp_path / "event")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIMSA_")}
    env["PYTHONPATH"] = str(REPO)
    out = subprocess.run([*SIMSA, "server", "--event", str(folder), "--timezone", "Mars/Olympus", "--port", "0"],
                         capture_output=True, text=True, timeout=60, cwd=REPO, env=env)
    assert out.returncode != 0
    assert "unknown time zone 'Mars/Olympus'" in out.stderr + out.stdout
