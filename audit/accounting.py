"""What an auditor is told about records that do not count and closes made by override:
kiosk records logged after their kiosk or the event was closed (``kiosk_closed`` /
``event_closed``), and every ``kiosk-close`` or ``close`` statement whose staff member
typed an override — with its reason and the seq range known to be missing then."""

from __future__ import annotations

from typing import Any

from shared.replay import LedgerState


def _ranges(seqs: list[int]) -> str:
    out: list[str] = []
    start = prev = None
    for s in sorted(seqs):
        if prev is not None and s == prev + 1:
            prev = s
            continue
        if start is not None:
            out.append(f"{start}" if start == prev else f"{start}-{prev}")
        start = prev = s
    if start is not None:
        out.append(f"{start}" if start == prev else f"{start}-{prev}")
    return ", ".join(out)


def late_records(st: LedgerState) -> list[dict[str, Any]]:
    """Per (kiosk, code): the late records' seqs and ledger indexes."""
    groups: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for index, code, kiosk, seq in st.late:
        groups.setdefault((kiosk, code), []).append((index, seq))
    return [
        {"kiosk": k, "code": c, "seqs": [s for _, s in v], "indexes": [i for i, _ in v]}
        for (k, c), v in sorted(groups.items())
    ]


def overrides(st: LedgerState) -> list[dict[str, Any]]:
    out = []
    for index, body in st.overrides:
        o = body.get("override") or {}
        out.append({"index": index, "type": body["type"], "kiosk": body.get("kiosk"), "staff": body.get("staff"),
                    "reason": o.get("reason"), "missing": o.get("missing"),
                    "kiosks": [k.get("kiosk") for k in o.get("kiosks") or [] if isinstance(k, dict)]})
    return out


def accounting_lines(st: LedgerState) -> list[str]:
    """Lines for the verdict: late records (never counted) and overrides."""
    lines = []
    for g in late_records(st):
        lines.append(
            f"late 마감 뒤 기록: kiosk {g['kiosk']} seq {_ranges(g['seqs'])} logged as rejected {g['code']} "
            f"(entries {_ranges(g['indexes'])}), not counted"
        )
    for o in overrides(st):
        what = f"kiosk {o['kiosk']}" if o["type"] == "kiosk-close" else "the event"
        miss = o["missing"]
        gap = f"; seq {miss['first']}-{miss['last']} known missing then" if isinstance(miss, dict) else ""
        left = f"; kiosks left open or behind: {', '.join(o['kiosks'])}" if o["kiosks"] else ""
        lines.append(f"override 강제 마감: entry {o['index']} closed {what} by {o['staff']}: \"{o['reason']}\"{gap}{left}")
    return lines
