"""The one exception tree of simsa.

::

    SimsaError                     anything simsa raises on purpose
    ├── FormatError                 input is not of the documented shape (parsers)
    │   └── CredentialFormatError    a credential text that is not SIMSA1
    ├── CredentialError             a well-formed credential that cannot be opened
    │   ├── WrongPin                 the GCM tag failed: wrong PIN (or a damaged card)
    │   ├── WeakCredential           its scrypt cost is below the manifest's minimum
    │   └── CredentialMismatch       opens, but to a key the manifest does not hold
    ├── VerificationError           a signature, proof or chain does not verify
    └── Rejection                   a ballot or record breaks a rule of DESIGN §5;
                                     ``.code`` is the stable machine code

Every message is written for the person who has to act on it: it names what is wrong.
"""

from __future__ import annotations

from typing import Final


class SimsaError(Exception):
    """Base class of every error simsa raises on purpose."""


class FormatError(SimsaError, ValueError):
    """Input does not have the documented shape."""


class CredentialFormatError(FormatError):
    """A credential text is not a well-formed ``SIMSA1`` credential."""


class CredentialError(SimsaError):
    """A well-formed credential that cannot be used."""


class WrongPin(CredentialError):
    """The PIN does not open the credential."""


class WeakCredential(CredentialError):
    """The credential's scrypt cost is below what the event requires."""


class CredentialMismatch(CredentialError):
    """The credential opens but its key is not the reviewer's key in the manifest."""


class VerificationError(SimsaError):
    """A signature, Merkle proof or hash chain does not verify."""


#: Reason codes of DESIGN §5, in the order the checks run.
BALLOT_CODES: Final = (
    "malformed",
    "wrong_event",
    "unknown_reviewer",
    "bad_signature",
    "revoked_credential",
    "event_closed",
    "wrong_form",
    "not_assigned",
    "conflict_of_interest",
    "bad_scores",
    "outside_window",
)
#: Codes for kiosk batches, checked before the ballots.
BATCH_CODES: Final = ("unknown_kiosk", "bad_head_signature", "chain_gap", "chain_fork")
#: A kiosk record refused for where it arrived, not for what it is: after staff closed its
#: kiosk. It still goes on the ledger as a ``rejected`` entry (never counted), like
#: ``event_closed`` for a kiosk record that arrives after the event's ``close`` entry.
RECORD_CODES: Final = ("kiosk_closed",)
ALL_CODES: Final = BALLOT_CODES + BATCH_CODES + RECORD_CODES

#: One line in Korean and English for each code, for staff and reviewers.
CODE_TEXT: Final[dict[str, tuple[str, str]]] = {
    "malformed": ("형식이 올바르지 않은 투표입니다", "The ballot is not well-formed"),
    "wrong_event": ("다른 행사의 투표입니다", "The ballot is for another event"),
    "unknown_reviewer": ("등록되지 않은 심사위원입니다", "The reviewer is not in the manifest"),
    "bad_signature": ("서명이 유효하지 않습니다", "The signature does not verify"),
    "revoked_credential": ("취소된 자격증명입니다", "The credential has been revoked"),
    "event_closed": ("심사가 마감되었습니다", "The event is closed"),
    "wrong_form": (
        "이 채널·역할에 허용되지 않는 양식입니다",
        "This form is not allowed for the channel and role",
    ),
    "not_assigned": ("배정되지 않은 제안입니다", "The proposal or group is not assigned"),
    "conflict_of_interest": (
        "자기 공동체의 제안은 심사할 수 없습니다",
        "A reviewer may not judge their own community's proposal",
    ),
    "bad_scores": ("점수나 선택이 규칙에 맞지 않습니다", "Scores or choices break the rules"),
    "outside_window": ("심사 시간 밖에 작성되었습니다", "Created outside the judging window"),
    "unknown_kiosk": ("승인되지 않은 키오스크입니다", "The kiosk is not enrolled"),
    "bad_head_signature": (
        "묶음의 서명이 유효하지 않습니다",
        "The batch head signature does not verify",
    ),
    "chain_gap": ("키오스크 기록에 빈 곳이 있습니다", "The kiosk chain has a gap"),
    "chain_fork": (
        "같은 순번에 다른 기록이 있습니다",
        "A different record was already seen at this seq",
    ),
    "kiosk_closed": ("마감된 키오스크입니다", "The kiosk is closed"),
}


class Rejection(SimsaError):
    """A ballot or kiosk record breaks a rule; ``code`` is one of :data:`ALL_CODES`."""

    def __init__(self, code: str, detail: str) -> None:
        if code not in ALL_CODES:
            raise ValueError(f"unknown rejection code {code!r}")
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
