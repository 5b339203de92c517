"""How a service result (a frozen dataclass) becomes the JSON the API documents.

The field order of a result is its documented key order; a field declared with
``field(default=None, metadata=OMIT_NONE)`` is left out of the JSON while it is None (a key the protocol sends only
sometimes, e.g. the ``sth`` of an action that appended nothing). The adapters in
``server.api`` call :func:`plain`; the pages read the fields.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from types import MappingProxyType
from typing import Any, Final

_OMIT = "omit_none"
#: Field metadata: leave the field out of :func:`plain` while it is None.
OMIT_NONE: Final = MappingProxyType({_OMIT: True})


def plain(value: Any) -> Any:
    """``value`` as JSON-ready data: dataclasses as objects in field order (their
    ``OMIT_NONE`` fields left out while None), tuples as lists."""
    if is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for f in fields(value):
            v = getattr(value, f.name)
            if v is None and f.metadata.get(_OMIT):
                continue
            out[f.name] = plain(v)
        return out
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value
