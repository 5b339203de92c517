"""The staff dashboard pages under ``/staff/``.

Every page depends on :func:`server.auth.page_staff` (strangers are redirected to the
login page); every form posts a CSRF token checked by :func:`forms.check_csrf`. Actions
call the very service functions the JSON staff API calls, so each one becomes a ledger
statement signed by the staff member's key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from shared.errors import ALL_CODES

from ..auth import context, page_staff, require_staff
from ..body import read_form
from ..context import Context
from ..problems import Problem, problem_of
from ..services import actions, conflict_cards, dashboard, kiosks, rankings, reconcile, views
from ..services.errors import ServiceError
from ..services.staff import StaffMember
from . import bundles, details, i18n, localtime, lookup, results_view
from .forms import check_csrf, text
from .render import lang_of, page, redirect

router = APIRouter(include_in_schema=False)
Ctx = Annotated[Context, Depends(context)]
Staff = Annotated[StaffMember, Depends(page_staff)]


def sth_time(sth: dict[str, Any] | None, tz: str) -> str:
    """When an STH was signed, in the event's zone: ``2026-12-02 19:15:00 KST``."""
    return localtime.full(sth["timestamp"], tz) if sth else ""


def sth_short(sth: dict[str, Any] | None, tz: str) -> str:
    """``MM-DD HH:MM:SS KST`` of an STH, for a small space."""
    return localtime.local(sth["timestamp"], tz) if sth else ""


def _back(path: str, default: str) -> str:
    return path if path.startswith("/staff/") and not path.startswith("//") else default


async def _act(fn: Callable[..., Any], *args: Any, **kw: Any) -> tuple[Any, Problem | ServiceError | None]:
    try:
        return await run_in_threadpool(fn, *args, **kw), None
    except (Problem, ServiceError) as p:
        return None, p


def _error(path: str, p: Problem | ServiceError) -> Response:
    """Back to the page, at its top where the message is (not at an anchor below it)."""
    return redirect(path.split("#", 1)[0], "f.error", "bad", detail=p.detail)


def error_page(request: Request, who: StaffMember | None, status: int, heading: str, message: str,
               back: str = "/staff/") -> Response:
    """A problem shown as a page (people use these routes from a browser)."""
    return page(request, "error.html", who=who, status=status, heading=heading, message=message, back=back)


def _stale(request: Request, who: StaffMember, form: FormData) -> Response | None:
    """None when the form carries this session's CSRF token, else a 403 page saying what to do."""
    try:
        check_csrf(request, form)
    except Problem:
        lang = lang_of(request)
        return error_page(request, who, 403, i18n.text(lang, "e.stale.title"), i18n.text(lang, "e.stale"),
                          request.headers.get("referer", "/staff/") if _same_site(request) else "/staff/")
    return None


def _same_site(request: Request) -> bool:
    ref = request.headers.get("referer", "")
    return ref.startswith(str(request.base_url))


# --- overview ----------------------------------------------------------------------------


@router.get("/staff")
def staff_root(_who: Staff) -> Response:
    return redirect("/staff/")


@router.get("/staff/")
def overview(request: Request, ctx: Ctx, who: Staff) -> Response:
    ov = views.overview(ctx)
    rows = dashboard.kiosk_rows(ctx, views.kiosks_table(ctx))
    by_code: dict[str, dict[str, int]] = {}
    for ch, codes in ov.rejections.items():
        for code, n in codes.items():
            by_code.setdefault(code, {})[ch] = n
    order = {c: i for i, c in enumerate(ALL_CODES)}
    return page(
        request, "overview.html", who=who, nav="overview", live=True,
        ov=ov, sth_time=sth_short(ov.sth, ctx.settings.timezone), alarms=dashboard.alarms(ctx, ov, rows),
        progress=dashboard.progress(ctx), rc=reconcile.counted(ctx),
        by_code=sorted(by_code.items(), key=lambda kv: (order.get(kv[0], 99), kv[0])),
    )


@router.get("/staff/live")
def live(ctx: Ctx, _who: Annotated[StaffMember, Depends(require_staff)]) -> dict[str, str]:
    """A stamp that changes when anything on the dashboard changes (polled by live.js)."""
    tz = ctx.settings.timezone
    return {"v": dashboard.version(ctx), "at": dashboard.now_text(ctx),
            "local": localtime.local(ctx.clock(), tz, "%H:%M:%S")}


# --- kiosks ------------------------------------------------------------------------------


@router.get("/staff/kiosks")
def kiosks_page(request: Request, ctx: Ctx, who: Staff) -> Response:
    rows = dashboard.kiosk_rows(ctx, views.kiosks_table(ctx))
    return page(
        request, "kiosks.html", who=who, nav="kiosks", live=True,
        pending=[k for k in rows if k.status == "pending"],
        running=[k for k in rows if k.status != "pending"],
    )


@router.get("/staff/kiosks/{kiosk}")
def kiosk_page(kiosk: str, request: Request, ctx: Ctx, who: Staff) -> Response:
    rows = [k for k in dashboard.kiosk_rows(ctx, views.kiosks_table(ctx)) if k.kiosk == kiosk]
    if not rows:
        lang = lang_of(request)
        return error_page(request, who, 404, i18n.text(lang, "e.notfound"), i18n.text(lang, "e.kiosk", kiosk=kiosk),
                          "/staff/kiosks")
    return page(
        request, "kiosk.html", who=who, nav="kiosks", live=True, k=rows[0],
        refusals=dashboard.kiosk_refusals(ctx, kiosk).get(kiosk, []),
        rejected=[r for r in views.rejection_list(ctx, kiosk=kiosk, channel="kiosk", limit=200) if r.ledger_index is not None],
    )


@router.post("/staff/kiosks/{kiosk}/approve")
async def approve(kiosk: str, request: Request, ctx: Ctx, who: Staff) -> Response:
    if (stale := _stale(request, who, await read_form(request))) is not None:
        return stale
    out, err = await _act(kiosks.approve, ctx, who, kiosk)
    if err:
        return _error("/staff/kiosks", err)
    assert out is not None
    return redirect("/staff/kiosks", "f.approved", kiosk=kiosk, index=out.index)


@router.post("/staff/kiosks/{kiosk}/dismiss")
async def dismiss(kiosk: str, request: Request, ctx: Ctx, who: Staff) -> Response:
    if (stale := _stale(request, who, await request.form())) is not None:
        return stale
    _out, err = await _act(kiosks.dismiss, ctx, who, kiosk)
    if err:
        return _error("/staff/kiosks", err)
    return redirect("/staff/kiosks", "f.dismissed", kiosk=kiosk)


@router.post("/staff/kiosks/{kiosk}/close")
async def close_kiosk(kiosk: str, request: Request, ctx: Ctx, who: Staff) -> Response:
    form = await read_form(request)
    if (stale := _stale(request, who, form)) is not None:
        return stale
    back = _back(text(form, "back"), f"/staff/kiosks/{kiosk}")
    out, err = await _act(kiosks.close_kiosk, ctx, who, kiosk, confirm=text(form, "confirm", max_len=64),
                          reason=text(form, "reason"))
    if err and err.code in ("override_unconfirmed", "closure_missing", "closure_mismatch"):
        key = "f.close.override_unconfirmed" if err.code == "override_unconfirmed" else "f.close.needs_override"
        return redirect(f"/staff/kiosks/{kiosk}#reconcile", key, "bad", kiosk=kiosk)
    if err:
        return _error(back, err)
    assert out is not None
    return redirect(back, "f.kiosk_closed", kiosk=kiosk, index=out.index)


# The path ends in /batches so the body limit for kiosk batches applies (server.app).
@router.post("/staff/kiosks/batches")
async def import_bundle(request: Request, ctx: Ctx, who: Staff) -> Response:
    form = await read_form(request, max_files=200, max_fields=10)
    if (stale := _stale(request, who, form)) is not None:
        return stale
    lang = lang_of(request)
    files = []
    for upload in form.getlist("bundle"):
        if not isinstance(upload, str):
            data = await upload.read()
            if data:
                files.append((upload.filename or "bundle.json", data))
    names = [n for n, _ in sorted(files)]
    if not files:
        return page(request, "bundle.html", who=who, nav="kiosks", items=[], names=names,
                    error=i18n.text(lang, "k.bundle.empty"), status=400)
    try:
        items = bundles.plan(files, ctx.settings.max_batch_bytes)
    except bundles.BundleError as exc:
        return page(request, "bundle.html", who=who, nav="kiosks", items=[], names=names,
                    error=i18n.text(lang, "k.bundle.notjson", error=details.detail_plain(lang, str(exc))), status=400)
    notes = bundles.advice(items)
    done = [await bundles.apply(ctx, who, it) for it in items]
    table = views.kiosks_table(ctx)
    states = {k.kiosk: k.status for k in table}
    pending = sorted({it.kiosk for it in done if states.get(it.kiosk) == "pending"})
    nothing = all(it.kind == "summary" for it in done)
    return page(request, "bundle.html", who=who, nav="kiosks", items=done, names=names, pending=pending, notes=notes,
                fingerprints={k.kiosk: k.key_fingerprint for k in table},
                status=400 if nothing else 200)


# --- conflicts ---------------------------------------------------------------------------


@router.get("/staff/conflicts")
def conflicts_page(request: Request, ctx: Ctx, who: Staff, show: str = "open") -> Response:
    cards = conflict_cards.conflict_cards(ctx)
    n_open = sum(1 for c in cards if c.resolved is None)
    shown = cards if show == "all" else [c for c in cards if c.resolved is None]
    return page(
        request, "conflicts.html", who=who, nav="conflicts", live=True,
        cards=shown, cards_all=len(cards), n_open=n_open, show="all" if show == "all" else "open",
    )


@router.post("/staff/conflicts/resolve")
async def resolve(request: Request, ctx: Ctx, who: Staff) -> Response:
    form = await read_form(request)
    if (stale := _stale(request, who, form)) is not None:
        return stale
    reviewer, target = text(form, "reviewer", max_len=64), text(form, "target", max_len=64)
    ballot, reason = text(form, "ballot", max_len=64), text(form, "reason")
    back = f"/staff/conflicts#conflict-{reviewer}-{target}"
    if not ballot:
        return redirect(back.split("#", 1)[0], "f.need_choice", "bad")
    if not reason:
        return redirect(back.split("#", 1)[0], "f.need_reason", "bad")
    out, err = await _act(actions.resolve, ctx, who, reviewer, target, ballot, reason)
    if err:
        return _error(back, err)
    assert out is not None
    return redirect("/staff/conflicts", "f.resolved", reviewer=reviewer, target=target, index=out.index)


# --- rejections --------------------------------------------------------------------------


#: The server's own codes a kept refusal can carry, beside DESIGN §5's.
STORED_SERVER_CODES = ("too_many_ballots", "rate_limited", "too_large", "unsupported_media_type")


@router.get("/staff/rejections")
def rejections_page(
    request: Request, ctx: Ctx, who: Staff,
    code: str | None = None, channel: str | None = None, kiosk: str | None = None,
    reviewer: str | None = None, before: int | None = None,
) -> Response:
    f = {
        "code": code or None, "channel": channel if channel in ("kiosk", "online") else None,
        "kiosk": kiosk or None, "reviewer": (reviewer or "").strip() or None,
    }
    limit = 100
    rows = views.rejection_list(ctx, **f, limit=limit, before=before)
    kiosk_ids = sorted({k.kiosk for k in views.kiosks_table(ctx)} | ({f["kiosk"]} if f["kiosk"] else set()))
    codes = [*ALL_CODES, *STORED_SERVER_CODES]
    codes += [f["code"]] if f["code"] and f["code"] not in codes else []
    return page(
        request, "rejections.html", who=who, nav="rejections", live=True,
        rows=rows, f=f, codes=codes, kiosk_ids=kiosk_ids,
        older=rows[-1].id if len(rows) == limit else None,
    )


# --- reviewers ---------------------------------------------------------------------------


@router.get("/staff/reviewers")
def reviewers_page(request: Request, ctx: Ctx, who: Staff, id: str | None = None) -> Response:
    query = (id or "").strip()
    r = None
    found = lookup.find(ctx.manifest.reviewers, query) if query else []
    notfound = bool(query) and not found
    if len(found) == 1:
        r = views.reviewer_lookup(ctx, found[0])
    titles = {p: prop.title for p, prop in ctx.manifest.proposals.items()}
    return page(
        request, "reviewers.html", who=who, nav="reviewers", live=bool(r),
        query=query, r=r, notfound=notfound, titles=titles, matches=found if len(found) > 1 else [],
        id_examples=lookup.examples(ctx.manifest.reviewers),
        effective=conflict_cards.effective_ids(ctx) if r else set(),
        status=404 if notfound else 200,
    )


def _no_reviewer(request: Request, ctx: Context, who: StaffMember, reviewer: str) -> Response | None:
    if reviewer in ctx.manifest.reviewers:
        return None
    lang = lang_of(request)
    return error_page(request, who, 404, i18n.text(lang, "e.notfound"), i18n.text(lang, "v.notfound", id=reviewer),
                      "/staff/reviewers")


@router.get("/staff/reviewers/{reviewer}/revoke")
def revoke_page(reviewer: str, request: Request, ctx: Ctx, who: Staff) -> Response:
    if (missing := _no_reviewer(request, ctx, who, reviewer)) is not None:
        return missing
    return page(request, "revoke.html", who=who, nav="reviewers", reviewer=reviewer)


@router.post("/staff/reviewers/{reviewer}/revoke")
async def revoke(reviewer: str, request: Request, ctx: Ctx, who: Staff) -> Response:
    form = await read_form(request)
    if (stale := _stale(request, who, form)) is not None:
        return stale
    if (missing := _no_reviewer(request, ctx, who, reviewer)) is not None:
        return missing
    reason = text(form, "reason")
    if not reason:
        return page(request, "revoke.html", who=who, nav="reviewers", reviewer=reviewer,
                    error=i18n.text(lang_of(request), "f.need_reason"), status=400)
    out, err = await _act(actions.revoke, ctx, who, reviewer, reason)
    if err:
        return _error(f"/staff/reviewers?id={reviewer}", err)
    assert out is not None
    return redirect(f"/staff/reviewers?id={reviewer}", "f.revoked", reviewer=reviewer, index=out.index)


# --- close and results -------------------------------------------------------------------


def page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return int(raw) if raw.isdigit() else 1


def _close_page(request: Request, ctx: Context, who: StaffMember, *, error: str = "", status: int = 200) -> Response:
    rows = dashboard.kiosk_rows(ctx, views.kiosks_table(ctx))
    with ctx.db.read() as conn:
        _, closed = ctx.ledger.head(conn)
    results = rankings.published_results(ctx) if closed is not None else rankings.provisional_results(ctx)
    ov = views.overview(ctx)
    checks = []
    missing = [k for k in rows if k.missing]
    nohead = [k for k in rows if k.status == "approved" and not k.head_known]
    running = [k for k in rows if k.status == "approved"]
    pending = [k for k in rows if k.status == "pending"]
    open_conflicts = ov.conflicts.total - ov.conflicts.resolved
    if nohead:
        checks.append({"level": "bad", "key": "x.check.nohead", "n": len(nohead), "href": f"/staff/kiosks/{nohead[0].kiosk}"})
    if missing:
        checks.append({"level": "bad", "key": "x.check.missing", "n": len(missing), "href": "/staff/kiosks"})
    if running:
        checks.append({"level": "warn", "key": "x.check.running", "n": len(running), "href": "#close-kiosks"})
    if pending:
        checks.append({"level": "warn", "key": "x.check.pending", "n": len(pending), "href": "/staff/kiosks"})
    if open_conflicts:
        checks.append({"level": "warn", "key": "x.check.conflicts", "n": open_conflicts, "href": "/staff/conflicts"})
    downloads = (
        [("CSV", "/api/v1/results.csv"), ("JSON", "/api/v1/results")] if closed is not None else []
    )
    return page(
        request, "close.html", who=who, nav="close", live=True, status=status, error=error, top_error=error,
        kiosks=rows, checks=checks, R=results, downloads=downloads,
        unreconciled=[k for k in rows if k.status != "closed" or k.missing], ov=ov, rc=reconcile.counted(ctx),
        **results_view.view(ctx, lang_of(request), results, page_number(request)),
    )


@router.get("/staff/close")
def close_page(request: Request, ctx: Ctx, who: Staff) -> Response:
    return _close_page(request, ctx, who)


@router.post("/staff/close")
async def close_event(request: Request, ctx: Ctx, who: Staff) -> Response:
    form = await read_form(request)
    if (stale := _stale(request, who, form)) is not None:
        return stale
    if text(form, "event", max_len=64) != ctx.manifest.event:
        err = i18n.text(lang_of(request), "x.wrong_event", event=ctx.manifest.event)
        return await run_in_threadpool(lambda: _close_page(request, ctx, who, error=err, status=400))
    out, perr = await _act(actions.close_event, ctx, who, reason=text(form, "reason"))
    if perr:
        lang = lang_of(request)
        msg = {"kiosks_unreconciled": i18n.text(lang, "x.needs_reason", n=len(perr.extra.get("kiosks", []))),
               "override_unconfirmed": i18n.text(lang, "x.reason_blank")}.get(perr.code, perr.detail)
        return await run_in_threadpool(lambda: _close_page(request, ctx, who, error=msg, status=problem_of(perr).status))
    assert out is not None
    return redirect("/staff/close", "f.closed", index=out.index)
