"""``simsa scan FILE...``: the kiosk's QR pipeline on image files, one JSON line each."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "scan",
        help="read QR codes from image files with the kiosk's scanner pipeline",
        description="Run the very pipeline the kiosk runs on camera frames over image files and print one "
        'JSON line per file: {"file": …, "text": … or null, "ms": …}. The text is printed raw (not checked '
        "as a credential); null when no code, or more than one different code, was read whole.",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="image files (PNG, JPEG, …)")
    p.add_argument(
        "--decoder",
        choices=["both", "zbar", "zxing"],
        default="both",
        help="zxing-cpp then the pyzbar ladder (default), or only one of them",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from kiosk.scanner import DECODERS, decode, read_image

    decoders = DECODERS if args.decoder == "both" else (args.decoder,)
    failed = 0
    for name in args.files:
        try:
            frame = read_image(name)
        except (ValueError, OSError) as exc:
            print(json.dumps({"file": name, "text": None, "ms": None, "error": str(exc)}, ensure_ascii=False))
            failed += 1
            continue
        r = decode(frame, decoders=decoders)
        out: dict[str, Any] = {"file": name, "text": r.text, "ms": round(r.ms, 2)}
        if r.ambiguous:
            out["ambiguous"] = list(r.texts)
        print(json.dumps(out, ensure_ascii=False))
        sys.stdout.flush()
    return 1 if failed else 0
