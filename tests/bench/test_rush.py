"""The rush benchmark still runs end to end (issue 12): a small city event, ballots signed
by the independent client, a real server, each load generator, ``simsa verify`` on the
result. Behaviour only — the figures are the benchmark's to print, not the test's."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from typing import Any

import pytest

from simsa.live import REPO, server_env

# bench.rush starts a real server, load generators and `simsa verify`: out of `make check`'s lane
pytestmark = [pytest.mark.live, pytest.mark.slow]

LOADGENS = ["httpx", pytest.param("wrk", marks=pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed"))]


def _rush(*args: str) -> dict[str, Any]:
    r = subprocess.run([sys.executable, "-m", "bench.rush", "--members", "400", "--ballots", "400", "--seconds", "1",
                        *args], cwd=REPO, env=server_env(None), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    lines = r.stdout.splitlines()
    start = max(i for i, line in enumerate(lines) if line == "{")  # the summary, printed last
    out: dict[str, Any] = json.loads("\n".join(lines[start:]))
    return out


@pytest.mark.parametrize("loadgen", LOADGENS)
def test_a_small_rush_is_taken_turned_away_with_retry_after_and_verifies(loadgen: str) -> None:
    out = _rush("--connections", "6", "--loadgen", loadgen, "--set", "SIMSA_ONLINE_IN_FLIGHT=2")
    (run,) = out["runs"]
    assert run["accepted"] > 0 and out["raw_verify_per_s"] > 0
    assert set(run["errors"]) <= {"503"}, run  # turned away only with 503 busy …
    assert run["503_without_retry_after"] == 0  # … and always with Retry-After
    assert out["verify"]["exit"] == 0 and out["verify"]["ok"] is True
    assert out["verify"]["tree_size"] >= run["accepted"] + 1  # entry 0 and every ballot taken
