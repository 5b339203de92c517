"""``simsa witness``: run a C2SP tlog-witness for simsa ledgers; ``simsa witness keygen``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "witness",
        help="run a transparency-log witness that cosigns ledger checkpoints",
        description="Cosign checkpoints of the ledgers given with --log (C2SP tlog-witness add-checkpoint): a "
        "checkpoint is cosigned only if it is consistent with the last one this witness cosigned for that log. "
        "State in --state is fsync'd before each answer. Make a key first with `simsa witness keygen`.",
    )
    p.add_argument("--key", type=Path, help="the witness key file")
    p.add_argument("--state", type=Path, help="folder of the witness's durable state")
    p.add_argument("--listen", default="127.0.0.1:8380", metavar="HOST:PORT", help="default 127.0.0.1:8380")
    p.add_argument(
        "--log", action="append", default=[], metavar="VKEY",
        help="a ledger's verifier key (GET <server>/tlog/vkey); repeat for several ledgers",
    )
    wsub = p.add_subparsers(dest="witness_command", metavar="ACTION")
    kg = wsub.add_parser("keygen", help="make a witness key file and print its verifier key")
    kg.add_argument("--key", type=Path, required=True, dest="keygen_key", help="the key file to create")
    kg.add_argument("--name", required=True, help="the witness's name, e.g. witness.example.org/simsa1")
    kg.set_defaults(func=run_keygen)
    p.set_defaults(func=run)


def run_keygen(args: argparse.Namespace) -> int:
    import secrets

    from shared.errors import FormatError
    from shared.note import check_key_name
    from witness.serve import write_key

    check_key_name(args.name)
    try:
        v = write_key(args.keygen_key, args.name, secrets.token_bytes(32))
    except FileExistsError:
        raise FormatError(f"{args.keygen_key} exists: a witness key is never overwritten") from None
    from shared.encoding import b64u

    print(v.vkey)
    print(f'manifest entry: {{"name": "{v.name}", "key": "{b64u(v.public)}"}}')
    return 0


def run(args: argparse.Namespace) -> int:
    import sys
    import time

    from shared.errors import FormatError
    from shared.note import SIG_ED25519, Verifier
    from witness.core import Witness
    from witness.serve import make_server, read_key
    from witness.state import StateDir

    if args.key is None or args.state is None or not args.log:
        raise FormatError("give --key FILE, --state DIR and at least one --log VKEY (or use `simsa witness keygen`)")
    name, key = read_key(args.key)
    logs: dict[str, Verifier] = {}
    for vk in args.log:
        v = Verifier.parse(vk)
        if v.sig_type != SIG_ED25519:
            raise FormatError(f"--log {v.name}: a ledger's verifier key has type 0x01")
        logs[v.name] = v
    host, _, port = args.listen.rpartition(":")
    if not host or not port.isdigit():
        raise FormatError(f"--listen must be HOST:PORT, got {args.listen!r}")
    state = StateDir(args.state)
    w = Witness(name, key, logs, state, clock=lambda: int(time.time()))
    srv = make_server(w, host, int(port))
    print(f"simsa witness {name}: listening on http://{host}:{srv.server_address[1]} for {', '.join(logs)}", flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        print("simsa witness: stopped", file=sys.stderr)
    finally:
        srv.server_close()
        state.close()
    return 0
