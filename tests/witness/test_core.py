"""The witness's answers to add-checkpoint, one per rule of C2SP tlog-witness."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.checkpoint import Checkpoint, sign_checkpoint, verify_cosignature
from shared.keys import SigningKey
from shared.merkle import EMPTY_ROOT, leaf_hash, naive_consistency_path, root_from_leaf_hashes
from shared.note import SIG_COSIGNATURE, SIG_ED25519, Verifier, b64, parse_note, parse_signature_lines
from witness.core import Witness
from witness.state import StateDir, StateLocked

ORIGIN = "example.org/simsa/ev"
LOG = SigningKey(bytes([1]) * 32)
WKEY = SigningKey(bytes([2]) * 32)
LEAVES = [leaf_hash(bytes([i])) for i in range(20)]
FORK = [leaf_hash(bytes([i, 1])) for i in range(20)]


def cp_text(n: int, leaves: list[bytes] = LEAVES, key: SigningKey = LOG, origin: str = ORIGIN) -> str:
    return sign_checkpoint(Checkpoint(origin, n, root_from_leaf_hashes(leaves[:n])), key).render()


def body(old: int, n: int, leaves: list[bytes] = LEAVES, proof: list[bytes] | None = None, **kw: object) -> bytes:
    if proof is None:
        proof = naive_consistency_path(leaves[:n], old) if 0 < old < n else []
    return (f"old {old}\n" + "".join(b64(p) + "\n" for p in proof) + "\n" + cp_text(n, leaves, **kw)).encode()  # type: ignore[arg-type]


@pytest.fixture
def w(tmp_path: Path) -> Iterator[Witness]:
    state = StateDir(tmp_path)
    wit = Witness("w.example/1", WKEY, {ORIGIN: Verifier(ORIGIN, SIG_ED25519, LOG.public)}, state, lambda: 1700000000)
    yield wit
    wit.state.close()


def test_cosigns_a_consistent_sequence_and_remembers_it(w: Witness, tmp_path: Path) -> None:
    a = w.add_checkpoint(body(0, 5))
    assert a.status == 200
    (sig,) = parse_signature_lines(a.body)
    v = Verifier("w.example/1", SIG_COSIGNATURE, WKEY.public)
    assert verify_cosignature(parse_note(cp_text(5)).text, sig, v) == 1700000000
    assert w.add_checkpoint(body(5, 12)).status == 200
    assert w.add_checkpoint(body(12, 12)).status == 200  # the same head again
    assert w.state.get(ORIGIN).size == 12  # type: ignore[union-attr]
    w.state.close()
    again = StateDir(tmp_path)
    w.state = again
    st = again.get(ORIGIN)
    assert st is not None and st.size == 12 and st.root == root_from_leaf_hashes(LEAVES[:12])
    assert parse_note(st.checkpoint).signatures[-1].name == "w.example/1"


def test_the_specs_error_answers(w: Witness) -> None:
    assert w.add_checkpoint(b"old 01\n\n" + cp_text(3).encode()).status == 400
    assert w.add_checkpoint(b"nonsense").status == 400
    assert w.add_checkpoint(body(0, 3, origin="other.example/log")).status == 404
    assert w.add_checkpoint(body(0, 3, key=SigningKey(bytes([9]) * 32))).status == 403
    assert w.add_checkpoint(body(4, 3)).status == 400
    assert w.add_checkpoint(body(0, 3, proof=[LEAVES[0]])).status == 422
    zero = sign_checkpoint(Checkpoint(ORIGIN, 0, LEAVES[0]), LOG).render()
    assert w.add_checkpoint(f"old 0\n\n{zero}".encode()).status == 422
    ok_zero = sign_checkpoint(Checkpoint(ORIGIN, 0, EMPTY_ROOT), LOG).render()
    assert w.add_checkpoint(f"old 0\n\n{ok_zero}".encode()).status == 200
    assert w.add_checkpoint(body(0, 8)).status == 200
    stale = w.add_checkpoint(body(0, 10))
    assert (stale.status, stale.body, stale.content_type) == (409, "8\n", "text/x.tlog.size")
    assert w.add_checkpoint(body(5, 10)).status == 409


def test_an_inconsistent_head_is_refused(w: Witness) -> None:
    assert w.add_checkpoint(body(0, 8)).status == 200
    fork = w.add_checkpoint(body(8, 12, FORK, proof=naive_consistency_path(LEAVES[:12], 8)))
    assert fork.status == 422 and "not consistent" in fork.body
    same_size_other_root = w.add_checkpoint(body(8, 8, FORK))
    assert same_size_other_root.status == 422
    assert w.state.get(ORIGIN).size == 8  # type: ignore[union-attr]
    assert w.add_checkpoint(body(8, 12)).status == 200


def test_a_second_witness_process_cannot_share_the_state(w: Witness, tmp_path: Path) -> None:
    with pytest.raises(StateLocked):
        StateDir(tmp_path)


def test_concurrent_requests_never_roll_the_witness_back(w: Witness) -> None:
    """The spec's race: the check of the old size and the write of the new state are one
    step, so a slower request for a smaller size cannot overwrite a larger one."""
    from concurrent.futures import ThreadPoolExecutor

    assert w.add_checkpoint(body(0, 4)).status == 200
    sizes = [5, 9, 12, 16, 20] * 4
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda n: (n, w.add_checkpoint(body(4, n)).status), sizes))
    assert [n for n, status in answers if status == 200] in ([5], [9], [12], [16], [20])
    assert all(status in (200, 409) for _, status in answers)
    won = next(n for n, status in answers if status == 200)
    assert w.state.get(ORIGIN).size == won  # type: ignore[union-attr]
