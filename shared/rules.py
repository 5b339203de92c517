"""The acceptance rules of DESIGN §5, in order: the first that fails gives the code.

:func:`check_ballot` is the only judge of a ballot, used alike by the kiosk (before it
signs), the server (before it logs) and the auditor (when it replays the ledger).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from .ballot import SignedBallot
from .errors import FormatError, Rejection, VerificationError
from .manifest import ROLE_FORMS, Manifest, Reviewer
from .timefmt import format_time, parse_time

#: A rule that failed: (code, what is wrong).
Failure = tuple[str, str]


class StatelessVerdict(NamedTuple):
    """What the rules say of a ballot without the ledger's state (revocations, close).

    ``early`` is the first failure among rules 1–4, ``late`` the first among rules 7–11
    (judged only when rules 1–4 hold); ``reviewer`` is the ballot's reviewer once the
    ballot parsed, ``signed`` the parsed signed ballot."""

    reviewer: str | None
    early: Failure | None
    late: Failure | None
    signed: SignedBallot | None


def check_stateless(
    manifest: Manifest,
    signed_ballot: Any,
    *,
    channel: str,
    kiosk: str | None = None,
    signature_checked: bool = False,
    canonical: bytes | None = None,
    received_at: datetime | None = None,
) -> StatelessVerdict:
    """Rules 1–4 and 7–11 of DESIGN §5: all but revocation (5) and close (6), which depend
    on the ledger so far. :func:`final_failure` combines the verdict with those two.
    ``canonical``: JCS(signed_ballot), when the caller already has it. ``received_at``:
    when the server received the ballot (its entry's ``received_at``) — rule 11 judges by
    it; None judges only what the ballot says alone (see :func:`window_failure`)."""
    try:
        early = _early(manifest, signed_ballot, channel, kiosk, signature_checked, canonical)
    except Rejection as exc:
        return StatelessVerdict(None, (exc.code, exc.detail), None, None)
    sb, reviewer = early
    try:
        _late(manifest, sb, channel, reviewer, received_at)
    except Rejection as exc:
        return StatelessVerdict(sb.ballot.reviewer, None, (exc.code, exc.detail), sb)
    return StatelessVerdict(sb.ballot.reviewer, None, None, sb)


def final_failure(verdict: StatelessVerdict, *, revoked: bool, closed: bool) -> Failure | None:
    """The first failing rule in DESIGN §5 order: rules 1–4, then 5 (``revoked``: the
    ballot's reviewer is revoked), 6 (``closed``: the event is), then rules 7–11."""
    if verdict.early is not None:
        return verdict.early
    if revoked:
        return ("revoked_credential", f"the credential of {verdict.reviewer} is revoked")
    if closed:
        return ("event_closed", "the event is closed")
    return verdict.late


def final_code(verdict: StatelessVerdict, *, revoked: bool, closed: bool) -> str | None:
    """The rejection code of :func:`final_failure`, or None when the ballot is accepted."""
    failure = final_failure(verdict, revoked=revoked, closed=closed)
    return None if failure is None else failure[0]


def check_ballot(
    manifest: Manifest,
    signed_ballot: Any,
    *,
    channel: str,
    kiosk: str | None = None,
    revoked: Collection[str] = (),
    closed: bool = False,
    signature_checked: bool = False,
    received_at: datetime | None = None,
) -> SignedBallot:
    """Return the parsed signed ballot if every rule holds, else raise :class:`Rejection`.

    ``channel`` (and ``kiosk`` for kiosk batches) is how the ballot arrived; a ballot that
    claims another channel or kiosk is malformed. ``signature_checked`` says the caller has
    already verified this signed ballot's signature with the manifest key of the reviewer it
    names (the auditor does that on every core); rule 4 is then not repeated.

    The composition of :func:`check_stateless` and :func:`final_failure`.
    """
    verdict = check_stateless(
        manifest, signed_ballot, channel=channel, kiosk=kiosk, signature_checked=signature_checked,
        received_at=received_at,
    )
    failure = final_failure(verdict, revoked=verdict.reviewer in revoked, closed=closed)
    if failure is not None:
        raise Rejection(*failure)
    assert verdict.signed is not None
    return verdict.signed


def _early(
    manifest: Manifest,
    signed_ballot: Any,
    channel: str,
    kiosk: str | None,
    signature_checked: bool,
    canonical: bytes | None = None,
) -> tuple[SignedBallot, Reviewer]:
    """Rules 1–4; raise :class:`Rejection` at the first that fails."""
    try:
        sb = SignedBallot.from_json(signed_ballot, canonical=canonical)
    except FormatError as exc:
        raise Rejection("malformed", str(exc)) from exc
    b = sb.ballot
    if b.channel != channel:
        raise Rejection("malformed", f"a {b.channel} ballot arrived on the {channel} channel")
    if channel == "kiosk" and b.kiosk != kiosk:
        raise Rejection("malformed", f"the ballot names kiosk {b.kiosk}, not {kiosk}")
    if b.event != manifest.event:
        raise Rejection("wrong_event", f"ballot is for event {b.event!r}, not {manifest.event!r}")
    reviewer = manifest.reviewers.get(b.reviewer)
    if reviewer is None:
        raise Rejection("unknown_reviewer", f"no reviewer {b.reviewer!r} in the manifest")
    if not signature_checked:
        try:
            sb.verify(reviewer.key)
        except VerificationError as exc:
            raise Rejection("bad_signature", f"signature is not {b.reviewer}'s") from exc
    return sb, reviewer


def _late(
    manifest: Manifest, sb: SignedBallot, channel: str, reviewer: Reviewer, received_at: datetime | None
) -> None:
    """Rules 7–11; raise :class:`Rejection` at the first that fails."""
    b = sb.ballot
    if b.form != manifest.forms[channel] or b.form not in ROLE_FORMS[reviewer.role]:
        raise Rejection(
            "wrong_form",
            f"a {reviewer.role} may not cast a {b.form} ballot on the {channel} channel",
        )
    assigned = manifest.assignments.get(b.reviewer, frozenset())
    if b.form == "rubric":
        _check_rubric(manifest, sb, assigned, reviewer.community)
    else:
        _check_approval(manifest, sb, assigned, reviewer.community)
    failure = window_failure(manifest, channel, parse_time(b.created_at), received_at)
    if failure is not None:
        raise Rejection(*failure)


def window_failure(
    manifest: Manifest, channel: str, created: datetime, received: datetime | None
) -> Failure | None:
    """Rule 11, by the server's clock: ``received`` is when the server took the ballot
    in (the entry's ``received_at``).

    - online: ``received`` inside the online window, and ``created`` within the clock
      tolerance of ``received`` (a client cannot date a ballot into a closed window);
    - kiosk: ``created`` inside the kiosk window ± tolerance (kiosks sign offline) and not
      after ``received`` + tolerance (a kiosk cannot sign in the future).

    With ``received`` None (a kiosk or client judging before it sends), only what the
    ballot says alone: ``created`` inside the window ± tolerance — a condition every
    ballot that passes the full rule also meets."""
    window = manifest.windows[channel]
    slack = timedelta(seconds=manifest.clock_tolerance_s)
    c, r = format_time(created), format_time(received) if received is not None else ""
    if received is not None and channel == "online":
        if not window.start <= received <= window.end:
            return ("outside_window", f"received at {r}, outside the online window")
        if abs(created - received) > slack:
            return ("outside_window", f"created at {c} but received at {r}: more than {manifest.clock_tolerance_s} s apart")
        return None
    if not window.start - slack <= created <= window.end + slack:
        return ("outside_window", f"created at {c}, outside the {channel} window")
    if received is not None and created > received + slack:
        return ("outside_window", f"created at {c}, after it was received at {r}")
    return None


def _check_rubric(manifest: Manifest, sb: SignedBallot, assigned: frozenset[str], community: str) -> None:
    b = sb.ballot
    proposal = manifest.proposals.get(b.proposal or "")
    if proposal is None or not (proposal.id in assigned or proposal.group in assigned):
        raise Rejection("not_assigned", f"proposal {b.proposal!r} is not assigned to {b.reviewer}")
    if proposal.community == community:
        raise Rejection("conflict_of_interest", f"{proposal.id} is {b.reviewer}'s own community's proposal")
    scores = b.scores or {}
    criteria = manifest.criteria()
    if scores.keys() != criteria.keys():
        missing = sorted(criteria.keys() - scores.keys())
        extra = sorted(scores.keys() - criteria.keys())
        raise Rejection("bad_scores", f"criteria missing {missing} / unknown {extra}")
    for cid, value in scores.items():
        if isinstance(value, bool) or not isinstance(value, int):
            raise Rejection("bad_scores", f"score for {cid} is not a whole number")
        if not 0 <= value <= criteria[cid].max:
            raise Rejection("bad_scores", f"score {value} for {cid} is outside 0..{criteria[cid].max}")


def _check_approval(manifest: Manifest, sb: SignedBallot, assigned: frozenset[str], community: str) -> None:
    b = sb.ballot
    group = b.group or ""
    if group not in manifest.groups or group not in assigned:
        raise Rejection("not_assigned", f"group {group!r} is not assigned to {b.reviewer}")
    choices = list(b.choices or ())
    for c in choices:
        p = manifest.proposals.get(c)
        if p is not None and p.community == community:
            raise Rejection("conflict_of_interest", f"{c} is {b.reviewer}'s own community's proposal")
    if len(set(choices)) != len(choices):
        raise Rejection("bad_scores", "the same proposal is chosen twice")
    if len(choices) > manifest.max_choices:
        raise Rejection("bad_scores", f"{len(choices)} choices, at most {manifest.max_choices} allowed")
    outside = [c for c in choices if c not in manifest.groups[group]]
    if outside:
        raise Rejection("bad_scores", f"choices {outside} are not in group {group}")
