"""client.proofs against a real ``simsa server``: the tree head, inclusion and consistency
checks pass on what the server proves and fail, with VerificationError, on anything else."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from client import LedgerClient
from client.proofs import check_consistency, check_inclusion, verified_sth, witnessed
from shared.encoding import jcs
from shared.errors import VerificationError
from shared.keys import SigningKey
from shared.ledger import entry_leaf_hash
from shared.manifest import verify_signed_manifest
from shared.timefmt import format_time
from tests.support.live import STAFF_NAME, STAFF_PASSWORD, LiveServer


def _register(client: LedgerClient, n: int) -> None:
    key = SigningKey(bytes([n]) * 32)
    body = {"kiosk": f"proof-{n}", "public_key": key.public_b64u,
            "registered_at": format_time(datetime.now(UTC).replace(microsecond=0))}
    client.register({**body, "sig": key.sign_b64u(jcs(body))})
    client.approve_kiosk(None, f"proof-{n}")  # the approval is a ledger entry


def test_proofs_of_a_live_ledger(live_server: LiveServer) -> None:
    client = LedgerClient.for_url(live_server.url)
    m = verify_signed_manifest(client.event())
    first, _ = verified_sth(client, m.ledger_key, event=m.event)
    client.staff_login(STAFF_NAME, STAFF_PASSWORD)
    for n in range(1, 4):
        _register(client, n)
    head, raw = verified_sth(client, m.ledger_key, event=m.event)
    assert head.tree_size == first.tree_size + 3 and raw["tree_size"] == head.tree_size

    check_consistency(client, first.tree_size, first.root_hash, head.tree_size, head.root_hash)
    with pytest.raises(VerificationError):
        check_consistency(client, first.tree_size, bytes(32), head.tree_size, head.root_hash)
    with pytest.raises(VerificationError, match="shrank"):
        check_consistency(client, head.tree_size, head.root_hash, first.tree_size, first.root_hash)

    for e in client.entries(0, head.tree_size):
        check_inclusion(client, e["index"], entry_leaf_hash(e["entry"]), head)
    with pytest.raises(VerificationError, match="leaf hash"):
        check_inclusion(client, 1, entry_leaf_hash(client.entries(0, 1)[0]["entry"]), head)

    with pytest.raises(VerificationError):
        verified_sth(client, SigningKey(bytes(32)).public_b64u, event=m.event)  # another ledger's key
    assert witnessed(client, m.ledger_key, [], 0) is None  # no witness has cosigned yet
