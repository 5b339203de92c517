"""Tile paths and a tile client over an in-memory tiled tree, against the naive Merkle maths."""

from __future__ import annotations

import pytest

from shared.errors import FormatError, VerificationError
from shared.merkle import (
    leaf_hash,
    naive_consistency_path,
    naive_inclusion_path,
    node_hash,
    root_from_leaf_hashes,
)
from shared.tiles import (
    TILE_WIDTH,
    TileReader,
    TileRef,
    decode_bundle,
    encode_bundle,
    encode_index,
    parse_tile_path,
    tile_path,
    tiles_for,
)


def test_index_encoding_is_the_specs() -> None:
    assert encode_index(1234067) == "x001/x234/067"
    assert encode_index(0) == "000"
    assert encode_index(1000) == "x001/000"
    assert tile_path(0, 5, 112) == "tile/0/005.p/112"
    assert tile_path("entries", 1234067) == "tile/entries/x001/x234/067"
    assert parse_tile_path("2/x001/x234/067.p/7") == TileRef(2, 1234067, 7)
    assert parse_tile_path("entries/000") == TileRef(None, 0, 256)


@pytest.mark.parametrize("bad", ["0/5", "0/0005", "01/000", "64/000", "0/000.p/256", "0/000.p/0", "0/x000", "x/000", "0/x000/005"])
def test_bad_tile_paths_are_refused(bad: str) -> None:
    with pytest.raises(FormatError):
        parse_tile_path(bad)


def test_the_specs_example_of_size_70000() -> None:
    tiles = list(tiles_for(70_000))
    assert sum(1 for t in tiles if t[0] == 0 and t[2] == 256) == 273
    assert (0, 273, 112) in tiles and (1, 0, 256) in tiles and (1, 1, 17) in tiles and (2, 0, 1) in tiles
    assert len(tiles) == 273 + 1 + 1 + 1 + 1
    assert list(tiles_for(256)) == [(0, 0, 256), (1, 0, 1)]


def test_bundles_round_trip_and_refuse_long_entries() -> None:
    entries = [b"", b"a", b"x" * 65535]
    assert decode_bundle(encode_bundle(entries)) == entries
    with pytest.raises(FormatError, match="16-bit"):
        encode_bundle([b"x" * 65536])
    with pytest.raises(FormatError, match="inside"):
        decode_bundle(b"\x00\x05ab")


def _served(leaves: list[bytes]) -> dict[str, bytes]:
    """Every tile of the tree, built the way the spec defines them."""
    size, files = len(leaves), {}
    level_hashes = list(leaves)
    level = 0
    while len(level_hashes) >= 1:
        for n in range(0, len(level_hashes), TILE_WIDTH):
            chunk = level_hashes[n : n + TILE_WIDTH]
            files[tile_path(level, n // TILE_WIDTH, len(chunk))] = b"".join(chunk)
        up = []
        for n in range(0, len(level_hashes) - TILE_WIDTH + 1, TILE_WIDTH):
            hs = level_hashes[n : n + TILE_WIDTH]
            while len(hs) > 1:
                hs = [node_hash(hs[i], hs[i + 1]) for i in range(0, len(hs), 2)]
            up.append(hs[0])
        level_hashes, level = up, level + 1
    assert set(files) == {tile_path(lv, n, w) for lv, n, w in tiles_for(size)}
    return files


@pytest.mark.parametrize("size", [1, 255, 256, 257, 70_000])
def test_a_tile_reader_recomputes_root_and_proofs(size: int) -> None:
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
    files = _served(leaves)
    fetched: list[str] = []

    def fetch(path: str) -> bytes:
        fetched.append(path)
        return files[path]

    r = TileReader(fetch, size)
    assert r.root() == root_from_leaf_hashes(leaves)
    for i in sorted({0, size // 3, size - 1}):
        assert r.inclusion(i) == naive_inclusion_path(leaves, i) if size < 5000 else r.inclusion(i)
    if size == 70_000:
        # a tiny tree of proofs checked against the naive maths on a prefix view
        assert len(set(fetched)) < 20  # a root needs a handful of tiles, not the whole tree
        small_files = _served(leaves[:600])
        small = TileReader(small_files.__getitem__, 600)
        assert small.consistency(300) == naive_consistency_path(leaves[:600], 300)
        assert small.inclusion(599) == naive_inclusion_path(leaves[:600], 599)
        r.full_tile_check(1, 0)
    elif size > 1:
        assert r.consistency(1) == naive_consistency_path(leaves, 1)


def test_a_tile_of_the_wrong_length_is_caught() -> None:
    files = _served([leaf_hash(b"a"), leaf_hash(b"b")])
    files["tile/0/000.p/2"] = files["tile/0/000.p/2"][:40]
    with pytest.raises(VerificationError, match="not 2 hashes"):
        TileReader(files.__getitem__, 2).root()
