"""Text every store can keep: no NUL and no lone surrogate (docs/PROTOCOL.md, "Text").

PostgreSQL cannot store U+0000 in a text column and no UTF-8 store can hold a lone
surrogate (U+D800–U+DFFF without its pair), so one rule holds on every channel: a JSON or
form value — key or string, at any depth — carrying either is malformed. :func:`find_unstorable`
names the first one; :func:`storable` escapes them where a refusal has to quote what came.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

_BAD = re.compile("[\x00\ud800-\udfff]")


def bad_char(text: str) -> str | None:
    """What is wrong with ``text``: "a NUL character", "a lone surrogate", or None."""
    m = _BAD.search(text)
    if m is None:
        return None
    return "a NUL character (U+0000)" if m.group() == "\x00" else f"a lone surrogate (U+{ord(m.group()):04X})"


def find_unstorable(value: Any, where: str = "$", *, nul_ok_under: frozenset[str] = frozenset()) -> str | None:
    """The first key or string of a parsed JSON value that cannot be stored, as
    "<what> at <path>", or None. Under the paths ``nul_ok_under`` (like
    ``$.records[*].signed_ballot``, ``[*]`` for any index) only lone surrogates count: a
    NUL there is the caller's to judge (JCS writes it as an escape, so it can be logged)."""
    if not _any_bad(value):  # the common case, without building a path for every node
        return None
    for path, text, nul_ok in _texts(value, where, nul_ok_under):
        what = bad_char(text)
        if what is not None and not (nul_ok and _only_nul(text)):
            return f"{what} at {path}"
    return None


def _any_bad(value: Any) -> bool:
    if isinstance(value, str):
        return _BAD.search(value) is not None
    if isinstance(value, dict):
        return any(_BAD.search(str(k)) is not None or _any_bad(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_any_bad(v) for v in value)
    return False


def _only_nul(text: str) -> bool:
    """``text``'s only bad characters are NULs."""
    return all(m.group() == "\x00" for m in _BAD.finditer(text))


def _texts(value: Any, where: str, nul_ok_under: frozenset[str]) -> Iterator[tuple[str, str, bool]]:
    stack: list[tuple[str, str, Any, bool]] = [(where, where, value, False)]
    while stack:
        path, pattern, v, nul_ok = stack.pop()
        nul_ok = nul_ok or pattern in nul_ok_under
        if isinstance(v, str):
            yield path, v, nul_ok
        elif isinstance(v, dict):
            for k, item in v.items():
                key = str(k)
                if bad_char(key) is not None:
                    yield f"{path} (a key)", key, nul_ok
                stack.append((f"{path}.{key}", f"{pattern}.{key}", item, nul_ok))
        elif isinstance(v, list):
            for i, item in enumerate(v):
                stack.append((f"{path}[{i}]", f"{pattern}[*]", item, nul_ok))


def storable(text: str) -> str:
    """``text`` with every NUL and lone surrogate written as its ``\\uXXXX`` escape."""
    return _BAD.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
