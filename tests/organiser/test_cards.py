"""Credential cards: render the PDF to pixels as a kiosk camera would see a card held 30 cm
away, and read every card back with the kiosk's own scanner pipeline."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
import pytest
from numpy.typing import NDArray

from kiosk.scanner import decode
from organiser.cards import (
    CARD_H,
    CARD_W,
    COLS,
    MAX_VERSION,
    QR_MM,
    QUIET,
    ROWS,
    CardError,
    card_origin,
    load_cards,
    qr_matrix,
)
from simsa.cli import main
from tests.support.events import EventFiles

#: A 720p camera with a 60° horizontal field of view sees a strip 2·30·tan 30° ≈ 346 mm
#: wide at 30 cm: 1280 px over 346 mm.
CAMERA_PX_PER_MM = 1280 / 346.0


@pytest.fixture(scope="module")
def printed(mini_event: EventFiles, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("cards") / "cards.pdf"
    assert main(["cards", str(mini_event.dir), "--out", str(out)]) == 0
    return out, out.with_name("cards-pins.pdf")


def _render(pdf: Path, px_per_mm: float) -> list[NDArray[np.uint8]]:
    doc = pdfium.PdfDocument(str(pdf))
    try:
        pages = []
        for page in doc:
            pixels = page.render(scale=px_per_mm * 25.4 / 72, grayscale=True).to_numpy()
            pages.append(np.array(pixels[:, :, 0] if pixels.ndim == 3 else pixels, dtype=np.uint8))
        return pages
    finally:
        doc.close()


def _card_pixels(page: NDArray[np.uint8], i: int, px_per_mm: float) -> NDArray[np.uint8]:
    x, y = card_origin(i)
    top = 297.0 - (y + CARD_H)
    r0, c0 = round(top * px_per_mm), round(x * px_per_mm)
    return page[r0 : r0 + round(CARD_H * px_per_mm), c0 : c0 + round(CARD_W * px_per_mm)]


def _camera_frame(card: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """The card in a 1280×720 frame on a grey table, slightly out of focus, with sensor noise."""
    frame = np.full((720, 1280), 128, np.uint8)
    h, w = card.shape
    y0, x0 = (720 - h) // 2 + 37, (1280 - w) // 2 - 91
    frame[y0 : y0 + h, x0 : x0 + w] = card
    blurred = cv2.GaussianBlur(frame, (0, 0), 0.6)
    noise = np.random.default_rng(7).normal(0, 4, blurred.shape)
    return np.clip(blurred.astype(np.float64) + noise, 0, 255).astype(np.uint8)


def test_every_card_scans_from_30_cm_with_the_kiosk_scanner(
    printed: tuple[Path, Path], mini_event: EventFiles
) -> None:
    _, cards = load_cards(mini_event.dir)
    pages = _render(printed[0], CAMERA_PX_PER_MM)
    per = COLS * ROWS
    assert len(pages) == 2 * -(-len(cards) // per)  # each sheet's front, then its back
    read = []
    for n in range(len(cards)):
        pixels = _card_pixels(pages[2 * (n // per)], n % per, CAMERA_PX_PER_MM)
        read.append(decode(_camera_frame(pixels)).text)
    assert read == [c.credential for c in cards]
    assert read == [mini_event.credentials[c.reviewer] for c in cards]


def test_a_whole_sheet_at_print_resolution_reads_one_code_per_card(printed: tuple[Path, Path], mini_event: EventFiles) -> None:
    _, cards = load_cards(mini_event.dir)
    page = _render(printed[0], 200 / 25.4)[0]
    for i in range(COLS * ROWS):
        assert decode(_card_pixels(page, i, 200 / 25.4)).text == cards[i].credential


def test_codes_are_version_8_or_less_and_print_large_enough(mini_event: EventFiles) -> None:
    _, cards = load_cards(mini_event.dir)
    for c in cards:
        modules = len(qr_matrix(c.credential))
        assert modules <= 17 + 4 * MAX_VERSION
    # The largest code allowed still prints ≥ 25 mm across (without its quiet zone) and
    # gets ≥ 2.3 camera pixels a module at 30 cm.
    v8 = 17 + 4 * MAX_VERSION
    module_mm = QR_MM / (v8 + 2 * QUIET)
    assert v8 * module_mm >= 25.0
    assert module_mm * CAMERA_PX_PER_MM >= 2.3


def test_a_credential_too_long_for_version_8_is_refused() -> None:
    with pytest.raises(CardError, match="version-9"):
        qr_matrix("SIMSA1." + "x" * 160)


def test_pin_letters_are_a_separate_document_in_card_order(printed: tuple[Path, Path], mini_event: EventFiles) -> None:
    def text(pdf: Path) -> str:
        doc = pdfium.PdfDocument(str(pdf))
        try:
            return "\n".join(p.get_textpage().get_text_range() for p in doc)
        finally:
            doc.close()

    _, cards = load_cards(mini_event.dir)
    card_text, pin_text = text(printed[0]), text(printed[1])
    ids = re.findall(r"reviewer\s+(\S+)", pin_text)
    assert ids == [c.reviewer for c in cards]
    digits = re.sub(r"\s", "", pin_text)
    for c in cards[:8]:
        assert mini_event.pins[c.reviewer] in digits
        assert c.reviewer in card_text
    assert not any(mini_event.pins[c.reviewer] in re.sub(r"\s", "", card_text) for c in cards)
    assert "공동체 대표 심사위원" in card_text and "Community representative" in card_text


def test_one_reviewer_only(mini_event: EventFiles, tmp_path: Path) -> None:
    out = tmp_path / "one.pdf"
    assert main(["cards", str(mini_event.dir), "--out", str(out), "--reviewer", "mem-01-2", "--no-pins"]) == 0
    page = _render(out, 200 / 25.4)[0]
    assert decode(_card_pixels(page, 0, 200 / 25.4)).text == mini_event.credentials["mem-01-2"]
    assert not out.with_name("one-pins.pdf").exists()
    with pytest.raises(CardError, match="no credential for nobody"):
        load_cards(mini_event.dir, reviewers=["nobody"])


@pytest.mark.parametrize("digits", [6, 8, 10, 12])
def test_long_pins_stay_inside_their_slip(mini_event: EventFiles, tmp_path: Path, digits: int) -> None:
    """A real event's 8-digit PINs, and --pin-digits up to 12, print whole on the slip."""
    from dataclasses import replace

    from organiser.cards import SLIP_W, slip_origin, write_pin_letters

    manifest, cards = load_cards(mini_event.dir)
    pin = "123456789012"[:digits]
    out = tmp_path / "pins.pdf"
    write_pin_letters(out, manifest, [replace(cards[0], pin=pin)])
    doc = pdfium.PdfDocument(str(out))
    try:
        page = doc[0].get_textpage()
        text = page.get_text_range()
        flat = "".join(ch for ch in text if not ch.isspace())
        assert pin in flat
        last = max(i for i, ch in enumerate(text) if ch == pin[-1])
        _, _, right, _ = page.get_charbox(last)
    finally:
        doc.close()
    slip_right = (slip_origin(0)[0] + SLIP_W) * 72 / 25.4
    assert right < slip_right - 4 * 72 / 25.4, (right, slip_right)


def test_backs_give_instructions_at_9_pt_and_the_online_text_the_kiosk_accepts(
    printed: tuple[Path, Path], mini_event: EventFiles, tmp_path: Path
) -> None:
    """Issue 11: instructions ≥ 9 pt on the back, the kiosk's word 모둠 (never 조), and an
    online member's credential as text that the kiosk opens when typed with its spaces."""
    from organiser.cards import INSTRUCTION_PT, back_origin, grouped
    from tests.kiosk.conftest import make_station

    doc = pdfium.PdfDocument(str(printed[0]))
    try:
        front, back = doc[0].get_textpage(), doc[1].get_textpage()
        front_text, back_text = front.get_text_range(), back.get_text_range()
        sizes = set()
        for k in range(back.count_chars()):
            ch = back.get_text_range(k, 1)
            if ch.strip():
                sizes.add(round(pdfium.raw.FPDFText_GetFontSize(back.raw, k), 1))
    finally:
        doc.close()
    assert min(sizes) >= INSTRUCTION_PT
    assert "모둠" in front_text and "조 " not in front_text
    assert "사용 방법" in back_text and "How to use" in back_text
    assert back_origin(0)[0] > back_origin(1)[0]  # mirrored for a long-edge duplex print
    _, cards = load_cards(mini_event.dir)
    member = next(c for c in cards if c.role == "member")
    typed = grouped(member.credential)
    assert " " in typed and typed.replace(" ", "") == member.credential
    st = make_station(mini_event, tmp_path / "online", channel="online")
    session = st.session()
    job = session.scanned(typed + "\n")
    assert job is not None  # parsed: the spaces a person types are not part of the code
