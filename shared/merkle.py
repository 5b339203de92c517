"""RFC 9162 Merkle tree maths: hashes, roots, inclusion and consistency proofs.

Proof construction is written against a *range oracle* ``mth(a, b)`` that returns the
Merkle tree hash of leaves ``[a, b)``. The naive oracle hashes a list of leaves; the
server's oracle reads stored perfect subtrees (see :func:`range_hash`), so a proof costs
O(log n) stored nodes and the tree is never rebuilt.

Verification raises :class:`VerificationError` and returns nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from .encoding import sha256
from .errors import FormatError, VerificationError

HASH_BYTES = 32
#: MTH of the empty tree.
EMPTY_ROOT = sha256(b"")

RangeHash = Callable[[int, int], bytes]
NodeLookup = Callable[[int, int], bytes]


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 ‖ leaf data), the data not copied (a city manifest line is 32 MB)."""
    h = hashlib.sha256(b"\x00")
    h.update(data)
    return h.digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 ‖ left ‖ right)."""
    return sha256(b"\x01" + left + right)


def split_point(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (n ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_from_leaf_hashes(leaves: Sequence[bytes]) -> bytes:
    """MTH over already hashed leaves, by the RFC's recursive definition."""
    return _naive_oracle(leaves)(0, len(leaves))


def _naive_oracle(leaves: Sequence[bytes]) -> RangeHash:
    def mth(a: int, b: int) -> bytes:
        if b - a == 0:
            return EMPTY_ROOT
        if b - a == 1:
            return leaves[a]
        k = split_point(b - a)
        return node_hash(mth(a, a + k), mth(a + k, b))

    return mth


def range_hash(node: NodeLookup, a: int, b: int) -> bytes:
    """MTH of leaves ``[a, b)`` from stored perfect subtrees.

    ``node(level, i)`` returns the hash of the perfect subtree of 2**level leaves starting
    at leaf ``i * 2**level``. ``[a, b)`` must be a range the RFC's recursion produces:
    ``a`` aligned to the largest power of two not below ``b - a``'s split. It is
    decomposed into at most log2(b-a) perfect subtrees, folded right to left.
    """
    if b <= a:
        return EMPTY_ROOT
    parts: list[bytes] = []
    pos = a
    while pos < b:
        size = 1 << ((b - pos).bit_length() - 1)
        while pos % size:
            size >>= 1
        level = size.bit_length() - 1
        parts.append(node(level, pos >> level))
        pos += size
    acc = parts[-1]
    for left in reversed(parts[:-1]):
        acc = node_hash(left, acc)
    return acc


def inclusion_path(index: int, size: int, mth: RangeHash) -> list[bytes]:
    """Audit path for leaf ``index`` in the tree of ``size`` leaves (RFC 9162 §2.1.3.1)."""
    if not 0 <= index < size:
        raise FormatError(f"leaf index {index} is outside a tree of size {size}")
    path: list[bytes] = []
    lo, hi, m = 0, size, index
    while hi - lo > 1:
        k = split_point(hi - lo)
        if m < k:
            path.append(mth(lo + k, hi))
            hi = lo + k
        else:
            path.append(mth(lo, lo + k))
            lo, m = lo + k, m - k
    path.reverse()
    return path


def consistency_path(first: int, second: int, mth: RangeHash) -> list[bytes]:
    """Consistency proof between tree sizes ``first`` ≤ ``second`` (RFC 9162 §2.1.4.1)."""
    if not 0 < first <= second:
        raise FormatError(f"no consistency proof from size {first} to size {second}")
    out: list[bytes] = []

    def sub(m: int, lo: int, hi: int, whole: bool) -> None:
        n = hi - lo
        if m == n:
            if not whole:
                out.append(mth(lo, hi))
            return
        k = split_point(n)
        if m <= k:
            sub(m, lo, lo + k, whole)
            out.append(mth(lo + k, hi))
        else:
            sub(m - k, lo + k, hi, False)
            out.append(mth(lo, lo + k))

    sub(first, 0, second, True)
    return out


def naive_inclusion_path(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """Audit path computed from a full list of leaf hashes (for tests and small trees)."""
    return inclusion_path(index, len(leaves), _naive_oracle(leaves))


def naive_consistency_path(leaves: Sequence[bytes], first: int) -> list[bytes]:
    """Consistency proof computed from a full list of leaf hashes."""
    return consistency_path(first, len(leaves), _naive_oracle(leaves))


def _check_hash(h: bytes, what: str) -> None:
    if len(h) != HASH_BYTES:
        raise VerificationError(f"{what} is {len(h)} bytes, not {HASH_BYTES}")


def root_from_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes]) -> bytes:
    """The root an audit path implies (RFC 9162 §2.1.3.2), or raise if it cannot be one."""
    if not 0 <= index < size:
        raise VerificationError(f"leaf index {index} is outside a tree of size {size}")
    _check_hash(leaf, "leaf hash")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        _check_hash(p, "audit path node")
        if sn == 0:
            raise VerificationError("audit path is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise VerificationError("audit path is shorter than the tree is deep")
    return r


def verify_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes], root: bytes) -> None:
    """Check that ``leaf`` is leaf ``index`` of the tree of ``size`` with ``root``."""
    got = root_from_inclusion(index, size, leaf, path)
    if got != root:
        raise VerificationError(
            f"inclusion proof for index {index} leads to root {got.hex()[:16]}…, not {root.hex()[:16]}…"
        )


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree of size ``first`` is a prefix of the tree of size ``second``."""
    _check_hash(first_root, "first root")
    _check_hash(second_root, "second root")
    if not 0 <= first <= second:
        raise VerificationError(f"sizes {first} → {second} cannot be consistent")
    if first == second:
        if proof:
            raise VerificationError("a proof between equal sizes must be empty")
        if first_root != second_root:
            raise VerificationError(f"two different roots for the same size {first}")
        return
    if first == 0:
        if proof:
            raise VerificationError("a proof from the empty tree must be empty")
        return
    if not proof:
        raise VerificationError("consistency proof is empty")
    for c in proof:
        _check_hash(c, "consistency proof node")
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise VerificationError("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise VerificationError("consistency proof is too short")
    if fr != first_root:
        raise VerificationError(f"consistency proof does not lead to the size-{first} root")
    if sr != second_root:
        raise VerificationError(f"consistency proof does not lead to the size-{second} root")


class CompactRange:
    """The right edge of a growing tree: the perfect subtrees whose sizes sum to ``size``.

    Appending is O(log n) and yields the new perfect nodes ``(level, index, hash)`` to
    store; the root is a fold over at most log2(n) hashes.
    """

    def __init__(self, size: int = 0, peaks: Sequence[bytes] = ()) -> None:
        if len(peaks) != bin(size).count("1"):
            raise FormatError("a compact range needs one hash per set bit of its size")
        self.size = size
        self.peaks = list(peaks)

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add a leaf hash; return the perfect nodes it completes, leaf first."""
        made = [(0, self.size, leaf)]
        self.peaks.append(leaf)
        level, index = 0, self.size
        while index & 1:
            right = self.peaks.pop()
            left = self.peaks.pop()
            level, index = level + 1, index >> 1
            h = node_hash(left, right)
            self.peaks.append(h)
            made.append((level, index, h))
        self.size += 1
        return made

    def root(self) -> bytes:
        """MTH of the whole tree."""
        if not self.peaks:
            return EMPTY_ROOT
        acc = self.peaks[-1]
        for left in reversed(self.peaks[:-1]):
            acc = node_hash(left, acc)
        return acc

    @staticmethod
    def peak_positions(size: int) -> list[tuple[int, int]]:
        """The ``(level, index)`` of each peak of a tree of ``size``, left to right."""
        out, pos = [], 0
        for level in range(size.bit_length() - 1, -1, -1):
            if size >> level & 1:
                out.append((level, pos >> level))
                pos += 1 << level
        return out
