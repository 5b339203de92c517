"""Replay a ledger from its entries alone: the state every party can recompute.

The auditor replays with every check on; the server replays to compute merge and
results. Any entry that breaks a rule raises :class:`LedgerError` naming its index.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import schema as s
from .ballot import SignedBallot
from .chain import GENESIS, record_hash_of, verify_closure
from .encoding import b64u, jcs, sha256
from .errors import FormatError, Rejection, VerificationError
from .ledger import ENTRY_TYPES, check_ballot_entry, verify_statement_entry
from .manifest import Manifest, verify_signed_manifest
from .merge import Accepted, Key, Merged, merge
from .rules import check_ballot
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
    accepted: list[Accepted] = field(default_factory=list)
    ids: dict[str, int] = field(default_factory=dict)
    rejected: list[tuple[int, str, str | None, int | None]] = field(default_factory=list)
    resolutions: dict[Key, str] = field(default_factory=dict)
    close: dict[str, Any] | None = None
    close_index: int | None = None

    def merged(self) -> Merged:
        assert self.manifest is not None
        return merge(self.accepted, self.manifest.merge_policy, self.resolutions)

    def results(self) -> dict[str, Any]:
        assert self.manifest is not None
        return tally(self.manifest, self.merged().effective)


class Replay:
    """Feed entries in index order with :meth:`add`; read :attr:`state`."""

    def __init__(self, *, check_ballots: bool = True) -> None:
        self.state = LedgerState()
        self.check_ballots = check_ballots
        self._signature_checked = False

    def add(self, entry: Any, *, signature_checked: bool = False) -> None:
        """Replay the next entry. ``signature_checked``: the caller has verified this ballot
        entry's signature with its reviewer's manifest key (see :func:`check_ballot`)."""
        i = self.state.size
        self._signature_checked = signature_checked
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
            st.manifest = verify_signed_manifest(entry["signed_manifest"])
            return
        m = st.manifest
        assert m is not None
        if kind == "manifest":
            raise FormatError("a second manifest entry")
        if st.close is not None:
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
        elif kind == "close":
            results = st.results()
            if body["results_hash"] != results_hash(results):
                raise FormatError("the close entry's results hash is not the hash of the recomputed results")
            st.close, st.close_index = body, i
        else:
            raise FormatError(f"unknown entry type {kind!r}")

    def _ballot(self, i: int, entry: dict[str, Any], m: Manifest) -> None:
        st = self.state
        check_ballot_entry(entry)
        kiosk, seq = entry["kiosk"], entry["seq"]
        sb = entry["signed_ballot"]
        sb_jcs = jcs(sb)  # once: the chain record's hash and the receipt id both hash it
        if kiosk is not None:
            chain = st.kiosks.get(kiosk)
            if chain is None:
                raise FormatError(f"a record of kiosk {kiosk} that is not enrolled")
            if chain.closure is not None:
                raise FormatError(f"a record of kiosk {kiosk} after it was closed")
            if seq != chain.seq + 1:
                raise FormatError(f"kiosk {kiosk} record seq {seq} does not follow {chain.seq}")
            chain.seq, chain.hash = seq, record_hash_of(seq, chain.hash, sb_jcs)
        channel = "kiosk" if kiosk is not None else "online"
        expected: str | None = None
        parsed = None
        try:
            parsed = (
                check_ballot(
                    m,
                    sb,
                    channel=channel,
                    kiosk=kiosk,
                    revoked=st.revoked.keys(),
                    closed=st.close is not None,
                    signature_checked=self._signature_checked,
                )
                if self.check_ballots
                else None
            )
        except Rejection as exc:
            expected = exc.code
        if entry["type"] == "rejected":
            if self.check_ballots and expected != entry["code"]:
                raise FormatError(
                    f"logged as rejected with {entry['code']!r} but the rules give {expected or 'accepted'}"
                )
            st.rejected.append((i, entry["code"], kiosk, seq))
            if kiosk is not None:
                st.kiosks[kiosk].rejected += 1
            return
        if expected is not None:
            raise FormatError(f"an accepted ballot that the rules reject: {expected}")
        if parsed is None:
            parsed = SignedBallot.from_json(sb)
        bid = b64u(sha256(sb_jcs))  # ballot_id(sb)
        if bid in st.ids and kiosk is None:
            raise FormatError(f"ballot {bid} is on the ledger twice (first at {st.ids[bid]})")
        st.ids.setdefault(bid, i)
        st.accepted.append(Accepted(bid, i, parsed, kiosk, seq))
        if kiosk is not None:
            st.kiosks[kiosk].accepted += 1


def replay(entries: list[Any], *, check_ballots: bool = True) -> LedgerState:
    """Replay a whole list of entries."""
    r = Replay(check_ballots=check_ballots)
    for e in entries:
        r.add(e)
    return r.state
