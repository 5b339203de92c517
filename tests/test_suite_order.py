"""The suite's own order under pytest-xdist (tests/conftest.py): the measured long modules
name files that exist, and all weigh more than the markers' guess may (capped at 9 s)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import MEASURED_SECONDS

ROOT = Path(__file__).resolve().parent.parent


def test_every_measured_module_exists() -> None:
    assert [m for m in MEASURED_SECONDS if not (ROOT / m).is_file()] == []


def test_measured_modules_are_all_at_least_ten_seconds() -> None:
    # the markers' guess for any other module is capped at 9 s, so these always go first
    assert min(MEASURED_SECONDS.values()) >= 10
