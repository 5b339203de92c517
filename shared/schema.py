"""Small shape checks shared by the parsers: each raises :class:`FormatError` naming the field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import FormatError


def obj(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise FormatError(f"{what} must be a JSON object")
    return value


def keys(value: Mapping[str, Any], what: str, required: set[str], optional: set[str] = set()) -> None:  # noqa: B006
    """Exactly the ``required`` keys, plus any of ``optional``; nothing else."""
    missing = required - value.keys()
    if missing:
        raise FormatError(f"{what} is missing {', '.join(sorted(missing))}")
    extra = value.keys() - required - optional
    if extra:
        raise FormatError(f"{what} has unexpected field(s) {', '.join(sorted(extra))}")


def string(value: Any, what: str, *, max_len: int = 200, empty: bool = False) -> str:
    if not isinstance(value, str):
        raise FormatError(f"{what} must be a string")
    if not empty and not value:
        raise FormatError(f"{what} must not be empty")
    if len(value) > max_len:
        raise FormatError(f"{what} is longer than {max_len} characters")
    return value


def integer(value: Any, what: str, *, lo: int | None = None, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise FormatError(f"{what} must be a whole number")
    if lo is not None and value < lo:
        raise FormatError(f"{what} must be at least {lo}, got {value}")
    if hi is not None and value > hi:
        raise FormatError(f"{what} must be at most {hi}, got {value}")
    return value


def number(value: Any, what: str, *, lo: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FormatError(f"{what} must be a number")
    if lo is not None and value < lo:
        raise FormatError(f"{what} must be at least {lo}, got {value}")
    return float(value)


def array(value: Any, what: str, *, max_len: int = 1_000_000) -> list[Any]:
    if not isinstance(value, list):
        raise FormatError(f"{what} must be a JSON array")
    if len(value) > max_len:
        raise FormatError(f"{what} has more than {max_len} items")
    return value


def const(value: Any, what: str, expected: str | int) -> None:
    """Exactly ``expected``, of its JSON type (so ``true`` is not the version 1)."""
    if type(value) is not type(expected) or value != expected:
        raise FormatError(f"{what} must be {expected!r}, got {value!r}")


def choice(value: Any, what: str, options: tuple[str, ...]) -> str:
    if value not in options:
        raise FormatError(f"{what} must be one of {', '.join(options)}, got {value!r}")
    return str(value)
