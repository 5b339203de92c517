"""Pushing the ledger's checkpoints to witnesses (C2SP tlog-witness ``add-checkpoint``).

One background thread per server process polls the newest signed tree head and, for each
witness named in the settings (``VKEY=URL``), sends ``old <size>``, the consistency proof
from the size the witness last cosigned, a blank line and the checkpoint. A returned
cosignature is checked against the witness's key before it is stored. A ``409`` answer
tells the size the witness holds: the next request proves consistency from there (so
several server processes pushing to one witness settle among themselves). Ingest never
waits on a witness: a witness that is down only delays the cosigned checkpoint.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from shared.checkpoint import verify_cosignature
from shared.errors import FormatError, SimsaError, VerificationError
from shared.note import SIG_COSIGNATURE, Note, Verifier, b64, parse_signature_lines

if TYPE_CHECKING:
    import requests

    from .context import Context
    from .settings import Settings

log = logging.getLogger("simsa.witness")


@dataclass
class Target:
    verifier: Verifier
    url: str
    known: int = 0  # the size the witness last cosigned, as far as we know
    done: str = ""  # the checkpoint text it last cosigned for us
    failures: int = 0
    next_try: float = 0.0


def parse_target(spec: str) -> Target:
    """``VKEY=URL`` → :class:`Target` (a clear error naming what is wrong)."""
    vkey, sep, url = spec.partition("=")
    if not sep or not url.startswith(("http://", "https://")):
        raise FormatError(f"a witness is VKEY=URL with an http(s) URL, got {spec!r}")
    v = Verifier.parse(vkey)
    if v.sig_type != SIG_COSIGNATURE:
        raise FormatError(f"witness {v.name}: its verifier key must be of type 0x04 (a cosignature key)")
    return Target(v, url.rstrip("/"))


def configured(settings: Settings) -> list[Target]:
    return [parse_target(s) for s in settings.witnesses]


def request_body(old: int, proof: list[bytes], note: Note) -> str:
    return f"old {old}\n" + "".join(b64(p) + "\n" for p in proof) + "\n" + note.render()


class Pusher:
    """The background thread: call :meth:`start` once, :meth:`stop` at shutdown."""

    def __init__(self, ctx: Context, targets: list[Target], *, poll_s: float = 0.25, timeout_s: float = 10.0) -> None:
        self.ctx = ctx
        self.targets = targets
        self.poll_s = poll_s
        self.timeout_s = timeout_s
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="simsa-witness-push", daemon=True)
        self._session: requests.Session | None = None  # made at the first push

    def start(self) -> None:
        if self.targets:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self.timeout_s + 2)
        if self._session is not None:
            self._session.close()

    def _http(self) -> requests.Session:
        # requests is imported at the first push, not with the app: a server that names no
        # witness (most, and every test server) starts ~0.1 CPU-second sooner
        if self._session is None:
            import requests

            self._session = requests.Session()
        return self._session

    def poke(self) -> None:
        """Push now rather than at the next poll."""
        self._wake.set()

    def _run(self) -> None:
        import time

        while not self._stop.is_set():
            for t in self.targets:
                if self._stop.is_set() or time.monotonic() < t.next_try:
                    continue
                try:
                    self.push(t)
                    t.failures = 0
                except Exception as exc:  # a database hiccup must not end the thread either
                    t.failures += 1
                    t.next_try = time.monotonic() + min(30.0, 0.5 * 2 ** min(t.failures, 6))
                    import requests

                    expected = isinstance(exc, (OSError, requests.RequestException, SimsaError))
                    log.warning("witness %s: %s%s (retrying)", t.verifier.name, "" if expected else f"{type(exc).__name__}: ", exc)
            self._wake.wait(self.poll_s)
            self._wake.clear()

    def push(self, t: Target) -> bool:
        """Send the newest checkpoint to ``t`` if it has not cosigned it; True if it did now."""
        from .api.tlog import tlog_of

        tlog = tlog_of(self.ctx)
        for _ in range(3):  # a 409 teaches us the witness's size; then try again
            with self.ctx.db.read() as conn:
                note = tlog.checkpoint(conn)
                if note is None:
                    return False
                size = int(note.text.split("\n")[1])
                if t.done == note.text:
                    return False
                if t.known > size:
                    return False  # the witness is ahead of this process's view: wait to grow past it
                old = t.known
                proof = self.ctx.ledger.consistency(conn, old, size) if 0 < old < size else []
            r = self._http().post(
                f"{t.url}/add-checkpoint", data=request_body(old, proof, note).encode("utf-8"), timeout=self.timeout_s
            )
            if r.status_code == 409 and r.headers.get("content-type", "").startswith("text/x.tlog.size"):
                held = int(r.text.strip())
                if held == old:
                    raise VerificationError(f"witness {t.verifier.name} answered 409 with the size {old} we sent")
                t.known = held
                continue
            if r.status_code != 200:
                raise VerificationError(f"witness {t.verifier.name} answered {r.status_code}: {r.text.strip()[:200]}")
            stored = False
            for sig in parse_signature_lines(r.text):
                if sig.name != t.verifier.name or sig.key_id != t.verifier.key_id:
                    continue
                ts = verify_cosignature(note.text, sig, t.verifier)
                with self.ctx.db.write() as conn:
                    tlog.store_cosignature(conn, size, sig, ts)
                stored = True
            if not stored:
                raise VerificationError(f"witness {t.verifier.name} answered without its cosignature")
            t.known, t.done = size, note.text
            return True
        return False


def start_pusher(ctx: Context) -> Pusher:
    """The pusher for the witnesses of ``ctx.settings``, started (a no-op without witnesses)."""
    p = Pusher(ctx, configured(ctx.settings))
    ctx.pusher = p
    p.start()
    return p
