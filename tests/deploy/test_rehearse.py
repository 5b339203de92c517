"""``deploy/rehearse --short``: the production shape on one machine — PostgreSQL, two API
processes, nginx with TLS from a venue CA — driven through nginx from nothing to a closed,
verified event, then a backup restored and verified; everything stopped afterwards."""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _missing() -> list[str]:
    missing = [t for t in ("openssl", "nginx") if not (shutil.which(t) or Path(f"/usr/sbin/{t}").exists())]
    if not glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        missing.append("postgresql")
    return missing


@pytest.mark.slow
@pytest.mark.postgres
def test_short_rehearsal_closes_verifies_and_restores() -> None:
    missing = _missing()
    if missing:
        pytest.skip(f"deploy/rehearse needs Debian packages {missing} (make test installs them)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIMSA_") and k != "REQUESTS_CA_BUNDLE"}
    env.update(SIMSA_PYTHON=sys.executable, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([str(REPO / "deploy" / "rehearse"), "--short"], cwd=REPO, env=env, capture_output=True,
                       text=True, timeout=400, start_new_session=True)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-6000:]
    for step in range(0, 9):
        assert re.search(rf"^\[\s*\d+s\] {step}\. ", r.stdout, re.M), f"step {step} missing:\n{r.stdout}"
    assert '"redirect": "301' in out and '"untrusted_without_venue_ca": true' in out and '"oversized_body": 413' in out
    assert '"exactly_once": true' in out
    assert "'results': {'accepted': 4}" in out  # the USB-only kiosk's bundle
    assert re.search(r"requests per API process \(nginx's log\): :\d+ \d+ :\d+ \d+", out)  # both took part
    assert "VALID" in out
    assert re.search(r'"consistent_with_kiosks": 2', out)
    # after the restore the kiosk that voted after the last backup re-sent those ballots
    resent = re.search(r'"kiosk_records_resent": (\d+)', out)
    assert resent is not None and int(resent.group(1)) >= 4, out[-3000:]
    assert '"server_behind"' in out and '"usb_bundle_again": {"accepted": 4}' in out
    assert "rehearsal passed" in out
    # everything it started is stopped and its folder removed
    work = re.search(r"rehearsal in (\S+)", r.stdout)
    assert work is not None
    assert not Path(work.group(1)).exists()
    assert not _processes_of(work.group(1))


@pytest.mark.slow
@pytest.mark.postgres
def test_rehearsal_past_its_time_limit_stops_everything_it_started() -> None:
    missing = _missing()
    if missing:
        pytest.skip(f"deploy/rehearse needs Debian packages {missing} (make test installs them)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIMSA_") and k != "REQUESTS_CA_BUNDLE"}
    env.update(SIMSA_PYTHON=sys.executable, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    # 6 s ends it part-way — in initdb, the API processes or nginx, as the machine's load
    # decides — and whatever it had started by then must be stopped
    r = subprocess.run([str(REPO / "deploy" / "rehearse"), "--short", "--time-limit", "6"], cwd=REPO, env=env,
                       capture_output=True, text=True, timeout=120, start_new_session=True)
    assert r.returncode != 0
    assert "time limit of 6 s reached" in r.stderr
    work = re.search(r"rehearsal in (\S+)", r.stdout)
    assert work is not None
    assert not Path(work.group(1)).exists()
    assert not _processes_of(work.group(1))


def _processes_of(path: str) -> list[str]:
    """Processes whose command line or environment names ``path`` (the servers get the
    event folder from the env file, nginx and PostgreSQL their folders on the command line)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            seen = (proc / "cmdline").read_bytes() + (proc / "environ").read_bytes()
        except OSError:
            continue
        if path.encode() in seen:
            cmdline = (proc / "cmdline").read_bytes().replace(bytes(1), b" ")[:200]
            found.append(f"{proc.name}: {cmdline!r}")
    return found
