"""The public audit API (DESIGN §4, normative): manifest, STH, key, entries and RFC 9162
proofs; plus the revocation list kiosks fetch and the results after close."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy import select

from shared.encoding import b64u, b64u_decode
from shared.errors import FormatError

from ..auth import context
from ..context import Context
from ..db.schema import revocations
from ..problems import Problem
from ..services import views
from .jsonable import obj

router = APIRouter(prefix="/api/v1", tags=["audit"])
Ctx = Annotated[Context, Depends(context)]
PAGE = 1000


@router.get("/event", summary="The signed event manifest")
def get_event(ctx: Ctx) -> dict[str, Any]:
    return ctx.event.signed_manifest


@router.get("/ledger/key", summary="The ledger's public key")
def get_key(ctx: Ctx) -> dict[str, str]:
    return {"public_key": ctx.event.ledger_key.public_b64u}


@router.get("/ledger/sth", summary="The current signed tree head")
def get_sth(ctx: Ctx) -> dict[str, Any]:
    with ctx.db.read() as conn:
        sth = ctx.ledger.latest_sth(conn)
    if sth is None:
        raise Problem(503, "internal", "the ledger has no signed tree head yet")
    return sth


@router.get("/ledger/entries", summary="Entries [start, end), at most 1000")
def get_entries(
    ctx: Ctx,
    start: Annotated[int, Query(ge=0)],
    end: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    with ctx.db.read() as conn:
        size, _ = ctx.ledger.head(conn)
        if start > size:
            raise Problem(400, "bad_request", f"start {start} is beyond the tree size {size}")
        stop = min(size, start + PAGE, end if end is not None else start + PAGE)
        if stop < start:
            raise Problem(400, "bad_request", f"end {end} is before start {start}")
        rows = ctx.ledger.entries_text(conn, start, stop)
    body = '{"entries":[' + ",".join(f'{{"index":{i},"entry":{t}}}' for i, t in rows) + "]}"
    return Response(body, media_type="application/json")


def _size(ctx: Ctx, conn: Any, tree_size: int | None) -> int:
    size, _ = ctx.ledger.head(conn)
    if tree_size is None:
        return size
    if tree_size > size:
        raise Problem(400, "bad_request", f"tree_size {tree_size} is beyond the current tree size {size}")
    return tree_size


@router.get("/ledger/proof/inclusion", summary="RFC 9162 inclusion proof by index or leaf hash")
def get_inclusion(
    ctx: Ctx,
    index: Annotated[int | None, Query(ge=0)] = None,
    hash: Annotated[str | None, Query(description="leaf hash, base64url")] = None,
    tree_size: Annotated[int | None, Query(ge=1)] = None,
) -> dict[str, Any]:
    if (index is None) == (hash is None):
        raise Problem(400, "bad_request", "give exactly one of index and hash")
    with ctx.db.read() as conn:
        n = _size(ctx, conn, tree_size)
        if hash is not None:
            try:
                leaf = b64u_decode(hash, length=32, what="hash")
            except FormatError as exc:
                raise Problem(400, "bad_request", str(exc)) from exc
            found = ctx.ledger.index_of_leaf(conn, leaf)
            if found is None or found >= n:
                raise Problem(404, "not_found", f"no entry with leaf hash {hash} in the tree of size {n}")
            index = found
        assert index is not None
        if index >= n:
            raise Problem(400, "bad_request", f"index {index} is outside the tree of size {n}")
        leaf_h = ctx.ledger.leaf_hash_at(conn, index)
        path = ctx.ledger.inclusion(conn, index, n)
    assert leaf_h is not None
    return {"index": index, "tree_size": n, "leaf_hash": b64u(leaf_h), "audit_path": [b64u(p) for p in path]}


@router.get("/ledger/proof/consistency", summary="RFC 9162 consistency proof between two sizes")
def get_consistency(
    ctx: Ctx, first: Annotated[int, Query(ge=0)], second: Annotated[int, Query(ge=0)]
) -> dict[str, Any]:
    with ctx.db.read() as conn:
        n = _size(ctx, conn, None)
        if not first <= second <= n:
            raise Problem(400, "bad_request", f"need 0 <= first <= second <= {n}, got {first} and {second}")
        proof = ctx.ledger.consistency(conn, first, second)
    return {"consistency": [b64u(p) for p in proof]}


@router.get("/revocations", summary="Revoked reviewers, for kiosks", tags=["kiosks"])
def get_revocations(ctx: Ctx) -> dict[str, Any]:
    with ctx.db.read() as conn:
        size, _ = ctx.ledger.head(conn)
        revoked = sorted(r.reviewer for r in conn.execute(select(revocations.c.reviewer)))
    return {"revoked": revoked, "tree_size": size}


@router.get("/results", summary="The results, after the event is closed", tags=["results"])
def get_results(ctx: Ctx) -> dict[str, Any]:
    return obj(views.results(ctx))


@router.get("/results.csv", summary="The results as CSV, after the event is closed", tags=["results"])
def get_results_csv(ctx: Ctx) -> Response:
    text = views.results_csv(ctx)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{ctx.manifest.event}-results.csv"'},
    )

