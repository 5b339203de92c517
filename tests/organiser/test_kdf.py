"""Credentials that hold for the day and after: a real event's PINs have 8 digits and its
scrypt cost comes from a measurement (a guess takes ≥ 0.25 s here, never below 2^15),
recorded in the manifest's kdf_min_logn; a demo keeps 6 digits and its low cost."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from organiser.kdf import DEMO_PIN_DIGITS, FLOOR_LOGN, REAL_PIN_DIGITS, TARGET_S, choose_logn, scrypt_seconds
from shared.credential import parse
from shared.manifest import verify_signed_manifest
from simsa.cli import main
from tests.organiser.test_importer import RUBRIC, write
from tests.support.events import EventFiles


def doubling(at_floor: float) -> dict[int, float]:
    return {logn: at_floor * 2 ** (logn - FLOOR_LOGN) for logn in range(FLOOR_LOGN, 21)}


@pytest.mark.parametrize(("at_floor", "logn"), [
    (0.15, 16),  # this machine: 0.15 s at 2^15, 0.30 s at 2^16
    (0.25, 15),  # exactly the target at the floor
    (0.249, 16),
    (0.01, 20),  # 2^20 gives 0.32 s
    (0.001, 20),  # never above the format's ceiling, however fast
    (3.0, 15),  # never below the floor, however slow
])
def test_the_least_cost_that_reaches_the_target(at_floor: float, logn: int) -> None:
    times = doubling(at_floor)
    chosen = choose_logn(measure=times.__getitem__)
    assert chosen.logn == logn and chosen.seconds == times[logn]
    assert chosen.seconds >= TARGET_S or logn == 20


def test_a_real_measurement() -> None:
    assert 0 < scrypt_seconds(10) < scrypt_seconds(13, repeat=2) * 10


def pins_of(folder: Path) -> list[str]:
    with open(folder / "pins.csv", newline="", encoding="utf-8") as f:
        return [row["pin"] for row in csv.DictReader(f)]


def test_demo_keeps_six_digit_pins(mini_event: EventFiles) -> None:
    assert {len(p) for p in pins_of(mini_event.dir)} == {DEMO_PIN_DIGITS}


@pytest.mark.slow
def test_a_real_event_measures_its_cost_and_uses_eight_digits(tmp_path: Path) -> None:
    # 11 reviewers, not 40: each card costs a real-event scrypt (≥ 0.25 s), and 11 show the same
    few = "id,community,role\n" + "".join(f"rep-{c:02d},c{c:02d},representative\n" for c in range(1, 11))
    p, r, t = write(tmp_path, {"rubric.toml": RUBRIC.replace("kdf_min_logn = 10\n", ""),
                               "reviewers.csv": few + "mem-01-1,c01,member\n"})
    out = tmp_path / "event"
    assert main(["event", "init", str(out), "--proposals", str(p), "--reviewers", str(r), "--rubric", str(t),
                 "--group-size", "6", "--workers", "2"]) == 0
    m = verify_signed_manifest(json.loads((out / "manifest.json").read_text(encoding="utf-8")))
    assert m.kdf_min_logn >= FLOOR_LOGN
    assert {len(pin) for pin in pins_of(out)} == {REAL_PIN_DIGITS}
    with open(out / "credentials.csv", newline="", encoding="utf-8") as f:
        assert {parse(row["credential"]).logn for row in csv.DictReader(f)} == {m.kdf_min_logn}


def test_a_cost_named_in_the_rubric_file_or_on_the_command_line_is_kept(tmp_path: Path) -> None:
    p, r, t = write(tmp_path)  # kdf_min_logn = 10
    out = tmp_path / "event"
    assert main(["event", "init", str(out), "--proposals", str(p), "--reviewers", str(r), "--rubric", str(t),
                 "--group-size", "6", "--workers", "1", "--pin-digits", "10"]) == 0
    m = verify_signed_manifest(json.loads((out / "manifest.json").read_text(encoding="utf-8")))
    assert m.kdf_min_logn == 10
    assert {len(pin) for pin in pins_of(out)} == {10}
