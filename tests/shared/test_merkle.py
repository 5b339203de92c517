"""shared.merkle: RFC 9162 tree hashes, audit paths and consistency proofs.

Three independent checks: known answers from certificate-transparency (the RFC 6962 8-leaf
tree and a real log's proof), a naive oracle written here straight from RFC 9162
§2.1.1-2.1.4 and compared for every tree size up to 64, and a second-preimage attack.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from shared.errors import FormatError, VerificationError
from shared.merkle import (
    EMPTY_ROOT,
    CompactRange,
    consistency_path,
    inclusion_path,
    leaf_hash,
    naive_consistency_path,
    naive_inclusion_path,
    node_hash,
    range_hash,
    root_from_inclusion,
    root_from_leaf_hashes,
    split_point,
    verify_consistency,
    verify_inclusion,
)

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parents[1] / "vectors" / "merkle_rfc6962.json").read_text("ascii")
)
MAX_SIZE = 64


def _hx(values: Sequence[str]) -> list[bytes]:
    return [bytes.fromhex(v) for v in values]


def _flip(data: bytes, bit: int = 3) -> bytes:
    return bytes([data[0] ^ (1 << bit)]) + data[1:]


# --- the oracle: RFC 9162 §2.1.1-2.1.4 on lists of leaf data, nothing shared ----------


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of §2.1.1."""
    n = len(d)
    if n == 0:
        return _sha256(b"")
    if n == 1:
        return _sha256(b"\x00" + d[0])
    k = _k(n)
    return _sha256(b"\x01" + mth(d[:k]) + mth(d[k:]))


def path(m: int, d: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of §2.1.3.1."""
    n = len(d)
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*path(m, d[:k]), mth(d[k:])]
    return [*path(m - k, d[k:]), mth(d[:k])]


def subproof(m: int, d: Sequence[bytes], b: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b) of §2.1.4.1."""
    n = len(d)
    if m == n:
        return [] if b else [mth(d)]
    k = _k(n)
    if m <= k:
        return [*subproof(m, d[:k], b), mth(d[k:])]
    return [*subproof(m - k, d[k:], False), mth(d[:k])]


def proof(m: int, d: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) of §2.1.4.1."""
    return subproof(m, d, True)


# Distinct leaves of varied lengths, including the empty one.
DATA = [b""] + [f"entry {i}".encode() * (i % 3 + 1) for i in range(1, MAX_SIZE)]
HASHES = [leaf_hash(d) for d in DATA]


@functools.cache
def _root(n: int) -> bytes:
    return mth(DATA[:n])


@functools.cache
def _store(n: int) -> tuple[dict[tuple[int, int], bytes], CompactRange]:
    """Perfect subtrees of the first n leaves, as a server stores them, and the right edge."""
    store: dict[tuple[int, int], bytes] = {}
    cr = CompactRange()
    for h in HASHES[:n]:
        for level, index, value in cr.append(h):
            assert (level, index) not in store
            store[(level, index)] = value
    return store, cr


def _range_oracle(n: int) -> Callable[[int, int], bytes]:
    store = _store(n)[0]

    def lookup(level: int, index: int) -> bytes:
        return store[(level, index)]

    return lambda a, b: range_hash(lookup, a, b)


def test_oracle_matches_the_known_roots() -> None:
    leaves = _hx(VECTORS["leaves"])
    for n, root in enumerate(_hx(VECTORS["roots"])):
        assert mth(leaves[:n]) == root


def test_oracle_matches_the_known_proofs() -> None:
    leaves = _hx(VECTORS["leaves"])
    for v in VECTORS["inclusion"]:
        assert path(v["index"], leaves[: v["tree_size"]]) == _hx(v["path"])
    for v in VECTORS["consistency"]:
        assert proof(v["first"], leaves[: v["second"]]) == _hx(v["proof"])


# --- known answers ----------------------------------------------------------------------


def test_hash_known_answers() -> None:
    hashes = VECTORS["hashes"]
    assert bytes.fromhex(hashes["empty_root"]) == EMPTY_ROOT == root_from_leaf_hashes([])
    for leaf in hashes["leaves"]:
        assert leaf_hash(bytes.fromhex(leaf["data"])).hex() == leaf["leaf_hash"]
    for node in hashes["nodes"]:
        left, right = bytes.fromhex(node["left"]), bytes.fromhex(node["right"])
        assert node_hash(left, right).hex() == node["node_hash"]
        assert node_hash(right, left).hex() != node["node_hash"]


@pytest.mark.parametrize("n", range(9))
def test_known_roots(n: int) -> None:
    leaves = [leaf_hash(d) for d in _hx(VECTORS["leaves"])[:n]]
    expected = VECTORS["roots"][n]
    assert root_from_leaf_hashes(leaves).hex() == expected
    cr = CompactRange()
    for h in leaves:
        cr.append(h)
    assert cr.root().hex() == expected


@pytest.mark.parametrize("vector", VECTORS["inclusion"], ids=lambda v: f"{v['index']}-of-{v['tree_size']}")
def test_known_inclusion_proofs(vector: dict[str, Any]) -> None:
    i, n = vector["index"], vector["tree_size"]
    leaves = [leaf_hash(d) for d in _hx(VECTORS["leaves"])[:n]]
    expected = _hx(vector["path"])
    root = bytes.fromhex(VECTORS["roots"][n])
    assert naive_inclusion_path(leaves, i) == expected
    verify_inclusion(i, n, leaves[i], expected, root)
    _assert_inclusion_rejected(i, n, leaves[i], expected, root)


@pytest.mark.parametrize("vector", VECTORS["consistency"], ids=lambda v: f"{v['first']}-to-{v['second']}")
def test_known_consistency_proofs(vector: dict[str, Any]) -> None:
    m, n = vector["first"], vector["second"]
    leaves = [leaf_hash(d) for d in _hx(VECTORS["leaves"])[:n]]
    expected = _hx(vector["proof"])
    roots = _hx(VECTORS["roots"])
    assert naive_consistency_path(leaves, m) == expected
    verify_consistency(m, n, roots[m], roots[n], expected)
    _assert_consistency_rejected(m, n, roots[m], roots[n], expected)


@pytest.mark.parametrize("vector", VECTORS["bad_consistency"], ids=lambda v: v["why"])
def test_known_bad_consistency_proofs(vector: dict[str, Any]) -> None:
    with pytest.raises(VerificationError):
        verify_consistency(
            vector["first"],
            vector["second"],
            bytes.fromhex(vector["first_root"]),
            bytes.fromhex(vector["second_root"]),
            _hx(vector["proof"]),
        )


def test_real_ct_log_inclusion_proof() -> None:
    v = VECTORS["ct_log_inclusion"]
    leaf = leaf_hash(bytes.fromhex(v["leaf_data"]))
    assert leaf.hex() == v["leaf_hash"]
    audit = _hx(v["audit_path"])
    root = bytes.fromhex(v["root"])
    i, n = v["index"], v["tree_size"]
    verify_inclusion(i, n, leaf, audit, root)
    assert root_from_inclusion(i, n, leaf, audit) == root
    for k in range(len(audit)):
        with pytest.raises(VerificationError):
            verify_inclusion(i, n, leaf, [*audit[:k], _flip(audit[k]), *audit[k + 1 :]], root)
    for wrong_i, wrong_n in [(i + 1, n), (i - 1, n), (i ^ 2, n), (i, n * 2), (i, n // 2)]:
        with pytest.raises(VerificationError):
            verify_inclusion(wrong_i, wrong_n, leaf, audit, root)
    with pytest.raises(VerificationError, match="outside"):
        verify_inclusion(i + 2 ** (len(audit) + 1), n, leaf, audit, root)
    with pytest.raises(VerificationError):
        verify_inclusion(i, n, leaf, audit[:-1], root)
    with pytest.raises(VerificationError):
        verify_inclusion(i, n, leaf, [*audit, root], root)


# --- the oracle, exhaustively -----------------------------------------------------------


def _assert_inclusion_rejected(i: int, n: int, leaf: bytes, audit: list[bytes], root: bytes) -> None:
    bad: list[tuple[str, int, bytes, list[bytes], bytes]] = [
        ("wrong root", i, leaf, audit, _flip(root)),
        ("empty-tree root", i, leaf, audit, EMPTY_ROOT),
        ("wrong leaf", i, _flip(leaf), audit, root),
        ("extended at the end", i, leaf, [*audit, root], root),
        ("extended at the front", i, leaf, [root, *audit], root),
    ]
    bad += [("wrong index", j, leaf, audit, root) for j in (i - 1, i + 1) if 0 <= j < n]
    if audit:
        bad.append(("truncated", i, leaf, audit[:-1], root))
        bad.append(("first node dropped", i, leaf, audit[1:], root))
    for k in range(len(audit)):
        flipped = [*audit[:k], _flip(audit[k]), *audit[k + 1 :]]
        bad.append((f"bit flipped in node {k}", i, leaf, flipped, root))
    for why, j, lf, p, r in bad:
        with pytest.raises(VerificationError):
            verify_inclusion(j, n, lf, p, r)
            pytest.fail(f"{why}: leaf {i} of {n} verified")


def _assert_consistency_rejected(
    m: int, n: int, first_root: bytes, second_root: bytes, consistency: list[bytes]
) -> None:
    other = _sha256(b"not a node")
    bad: list[tuple[str, int, bytes, bytes, list[bytes]]] = [
        ("wrong first root", m, _flip(first_root), second_root, consistency),
        ("wrong second root", m, first_root, _flip(second_root), consistency),
        ("extended at the end", m, first_root, second_root, [*consistency, other]),
        ("extended at the front", m, first_root, second_root, [other, *consistency]),
    ]
    if m != n:
        bad += [
            ("swapped roots", m, second_root, first_root, consistency),
            ("empty proof", m, first_root, second_root, []),
            ("truncated", m, first_root, second_root, consistency[:-1]),
            ("first node dropped", m, first_root, second_root, consistency[1:]),
        ]
        bad += [
            ("wrong first size", k, first_root, second_root, consistency) for k in (m - 1, m + 1) if 0 < k < n
        ]
    for k in range(len(consistency)):
        flipped = [*consistency[:k], _flip(consistency[k]), *consistency[k + 1 :]]
        bad.append((f"bit flipped in node {k}", m, first_root, second_root, flipped))
    for why, size, r1, r2, p in bad:
        with pytest.raises(VerificationError):
            verify_consistency(size, n, r1, r2, p)
            pytest.fail(f"{why}: {m} -> {n} verified")


@pytest.mark.parametrize("n", range(MAX_SIZE + 1))
def test_roots_match_the_oracle(n: int) -> None:
    root = _root(n)
    assert root_from_leaf_hashes(HASHES[:n]) == root
    store, cr = _store(n)
    assert cr.size == n
    assert cr.root() == root
    assert range_hash(lambda level, i: store[(level, i)], 0, n) == root


@pytest.mark.parametrize("n", range(MAX_SIZE + 1))
def test_inclusion_matches_the_oracle(n: int) -> None:
    root = _root(n)
    data = DATA[:n]
    by_range = _range_oracle(n)
    for i in range(n):
        expected = path(i, data)
        assert naive_inclusion_path(HASHES[:n], i) == expected
        assert inclusion_path(i, n, by_range) == expected
        verify_inclusion(i, n, HASHES[i], expected, root)
        _assert_inclusion_rejected(i, n, HASHES[i], expected, root)


@pytest.mark.parametrize("n", range(1, MAX_SIZE + 1))
def test_consistency_matches_the_oracle(n: int) -> None:
    root = _root(n)
    data = DATA[:n]
    by_range = _range_oracle(n)
    for m in range(1, n + 1):
        expected = proof(m, data)
        assert naive_consistency_path(HASHES[:n], m) == expected
        assert consistency_path(m, n, by_range) == expected
        verify_consistency(m, n, _root(m), root, expected)
        _assert_consistency_rejected(m, n, _root(m), root, expected)


# --- compact range ----------------------------------------------------------------------


@pytest.mark.parametrize("n", range(MAX_SIZE + 1))
def test_compact_range_nodes_are_the_perfect_subtrees(n: int) -> None:
    store, cr = _store(n)
    for (level, index), value in store.items():
        assert value == mth(DATA[index << level : (index + 1) << level])
    # Every perfect subtree that fits is stored, exactly once.
    expected_count = sum(n >> level for level in range(n.bit_length() + 1))
    assert len(store) == expected_count
    # The peaks are the stored nodes at peak_positions, left to right.
    positions = CompactRange.peak_positions(n)
    assert [store[p] for p in positions] == cr.peaks
    assert sum(1 << level for level, _ in positions) == n


@pytest.mark.parametrize("k", [0, 1, 5, 8, 13, 32, 63])
def test_compact_range_resumes_from_stored_peaks(k: int) -> None:
    _, cr = _store(k)
    resumed = CompactRange(k, list(cr.peaks))
    for h in HASHES[k:]:
        resumed.append(h)
    assert resumed.size == MAX_SIZE
    assert resumed.root() == _root(MAX_SIZE)


def test_compact_range_append_reports_new_nodes_leaf_first() -> None:
    cr = CompactRange()
    assert cr.root() == EMPTY_ROOT
    assert cr.append(HASHES[0]) == [(0, 0, HASHES[0])]
    made = cr.append(HASHES[1])
    assert made == [(0, 1, HASHES[1]), (1, 0, node_hash(HASHES[0], HASHES[1]))]
    cr.append(HASHES[2])
    made = cr.append(HASHES[3])
    assert [(lv, i) for lv, i, _ in made] == [(0, 3), (1, 1), (2, 0)]


@pytest.mark.parametrize(("size", "peaks"), [(1, 0), (3, 1), (4, 2), (0, 1), (7, 2)])
def test_compact_range_checks_its_peaks(size: int, peaks: int) -> None:
    with pytest.raises(FormatError, match="one hash per set bit"):
        CompactRange(size, [EMPTY_ROOT] * peaks)


def test_split_point() -> None:
    for n in range(2, 300):
        assert split_point(n) == _k(n)


# --- argument and shape errors ----------------------------------------------------------


def test_proof_builders_refuse_impossible_arguments() -> None:
    oracle = _range_oracle(8)
    for i, n in [(0, 0), (8, 8), (-1, 8), (9, 8)]:
        with pytest.raises(FormatError, match="outside a tree"):
            inclusion_path(i, n, oracle)
    for m, n in [(0, 8), (9, 8), (-1, 8)]:
        with pytest.raises(FormatError, match="no consistency proof"):
            consistency_path(m, n, oracle)
    assert consistency_path(8, 8, oracle) == []
    assert range_hash(lambda lv, i: pytest.fail("no node needed"), 5, 5) == EMPTY_ROOT


def test_verifiers_refuse_bad_shapes() -> None:
    root8 = _root(8)
    audit = path(3, DATA[:8])
    with pytest.raises(VerificationError, match="outside a tree of size 0"):
        verify_inclusion(0, 0, HASHES[0], [], EMPTY_ROOT)
    with pytest.raises(VerificationError, match="outside"):
        verify_inclusion(8, 8, HASHES[3], audit, root8)
    with pytest.raises(VerificationError, match="leaf hash is 31 bytes"):
        verify_inclusion(3, 8, HASHES[3][:31], audit, root8)
    with pytest.raises(VerificationError, match="audit path node is 33 bytes"):
        verify_inclusion(3, 8, HASHES[3], [*audit[:2], audit[2] + b"\x00"], root8)
    with pytest.raises(VerificationError, match="longer"):
        verify_inclusion(0, 1, HASHES[0], [HASHES[1]], HASHES[0])
    with pytest.raises(VerificationError, match="shorter"):
        verify_inclusion(3, 8, HASHES[3], audit[:2], root8)
    with pytest.raises(VerificationError, match="leads to root"):
        verify_inclusion(3, 8, HASHES[3], audit, _root(7))

    consistency = proof(3, DATA[:8])
    with pytest.raises(VerificationError, match="cannot be consistent"):
        verify_consistency(8, 3, root8, _root(3), consistency)
    with pytest.raises(VerificationError, match="first root is 0 bytes"):
        verify_consistency(3, 8, b"", root8, consistency)
    with pytest.raises(VerificationError, match="second root is 31 bytes"):
        verify_consistency(3, 8, _root(3), root8[:31], consistency)
    with pytest.raises(VerificationError, match="consistency proof node is 0 bytes"):
        verify_consistency(3, 8, _root(3), root8, [*consistency, b""])
    with pytest.raises(VerificationError, match="must be empty"):
        verify_consistency(8, 8, root8, root8, [root8])
    with pytest.raises(VerificationError, match="different roots for the same size"):
        verify_consistency(8, 8, root8, _root(7), [])
    with pytest.raises(VerificationError, match="from the empty tree must be empty"):
        verify_consistency(0, 8, EMPTY_ROOT, root8, [root8])
    with pytest.raises(VerificationError, match="is empty"):
        verify_consistency(3, 8, _root(3), root8, [])
    # Trivially consistent: equal trees, and the empty tree with anything.
    verify_consistency(8, 8, root8, root8, [])
    verify_consistency(0, 8, EMPTY_ROOT, root8, [])
    verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])


# --- second-preimage attack -------------------------------------------------------------


def _undivided_leaf(data: bytes) -> bytes:
    return _sha256(data)


def _undivided_node(left: bytes, right: bytes) -> bytes:
    return _sha256(left + right)


def _undivided_root(leaves: Sequence[bytes]) -> bytes:
    """MTH with no 0x00/0x01 prefixes: what the domain separation prevents."""
    if len(leaves) == 1:
        return _undivided_leaf(leaves[0])
    k = _k(len(leaves))
    return _undivided_node(_undivided_root(leaves[:k]), _undivided_root(leaves[k:]))


@pytest.mark.parametrize(
    ("n", "forged_size"),
    [(3, 2), (4, 2), (8, 4), (6, 4)],
    ids=["3-to-2", "4-to-2", "8-to-4", "6-to-4"],
)
def test_interior_node_presented_as_a_leaf_does_not_verify(n: int, forged_size: int) -> None:
    """An attacker offers a smaller tree whose first leaf's data is the concatenation of
    two child hashes (the preimage of an interior node), hoping for the same root."""
    data = DATA[1 : n + 1]
    # Without domain separation the forgery works: this is the attack being tested.
    plain = [_undivided_leaf(d) for d in data]
    pairs = [plain[i] + plain[i + 1] for i in range(0, 2 * (n - forged_size), 2)]
    forged_plain = [*pairs, *data[2 * len(pairs) :]]
    assert len(forged_plain) == forged_size
    assert _undivided_root(forged_plain) == _undivided_root(data)

    # With RFC 9162 hashing, the same forgery does not reach the real root.
    real = [leaf_hash(d) for d in data]
    root = root_from_leaf_hashes(real)
    interior = [node_hash(real[i], real[i + 1]) for i in range(0, 2 * len(pairs), 2)]
    forged_data = [real[i] + real[i + 1] for i in range(0, 2 * len(pairs), 2)]
    rest = real[2 * len(pairs) :]
    # The forged tree, built from the interior nodes themselves, has the real root ...
    forged_hashes = [*interior, *rest]
    assert root_from_leaf_hashes(forged_hashes) == root
    audit = naive_inclusion_path(forged_hashes, 0)
    # ... but a leaf's hash is computed from its data, and that is never an interior node.
    for bogus in (forged_data[0], interior[0]):
        assert leaf_hash(bogus) != interior[0]
        with pytest.raises(VerificationError):
            verify_inclusion(0, forged_size, leaf_hash(bogus), audit, root)
    # And the node hash of the two leaves is not the leaf hash of their concatenation.
    assert node_hash(real[0], real[1]) != leaf_hash(real[0] + real[1])
