"""``simsa event init --witness VKEY``: the manifest names the witnesses clients demand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shared.encoding import b64u
from shared.errors import FormatError
from shared.keys import SigningKey
from shared.manifest import Manifest, verify_signed_manifest
from shared.note import SIG_COSIGNATURE, SIG_ED25519, Verifier
from simsa.cli import main
from simsa.commands.event import witness_policy

W1 = Verifier("w1.example/simsa", SIG_COSIGNATURE, SigningKey(bytes([1]) * 32).public)
W2 = Verifier("w2.example/simsa", SIG_COSIGNATURE, SigningKey(bytes([2]) * 32).public)


def test_event_init_writes_the_witness_policy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ev"
    rc = main(["event", "init", str(out), "--demo", "mini", "--witness", W1.vkey, "--witness", W2.vkey])
    assert rc == 0
    m = verify_signed_manifest(json.loads((out / "manifest.json").read_text()))
    assert m.witnesses is not None and m.witnesses.threshold == 2
    assert [(k.name, k.key) for k in m.witnesses.keys] == [(W1.name, b64u(W1.public)), (W2.name, b64u(W2.public))]
    capsys.readouterr()
    assert main(["event", "show", str(out)]) == 0
    assert "witnesses: 2 of 2 must cosign" in capsys.readouterr().out


def test_bad_witness_options_are_named() -> None:
    with pytest.raises(FormatError, match="type 0x04"):
        witness_policy([Verifier("log.example", SIG_ED25519, W1.public).vkey], None)
    with pytest.raises(FormatError, match="1 to 2"):
        witness_policy([W1.vkey, W2.vkey], 3)
    with pytest.raises(FormatError, match="needs at least one"):
        witness_policy([], 1)
    assert witness_policy([W1.vkey, W2.vkey], 1) == {
        "threshold": 1, "keys": [{"name": W1.name, "key": b64u(W1.public)}, {"name": W2.name, "key": b64u(W2.public)}]
    }


@pytest.mark.parametrize(
    ("witnesses", "why"),
    [
        ({"threshold": 1, "keys": []}, "at least one"),
        ({"threshold": 2, "keys": [{"name": "a", "key": b64u(W1.public)}]}, "threshold"),
        ({"threshold": 1, "keys": [{"name": "a b", "key": b64u(W1.public)}]}, "without spaces"),
        ({"threshold": 1, "keys": [{"name": "a", "key": "xx"}]}, "witness a key"),
        ({"threshold": 1, "keys": [{"name": "a", "key": b64u(W1.public)}] * 2}, "twice"),
        ({"threshold": 1}, "missing keys"),
    ],
)
def test_bad_manifest_witnesses_are_refused(mini_manifest: Manifest, witnesses: dict[str, Any], why: str) -> None:
    raw = {**mini_manifest.raw, "witnesses": witnesses}
    with pytest.raises(FormatError, match=why):
        Manifest.from_json(raw)
