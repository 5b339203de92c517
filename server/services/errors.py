"""What a service refuses, in the domain's words: a subclass of
:class:`shared.errors.SimsaError` per stable ``code``, never an HTTP status.

::

    SimsaError
    └── ServiceError                 a request a service refuses; ``.code`` is stable
        ├── BadRequest                bad_request: a parameter that cannot be used
        ├── Malformed                 malformed: input not of the documented shape
        ├── BadSignature              bad_signature: a signature that does not verify
        ├── OverrideUnconfirmed       override_unconfirmed: the override is not confirmed
        ├── UnknownKiosk              unknown_kiosk: a kiosk not registered or approved
        ├── NotFound                  not_found: no such reviewer, kiosk, receipt …
        ├── NotClosed                 not_closed: results before the event is closed
        ├── StateConflict             conflict: the request does not fit the current state
        ├── KioskKeyConflict          kiosk_key_conflict: the id is taken by another key
        ├── EventClosed               event_closed: the ledger takes no more entries
        ├── KiosksUnreconciled        kiosks_unreconciled: kiosks still open or behind
        ├── ClosureMismatch           closure_mismatch: the kiosk's closure differs
        ├── ClosureMissing            closure_missing: the kiosk has sent no closure
        ├── RateLimited               rate_limited: too many; ``retry_after`` seconds
        ├── Busy                      busy: the sequencer's queue is full; send again
        ├── NotCommitted              not_committed: the group's commit failed; send again
        └── Refused                   a ballot or batch refused by a rule of DESIGN §5:
                                      its ``code`` is the rule's (``chain_gap``, ``revoked`` …)

The HTTP status of each code is decided at the boundary, in one table
(``server.problems.STATUS``). ``extra`` holds further fields for the person or program that
acts on the error (e.g. ``stake`` of a kiosk that cannot be closed).
"""

from __future__ import annotations

from typing import Any

from shared.errors import SimsaError


class ServiceError(SimsaError):
    """A request a service refuses; ``code`` is its stable machine code, ``detail`` says
    what is wrong for the person who has to act on it."""

    code: str = ""

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(f"{self.code}: {detail}")
        self.detail = detail
        self.extra = extra


class BadRequest(ServiceError):
    code = "bad_request"


class Malformed(ServiceError):
    code = "malformed"


class BadSignature(ServiceError):
    code = "bad_signature"


class OverrideUnconfirmed(ServiceError):
    code = "override_unconfirmed"


class UnknownKiosk(ServiceError):
    code = "unknown_kiosk"


class NotFound(ServiceError):
    code = "not_found"


class NotClosed(ServiceError):
    code = "not_closed"


class StateConflict(ServiceError):
    code = "conflict"


class KioskKeyConflict(ServiceError):
    code = "kiosk_key_conflict"


class EventClosed(ServiceError):
    code = "event_closed"


class KiosksUnreconciled(ServiceError):
    code = "kiosks_unreconciled"


class ClosureMismatch(ServiceError):
    code = "closure_mismatch"


class ClosureMissing(ServiceError):
    code = "closure_missing"


class RateLimited(ServiceError):
    code = "rate_limited"


class Busy(ServiceError):
    code = "busy"


class NotCommitted(ServiceError):
    code = "not_committed"


class Refused(ServiceError):
    """A submission refused by a rule: ``code`` is the rule's (DESIGN §5's codes and
    ``too_many_ballots``), set per refusal; the boundary's ``REFUSED_STATUS`` gives its
    HTTP status (422 unless listed there)."""

    code = "refused"

    def __init__(self, code: str, detail: str, **extra: Any) -> None:
        self.code = code
        super().__init__(detail, **extra)


def error_classes() -> list[type[ServiceError]]:
    """Every concrete :class:`ServiceError` of one code, for the boundary's table and its
    test (:class:`Refused`, whose code is the rule's, has a table of its own)."""
    out: list[type[ServiceError]] = []
    todo = list(ServiceError.__subclasses__())
    while todo:
        cls = todo.pop(0)
        if cls is not Refused:
            out.append(cls)
        todo.extend(cls.__subclasses__())
    return out
