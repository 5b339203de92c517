"""Setting a kiosk up before the event (from a file or the server), then starting with
nothing but its data folder; ``simsa kiosk`` and ``kiosk-sim`` argument handling."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from kiosk.launch import prepare
from kiosk.store import Meta, StoreError
from shared.errors import FormatError, VerificationError
from shared.keys import SigningKey
from shared.manifest import sign_manifest
from tests.support.events import EventFiles


def test_from_a_file_then_offline(mini_event: EventFiles, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kiosk, _ = prepare(tmp_path / "k", server=None, manifest=mini_event.manifest_path, online=False,
                           kiosk_id="k-1")
    err = capsys.readouterr().err
    assert "staff PIN" in err and "verified" in err and kiosk.id == "k-1" and kiosk.server is None
    again, _ = prepare(tmp_path / "k", server=None, manifest=None, online=False)
    assert again.id == "k-1" and again.key.public == kiosk.key.public
    assert capsys.readouterr().err == ""  # no set-up, no new PIN
    with pytest.raises(StoreError, match="not set up"):
        prepare(tmp_path / "empty", server=None, manifest=None, online=False)
    with pytest.raises(FormatError, match="cannot read"):
        prepare(tmp_path / "x", server=None, manifest=tmp_path / "missing.json", online=False)


def test_pinned_authority_refuses_another_organisers_manifest(mini_event: EventFiles, tmp_path: Path) -> None:
    signed = json.loads(mini_event.manifest_path.read_text())
    rogue_key = SigningKey(bytes(range(32)))
    raw = copy.deepcopy(signed["manifest"])
    raw["authority_key"] = rogue_key.public_b64u
    rogue = tmp_path / "rogue.json"
    rogue.write_text(json.dumps(sign_manifest(raw, rogue_key)))
    real_authority = mini_event.authority().public_b64u
    with pytest.raises(VerificationError, match="another authority"):
        prepare(tmp_path / "k", server=None, manifest=rogue, online=False, authority=real_authority)
    _, store = prepare(tmp_path / "k", server=None, manifest=mini_event.manifest_path, online=False,
                       authority=real_authority)
    assert store.get(Meta.AUTHORITY) == real_authority
    with pytest.raises(VerificationError):  # the pin stays with the folder
        prepare(tmp_path / "k", server=None, manifest=rogue, online=False)


def test_cli_arguments() -> None:
    from simsa.cli import build_parser

    p = build_parser()
    a = p.parse_args(["kiosk", "--manifest", "m.json", "--frames", "f", "--fullscreen", "--data", "d"])
    assert a.frames == Path("f") and a.fullscreen and a.online is False
    with pytest.raises(SystemExit):
        p.parse_args(["kiosk", "--camera", "1", "--frames", "f"])
    s = p.parse_args(["kiosk-sim", "--event", "e", "--server", "http://x", "--kiosks", "2", "--ballots", "9",
                      "--staff", "a:b"])
    assert (s.kiosks, s.ballots, s.staff) == (2, 9, "a:b")


def test_window_size_and_idle_options(mini_event: EventFiles, tmp_path: Path) -> None:
    """Issue 11: ``--size WxH`` (and a clear error for anything else), ``--idle S``."""
    from kiosk.kivyconf import parse_size
    from kiosk.launch import launch
    from simsa.cli import build_parser

    assert parse_size("800x1280") == (800, 1280) and parse_size(" 1024 × 600 ") == (1024, 600)
    for bad in ("800", "800x", "10x10", "99999x800", "wide"):
        with pytest.raises(ValueError, match=r"WIDTHxHEIGHT|out of range"):
            parse_size(bad)
    a = build_parser().parse_args(["kiosk", "--manifest", "m.json", "--size", "800x1280", "--idle", "120"])
    assert a.size == "800x1280" and a.idle == 120
    def start(size: str | None = None, idle_s: float | None = None) -> int:
        return launch(data=tmp_path / "k", server=None, manifest=mini_event.manifest_path, online=False, camera=None,
                      frames=None, fullscreen=False, kiosk_id="k-1", staff_pin="246810", lang="ko",
                      sync_interval=15.0, export_dir=None, size=size, idle_s=idle_s)

    with pytest.raises(FormatError, match="--size"):
        start(size="huge")
    with pytest.raises(FormatError, match="--idle"):
        start(idle_s=2)
