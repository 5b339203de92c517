"""The acceptance rules of DESIGN §5, in order: the first that fails gives the code.

:func:`check_ballot` is the only judge of a ballot, used alike by the kiosk (before it
signs), the server (before it logs) and the auditor (when it replays the ledger).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta
from typing import Any

from .ballot import SignedBallot
from .errors import FormatError, Rejection, VerificationError
from .manifest import ROLE_FORMS, Manifest
from .timefmt import parse_time


def check_ballot(
    manifest: Manifest,
    signed_ballot: Any,
    *,
    channel: str,
    kiosk: str | None = None,
    revoked: Collection[str] = (),
    closed: bool = False,
    signature_checked: bool = False,
) -> SignedBallot:
    """Return the parsed signed ballot if every rule holds, else raise :class:`Rejection`.

    ``channel`` (and ``kiosk`` for kiosk batches) is how the ballot arrived; a ballot that
    claims another channel or kiosk is malformed. ``signature_checked`` says the caller has
    already verified this signed ballot's signature with the manifest key of the reviewer it
    names (the auditor does that on every core); rule 4 is then not repeated.
    """
    try:
        sb = SignedBallot.from_json(signed_ballot)
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
    if b.reviewer in revoked:
        raise Rejection("revoked_credential", f"the credential of {b.reviewer} is revoked")
    if closed:
        raise Rejection("event_closed", "the event is closed")
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
    window = manifest.windows[channel]
    slack = timedelta(seconds=manifest.clock_tolerance_s)
    created = parse_time(b.created_at)
    if not window.start - slack <= created <= window.end + slack:
        raise Rejection("outside_window", f"created at {b.created_at}, outside the {channel} window")
    return sb


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
