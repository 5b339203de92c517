"""USB bundle import from the dashboard: the files of a kiosk's bundle folder, uploaded
together.

A kiosk that never reached the network exports a folder ``simsa-bundle-<kiosk>-<time>/``
(see :mod:`kiosk.bundle`): ``batch-0001.json`` … (the very batches a sync would post),
``registration.json`` (its self-signed key), ``closure.json`` once it is closed, and a
``README.json`` summary. Staff select all of them; each file is recognised by its
content and applied in the order a network sync would have: registration, batches by
their first seq, closure. The README's list of batch files is checked against the upload
(:func:`advice`), and a refused batch says what to upload next (:func:`gap_help`). A file may also hold a list of batches or ``{"batches": [...]}``.

Every file goes through the service the network route uses — ``kiosks.register``,
``ingest.submit_batch`` (also behind ``POST /api/v1/staff/bundles``),
``kiosks.submit_closure`` — so the ledger ends up exactly as after a sync, and importing
the same files again adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool

from shared.encoding import parse_json
from shared.errors import FormatError, SimsaError
from shared.text import find_unstorable, storable

from ..context import Context
from ..problems import Problem
from ..services import ingest, kiosks
from ..services.errors import ServiceError
from ..services.shape import plain
from ..services.staff import StaffMember

ORDER = {"registration": 0, "batch": 1, "closure": 2, "summary": 3}


class BundleError(SimsaError):
    """An uploaded file is not part of a bundle."""


@dataclass
class Item:
    """One thing found in the uploaded files, and what became of it."""

    kind: str  # registration, batch, closure, summary
    file: str
    body: Any
    kiosk: str
    outcome: dict[str, Any] = field(default_factory=dict)


def _is_batch(x: Any) -> bool:
    return isinstance(x, dict) and isinstance(x.get("kiosk"), str) and "records" in x and "head" in x


def classify(name: str, data: bytes, limit: int) -> list[Item]:
    """The items of one uploaded file; raise :class:`BundleError` for anything else."""
    try:
        raw = parse_json(data, max_bytes=limit, what=name)
    except FormatError as exc:
        raise BundleError(str(exc)) from exc
    # the input rule of server.body.parse_body: a NUL inside a record's ballot is rule 1's
    bad = find_unstorable(raw, nul_ok_under=frozenset({"$.records[*].signed_ballot", "$.batches[*].records[*].signed_ballot",
                                                        "$[*].records[*].signed_ballot"}))
    if bad is not None:
        raise BundleError(f"{storable(name)} holds {bad}")
    if isinstance(raw, dict) and raw.get("type") == "kiosk-closure" and isinstance(raw.get("kiosk"), str):
        return [Item("closure", name, raw, raw["kiosk"])]
    if isinstance(raw, dict) and set(raw) == {"kiosk", "public_key", "registered_at", "sig"} and isinstance(raw["kiosk"], str):
        return [Item("registration", name, raw, raw["kiosk"])]
    if isinstance(raw, dict) and "exported_at" in raw and isinstance(raw.get("kiosk"), str):
        return [Item("summary", name, raw, raw["kiosk"])]
    items = raw.get("batches") if isinstance(raw, dict) and "batches" in raw else raw
    items = items if isinstance(items, list) else [items]
    if not items or not all(_is_batch(b) for b in items):
        raise BundleError(f"{name} is not a kiosk batch, registration or closure")
    return [Item("batch", name, b, b["kiosk"]) for b in items]


def _first_seq(it: Item) -> int:
    records = it.body.get("records") or []
    first = records[0].get("seq") if records and isinstance(records[0], dict) else None
    head = it.body.get("head") if isinstance(it.body.get("head"), dict) else {}
    seq = first if isinstance(first, int) else head.get("seq")
    return seq if isinstance(seq, int) and not isinstance(seq, bool) else 0


def plan(files: list[tuple[str, bytes]], limit: int) -> list[Item]:
    """All items of the uploaded files in the order a sync would apply them: registration,
    batches by their first record's seq (whatever the files are called), closure."""
    items: list[Item] = []
    for name, data in sorted(files):
        items += classify(name, data, limit)
    return sorted(items, key=lambda it: (ORDER[it.kind], it.kiosk, _first_seq(it) if it.kind == "batch" else 0))


def advice(items: list[Item]) -> list[dict[str, Any]]:
    """What the bundle's own README.json says about the upload, before anything is applied:
    batch files it lists that were not uploaded, files of another kiosk mixed in, and a
    README-only upload (nothing to import). Each: ``{"level", "key", "args"}`` (i18n)."""
    out: list[dict[str, Any]] = []
    readmes = [it for it in items if it.kind == "summary"]
    batches = [it for it in items if it.kind == "batch"]
    if readmes and not any(it.kind != "summary" for it in items):
        out.append({"level": "bad", "key": "b.readme.only", "args": {}})
    for rd in readmes:
        listed = rd.body.get("batches") if isinstance(rd.body.get("batches"), list) else []
        got = {it.file.rsplit("/", 1)[-1] for it in batches if it.kiosk == rd.kiosk}
        names = [str(b["file"]) for b in listed if isinstance(b, dict) and isinstance(b.get("file"), str)]
        missing = [n for n in names if n not in got]
        if missing and batches:
            out.append({"level": "bad", "key": "b.readme.missing", "args": {"files": ", ".join(missing)}})
        others = sorted({it.kiosk for it in items if it.kiosk != rd.kiosk})
        if others:
            out.append({"level": "bad", "key": "b.readme.kiosk", "args": {"readme": rd.kiosk, "other": ", ".join(others)}})
        mine = [it for it in batches if it.kiosk == rd.kiosk]
        if len(mine) > 1 and not missing:
            out.append({"level": "ok", "key": "b.readme.order",
                        "args": {"first": _first_seq(mine[0]), "last": _first_seq(mine[-1])}})
    return out


def gap_help(item: Item) -> dict[str, Any] | None:
    """A batch refused for a gap: which earlier batch files to upload too."""
    p = item.outcome.get("problem") or {}
    if item.kind != "batch" or p.get("code") != "chain_gap":
        return None
    synced = int(p.get("synced_seq", 0))
    return {"key": "b.gap", "args": {"seq": _first_seq(item), "synced": synced, "first": synced + 1}}


def _counts(results: list[dict[str, Any]]) -> dict[str, int]:
    counts = {"accepted": 0, "duplicate": 0, "rejected": 0}
    for r in results:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return counts


async def apply(ctx: Context, who: StaffMember, item: Item) -> Item:
    """Apply one item; its ``outcome`` says what happened or which problem refused it."""
    try:
        if item.kind == "registration":
            reg = await run_in_threadpool(kiosks.register, ctx, item.body)
            item.outcome = {"status": reg.status, "new": reg.status == "pending"}
        elif item.kind == "batch":
            out = await run_in_threadpool(ingest.submit_batch, ctx, item.kiosk, item.body, via=f"bundle by {who.name}")
            results = [plain(r) for r in out.results]
            item.outcome = {"results": results, "counts": _counts(results), "synced_seq": out.synced_seq}
        elif item.kind == "closure":
            held = await run_in_threadpool(kiosks.submit_closure, ctx, item.kiosk, item.body)
            item.outcome = {"matches": held.matches, "synced_seq": held.synced_seq, "seq": item.body.get("seq")}
        else:
            head = item.body.get("head") if isinstance(item.body.get("head"), dict) else {}
            item.outcome = {"head_seq": head.get("seq"), "exported_at": item.body.get("exported_at")}
    except (Problem, ServiceError) as p:
        item.outcome = {"problem": {"code": p.code, "detail": p.detail, **p.extra}}
        if p.code == "chain_gap":
            item.outcome["problem"]["synced_seq"] = kiosks.status(ctx, item.kiosk).synced_seq
        item.outcome["help"] = gap_help(item)
    return item
