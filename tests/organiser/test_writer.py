"""organiser.writer: keys, sealed credentials and the event folder."""

from __future__ import annotations

import csv
import json
import random
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from organiser.demo import city
from organiser.writer import Job, new_pin, read_key, seal_all, write_event, write_key
from shared.credential import parse, unlock
from shared.errors import FormatError, WrongPin
from shared.keys import SigningKey
from shared.manifest import verify_signed_manifest
from tests.support.events import EventFiles

SECRET_FILES = ("authority.key", "ledger.key", "pins.csv")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_secret_files_are_owner_only(mini_event: EventFiles) -> None:
    for name in SECRET_FILES:
        assert mode(mini_event.dir / name) == 0o600, name
    assert sorted(p.name for p in mini_event.dir.iterdir()) == [
        "authority.key", "credentials.csv", "ledger.key", "manifest.json", "pins.csv",
    ]  # fmt: skip


def test_modes_hold_under_a_permissive_umask(tmp_path: Path) -> None:
    import os

    old = os.umask(0)
    try:
        write_event(city(datetime.now(UTC), random.Random(1), members=3), tmp_path / "e", workers=1)
    finally:
        os.umask(old)
    for name in SECRET_FILES:
        assert mode(tmp_path / "e" / name) == 0o600, name


def test_write_key_replaces_an_open_file_mode(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    path.write_text("old")
    path.chmod(0o644)
    key = SigningKey(bytes(range(32)))
    write_key(path, key)
    assert mode(path) == 0o600
    assert read_key(path) == key
    assert path.read_text() == "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n"


def test_read_key_refuses_junk(tmp_path: Path) -> None:
    path = tmp_path / "bad.key"
    path.write_text("not a key\n")
    with pytest.raises(FormatError, match="key file"):
        read_key(path)


def test_event_folder_contents(mini_event: EventFiles) -> None:
    signed = json.loads(mini_event.manifest_path.read_text(encoding="utf-8"))
    m = verify_signed_manifest(signed, authority_key=mini_event.authority().public_b64u)
    assert m.ledger_key == mini_event.ledger_key().public_b64u
    with open(mini_event.dir / "credentials.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["reviewer", "credential"]
    assert [r[0] for r in rows[1:]] == list(m.reviewers)  # manifest order
    assert set(mini_event.pins) == set(m.reviewers)
    assert all(len(p) == 6 and p.isdigit() for p in mini_event.pins.values())
    for rid in list(m.reviewers)[:: len(m.reviewers) // 5]:
        cred = parse(mini_event.credentials[rid])
        assert unlock(cred, mini_event.pins[rid], m.reviewers[rid].key, min_logn=m.kdf_min_logn)
        with pytest.raises(WrongPin):
            unlock(
                cred,
                "000000" if mini_event.pins[rid] != "000000" else "111111",
                m.reviewers[rid].key,
                min_logn=10,
            )
    # every reviewer's key is distinct; no private material in the manifest
    assert len({r.key for r in m.reviewers.values()}) == len(m.reviewers)
    text = mini_event.manifest_path.read_text(encoding="utf-8")
    assert mini_event.authority().public_b64u in text
    assert (mini_event.dir / "authority.key").read_text().strip() not in text


def test_refuses_a_folder_with_a_manifest(mini_event: EventFiles) -> None:
    before = mini_event.manifest_path.read_bytes()
    with pytest.raises(FileExistsError, match="choose an empty folder"):
        write_event(city(datetime.now(UTC), random.Random(1), members=2), mini_event.dir, workers=1)
    assert mini_event.manifest_path.read_bytes() == before


def test_seal_all_on_several_processes_matches_one() -> None:
    """Sealing is deterministic given salt and nonce; the pool changes nothing but speed."""
    jobs: list[Job] = [
        ("t1", f"r{i:03d}", bytes([i]) * 32, f"{i:06d}", 10, bytes([i]) * 16, bytes([i]) * 12)
        for i in range(70)
    ]
    seen: list[int] = []
    pooled = seal_all(jobs, workers=2, progress=seen.append)
    assert sum(seen) == 70
    assert pooled == seal_all(jobs, workers=1)
    assert list(pooled) == [j[1] for j in jobs]
    cred = parse(pooled["r007"])
    assert cred.reviewer == "r007" and cred.salt == bytes([7]) * 16


def test_new_pin() -> None:
    pins = {new_pin() for _ in range(200)}
    assert all(len(p) == 8 and p.isdigit() for p in pins)  # a real event's default
    assert len(pins) > 150  # drawn at random, not a counter
    assert len(new_pin(6)) == 6
