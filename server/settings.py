"""Server settings: command line first, then ``SIMSA_*`` environment, typed and checked.

The event folder holds ``manifest.json`` (signed by the authority) and ``ledger.key``;
the ledger key must be the one the manifest names, or the server refuses to start.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.encoding import b64u_decode
from shared.errors import SimsaError
from shared.keys import SigningKey
from shared.manifest import Manifest, verify_signed_manifest

#: Secrets that templates and docs show; a setting holding one was never filled in.
PLACEHOLDER_SECRETS = frozenset({"change-me", "changeme", "change_me", "password", "secret", "…", "...", "xxx"})


def _url_password(url: str) -> str | None:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).password
    except (ArgumentError, ValueError):
        return None


class ConfigError(SimsaError):
    """The server cannot start with these settings; the message says what to fix."""


class Settings(BaseSettings):
    """Everything the server needs to start. Environment variables carry the ``SIMSA_`` prefix
    (``SIMSA_EVENT_DIR``, ``SIMSA_DB_URL``, ``SIMSA_HOST``, ``SIMSA_PORT`` …)."""

    model_config = SettingsConfigDict(env_prefix="SIMSA_", extra="ignore", frozen=True)

    event_dir: Path
    db_url: str | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    #: Largest request body for a single ballot or form, and for a kiosk batch or bundle.
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    #: The largest honest batch: 500 records of the longest signed ballot (8 KiB, JCS) with
    #: their record envelope (seq, prev: 128 B), plus the kiosk id and head (1 KiB):
    #: 500 * (8192 + 128) + 1024 = 4,161,024 B, rounded up to 4 MiB. See docs/PROTOCOL.md.
    max_batch_bytes: int = Field(default=4 * 1024 * 1024, ge=64 * 1024)
    #: Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed: addresses or networks,
    #: comma-separated ("10.0.0.2,192.168.1.0/24"). Default none: those headers are ignored.
    trusted_proxies: str = ""
    #: Submission requests (ballots, kiosk registrations, batches, closures) per client
    #: address and minute. A venue NAT puts many honest people behind one address: raise it.
    submit_per_address_minute: int = Field(default=600, ge=1)
    #: Request bytes of those per client address and minute (a body without a declared
    #: length is counted at the route's limit): 64 MiB is 16 of the largest batches.
    submit_bytes_per_address_minute: int = Field(default=64 * 1024 * 1024, ge=1024 * 1024)
    #: Wrong staff passwords per client address (any names) in 15 minutes before that
    #: address must wait; and password checks (argon2) at once, and waiting, before 429.
    login_failures_per_address: int = Field(default=30, ge=1)
    login_concurrency: int = Field(default=1, ge=1, le=64)
    login_queue: int = Field(default=8, ge=0, le=1024)
    #: Online ballots one reviewer may send per minute (each distinct ballot; re-sends are free).
    ballots_per_reviewer_minute: int = Field(default=30, ge=1)
    #: Kiosk registrations per client address and hour; pending kiosks at most; hours a
    #: registration may stay pending before it is dropped.
    registrations_per_address_hour: int = Field(default=20, ge=1)
    max_pending_kiosks: int = Field(default=100, ge=1)
    #: Registrations from one client address that may be pending at once (a venue NAT: raise it).
    pending_kiosks_per_address: int = Field(default=10, ge=1)
    pending_kiosk_hours: float = Field(default=24.0, gt=0)
    #: Refusals of unauthenticated submissions kept in full (code, hash, short prefix) per
    #: source and minute, and over all sources per minute; the rest are counted.
    refusals_per_source_minute: int = Field(default=10, ge=1)
    refusals_per_minute: int = Field(default=120, ge=1)
    #: Processes that verify ballot signatures of large batches before the ledger lock
    #: (0: verify in the request thread).
    verify_workers: int = Field(default=2, ge=0, le=64)
    #: Batches with fewer records than this are verified in the request thread.
    pool_threshold: int = Field(default=64, ge=1)
    session_hours: float = Field(default=12.0, gt=0)
    #: Always set the Secure flag on the session cookie, even on a request that does not
    #: look like HTTPS (it is set anyway whenever the request came over HTTPS).
    cookie_secure: bool = False
    log_level: str = "info"
    #: The venue's time zone (IANA name): every time on the web pages is shown in it.
    timezone: str = "Asia/Seoul"
    #: The sequencer (group commit): submissions that may wait for the ledger before new
    #: ones get 503 + Retry-After; at most this many entries in one group; and how long
    #: the integrator waits for more before committing a group that is not full.
    sequencer_queue: int = Field(default=1000, ge=1)
    #: Online ballots being answered at once (read, checked, waiting for their group);
    #: one more gets 503 busy + Retry-After before its body is read, so that those taken
    #: are answered within a bounded time under a rush instead of all waiting longer.
    online_in_flight: int = Field(default=128, ge=1)
    group_entries: int = Field(default=1000, ge=1)
    group_linger_ms: float = Field(default=2.0, ge=0, le=100)
    #: The C2SP checkpoint origin of the ledger (``/tlog/checkpoint``); default
    #: ``<host>/simsa/<event>`` with host ``localhost`` when listening on a wildcard or loopback.
    tlog_origin: str | None = None
    #: Witnesses the server pushes each new checkpoint to, each ``VKEY=URL``: the witness's
    #: verifier key (name+id+key, type 0x04) and its submission prefix (``…/add-checkpoint``).
    witnesses: tuple[str, ...] = ()

    @field_validator("event_dir")
    @classmethod
    def _event_dir_exists(cls, v: Path) -> Path:
        if not (v / "manifest.json").is_file():
            raise ValueError(f"{v} has no manifest.json: pass the event folder made by `simsa event init`")
        return v

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r}: give an IANA name like Asia/Seoul or Europe/Berlin") from None
        return v

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_networks(cls, v: str) -> str:
        for part in (p.strip() for p in v.split(",")):
            if part:
                try:
                    ip_network(part, strict=False)
                except ValueError as exc:
                    raise ValueError(f"trusted_proxies: {part!r} is not an IP address or network") from exc
        return v

    @property
    def trusted_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        return tuple(ip_network(p.strip(), strict=False) for p in self.trusted_proxies.split(",") if p.strip())

    @field_validator("witnesses")
    @classmethod
    def _witnesses_parse(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        from .witnessing import parse_target

        for spec in v:
            try:
                parse_target(spec)
            except SimsaError as exc:
                raise ValueError(str(exc)) from exc
        return v

    @field_validator("db_url")
    @classmethod
    def _db_url_scheme(cls, v: str | None) -> str | None:
        if v is None or v == "":
            return None
        if not v.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:", "postgres:")):
            raise ValueError("database URL must start with sqlite:/// or postgresql://")
        return v

    @field_validator("db_url")
    @classmethod
    def _no_placeholder_password(cls, v: str | None) -> str | None:
        """The env file template (deploy/simsa.env.example) says CHANGE-ME: refuse to run on it."""
        password = _url_password(v) if v else None
        if password is not None and password.strip().lower() in PLACEHOLDER_SECRETS:
            raise ValueError(
                f"the database password is the placeholder {password!r}: make a real one (deploy/README.md)"
            )
        return v

    @property
    def database_url(self) -> str:
        """The SQLAlchemy URL: DIR/simsa.sqlite unless ``db_url`` says otherwise."""
        if not self.db_url:
            return f"sqlite:///{(self.event_dir / 'simsa.sqlite').resolve()}"
        url = self.db_url
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url

    def load_event(self) -> Event:
        """Read and check the signed manifest and the ledger key; raise :class:`ConfigError`."""
        return load_event(self.event_dir)


@dataclass(frozen=True)
class Event:
    """The event this server runs: its signed manifest (exact JSON), parsed view and ledger key."""

    signed_manifest: dict[str, Any]
    ledger_key: SigningKey

    @cached_property
    def manifest(self) -> Manifest:
        return verify_signed_manifest(self.signed_manifest)

    @property
    def id(self) -> str:
        return self.manifest.event


def load_event(event_dir: Path) -> Event:
    """The signed manifest of ``event_dir`` and its ledger key, checked against each other."""
    mpath, kpath = event_dir / "manifest.json", event_dir / "ledger.key"
    try:
        signed = json.loads(mpath.read_text(encoding="utf-8"))
        manifest = verify_signed_manifest(signed)
    except (OSError, ValueError, SimsaError) as exc:
        raise ConfigError(f"{mpath} is not a valid signed manifest: {exc}") from exc
    if not kpath.is_file():
        raise ConfigError(f"{kpath} is missing: copy ledger.key from the organiser's event folder")
    try:
        key = SigningKey(b64u_decode(kpath.read_text().strip(), length=32, what=f"key file {kpath}"))
    except (OSError, SimsaError) as exc:
        raise ConfigError(f"{kpath} is not a ledger key: {exc}") from exc
    if key.public_b64u != manifest.ledger_key:
        raise ConfigError(
            f"{kpath} holds key {key.public_b64u[:12]}…, but the manifest's ledger_key is "
            f"{manifest.ledger_key[:12]}…: this is another event's ledger key"
        )
    event = Event(signed, key)
    event.__dict__["manifest"] = manifest  # cached_property: keep the parse we already made
    return event
