"""C2SP tlog-tiles (c2sp.org/tlog-tiles): the Merkle tree as static 256-hash tiles.

Tile ``<L>/<N>`` holds hashes ``N*256 … N*256+255`` of *tile level* L, where the hash at
tile level L index j is the perfect subtree of ``256**L`` leaves starting at leaf
``j * 256**L`` — in simsa's stored nodes (``merkle_nodes``) that is Merkle level ``8*L``,
index j. A tree of size s has ``s // 256**L`` hashes at tile level L: the full tiles and
one partial tile ``.p/<W>`` of ``W = (s // 256**L) % 256`` hashes.

Entry bundles ``tile/entries/<N>`` are the entries of level-0 tile N, each prefixed by its
big-endian uint16 length. :class:`TileReader` is a client: it fetches only tiles and
recomputes any subtree hash, the root, inclusion and consistency proofs from them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from .errors import FormatError, VerificationError
from .merkle import EMPTY_ROOT, HASH_BYTES, consistency_path, inclusion_path, leaf_hash, node_hash, range_hash

TILE_HEIGHT = 8
TILE_WIDTH = 256
MAX_ENTRY = 0xFFFF
_PATH = re.compile(r"\A(?:(0|[1-9][0-9]?)|entries)/((?:x[0-9]{3}/)*[0-9]{3})(?:\.p/([1-9][0-9]{0,2}))?\Z")


def encode_index(n: int) -> str:
    """``1234067`` → ``x001/x234/067``."""
    if n < 0:
        raise FormatError("a tile index is not negative")
    groups = []
    while True:
        groups.append(f"{n % 1000:03d}")
        n //= 1000
        if not n:
            break
    groups.reverse()
    return "/".join([*("x" + g for g in groups[:-1]), groups[-1]])


def tile_path(level: int | str, n: int, width: int = TILE_WIDTH) -> str:
    """``tile/<L>/<N>[.p/<W>]`` (``level`` is an int, or ``"entries"`` for a bundle)."""
    if not 1 <= width <= TILE_WIDTH:
        raise FormatError(f"a tile is 1 to 256 wide, not {width}")
    base = f"tile/{level}/{encode_index(n)}"
    return base if width == TILE_WIDTH else f"{base}.p/{width}"


@dataclass(frozen=True)
class TileRef:
    level: int | None  # None: an entry bundle
    index: int
    width: int


def parse_tile_path(path: str) -> TileRef:
    """Parse ``<L>/<N>[.p/<W>]`` or ``entries/<N>[.p/<W>]`` (the part after ``tile/``)."""
    m = _PATH.match(path)
    if not m:
        raise FormatError(f"{path!r} is not a tile path <L>/<N>[.p/<W>] or entries/<N>[.p/<W>]")
    level = None if m.group(1) is None else int(m.group(1))
    if level is not None and level > 63:
        raise FormatError(f"tile level {level} is above 63")
    index = int("".join(g.lstrip("x") for g in m.group(2).split("/")))
    if encode_index(index) != m.group(2):
        raise FormatError(f"tile index {m.group(2)!r} has a leading zero group")
    width = TILE_WIDTH if m.group(3) is None else int(m.group(3))
    if m.group(3) is not None and width >= TILE_WIDTH:
        raise FormatError(f"a partial tile is 1 to 255 wide, not {width}")
    return TileRef(level, index, width)


def hashes_at(level: int, size: int) -> int:
    """How many hashes tile level ``level`` has in a tree of ``size``."""
    return size >> (TILE_HEIGHT * level)


def tiles_for(size: int) -> Iterator[tuple[int, int, int]]:
    """Every tile ``(level, index, width)`` a tree of ``size`` is served as."""
    level = 0
    while hashes_at(level, size):
        count = hashes_at(level, size)
        for n in range(count // TILE_WIDTH):
            yield level, n, TILE_WIDTH
        if count % TILE_WIDTH:
            yield level, count // TILE_WIDTH, count % TILE_WIDTH
        level += 1


def encode_bundle(entries: list[bytes]) -> bytes:
    """uint16 big-endian length ‖ entry, for each entry; raise if one is too long."""
    out = bytearray()
    for i, e in enumerate(entries):
        if len(e) > MAX_ENTRY:
            raise FormatError(f"entry {i} of the bundle is {len(e)} bytes, beyond the 16-bit length of entry bundles")
        out += len(e).to_bytes(2, "big") + e
    return bytes(out)


def decode_bundle(data: bytes) -> list[bytes]:
    out, pos = [], 0
    while pos < len(data):
        if pos + 2 > len(data):
            raise FormatError("an entry bundle ends inside a length prefix")
        n = int.from_bytes(data[pos : pos + 2], "big")
        if pos + 2 + n > len(data):
            raise FormatError("an entry bundle ends inside an entry")
        out.append(data[pos + 2 : pos + 2 + n])
        pos += 2 + n
    return out


def split_hashes(data: bytes, width: int, what: str) -> list[bytes]:
    if len(data) != width * HASH_BYTES:
        raise VerificationError(f"{what} is {len(data)} bytes, not {width} hashes")
    return [data[i : i + HASH_BYTES] for i in range(0, len(data), HASH_BYTES)]


Fetch = Callable[[str], bytes]


@dataclass
class TileReader:
    """Merkle hashes of a tree of ``size`` read from its tiles through ``fetch(path)``."""

    fetch: Fetch
    size: int
    _tiles: dict[tuple[int, int], list[bytes]] = field(default_factory=dict)

    def tile(self, level: int, n: int) -> list[bytes]:
        if (level, n) not in self._tiles:
            count = hashes_at(level, self.size)
            width = min(TILE_WIDTH, count - n * TILE_WIDTH)
            if width <= 0:
                raise VerificationError(f"tile {level}/{n} is beyond a tree of size {self.size}")
            path = tile_path(level, n, width)
            self._tiles[(level, n)] = split_hashes(self.fetch(path), width, path)
        return self._tiles[(level, n)]

    def tile_hash(self, level: int, j: int) -> bytes:
        return self.tile(level, j // TILE_WIDTH)[j % TILE_WIDTH]

    def node(self, level: int, i: int) -> bytes:
        """The perfect subtree of ``2**level`` leaves starting at ``i * 2**level``."""
        tl, k = divmod(level, TILE_HEIGHT)
        hs = [self.tile_hash(tl, j) for j in range(i << k, (i + 1) << k)]
        while len(hs) > 1:
            hs = [node_hash(hs[a], hs[a + 1]) for a in range(0, len(hs), 2)]
        return hs[0]

    def full_tile_check(self, level: int, n: int) -> None:
        """A full tile at level ≥ 1 must hold the tree hashes of the full tiles below it."""
        for i, h in enumerate(self.tile(level, n)):
            below = self.tile(level - 1, n * TILE_WIDTH + i)
            if len(below) == TILE_WIDTH:
                hs = below
                while len(hs) > 1:
                    hs = [node_hash(hs[a], hs[a + 1]) for a in range(0, len(hs), 2)]
                if hs[0] != h:
                    raise VerificationError(f"tile {level}/{n} hash {i} is not the hash of tile {level - 1}/{n * 256 + i}")

    def root(self) -> bytes:
        return range_hash(self.node, 0, self.size) if self.size else EMPTY_ROOT

    def inclusion(self, index: int) -> list[bytes]:
        return inclusion_path(index, self.size, lambda a, b: range_hash(self.node, a, b))

    def consistency(self, first: int) -> list[bytes]:
        if first in (0, self.size):
            return []
        return consistency_path(first, self.size, lambda a, b: range_hash(self.node, a, b))

    def check_bundle(self, n: int, entries: list[bytes]) -> None:
        """The entries of bundle ``n`` hash to the leaf hashes of level-0 tile ``n``."""
        leaves = self.tile(0, n)
        if len(entries) != len(leaves):
            raise VerificationError(f"bundle {n} has {len(entries)} entries, its tile {len(leaves)} hashes")
        for i, (e, h) in enumerate(zip(entries, leaves, strict=True)):
            if leaf_hash(e) != h:
                raise VerificationError(f"entry {n * TILE_WIDTH + i} does not hash to its level-0 tile hash")
