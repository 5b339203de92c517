"""The ``simsa`` argument handling: base64url values and passwords that begin with "-" reach
their option."""

from __future__ import annotations

from pathlib import Path

import pytest

from simsa.cli import build_parser, glue_dash_values, main
from simsa.live import copy_event
from tests.support.events import EventFiles


@pytest.mark.parametrize(
    ("argv", "glued"),
    [
        (["verify", "x", "--receipt", "-Ab_9"], ["verify", "x", "--receipt=-Ab_9"]),
        (["verify", "--receipt", "7Q2M-K4XT", "x"], ["verify", "--receipt=7Q2M-K4XT", "x"]),
        (["kiosk", "--authority", "--zz"], ["kiosk", "--authority=--zz"]),
        (["verify", "x", "--receipt"], ["verify", "x", "--receipt"]),
        (["scan", "--", "--receipt", "-a"], ["scan", "--", "--receipt", "-a"]),
        (["verify", "--receipt=-a", "x"], ["verify", "--receipt=-a", "x"]),
        (["staff", "add", "ann", "--password", "-pw-9x_Q"], ["staff", "add", "ann", "--password=-pw-9x_Q"]),
    ],
)
def test_dash_values_are_glued_to_their_option(argv: list[str], glued: list[str]) -> None:
    assert glue_dash_values(argv) == glued


def test_a_receipt_id_beginning_with_a_dash_is_read_as_the_receipt() -> None:
    bid = "-" + "Zz9_" * 10 + "Zz"
    args = build_parser().parse_args(glue_dash_values(["verify", "some/dir", "--receipt", bid]))
    assert args.receipt == bid and args.source == "some/dir"


def test_without_gluing_argparse_would_refuse_it() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["verify", "some/dir", "--receipt", "-Zz9_"])


def test_a_password_beginning_with_a_dash_makes_the_account(mini_event: EventFiles, tmp_path: Path) -> None:
    # `simsa demo` makes its staff password with secrets.token_urlsafe, which begins with "-"
    # once in 64 runs: `staff add` then ended in argparse's exit 2, and the demo with it
    event = copy_event(mini_event.dir, tmp_path / "event")
    assert main(["staff", "add", "ann", "--password", "-pw-9x_Q-long", "--event", str(event)]) == 0
    assert main(["staff", "password", "ann", "--password", "--also-a-password", "--event", str(event)]) == 0
