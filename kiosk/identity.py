"""Who this kiosk is: its id and Ed25519 key (made on the device), the manifest it verified
before the event, its channel (kiosk or online) and its staff PIN.

:func:`setup` runs once, with the network or a manifest file; from then on :func:`load`
needs nothing but the data folder.
"""

from __future__ import annotations

import hmac
import os
from dataclasses import dataclass
from typing import Any

from shared.chain import closure_body, sign_closure
from shared.credential import ID_RE, check_pin_format
from shared.encoding import b64u, b64u_decode, jcs
from shared.keys import SigningKey, fingerprint
from shared.manifest import Manifest, verify_signed_manifest
from shared.scrypt import scrypt

from .store import KioskStore, Meta, StoreError

CHANNELS = ("kiosk", "online")
STAFF_PIN_LOGN = 14


@dataclass(frozen=True)
class Kiosk:
    """A set-up kiosk (or online client)."""

    id: str
    key: SigningKey
    manifest: Manifest
    signed_manifest: dict[str, Any]
    channel: str
    server: str | None

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.key.public)

    @property
    def ballot_kiosk(self) -> str | None:
        """What a ballot's ``kiosk`` field holds on this channel."""
        return self.id if self.channel == "kiosk" else None


def registration(kiosk: Kiosk, registered_at: str) -> dict[str, Any]:
    """The self-signed registration ``POST /api/v1/kiosks`` takes."""
    body = {"kiosk": kiosk.id, "public_key": kiosk.key.public_b64u, "registered_at": registered_at}
    return {**body, "sig": kiosk.key.sign_b64u(jcs(body))}


def hash_staff_pin(pin: str, salt: bytes | None = None, logn: int = STAFF_PIN_LOGN) -> str:
    """``scrypt$logn$salt$hash`` of a staff PIN."""
    check_pin_format(pin)
    salt = salt or os.urandom(16)
    digest = scrypt(pin.encode(), salt, logn)
    return f"scrypt${logn}${b64u(salt)}${b64u(digest)}"


def check_staff_pin(stored: str, pin: str) -> bool:
    """Whether ``pin`` matches the stored hash (constant-time compare)."""
    try:
        _, logn, salt, digest = stored.split("$")
        check_pin_format(pin)
        got = scrypt(pin.encode(), b64u_decode(salt), int(logn))
    except ValueError:
        return False
    return hmac.compare_digest(got, b64u_decode(digest))


def default_kiosk_id(key: SigningKey) -> str:
    return "kiosk-" + fingerprint(key.public).replace("-", "")[:8]


def setup(
    store: KioskStore,
    signed_manifest: Any,
    *,
    channel: str,
    server: str | None = None,
    kiosk_id: str | None = None,
    staff_pin: str | None = None,
    seed: bytes | None = None,
    authority: str | None = None,
) -> tuple[Kiosk, str | None]:
    """Verify the manifest and keep it with a fresh kiosk key; return the kiosk and the
    staff PIN when one had to be made up (print it once for the staff).

    A data folder set up before keeps its key and id; it refuses a manifest of another
    event, and accepts the same event's manifest again (say, re-signed with a fix)."""
    if channel not in CHANNELS:
        raise StoreError(f"channel must be kiosk or online, not {channel!r}")
    manifest = verify_signed_manifest(signed_manifest, authority_key=authority or store.get(Meta.AUTHORITY))
    old = store.get_json(Meta.SIGNED_MANIFEST)
    if old is not None and old["manifest"]["event"] != manifest.event:
        raise StoreError(
            f"{store.path} is set up for event {old['manifest']['event']!r}; use another --data folder "
            f"for event {manifest.event!r}"
        )
    seed_text = store.get(Meta.KIOSK_SEED)
    key = SigningKey(b64u_decode(seed_text) if seed_text else (seed or os.urandom(32)))
    kid = store.get(Meta.KIOSK_ID) or kiosk_id or default_kiosk_id(key)
    if not ID_RE.match(kid):
        raise StoreError(f"kiosk id {kid!r} must be 1-64 letters, digits, _ or -")
    made_pin: str | None = None
    stored_pin = store.get(Meta.STAFF_PIN)
    if staff_pin is not None:
        stored_pin = hash_staff_pin(staff_pin)
    elif stored_pin is None:
        made_pin = f"{int.from_bytes(os.urandom(4), 'big') % 1_000_000:06d}"
        stored_pin = hash_staff_pin(made_pin)
    store.set({
        Meta.AUTHORITY: authority or store.get(Meta.AUTHORITY),
        Meta.KIOSK_ID: kid,
        Meta.KIOSK_SEED: b64u(key.seed),
        Meta.CHANNEL: channel,
        Meta.SERVER: server,
        Meta.STAFF_PIN: stored_pin,
    })
    store.set_json(Meta.SIGNED_MANIFEST, signed_manifest)
    return load(store), made_pin


def load(store: KioskStore) -> Kiosk:
    """The kiosk of a data folder set up before; checks the manifest signature again."""
    signed = store.get_json(Meta.SIGNED_MANIFEST)
    seed = store.get(Meta.KIOSK_SEED)
    kid = store.get(Meta.KIOSK_ID)
    if signed is None or seed is None or kid is None:
        raise StoreError(
            f"{store.path} is not set up: start once with --server URL or --manifest FILE to load the event"
        )
    return Kiosk(
        id=kid,
        key=SigningKey(b64u_decode(seed, length=32, what="kiosk seed")),
        manifest=verify_signed_manifest(signed, authority_key=store.get(Meta.AUTHORITY)),
        signed_manifest=signed,
        channel=store.get(Meta.CHANNEL) or "kiosk",
        server=store.get(Meta.SERVER),
    )


def close(kiosk: Kiosk, store: KioskStore, closed_at: str) -> dict[str, Any]:
    """Close the kiosk for good: sign the final head with its counts and keep it; the
    sync worker hands it in (or it travels in the USB bundle). Closing twice returns the
    first closure."""
    old = store.get_json(Meta.CLOSURE)
    if old is not None:
        return dict(old)
    seq, head_hash = store.head()
    state = store.sync_state()
    closure = sign_closure(closure_body(kiosk.id, seq, head_hash, state.opened, seq, closed_at), kiosk.key)
    store.set_json(Meta.CLOSURE, closure)
    store.set({Meta.CLOSED_AT: closed_at})
    return closure
