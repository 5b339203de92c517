"""``simsa event init --max-per-target N``: the flood limit goes into the signed manifest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.manifest import MAX_PER_TARGET, verify_signed_manifest
from simsa.cli import main


def test_event_init_writes_the_flood_limit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ev"
    assert main(["event", "init", str(out), "--demo", "mini", "--max-per-target", "7"]) == 0
    raw = json.loads((out / "manifest.json").read_text())
    assert raw["manifest"]["merge"] == {"policy": "onsite-first", "max_per_target": 7}
    assert verify_signed_manifest(raw).max_per_target == 7
    capsys.readouterr()
    assert main(["event", "show", str(out)]) == 0
    assert "flood limit: 7 distinct online ballots" in capsys.readouterr().out


def test_without_the_option_the_manifest_keeps_the_default(tmp_path: Path) -> None:
    out = tmp_path / "ev"
    assert main(["event", "init", str(out), "--demo", "mini"]) == 0
    m = verify_signed_manifest(json.loads((out / "manifest.json").read_text()))
    assert m.max_per_target == MAX_PER_TARGET == 3
    assert "max_per_target" not in m.raw["merge"]


@pytest.mark.parametrize("bad", ["0", "21", "three", "-1"])
def test_a_flood_limit_outside_1_to_20_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: str) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["event", "init", str(tmp_path / "ev"), "--demo", "mini", "--max-per-target", bad])
    assert exc.value.code == 2
    assert f"--max-per-target: must be a whole number from 1 to 20, got '{bad}'" in capsys.readouterr().err
    assert not (tmp_path / "ev").exists()
