"""Ledger entry text composed from parts already canonicalised.

A kiosk record, a ballot entry and a rejected entry all embed the signed ballot; its JCS
text is computed once (:mod:`server.services.precheck`) and spliced in here. JCS sorts
keys by UTF-16 code units and writes no whitespace, so for the fixed key sets below the
composition is exactly ``jcs(obj)`` (checked against it in ``tests/server/test_entries.py``).
"""

from __future__ import annotations

from functools import lru_cache

from shared.encoding import jcs


@lru_cache(maxsize=4096)
def _s(value: str | None) -> str:
    return "null" if value is None else jcs(value).decode("utf-8")


def _n(value: int | None) -> str:
    return "null" if value is None else str(int(value))


def ballot_entry_text(sb_text: str, received_at: str, kiosk: str | None, seq: int | None) -> str:
    """JCS of ``shared.ledger.ballot_entry(...)``."""
    return (
        f'{{"kiosk":{_s(kiosk)},"received_at":{_s(received_at)},"seq":{_n(seq)},'
        f'"signed_ballot":{sb_text},"type":"ballot"}}'
    )


def rejected_entry_text(sb_text: str, received_at: str, kiosk: str, seq: int, code: str) -> str:
    """JCS of ``shared.ledger.rejected_entry(...)``."""
    return (
        f'{{"code":{_s(code)},"kiosk":{_s(kiosk)},"received_at":{_s(received_at)},"seq":{_n(seq)},'
        f'"signed_ballot":{sb_text},"type":"rejected"}}'
    )
