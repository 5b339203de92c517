"""The ledger as a C2SP tiled transparency log under ``/tlog`` (docs/PROTOCOL.md, "Tiled log").

``/tlog/checkpoint`` (the latest checkpoint, with every witness cosignature the server
holds for it), ``/tlog/witnessed-checkpoint`` (the newest checkpoint cosigned by as many
witnesses as the manifest demands), ``/tlog/tile/<L>/<N>[.p/<W>]`` hash tiles,
``/tlog/tile/entries/<N>[.p/<W>]`` entry bundles and ``/tlog/simsa-entries/<N>[.p/<W>]``
the same entries in simsa's format (for bundles holding an entry over 65535 bytes).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from shared.checkpoint import ledger_verifier
from shared.errors import FormatError
from shared.tiles import parse_tile_path

from ..auth import context
from ..context import Context
from ..ledger.tlog import NotServed, Tlog, origin_for
from ..problems import Problem

router = APIRouter(prefix="/tlog", tags=["tlog"])
Ctx = Annotated[Context, Depends(context)]

TEXT = "text/plain; charset=utf-8"
MUTABLE = {"Cache-Control": "public, max-age=2"}
IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}


def tlog_of(ctx: Context) -> Tlog:
    """The context's :class:`Tlog`, made on first use."""
    t = ctx.tlog
    if t is None:
        s = ctx.settings
        t = ctx.tlog = Tlog(ctx.ledger, origin_for(s.tlog_origin, s.host, ctx.manifest.event))
    return t


def witness_names(ctx: Context) -> tuple[tuple[str, ...], int]:
    """The witnesses a checkpoint counts as witnessed by, and how many it needs."""
    policy = ctx.manifest.witnesses
    if policy is not None:
        return tuple(k.name for k in policy.keys), policy.threshold
    from ..witnessing import configured

    return tuple(w.verifier.name for w in configured(ctx.settings)), 1


@router.get("/checkpoint", summary="The latest checkpoint, with the witness cosignatures held for it")
def get_checkpoint(ctx: Ctx) -> Response:
    t = tlog_of(ctx)
    with ctx.db.read() as conn:
        note = t.checkpoint(conn)
        if note is None:
            raise Problem(503, "internal", "the ledger has no signed tree head yet")
        body = t.cosigned(conn, note)
    return Response(body, media_type=TEXT, headers=MUTABLE)


@router.get("/witnessed-checkpoint", summary="The newest checkpoint cosigned by the witnesses the manifest demands")
def get_witnessed(ctx: Ctx) -> Response:
    t = tlog_of(ctx)
    names, k = witness_names(ctx)
    with ctx.db.read() as conn:
        size = t.witnessed_size(conn, names, k) if names else None
        note = None if size is None else t.checkpoint(conn, size)
        if note is None:
            raise Problem(404, "not_found", f"no checkpoint is cosigned by {k} of the witnesses yet")
        body = t.cosigned(conn, note, names)
    return Response(body, media_type=TEXT, headers=MUTABLE)


@router.get("/witnesses", summary="The manifest's witness policy (404 without one), for the /verify page")
def get_witnesses(ctx: Ctx) -> dict[str, Any]:
    policy = ctx.manifest.witnesses
    if policy is None:
        raise Problem(404, "not_found", "the manifest names no witnesses")
    return {"threshold": policy.threshold, "keys": [{"name": k.name, "key": k.key} for k in policy.keys]}


@router.get("/vkey", summary="The ledger's signed-note verifier key (for witness operators)")
def get_vkey(ctx: Ctx) -> Response:
    v = ledger_verifier(tlog_of(ctx).origin, ctx.event.ledger_key.public_b64u)
    return Response(v.vkey + "\n", media_type=TEXT)


def _tile_ref(path: str) -> tuple[int | None, int, int]:
    try:
        ref = parse_tile_path(path)
    except FormatError as exc:
        raise Problem(404, "not_found", str(exc)) from exc
    return ref.level, ref.index, ref.width


@router.get("/tile/{path:path}", summary="A hash tile or an entry bundle (C2SP tlog-tiles)")
def get_tile(ctx: Ctx, path: str) -> Response:
    level, n, width = _tile_ref(path)
    t = tlog_of(ctx)
    with ctx.db.read() as conn:
        try:
            if level is None:
                try:
                    data = t.bundle(conn, n, width)
                except FormatError as exc:
                    raise Problem(
                        404, "not_found", f"{exc}; read the same entries at /tlog/simsa-entries/{path[len('entries/'):]}"
                    ) from exc
            else:
                data = t.tile(conn, level, n, width)
        except NotServed as exc:
            raise Problem(404, "not_found", str(exc)) from exc
    return Response(data, media_type="application/octet-stream", headers=IMMUTABLE)


@router.get("/simsa-entries/{path:path}", summary="Entries of an entry bundle as JCS lines (no size limit)")
def get_simsa_entries(ctx: Ctx, path: str) -> Response:
    _, n, width = _tile_ref(f"entries/{path}")
    t = tlog_of(ctx)
    with ctx.db.read() as conn:
        try:
            data = t.simsa_bundle(conn, n, width)
        except NotServed as exc:
            raise Problem(404, "not_found", str(exc)) from exc
    return Response(data, media_type="application/x-ndjson", headers=IMMUTABLE)
