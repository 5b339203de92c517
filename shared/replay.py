"""Replay a ledger from its entries alone: the state every party can recompute.

The auditor replays with every check on; the server replays to compute merge and
results. Any entry that breaks a rule raises :class:`LedgerError` naming its index.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import schema as s
from .chain import GENESIS, record_hash_of, verify_closure
from .columns import BallotColumns
from .errors import RECORD_CODES, FormatError, Rejection, VerificationError
from .facts import BallotFacts, ballot_facts
from .ledger import ENTRY_TYPES, verify_statement_entry
from .manifest import Manifest, verify_signed_manifest
from .merge import AcceptedList, Key, Merged
from .rules import final_failure
from .tally import results_hash, tally
from .timefmt import parse_time


class LedgerError(VerificationError):
    """An entry of the ledger is wrong; ``index`` says which."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__(f"entry {index}: {message}")
        self.index = index


@dataclass
class KioskChain:
    key: str
    enrolled_at: int
    seq: int = 0
    hash: str = GENESIS
    accepted: int = 0
    rejected: int = 0
    closure: dict[str, Any] | None = None


@dataclass
class LedgerState:
    """What a replay knows after each entry."""

    manifest: Manifest | None = None
    size: int = 0
    kiosks: dict[str, KioskChain] = field(default_factory=dict)
    revoked: dict[str, int] = field(default_factory=dict)
    #: the accepted ballots in ledger order: objects, or columns (the auditor's replay)
    accepted: AcceptedList | BallotColumns = field(default_factory=AcceptedList)
    rejected: list[tuple[int, str, str | None, int | None]] = field(default_factory=list)
    #: kiosk records that arrived after their kiosk or the event was closed: on the ledger
    #: as ``rejected`` (``kiosk_closed`` / ``event_closed``), never counted.
    late: list[tuple[int, str, str, int]] = field(default_factory=list)
    #: ``kiosk-close`` and ``close`` statements made with an ``override``: (index, body).
    overrides: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    resolutions: dict[Key, str] = field(default_factory=dict)
    close: dict[str, Any] | None = None
    close_index: int | None = None
    #: ((accepted store, its length), resolutions, merged, results) of the last merge:
    #: a million ballots take seconds to merge, and the close entry and the auditor both ask.
    _memo: tuple[tuple[int, int], dict[Key, str], Merged, dict[str, Any] | None] | None = field(
        default=None, repr=False, compare=False
    )

    @property
    def ids(self) -> Mapping[str, int]:
        """Each receipt id of an accepted ballot and its first ledger index."""
        return self.accepted.ids

    def merged(self) -> Merged:
        assert self.manifest is not None
        memo = self._memo
        # Accepted ballots are only ever appended; resolutions may be replaced.
        mark = (id(self.accepted), len(self.accepted))
        if memo is not None and memo[0] == mark and memo[1] == self.resolutions:
            return memo[2]
        m = self.accepted.merged(self.manifest.merge_policy, self.resolutions)
        self._memo = (mark, dict(self.resolutions), m, None)
        return m

    def results(self) -> dict[str, Any]:
        assert self.manifest is not None
        merged = self.merged()
        assert self._memo is not None
        results = self._memo[3]
        if results is None:
            results = tally(self.manifest, merged.effective)
            self._memo = (*self._memo[:3], results)
        return copy.deepcopy(results)


class Replay:
    """Feed entries in index order with :meth:`add`; read :attr:`state`."""

    def __init__(
        self,
        *,
        check_ballots: bool = True,
        verified_manifest: tuple[Any, Manifest] | None = None,
        keep_signed: bool = True,
        keep_bytes: bool = True,
    ) -> None:
        """``verified_manifest``: a signed manifest the caller has verified, and its
        :class:`Manifest`; an entry 0 that holds exactly that signed manifest is not
        verified again (a city manifest takes seconds). ``keep_signed=False``: accepted
        ballots keep only what merge and tally read and their RFC 8785 bytes (the parsed
        signed ballot is rebuilt from those when asked for) — a fraction of the memory
        for a long-lived replay of a million ballots. ``keep_bytes=False`` (with
        ``keep_signed=False``, or with facts judged elsewhere): not even those bytes — the
        auditor reads only merge and tally of its accepted ballots, never a ballot again —
        so they are held as columns (:class:`shared.columns.BallotColumns`)."""
        self.state = LedgerState(accepted=AcceptedList() if keep_signed or keep_bytes else BallotColumns())
        self.check_ballots = check_ballots
        self.keep_signed = keep_signed
        self.keep_bytes = keep_bytes
        self._signature_checked = False
        self._entry_jcs: bytes | None = None
        self._verified_manifest = verified_manifest

    def add(self, entry: Any, *, signature_checked: bool = False, entry_jcs: bytes | None = None) -> None:
        """Replay the next entry. ``signature_checked``: the caller has verified this ballot
        entry's signature with its reviewer's manifest key (see :func:`check_ballot`).
        ``entry_jcs``: JCS(entry), when the caller has it (the ledger's leaf data)."""
        i = self.state.size
        self._signature_checked = signature_checked
        self._entry_jcs = entry_jcs
        try:
            self._add(i, entry)
        except (FormatError, VerificationError, Rejection) as exc:
            if isinstance(exc, LedgerError):
                raise
            raise LedgerError(i, str(exc)) from exc
        self.state.size += 1

    def _add(self, i: int, entry: Any) -> None:
        st = self.state
        if not isinstance(entry, dict) or "type" not in entry:
            raise FormatError("not a ledger entry object")
        kind = entry["type"]
        if kind not in ENTRY_TYPES:
            raise FormatError(f"unknown entry type {kind!r}")
        if i == 0:
            if kind != "manifest":
                raise FormatError("entry 0 must be the signed manifest")
            s.keys(entry, "manifest entry", {"type", "received_at", "signed_manifest"})
            parse_time(entry["received_at"], what="manifest entry received_at")
            known = self._verified_manifest
            if known is not None and entry["signed_manifest"] == known[0]:
                st.manifest = known[1]
            else:
                st.manifest = verify_signed_manifest(entry["signed_manifest"])
            return
        m = st.manifest
        assert m is not None
        if kind == "manifest":
            raise FormatError("a second manifest entry")
        if st.close is not None and kind != "rejected":
            raise FormatError(f"a {kind} entry after the event was closed")
        if kind in ("ballot", "rejected"):
            self._ballot(i, entry, m)
            return
        stmt = verify_statement_entry(entry, event=m.event, authority_key=m.authority_key)
        body = stmt.body
        if kind == "kiosk":
            kid = body["kiosk"]
            if kid in st.kiosks:
                raise FormatError(f"kiosk {kid} enrolled twice")
            st.kiosks[kid] = KioskChain(key=body["key"], enrolled_at=i)
        elif kind == "revocation":
            if body["reviewer"] not in m.reviewers:
                raise FormatError(f"revokes reviewer {body['reviewer']} who is not in the manifest")
            st.revoked.setdefault(body["reviewer"], i)
        elif kind == "resolution":
            key = (body["reviewer"], body["target"])
            if body["ballot"] not in st.ids:
                raise FormatError(f"the resolution names ballot {body['ballot']} that is not on the ledger")
            st.resolutions[key] = body["ballot"]
        elif kind == "kiosk-close":
            chain = st.kiosks.get(body["kiosk"])
            if chain is None:
                raise FormatError(f"closes kiosk {body['kiosk']} that was never enrolled")
            if chain.closure is not None:
                raise FormatError(f"kiosk {body['kiosk']} closed twice")
            if body["closure"] is not None:
                closure = verify_closure(body["closure"], chain.key)
                if closure["kiosk"] != body["kiosk"]:
                    raise FormatError(f"the closure of kiosk {closure['kiosk']} closes kiosk {body['kiosk']}")
                if (closure["seq"], closure["hash"]) != (chain.seq, chain.hash):
                    raise FormatError(
                        f"kiosk {body['kiosk']} closed at seq {closure['seq']} but the ledger holds its chain to {chain.seq}"
                    )
            chain.closure = body
            if "override" in body:
                st.overrides.append((i, body))
        elif kind == "close":
            results = st.results()
            if body["results_hash"] != results_hash(results):
                raise FormatError("the close entry's results hash is not the hash of the recomputed results")
            st.close, st.close_index = body, i
            if "override" in body:
                st.overrides.append((i, body))
        else:
            raise FormatError(f"unknown entry type {kind!r}")

    def _ballot(self, i: int, entry: dict[str, Any], m: Manifest) -> None:
        facts = ballot_facts(
            m,
            entry,
            check=self.check_ballots,
            signature_checked=self._signature_checked,
            keep_signed=self.keep_signed,
            entry_jcs=self._entry_jcs,
        )
        self._apply(i, facts)

    def add_facts(self, facts: BallotFacts) -> None:
        """Replay the next entry, a ballot or rejected entry already judged by
        :func:`ballot_facts` (the auditor does that on every core): what is left is what
        depends on the ledger so far — chains, revocations, the close, duplicates."""
        i = self.state.size
        try:
            if i == 0:
                raise FormatError("entry 0 must be the signed manifest")
            if self.state.close is not None and facts.kind != "rejected":
                raise FormatError(f"a {facts.kind} entry after the event was closed")
            self._apply(i, facts)
        except (FormatError, VerificationError, Rejection) as exc:
            if isinstance(exc, LedgerError):
                raise
            raise LedgerError(i, str(exc)) from exc
        self.state.size += 1

    def _apply(self, i: int, f: BallotFacts) -> None:
        st = self.state
        if f.error is not None:
            raise FormatError(f.error)
        kiosk, seq = f.kiosk, f.seq
        late: str | None = None
        if kiosk is not None:
            chain = st.kiosks.get(kiosk)
            if chain is None:
                raise FormatError(f"a record of kiosk {kiosk} that is not enrolled")
            if seq != chain.seq + 1:
                raise FormatError(f"kiosk {kiosk} record seq {seq} does not follow {chain.seq}")
            assert seq is not None
            chain.seq, chain.hash = seq, record_hash_of(seq, chain.hash, f.sb_jcs)
            # A record that arrives after its kiosk (or the event) was closed is still
            # logged, so the chain stays complete, but only as rejected with that code.
            late = "kiosk_closed" if chain.closure is not None else "event_closed" if st.close is not None else None
        elif st.close is not None:
            raise FormatError(f"a {f.kind} entry after the event was closed")
        if late is not None:
            if f.kind != "rejected" or f.code != late:
                where = f"kiosk {kiosk} was closed" if late == "kiosk_closed" else "the event was closed"
                raise FormatError(f"a record of kiosk {kiosk} after {where} must be logged as rejected with {late!r}")
            assert kiosk is not None and seq is not None
            st.rejected.append((i, late, kiosk, seq))
            st.late.append((i, late, kiosk, seq))
            st.kiosks[kiosk].rejected += 1
            return
        if f.code in RECORD_CODES:
            raise FormatError(f"rejected with {f.code!r} but kiosk {kiosk} was not closed")
        expected: str | None = None
        if f.verdict is not None:
            failure = final_failure(
                f.verdict, revoked=f.verdict.reviewer in st.revoked, closed=st.close is not None
            )
            expected = None if failure is None else failure[0]
        if f.kind == "rejected":
            if f.verdict is not None and expected != f.code:
                raise FormatError(
                    f"logged as rejected with {f.code!r} but the rules give {expected or 'accepted'}"
                )
            st.rejected.append((i, f.code or "", kiosk, seq))
            if kiosk is not None:
                st.kiosks[kiosk].rejected += 1
            return
        if expected is not None:
            raise FormatError(f"an accepted ballot that the rules reject: {expected}")
        if f.fields is None:
            raise FormatError(f.parse_error or "the signed ballot does not parse")
        bid = f.id
        first = st.accepted.ids.get(bid) if kiosk is None else None
        if first is not None:
            raise FormatError(f"ballot {bid} is on the ledger twice (first at {first})")
        sb_jcs = f.sb_jcs if self.keep_bytes or f.signed is not None else b""
        st.accepted.add(bid, i, f.signed, kiosk, seq, f.fields, sb_jcs)
        if kiosk is not None:
            st.kiosks[kiosk].accepted += 1


def replay(entries: list[Any], *, check_ballots: bool = True) -> LedgerState:
    """Replay a whole list of entries."""
    r = Replay(check_ballots=check_ballots)
    for e in entries:
        r.add(e)
    return r.state
