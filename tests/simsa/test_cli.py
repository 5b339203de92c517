"""The ``simsa`` argument handling: base64url values that begin with "-" reach their option."""

from __future__ import annotations

import pytest

from simsa.cli import build_parser, glue_b64u_values


@pytest.mark.parametrize(
    ("argv", "glued"),
    [
        (["verify", "x", "--receipt", "-Ab_9"], ["verify", "x", "--receipt=-Ab_9"]),
        (["verify", "--receipt", "7Q2M-K4XT", "x"], ["verify", "--receipt=7Q2M-K4XT", "x"]),
        (["kiosk", "--authority", "--zz"], ["kiosk", "--authority=--zz"]),
        (["verify", "x", "--receipt"], ["verify", "x", "--receipt"]),
        (["scan", "--", "--receipt", "-a"], ["scan", "--", "--receipt", "-a"]),
        (["verify", "--receipt=-a", "x"], ["verify", "--receipt=-a", "x"]),
    ],
)
def test_b64u_values_are_glued_to_their_option(argv: list[str], glued: list[str]) -> None:
    assert glue_b64u_values(argv) == glued


def test_a_receipt_id_beginning_with_a_dash_is_read_as_the_receipt() -> None:
    bid = "-" + "Zz9_" * 10 + "Zz"
    args = build_parser().parse_args(glue_b64u_values(["verify", "some/dir", "--receipt", bid]))
    assert args.receipt == bid and args.source == "some/dir"


def test_without_gluing_argparse_would_refuse_it() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["verify", "some/dir", "--receipt", "-Zz9_"])
