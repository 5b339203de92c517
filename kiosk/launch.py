"""Start a kiosk: set up its data folder (once, with the network or a manifest file), then
open the Kivy app. Kept free of Kivy imports until the window is wanted."""

from __future__ import annotations

import sys
from pathlib import Path

from client import LedgerClient
from shared.encoding import parse_json
from shared.errors import FormatError
from shared.keys import fingerprint, public_key_from_b64u

from .identity import Kiosk, load, setup
from .store import KioskStore, Meta


def prepare(
    data: Path,
    *,
    server: str | None,
    manifest: Path | None,
    online: bool,
    kiosk_id: str | None = None,
    staff_pin: str | None = None,
    authority: str | None = None,
) -> tuple[Kiosk, KioskStore]:
    """The kiosk of ``data``, set up first from ``manifest`` or the server if given.
    ``authority`` pins the organiser's key: a manifest signed by any other is refused."""
    store = KioskStore(data / ("online.sqlite" if online else "kiosk.sqlite"))
    signed = None
    if manifest is not None:
        try:
            signed = parse_json(manifest.read_bytes(), max_bytes=256 << 20, what=str(manifest))
        except OSError as exc:
            raise FormatError(f"cannot read the manifest {manifest}: {exc}") from exc
    elif server is not None and store.get(Meta.SIGNED_MANIFEST) is None:
        signed = LedgerClient.for_url(server).event()
    if signed is not None or staff_pin is not None or server is not None:
        if signed is None:
            signed = store.get_json(Meta.SIGNED_MANIFEST)
            if signed is None:
                raise FormatError(f"{data} is not set up: give --server URL or --manifest FILE")
        kiosk, made_pin = setup(
            store, signed, channel="online" if online else "kiosk", server=server or store.get(Meta.SERVER),
            kiosk_id=kiosk_id, staff_pin=staff_pin, authority=authority,
        )
        if made_pin:
            print(f"simsa kiosk {kiosk.id}: staff PIN {made_pin} (shown once; set another with --staff-pin)",
                  file=sys.stderr)
        auth = fingerprint(public_key_from_b64u(kiosk.manifest.authority_key))
        print(f"simsa kiosk {kiosk.id}: event {kiosk.manifest.event} verified (authority {auth}); "
              f"kiosk key {kiosk.fingerprint}", file=sys.stderr)
    else:
        kiosk = load(store)
    return kiosk, store


def launch(
    *,
    data: Path,
    server: str | None,
    manifest: Path | None,
    online: bool,
    camera: int | None,
    frames: Path | None,
    fullscreen: bool,
    kiosk_id: str | None,
    staff_pin: str | None,
    lang: str,
    sync_interval: float,
    export_dir: Path | None,
    authority: str | None = None,
    size: str | None = None,
    idle_s: float | None = None,
) -> int:
    from .kivyconf import parse_size

    try:
        window = parse_size(size) if size else None
    except ValueError as exc:
        raise FormatError(f"--size: {exc}") from exc
    if idle_s is not None and not 10 <= idle_s <= 3600:
        raise FormatError(f"--idle must be between 10 and 3600 seconds, not {idle_s:g}")
    kiosk, store = prepare(data, server=server, manifest=manifest, online=online, kiosk_id=kiosk_id,
                           staff_pin=staff_pin, authority=authority)
    from .kivyconf import configure_kivy

    configure_kivy(fullscreen=fullscreen, size=window)
    from .app import KioskApp, KioskOptions
    from .session import IDLE_S

    opts = KioskOptions(camera=camera, frames=frames, fullscreen=fullscreen, lang=lang,
                        sync_interval=sync_interval, export_dir=export_dir, data_dir=data,
                        idle_s=idle_s or IDLE_S)
    KioskApp(kiosk, store, opts).run()
    return 0

