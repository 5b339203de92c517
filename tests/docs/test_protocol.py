"""docs/PROTOCOL.md: its examples are what the code makes, and each one checks out.

The checks below use only hashlib, base64, ``cryptography`` and an RFC 8785 library, not
simsa's own verifiers, so they test what the page tells an independent implementer.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import re
import sys
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import rfc8785
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from shared.errors import ALL_CODES, CODE_TEXT

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "PROTOCOL.md"
GENERATOR = ROOT / "docs" / "examples" / "generate.py"
BLOCK = re.compile(r"<!-- example:([a-z0-9-]+) -->\n(.*?)\n<!-- /example -->", re.S)


@cache
def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("simsa_protocol_examples", GENERATOR)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@cache
def blocks() -> dict[str, str]:
    found = BLOCK.findall(DOC.read_text(encoding="utf-8"))
    out = dict(found)
    assert len(out) == len(found), "an example appears twice"
    return out


def ex(name: str) -> Any:
    """An example as the page shows it, parsed."""
    text = blocks()[name]
    lang, _, rest = text.partition("\n")
    assert lang in ("```json", "```text") and rest.endswith("```"), name
    body = rest[: -len("```")].rstrip("\n")
    return json.loads(body) if lang == "```json" else body


def d(text: str) -> bytes:
    assert "=" not in text and "+" not in text and "/" not in text
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jcs(value: Any) -> bytes:
    return bytes(rfc8785.dumps(value))


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def check_sig(public_b64u: str, message: bytes, sig_b64u: str) -> None:
    Ed25519PublicKey.from_public_bytes(d(public_b64u)).verify(d(sig_b64u), message)


def without_sig(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k != "sig"}


def manifest() -> dict[str, Any]:
    return dict(ex("manifest")["manifest"])


def reviewer_key(rid: str) -> str:
    return str(next(r["key"] for r in manifest()["reviewers"] if r["id"] == rid))


def entries() -> list[dict[str, Any]]:
    """All entries of the example ledger, entry 0 rebuilt as §8 describes it."""
    listed = ex("entries")["entries"]
    assert [x["index"] for x in listed] == list(range(1, len(listed) + 1))
    zero = {
        "type": "manifest",
        "received_at": ex("leaves")[0]["received_at"],
        "signed_manifest": ex("manifest"),
    }
    return [zero, *(x["entry"] for x in listed)]


# --- RFC 9162 from the RFC's text ------------------------------------------------------------


def leaf(entry: Any) -> bytes:
    return sha(b"\x00" + jcs(entry))


def node(left: bytes, right: bytes) -> bytes:
    return sha(b"\x01" + left + right)


def mth(leaves: list[bytes]) -> bytes:
    if not leaves:
        return sha(b"")
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node(mth(leaves[:k]), mth(leaves[k:]))


def inclusion_root(index: int, size: int, leaf_hash: bytes, path: list[bytes]) -> bytes:
    assert index < size
    fn, sn, r = index, size - 1, leaf_hash
    for p in path:
        assert sn != 0
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node(r, p)
        fn, sn = fn >> 1, sn >> 1
    assert sn == 0
    return r


def consistency_roots(first: int, second: int, first_root: bytes, path: list[bytes]) -> tuple[bytes, bytes]:
    assert 0 < first < second
    if first & (first - 1) == 0:
        path = [first_root, *path]
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        assert sn != 0
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    assert sn == 0
    return fr, sr


# --- the page is current ---------------------------------------------------------------------


def test_page_is_what_the_code_makes() -> None:
    gen = generator()
    doc = DOC.read_text(encoding="utf-8")
    assert gen.render(doc, gen.build()) == doc, (
        "PROTOCOL.md is stale: run .venv/bin/python docs/examples/generate.py"
    )


def test_generator_check_mode() -> None:
    assert generator().main(["--check"]) == 0


def test_generator_notices_drift(tmp_path: Path) -> None:
    gen = generator()
    stale = tmp_path / "PROTOCOL.md"
    stale.write_text(
        DOC.read_text(encoding="utf-8").replace('"pin": "246810"', '"pin": "000000"'), encoding="utf-8"
    )
    assert gen.main(["--check", "--doc", str(stale)]) == 1
    assert gen.main(["--doc", str(stale)]) == 0
    assert stale.read_text(encoding="utf-8") == DOC.read_text(encoding="utf-8")
    with pytest.raises(KeyError, match="nosuch"):
        gen.render("<!-- example:nosuch -->\n<!-- /example -->", gen.build())
    with pytest.raises(ValueError, match=r"examples not in PROTOCOL\.md"):
        gen.render("nothing here", gen.build())


def test_generation_is_deterministic() -> None:
    gen = generator()
    assert gen.build() == gen.build()


# --- each example checks out -----------------------------------------------------------------


def test_credential_opens_with_its_pin_only() -> None:
    c = ex("credential")
    prefix, event, reviewer, logn, salt, nonce, box = c["credential"].split(".")
    assert (prefix, event, reviewer) == ("SIMSA1", manifest()["event"], "rep-c1")
    assert int(logn) >= manifest()["kdf_min_logn"]
    assert (len(d(salt)), len(d(nonce)), len(d(box))) == (16, 12, 48)

    def open_with(pin: str) -> bytes:
        kek = Scrypt(salt=d(salt), length=32, n=2 ** int(logn), r=8, p=1).derive(pin.encode())
        return AESGCM(kek).decrypt(d(nonce), d(box), f"{event}.{reviewer}".encode())

    seed = open_with(c["pin"])
    public = (
        Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    )
    assert e(public) == c["reviewer_key"] == reviewer_key("rep-c1")
    with pytest.raises(InvalidTag):
        open_with("135790")


def test_credential_fits_qr_version_8_at_level_m() -> None:
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M)
    qr.add_data(ex("credential")["credential"])
    assert qr.best_fit() <= 8


def test_manifest_signature() -> None:
    signed = ex("manifest")
    check_sig(signed["manifest"]["authority_key"], jcs(signed["manifest"]), signed["sig"])
    tampered = {**signed["manifest"], "kdf_min_logn": 15}
    with pytest.raises(InvalidSignature):
        check_sig(signed["manifest"]["authority_key"], jcs(tampered), signed["sig"])


def test_ballot_bytes_signature_and_id() -> None:
    b, sb = ex("ballot"), ex("signed-ballot")
    assert ex("ballot-jcs").encode() == jcs(b)
    assert sb["ballot"] == b
    check_sig(reviewer_key(b["reviewer"]), jcs(b), sb["sig"])
    ident = e(sha(jcs(sb)))
    # the short code: the id's first 40 bits in Crockford base32 (RFC 4648 base32, re-lettered)
    b32 = base64.b32encode(sha(jcs(sb))[:5]).decode()
    code = b32.translate(str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789ABCDEFGHJKMNPQRSTVWXYZ"))
    assert ex("ballot-id") == {"id": ident, "short_code": f"{code[:4]}-{code[4:]}"}
    assert len(jcs(sb)) <= 8192
    # the rubric total of §8 by hand: 100·(2·7 + 1·3)/(2·10 + 1·5) = 68
    assert b["scores"] == {"benefit": 7, "feasibility": 3}


def test_approval_ballot_signature() -> None:
    sb = ex("approval-ballot")
    assert sb["ballot"]["form"] == "approval" and sb["ballot"]["kiosk"] is None
    check_sig(reviewer_key(sb["ballot"]["reviewer"]), jcs(sb["ballot"]), sb["sig"])


def test_kiosk_registration_and_batch() -> None:
    reg = ex("kiosk-registration")
    check_sig(reg["public_key"], jcs(without_sig(reg)), reg["sig"])
    batch = ex("batch")
    r1, r2 = batch["records"]
    assert (r1["seq"], r2["seq"]) == (1, 2)
    assert d(r1["prev"]) == bytes(32)
    assert r2["prev"] == e(sha(jcs(r1)))
    head = batch["head"]
    assert head["kiosk"] == batch["kiosk"] == reg["kiosk"]
    assert (head["seq"], head["hash"]) == (2, e(sha(jcs(r2))))
    check_sig(reg["public_key"], jcs(without_sig(head)), head["sig"])
    assert r1["signed_ballot"] == ex("signed-ballot")
    for r in (r1, r2):
        b = r["signed_ballot"]["ballot"]
        check_sig(reviewer_key(b["reviewer"]), jcs(b), r["signed_ballot"]["sig"])
        assert b["kiosk"] == batch["kiosk"]


def test_closure() -> None:
    c, head, reg = ex("closure"), ex("batch")["head"], ex("kiosk-registration")
    assert c["type"] == "kiosk-closure"
    assert (c["kiosk"], c["seq"], c["hash"]) == (head["kiosk"], head["seq"], head["hash"])
    check_sig(reg["public_key"], jcs(without_sig(c)), c["sig"])


def test_ledger_entries() -> None:
    es = entries()
    m = manifest()
    kiosk_keys: dict[str, str] = {}
    revoked: set[str] = set()
    for i, entry in enumerate(es[1:], 1):
        kind = entry["type"]
        if kind in ("ballot", "rejected"):
            sb = entry["signed_ballot"]
            check_sig(reviewer_key(sb["ballot"]["reviewer"]), jcs(sb["ballot"]), sb["sig"])
            if entry["kiosk"] is not None:
                assert entry["kiosk"] in kiosk_keys
            else:
                assert entry["seq"] is None and kind == "ballot"
            if kind == "rejected":
                assert entry["code"] == "revoked_credential" and sb["ballot"]["reviewer"] in revoked
            continue
        st, signer = entry["statement"], entry["signer"]
        assert st["type"] == kind and st["event"] == m["event"], i
        check_sig(signer["key"], jcs(st), entry["sig"])
        if signer["role"] == "authority":
            assert signer["key"] == m["authority_key"]
        else:
            assert signer["role"] == "staff" and st["staff"] == signer["id"]
        if kind == "kiosk":
            kiosk_keys[st["kiosk"]] = st["key"]
            assert st["key"] == ex("kiosk-registration")["public_key"]
        elif kind == "revocation":
            revoked.add(st["reviewer"])
        elif kind == "resolution":
            ids = {e(sha(jcs(x["signed_ballot"]))): x for x in es if x["type"] == "ballot"}
            chosen = ids[st["ballot"]]["signed_ballot"]["ballot"]
            assert (chosen["reviewer"], chosen["group"]) == (st["reviewer"], st["target"])
        elif kind == "kiosk-close":
            assert st["closure"] == ex("closure")
        elif kind == "close":
            assert st["results_hash"] == e(sha(jcs(ex("results"))))
    assert [x["type"] for x in es] == [x["type"] for x in ex("leaves")]


def test_override_close_and_late_record() -> None:
    """§7/§8: a kiosk closed by override names the missing range; the record that arrives
    later continues the chain as rejected kiosk_closed."""
    ov, late = ex("kiosk-close-override"), ex("late-entry")
    st = ov["statement"]
    check_sig(ov["signer"]["key"], jcs(st), ov["sig"])
    assert st["closure"] is None and st["override"]["reason"]
    m = st["override"]["missing"]
    assert (m["first"], m["last"]) == (st["override"]["synced_seq"] + 1, st["override"]["signed_seq"])
    head = ex("batch")["head"]
    sb = late["signed_ballot"]
    check_sig(reviewer_key(sb["ballot"]["reviewer"]), jcs(sb["ballot"]), sb["sig"])
    assert (late["type"], late["code"], late["kiosk"], late["seq"]) == ("rejected", "kiosk_closed", head["kiosk"], head["seq"] + 1)
    assert late["seq"] == m["first"]


def test_leaves_root_and_sths() -> None:
    es = entries()
    leaves = [leaf(x) for x in es]
    assert [e(h) for h in leaves] == [x["leaf_hash"] for x in ex("leaves")]
    assert [x["received_at"] for x in es] == [x["received_at"] for x in ex("leaves")]
    ledger_key = ex("ledger-key")["public_key"]
    assert ledger_key == manifest()["ledger_key"]
    for name, size in (("sth", len(es)), ("sth-6", 6)):
        sth = ex(name)
        assert sth["event"] == manifest()["event"] and sth["tree_size"] == size
        assert sth["root_hash"] == e(mth(leaves[:size]))
        check_sig(ledger_key, jcs(without_sig(sth)), sth["sig"])
    assert ex("ballot-response")["sth"] == ex("sth-6")
    batch_sth = ex("batch-response")["sth"]
    assert batch_sth["root_hash"] == e(mth(leaves[: batch_sth["tree_size"]]))
    check_sig(ledger_key, jcs(without_sig(batch_sth)), batch_sth["sig"])
    assert ex("sth")["timestamp"] > ex("sth-6")["timestamp"] > batch_sth["timestamp"]


def test_inclusion_proof() -> None:
    proof, sth = ex("inclusion"), ex("sth")
    es = entries()
    assert proof["tree_size"] == sth["tree_size"]
    assert proof["leaf_hash"] == e(leaf(es[proof["index"]]))
    root = inclusion_root(
        proof["index"], proof["tree_size"], d(proof["leaf_hash"]), [d(p) for p in proof["audit_path"]]
    )
    assert e(root) == sth["root_hash"]
    with pytest.raises(AssertionError):
        wrong = inclusion_root(
            proof["index"] + 1, proof["tree_size"], d(proof["leaf_hash"]), [d(p) for p in proof["audit_path"]]
        )
        assert e(wrong) == sth["root_hash"]


def test_consistency_proof() -> None:
    old, new = ex("sth-6"), ex("sth")
    path = [d(c) for c in ex("consistency")["consistency"]]
    fr, sr = consistency_roots(old["tree_size"], new["tree_size"], d(old["root_hash"]), path)
    assert (e(fr), e(sr)) == (old["root_hash"], new["root_hash"])


def test_submission_answers() -> None:
    es = entries()
    answer = ex("ballot-response")
    assert answer["id"] == e(sha(jcs(ex("approval-ballot"))))
    assert es[answer["index"]]["signed_ballot"] == ex("approval-ballot")
    assert answer["sth"]["tree_size"] > answer["index"]
    batch = ex("batch-response")
    for res, record in zip(batch["results"], ex("batch")["records"], strict=True):
        assert res["seq"] == record["seq"]
        assert res["id"] == e(sha(jcs(record["signed_ballot"])))
        logged = es[res["index"]]
        assert logged["signed_ballot"] == record["signed_ballot"] and logged["seq"] == record["seq"]
        assert res["status"] == ("accepted" if logged["type"] == "ballot" else "rejected")
        assert res["code"] == logged.get("code")
    assert batch["synced_seq"] == 2 and batch["synced_hash"] == ex("batch")["head"]["hash"]
    assert batch["sth"]["tree_size"] > max(r["index"] for r in batch["results"])


def test_results_and_problem() -> None:
    results = ex("results")
    p2 = next(p for p in results["proposals"] if p["id"] == "p2")
    assert p2["kiosk"]["score"] == 100 * (2 * 7 + 1 * 3) / (2 * 10 + 1 * 5)
    assert results["selected"] == ["p2", "p1"]
    problem = ex("problem")
    ko, en = CODE_TEXT[problem["code"]]
    assert problem["title"] == f"{en} / {ko}" and problem["status"] == 422
    assert problem["type"] == f"urn:simsa:problem:{problem['code']}"


def test_codes_table_lists_every_code_in_korean_and_english() -> None:
    table = blocks()["codes"]
    for code in ALL_CODES:
        ko, en = CODE_TEXT[code]
        assert f"| `{code}` | {ko} | {en} |" in table
