"""``simsa``: one console script, one subcommand per job.

Each subcommand lives in :mod:`simsa.commands` and imports its heavy dependencies only
when it runs, so ``simsa server`` never imports Kivy and ``simsa verify`` needs neither
Kivy nor the web stack.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from shared.errors import SimsaError

from . import __version__

#: Modules under simsa.commands, each with ``register(subparsers)``.
COMMAND_MODULES = (
    "event",
    "server",
    "staff",
    "kiosk",
    "scan",
    "verify",
    "ledger",
    "cards",
    "results",
    "demo",
    "witness",
    "backup",
    "enrol",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="simsa",
        description="simsa (심사): community judging on kiosks and online, with a public verifiable ledger.",
    )
    parser.add_argument("--version", action="version", version=f"simsa {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"simsa.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"simsa.commands.{name}":
                continue
            raise
        module.register(sub)
    return parser


#: Options whose value may begin with "-" — base64url text, and passwords — which argparse
#: would read as a second option (``--receipt -x9…``, ``--password -pw…``, then "expected one
#: argument"). Their value is glued on: ``--receipt=-x9…``.
DASH_VALUE_OPTIONS = frozenset({"--receipt", "--authority", "--password"})


def glue_dash_values(argv: Sequence[str]) -> list[str]:
    """Rewrite ``OPT VALUE`` as ``OPT=VALUE`` for the options of :data:`DASH_VALUE_OPTIONS`."""
    out: list[str] = []
    it = iter(argv)
    for arg in it:
        if arg == "--":
            out.append(arg)
            out.extend(it)
            break
        if arg in DASH_VALUE_OPTIONS:
            value = next(it, None)
            out.append(arg if value is None else f"{arg}={value}")
        else:
            out.append(arg)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(glue_dash_values(sys.argv[1:] if argv is None else argv))
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except SimsaError as exc:
        print(f"simsa: error: {exc}", file=sys.stderr)
        return 1
    except FileExistsError as exc:
        print(f"simsa: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("simsa: interrupted", file=sys.stderr)
        return 130
