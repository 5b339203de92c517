"""The scanner's latency budget (issue 13): zxing-cpp on every frame, the ladder after it
only as far as the frame's budget allows, decided by each step's measured cost."""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from kiosk import scanner
from kiosk.scanner import Budget, decode
from kiosk.tools.frames import frame
from shared.credential import seal


def credential(i: int) -> str:
    """A fixed SIMSA1 text (the same bytes as ``bench.kiosk_scan.credentials(16, 1)[i]``)."""
    rng = np.random.default_rng(1)
    for k in range(i + 1):
        b = rng.bytes(60)
        if k == i:
            return seal(event="gg2017", reviewer=f"rep-{i:04d}", seed=b[:32], pin=f"{i:06d}", logn=10,
                        salt=b[32:48], nonce=b[48:]).to_text()
    raise AssertionError


@pytest.fixture(scope="module")
def zoom_only() -> tuple[str, np.ndarray]:
    """A far, tilted card zxing-cpp's first pass misses and its zoomed second look reads."""
    text = credential(12)
    return text, frame(text, "camera", 100_028)


def ticking() -> Callable[[], float]:
    """A clock that moves 1 ms each time it is read: every step looks as slow as zxing-cpp."""
    count = itertools.count()
    return lambda: next(count) / 1000


def test_first_pass_misses_the_fixture(zoom_only: tuple[str, np.ndarray]) -> None:
    text, f = zoom_only
    assert scanner._zxing(scanner.gray_full(f)) == []
    r = decode(f)  # no budget: the whole ladder
    assert (r.text, r.view) == (text, "zxing-zoom")
    assert r.zxing_ms is not None and r.zxing_ms > 0


def test_zero_budget_is_zxing_alone(zoom_only: tuple[str, np.ndarray]) -> None:
    _, f = zoom_only
    r = decode(f, budget_ms=0.0)
    assert r.text is None and r.view is None and r.zxing_ms is not None


def test_a_step_starts_only_when_its_cost_fits(zoom_only: tuple[str, np.ndarray]) -> None:
    text, f = zoom_only
    costs = {s.name: s.cost for s in scanner.STEPS}
    # zxing-cpp takes one tick (1 ms): the zoom needs costs["zxing-zoom"] ms of budget left
    short = decode(f, budget_ms=costs["zxing-zoom"] - 1, clock=ticking())
    assert short.text is None
    enough = decode(f, budget_ms=costs["zxing-global"] + costs["zxing-zoom"] + 5, clock=ticking())
    assert (enough.text, enough.view) == (text, "zxing-zoom")


def test_budget_without_zxing_runs_the_whole_zbar_ladder(zoom_only: tuple[str, np.ndarray]) -> None:
    text, f = zoom_only
    r = decode(f, decoders=("zbar",), budget_ms=0.0)  # no zxing-cpp time to measure against
    assert r.zxing_ms is None
    assert r.text in (None, text)


def test_budget_learns_half_the_median_of_zxing_times() -> None:
    b = Budget(window=5, warmup=3)
    assert b.ms == 0.0
    b.add(None)  # a frame zxing-cpp did not read (not installed): nothing learned
    for ms in (10.0, 2.0):
        b.add(ms)
    assert b.ms == 0.0  # still warming up: zxing-cpp alone
    b.add(4.0)
    assert b.ms == pytest.approx(2.0)
    for ms in (100.0, 100.0, 100.0, 100.0):
        b.add(ms)
    assert b.samples == 5 and b.ms == pytest.approx(50.0)


def test_no_wrong_text_and_no_loss_against_zxing_on_both_corpora() -> None:
    """A few frames of each corpus: the budgeted scanner reads every frame zxing-cpp alone
    reads and never a wrong text (the benchmark measures the full corpora)."""
    import zxingcpp

    from kiosk.tools.phone import event_cards, phone_frame

    with tempfile.TemporaryDirectory() as tmp:
        cards = event_cards(Path(tmp), 4, seed=9)
    frames: list[tuple[str | None, np.ndarray]] = [(credential(i), frame(credential(i), "camera", 7000 + i)) for i in range(6)]
    frames += [(cards[i % 4][0], phone_frame(cards[i % 4][1], 8000 + i)) for i in range(8)]
    frames += [(None, phone_frame(cards[0][1], 8100 + i, has_code=False)) for i in range(3)]
    budget = Budget(warmup=1)
    budget.add(30.0)
    qr = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    for text, f in frames:
        r = decode(f, budget_ms=budget.ms)
        raw = {c.text for c in zxingcpp.read_barcodes(f, formats=qr) if c.valid}
        assert r.text in (None, text)
        if raw == {text}:
            assert r.text == text
    assert sum(1 for text, f in frames if text and decode(f, budget_ms=0.0).text == text) >= 6
