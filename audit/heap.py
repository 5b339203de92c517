"""The C heap of a verifier process kept near what it uses (glibc; elsewhere nothing).

glibc serves a large block from ``mmap`` and gives it back when freed — but after the
first such free it raises that threshold to the block's size (up to 32 MiB), so later
blocks of that size come from the heap and stay there once freed: a worker that read
page 0 (a city manifest line is 32 MB, copied a few times) kept ~60 MiB it no longer
used. :func:`bounded` fixes the threshold; :func:`give_back` returns free pages below
live ones (the main process, after the manifest's parse of ~380 MiB is freed).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from typing import Any

_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD = 256 << 10


@functools.cache
def _libc() -> Any:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        return libc if libc is not None and hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def bounded() -> None:
    """Blocks of 256 KiB and more always from ``mmap``, back to the system when freed."""
    libc = _libc()
    if libc is not None:
        libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)


def give_back() -> None:
    """Return the heap's free pages to the system (``malloc_trim(0)``)."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
