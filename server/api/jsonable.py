"""The adapters' one conversion: a service result (a frozen dataclass) as the JSON object
the API documents (:func:`server.services.shape.plain`)."""

from __future__ import annotations

from typing import Any

from ..services.shape import plain


def obj(result: Any) -> dict[str, Any]:
    """``result`` as a JSON object, its fields in documented order."""
    out = plain(result)
    if not isinstance(out, dict):
        raise TypeError(f"{type(result).__name__} is not a result dataclass")
    return out
