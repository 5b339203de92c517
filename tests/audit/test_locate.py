"""Locating the first entry that differs from a server's tree with O(log n) inclusion proofs."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from audit.tree import LeafStore, first_difference
from shared.encoding import sha256
from shared.merkle import naive_inclusion_path


def _store(leaves: list[bytes]) -> LeafStore:
    s = LeafStore()
    for h in leaves:
        s.data += h
    return s


def _prover(server: list[bytes], calls: list[int]) -> Callable[[int], tuple[bytes, list[bytes]]]:
    def proof(i: int) -> tuple[bytes, list[bytes]]:
        calls.append(i)
        return server[i], naive_inclusion_path(server, i)

    return proof


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 13, 64, 100])
def test_every_single_difference_is_found(n: int) -> None:
    server = [sha256(b"leaf %d" % i) for i in range(n)]
    for k in range(n):
        ours = list(server)
        ours[k] = sha256(b"changed")
        calls: list[int] = []
        assert first_difference(n, _store(ours), _prover(server, calls)) == k
        assert len(calls) <= n.bit_length() + 1


def test_the_first_of_several_differences_and_none_when_equal() -> None:
    server = [sha256(b"%d" % i) for i in range(50)]
    ours = list(server)
    ours[31], ours[7], ours[44] = sha256(b"a"), sha256(b"b"), sha256(b"c")
    assert first_difference(50, _store(ours), _prover(server, [])) == 7
    assert first_difference(50, _store(server), _prover(server, [])) is None


def test_a_swap_is_located_at_its_first_position() -> None:
    server = [sha256(b"%d" % i) for i in range(40)]
    ours = list(server)
    ours[12], ours[13] = ours[13], ours[12]
    assert first_difference(40, _store(ours), _prover(server, [])) == 12
