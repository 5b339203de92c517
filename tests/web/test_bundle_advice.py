"""server.web.bundles: the bundle's README.json is checked against the upload and the
batches are applied in seq order whatever the files are called (no browser needed; the
pages are checked in tests/web/test_accounting_pages.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from server.web.bundles import advice, plan
from shared.encoding import jcs
from tests.server.kit import Kiosk


def _kiosk(n: int) -> Kiosk:
    k = Kiosk("k1")
    for i in range(n):
        k.add({"ballot": {"n": i}, "sig": "x"})  # linkage and heads only; ballots are not judged here
    return k


def _files(k: Kiosk, per: int = 2) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    listed = []
    for i, first in enumerate(range(1, len(k.records) + 1, per), 1):
        last = min(len(k.records), first + per - 1)
        out[f"batch-{i:04d}.json"] = jcs(k.batch(first, last))
        listed.append({"file": f"batch-{i:04d}.json", "first_seq": first, "last_seq": last})
    seq, h = k.head
    out["README.json"] = json.dumps({"kiosk": k.id, "event": "mini", "exported_at": "2017-02-23T18:00:00Z",
                                     "head": {"seq": seq, "hash": h}, "batches": listed}).encode()
    return out


def _keys(files: dict[str, bytes]) -> list[str]:
    return [a["key"] for a in advice(plan(list(files.items()), 10_000_000))]


CASES: list[tuple[str, list[str], list[str]]] = [
    ("README only", ["README.json"], ["b.readme.only"]),
    ("a batch file left out", ["batch-0002.json", "README.json"], ["b.readme.missing"]),
    ("everything", ["batch-0001.json", "batch-0002.json", "batch-0003.json", "README.json"], ["b.readme.order"]),
    ("batches without README", ["batch-0002.json"], []),
]


@pytest.mark.parametrize(("name", "names", "keys"), CASES, ids=[c[0] for c in CASES])
def test_advice(name: str, names: list[str], keys: list[str]) -> None:
    files = _files(_kiosk(6))
    assert _keys({n: files[n] for n in names}) == keys


def test_missing_files_are_named() -> None:
    files = _files(_kiosk(6))
    items = plan([(n, files[n]) for n in ("batch-0003.json", "README.json")], 10_000_000)
    (note,) = advice(items)
    assert note["args"] == {"files": "batch-0001.json, batch-0002.json"}


def test_a_file_of_another_kiosk_is_named() -> None:
    files = _files(_kiosk(2))
    other = Kiosk("k9")
    other.add({"ballot": {"n": 0}, "sig": "x"})
    got: list[dict[str, Any]] = advice(plan([*files.items(), ("batch-9.json", jcs(other.batch()))], 10_000_000))
    assert {"level": "bad", "key": "b.readme.kiosk", "args": {"readme": "k1", "other": "k9"}} in got


def test_batches_are_applied_in_seq_order_whatever_their_names() -> None:
    files = _files(_kiosk(6))
    renamed = [("z.json", files["batch-0001.json"]), ("a.json", files["batch-0003.json"]), ("m.json", files["batch-0002.json"])]
    order = [it.file for it in plan(renamed, 10_000_000) if it.kind == "batch"]
    assert order == ["z.json", "m.json", "a.json"]
