"""USB bundle import from the dashboard: one uploaded file, one or more kiosk batches.

A bundle file holds a batch (``{"kiosk","records","head"}``), a JSON array of batches, or
an object with a ``"batches"`` array (a kiosk with more records than one batch takes
exports several, in order). Each batch goes through :func:`server.services.ingest.submit_batch`
— exactly what a network sync and the staff API's bundle import run.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool

from shared.encoding import parse_json
from shared.errors import FormatError, SimsaError

from ..context import Context
from ..problems import Problem
from ..services import ingest
from ..services.staff import StaffMember


class BundleError(SimsaError):
    """The uploaded file is not a bundle."""


def split(data: bytes, limit: int) -> list[dict[str, Any]]:
    """The batches of a bundle file, in order."""
    try:
        raw = parse_json(data, max_bytes=limit, what="bundle file")
    except FormatError as exc:
        raise BundleError(str(exc)) from exc
    if isinstance(raw, dict) and "batches" in raw:
        raw = raw["batches"]
    items = raw if isinstance(raw, list) else [raw]
    if not items or not all(isinstance(b, dict) and isinstance(b.get("kiosk"), str) for b in items):
        raise BundleError("expected a kiosk batch {kiosk, records, head} or a list of them")
    return items


async def apply(ctx: Context, who: StaffMember, batch: dict[str, Any]) -> dict[str, Any]:
    """Submit one batch; return its per-record results or the problem that refused it whole."""
    kiosk = str(batch["kiosk"])
    try:
        out = await run_in_threadpool(ingest.submit_batch, ctx, kiosk, batch, via=f"bundle by {who.name}")
    except Problem as p:
        return {"kiosk": kiosk, "problem": {"code": p.code, "detail": p.detail}, "results": [], "counts": {}}
    counts = {"accepted": 0, "duplicate": 0, "rejected": 0}
    for r in out["results"]:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return {"kiosk": kiosk, "problem": None, "results": out["results"], "counts": counts, "synced_seq": out["synced_seq"]}
