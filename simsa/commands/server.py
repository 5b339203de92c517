"""``simsa server``: the ledger server (FastAPI under uvicorn)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "server",
        help="run the ledger server",
        description="Run the ledger server for the event in DIR: SQLite at DIR/simsa.sqlite unless --db "
        "names another database (postgresql://user:pw@host/db for PostgreSQL). Settings may also come "
        "from SIMSA_EVENT_DIR, SIMSA_DB_URL, SIMSA_HOST, SIMSA_PORT, SIMSA_TIMEZONE.",
    )
    p.add_argument("--event", type=Path, metavar="DIR", help="the event folder (manifest.json, ledger.key)")
    p.add_argument("--db", metavar="URL", help="database URL (default: sqlite:///DIR/simsa.sqlite)")
    p.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port to listen on (default 8000)")
    p.add_argument("--timezone", metavar="ZONE",
                   help="time zone the web pages show times in (default Asia/Seoul; SIMSA_TIMEZONE)")
    p.add_argument("--verify-workers", type=int, help="processes that verify large batches (default 2, 0: none)")
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="API processes on the one port (default 1); more than one wants PostgreSQL (--db), "
                        "where the database orders their appends into one ledger")
    p.add_argument("--tlog-origin", metavar="ORIGIN", help="checkpoint origin (default <host>/simsa/<event>)")
    p.add_argument(
        "--witness", action="append", metavar="VKEY=URL",
        help="a witness to push checkpoints to (its verifier key and URL); repeat for several",
    )
    p.set_defaults(func=run)


def settings_from(args: argparse.Namespace, **extra: Any) -> Any:
    """Settings from the command line over the environment, or a clear error."""
    from pydantic import ValidationError

    from server.settings import ConfigError, Settings

    given = {k: v for k, v in extra.items() if v is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        msgs = [f"{'.'.join(str(x) for x in e['loc']) or 'settings'}: {e['msg']}" for e in exc.errors()]
        if any(e["type"] == "missing" and e["loc"] == ("event_dir",) for e in exc.errors()):
            msgs = ["give the event folder with --event DIR (or SIMSA_EVENT_DIR)"]
        raise ConfigError("; ".join(msgs)) from None


def run(args: argparse.Namespace) -> int:
    import logging

    import uvicorn

    from server.app import create_app
    from server.context import Context

    settings = settings_from(
        args,
        event_dir=args.event,
        db_url=args.db,
        host=args.host,
        port=args.port,
        verify_workers=args.verify_workers,
        timezone=args.timezone,
        tlog_origin=getattr(args, "tlog_origin", None),
        witnesses=tuple(args.witness) if getattr(args, "witness", None) else None,
    )
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    ctx = Context.open(settings)  # migrate and check the ledger before listening
    ctx.prechecker.warm()
    ctx.replayed.warm(ctx.db)
    m = ctx.manifest
    size = ctx.ledger.head_size()
    print(f"simsa server: event {m.event} ({m.title_en}), ledger of {size} entries on {ctx.db.engine.url.render_as_string(hide_password=True)}")
    print(f"simsa server: listening on http://{settings.host}:{settings.port}", flush=True)
    workers = int(getattr(args, "workers", 1) or 1)
    if workers > 1:
        ctx.close()  # each worker process opens its own (migrations are done)
        _settings_to_environment(settings)
        uvicorn.run("server.app:app_from_environment", factory=True, workers=workers, host=settings.host,
                    port=settings.port, log_level=settings.log_level.lower(), access_log=False, proxy_headers=False)
        return 0
    try:
        app = create_app(settings, context=ctx, freeze_heap=True)
        uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level.lower(), access_log=False,
                    proxy_headers=False)  # X-Forwarded-*: server.guards.TrustedProxies, by setting only
    finally:
        ctx.close()
    return 0


def _settings_to_environment(settings: Any) -> None:
    """Hand the settings to worker processes as ``SIMSA_*`` variables (they start afresh)."""
    import json
    import os

    for name, value in settings.model_dump().items():
        if value is None:
            continue
        text = json.dumps(list(value)) if isinstance(value, tuple | list) else str(value)
        os.environ[f"SIMSA_{name.upper()}"] = text
