"""Printable credential cards and PIN letters (A4 PDF, vector QR codes, Korean and English).

Cards and PINs are two documents so they can be printed, packed and handed out apart:
a card alone cannot sign (DESIGN §3).

- **Cards**: ten 90 × 54 mm cards a sheet (2 × 5, with cut guides), printed on both sides
  (each front page is followed by its back, mirrored for long-edge duplex). The front holds
  the reviewer's ``SIMSA1`` QR code (error correction M, version ≤ 8), the reviewer id, the
  event title, role and 모둠 (group — the kiosk's word too); the back the instructions at
  :data:`INSTRUCTION_PT` or more and, for online members, the credential as text in groups
  of :data:`GROUP_CHARS` to type where there is no camera (the kiosk ignores the spaces). The code is drawn as vector
  modules :data:`QR_MM` wide *including* its 4-module quiet zone — a version-8 code gets
  ~0.67 mm modules, which a 720p camera at 30 cm still sees at ~2.5 pixels a module.
- **PIN letters**: eight 105 × 74 mm slips a sheet, in the same order as the cards, each
  with the reviewer id and the PIN in large digits.

Korean text is set in Nanum Gothic (Debian's ``fonts-nanum``).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from shared.credential import parse
from shared.errors import FormatError
from shared.manifest import Manifest, verify_signed_manifest

MM = 72 / 25.4
PAGE_W, PAGE_H = 210.0, 297.0
CARD_W, CARD_H = 90.0, 54.0
COLS, ROWS = 2, 5
#: Printed width of a QR code with its quiet zone (mm).
QR_MM = 38.0
QUIET = 4
MAX_VERSION = 8
SLIP_W, SLIP_H = 100.0, 68.0
#: Width the PIN's digit boxes may take on a slip (8 digits at 9.5 mm; longer PINs narrower).
PIN_BOXES_MM = 76.0
SLIP_COLS, SLIP_ROWS = 2, 4

FONT_DIR = Path("/usr/share/fonts/truetype/nanum")
FONT, FONT_BOLD = "NanumGothic", "NanumGothicBold"

ROLE_TEXT = {
    "representative": ("공동체 대표 심사위원", "Community representative"),
    "expert": ("전문가 심사위원", "Expert reviewer"),
    "member": ("주민 심사위원 (온라인)", "Community member (online)"),
}
HOW_KO = {
    "kiosk": "행사장 키오스크 카메라에 앞면의 QR 코드를 보여 주고 PIN을 입력하세요.",
    "online": "온라인 심사 앱에서 앞면의 QR 코드를 보여 주거나, 아래 글자를 입력한 뒤 PIN을 입력하세요.",
}
HOW_EN = {
    "kiosk": "Show the QR code on the front to a kiosk camera at the venue, then type your PIN.",
    "online": "In the online judging app, show the QR code on the front or type the text below, then your PIN.",
}
#: Smallest type for instructions on the cards (points).
INSTRUCTION_PT = 9.0
#: The credential text on an online member's card, in groups of this many characters.
GROUP_CHARS = 6
GROUP_WORD = ("모둠", "group")
KEEP_KO = "PIN은 따로 전달됩니다. 카드를 남에게 보이지 마세요."
KEEP_EN = "Your PIN comes separately. Keep this card to yourself."


@dataclass(frozen=True)
class Card:
    reviewer: str
    credential: str
    role: str
    group: str
    pin: str | None = None


class CardError(FormatError):
    """The event folder cannot be turned into cards; the message names the reviewer or file."""


def register_fonts() -> None:
    """Register Nanum Gothic (regular and bold) with reportlab, once."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    for name, file in ((FONT, "NanumGothic.ttf"), (FONT_BOLD, "NanumGothicBold.ttf")):
        path = FONT_DIR / file
        if not path.exists():
            raise CardError(f"{path} is missing: install the fonts-nanum package")
        pdfmetrics.registerFont(TTFont(name, str(path)))


def qr_matrix(text: str) -> list[list[bool]]:
    """The QR modules of ``text`` at error correction M without quiet zone; version ≤ 8."""
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    qr = qrcode.QRCode(version=None, error_correction=ERROR_CORRECT_M, border=0)
    qr.add_data(text.encode("utf-8"))
    qr.make(fit=True)
    if qr.version > MAX_VERSION:
        raise CardError(f"the credential needs a version-{qr.version} QR code; cards print at most version {MAX_VERSION}")
    return [[bool(v) for v in row] for row in qr.get_matrix()]


def _group_of(m: Manifest, reviewer: str) -> str:
    groups: set[str] = set()
    for t in m.assignments.get(reviewer, frozenset()):
        groups.add(t if t in m.groups else m.proposals[t].group)
    return ", ".join(sorted(groups)) or "–"


def _read_csv(path: Path) -> list[tuple[str, str]]:
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
    except FileNotFoundError:
        raise CardError(f"{path} is missing") from None
    return [(r[0], r[1]) for r in rows[1:] if r]


def load_cards(event_dir: Path, *, reviewers: Iterable[str] | None = None) -> tuple[Manifest, list[Card]]:
    """The signed manifest and one card per credential of ``event_dir`` (credentials.csv
    order; PINs from pins.csv when it is there). Every credential is parsed and checked
    against the manifest."""
    try:
        manifest = verify_signed_manifest(json.loads((event_dir / "manifest.json").read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise CardError(f"{event_dir / 'manifest.json'} is missing") from None
    creds = _read_csv(event_dir / "credentials.csv")
    pins = dict(_read_csv(event_dir / "pins.csv")) if (event_dir / "pins.csv").exists() else {}
    wanted = set(reviewers) if reviewers is not None else None
    cards = []
    for rid, text in creds:
        if wanted is not None and rid not in wanted:
            continue
        cred = parse(text)
        if cred.event != manifest.event or cred.reviewer != rid or rid not in manifest.reviewers:
            raise CardError(f"credentials.csv: the credential of {rid} is not for this event's reviewer {rid}")
        cards.append(Card(rid, text, manifest.reviewers[rid].role, _group_of(manifest, rid), pins.get(rid)))
    if wanted is not None and len(cards) != len(wanted):
        missing = sorted(wanted - {c.reviewer for c in cards})
        raise CardError(f"no credential for {', '.join(missing[:5])}")
    return manifest, cards


def card_origin(i: int) -> tuple[float, float]:
    """Bottom-left corner (mm, from the page's bottom-left) of the ``i``-th card on its page."""
    k = i % (COLS * ROWS)
    col, row = k % COLS, k // COLS
    x0 = (PAGE_W - COLS * CARD_W) / 2
    y0 = (PAGE_H - ROWS * CARD_H) / 2
    return x0 + col * CARD_W, PAGE_H - y0 - (row + 1) * CARD_H


def qr_box(i: int) -> tuple[float, float, float]:
    """Where the ``i``-th card's QR code (with quiet zone) is printed: x, y, size in mm."""
    x, y = card_origin(i)
    return x + 4.0, y + (CARD_H - QR_MM) / 2, QR_MM


def _draw_qr(c: object, matrix: Sequence[Sequence[bool]], x: float, y: float, size: float) -> None:
    n = len(matrix) + 2 * QUIET
    mod = size / n
    c.setFillColorRGB(1, 1, 1)  # type: ignore[attr-defined]
    c.rect(x * MM, y * MM, size * MM, size * MM, stroke=0, fill=1)  # type: ignore[attr-defined]
    c.setFillColorRGB(0, 0, 0)  # type: ignore[attr-defined]
    path = c.beginPath()  # type: ignore[attr-defined]
    for r, row in enumerate(matrix):
        top = y + size - (QUIET + r + 1) * mod
        col = 0
        while col < len(row):
            if not row[col]:
                col += 1
                continue
            start = col
            while col < len(row) and row[col]:
                col += 1
            path.rect((x + (QUIET + start) * mod) * MM, top * MM, (col - start) * mod * MM, mod * MM)
    # One path: shared edges of neighbouring modules render without hairline seams.
    c.drawPath(path, stroke=0, fill=1)  # type: ignore[attr-defined]


def _text(c: object, x: float, y: float, text: str, font: str, size: float, width: float, *, lead: float = 1.25) -> float:
    """Draw wrapped text from the baseline ``y`` (mm) downwards; return the next baseline."""
    from reportlab.lib.utils import simpleSplit

    for line in simpleSplit(text, font, size, width * MM):
        c.setFont(font, size)  # type: ignore[attr-defined]
        c.drawString(x * MM, y * MM, line)  # type: ignore[attr-defined]
        y -= size * lead / MM
    return y


def _guides(c: object, boxes: Iterable[tuple[float, float, float, float]]) -> None:
    c.setStrokeColorRGB(0.78, 0.8, 0.83)  # type: ignore[attr-defined]
    c.setLineWidth(0.3)  # type: ignore[attr-defined]
    c.setDash(2, 2)  # type: ignore[attr-defined]
    for x, y, w, h in boxes:
        c.rect(x * MM, y * MM, w * MM, h * MM, stroke=1, fill=0)  # type: ignore[attr-defined]
    c.setDash()  # type: ignore[attr-defined]


def _channel(role: str) -> str:
    return "online" if role == "member" else "kiosk"


def _draw_card(c: object, m: Manifest, card: Card, i: int, matrix: Sequence[Sequence[bool]]) -> None:
    x, y = card_origin(i)
    if _channel(card.role) == "kiosk":
        c.setFillColorRGB(0.14, 0.39, 0.67)  # type: ignore[attr-defined]
    else:
        c.setFillColorRGB(0.88, 0.48, 0.12)  # type: ignore[attr-defined]
    c.rect((x + 0.6) * MM, (y + CARD_H - 2.2) * MM, (CARD_W - 1.2) * MM, 1.6 * MM, stroke=0, fill=1)  # type: ignore[attr-defined]
    qx, qy, qs = qr_box(i)
    _draw_qr(c, matrix, qx, qy, qs)
    tx, tw = qx + qs + 2.5, CARD_W - (qx - x) - qs - 2.5 - 3.0
    c.setFillColorRGB(0.12, 0.16, 0.2)  # type: ignore[attr-defined]
    ty = _text(c, tx, y + CARD_H - 6.5, m.title_ko, FONT_BOLD, 7.2, tw, lead=1.2)
    c.setFillColorRGB(0.38, 0.43, 0.49)  # type: ignore[attr-defined]
    ty = _text(c, tx, ty + 0.3, m.title_en, FONT, 5.6, tw, lead=1.2)
    c.setFillColorRGB(0, 0, 0)  # type: ignore[attr-defined]
    ty = _text(c, tx, ty - 3.6, card.reviewer, FONT_BOLD, 12.5, tw)
    ko, en = ROLE_TEXT[card.role]
    c.setFillColorRGB(0.14, 0.39, 0.67)  # type: ignore[attr-defined]
    ty = _text(c, tx, ty + 0.6, ko, FONT_BOLD, 8.0, tw)
    ty = _text(c, tx, ty + 0.4, en, FONT, 7.0, tw)
    c.setFillColorRGB(0, 0, 0)  # type: ignore[attr-defined]
    ty = _text(c, tx, ty - 0.8, f"{GROUP_WORD[0]} {card.group} · {GROUP_WORD[1]} {card.group}", FONT_BOLD, 9.0, tw)
    c.setFillColorRGB(0.2, 0.24, 0.28)  # type: ignore[attr-defined]
    _text(c, tx, ty - 0.8, "사용 방법은 뒷면 · How to use: see the back", FONT, 7.0, tw)
    if m.is_demo:
        _badge(c, x + CARD_W - 13.5, y + 2.2)


def grouped(credential: str, n: int = GROUP_CHARS) -> str:
    """The credential in groups of ``n`` characters, for typing by hand."""
    return " ".join(credential[k : k + n] for k in range(0, len(credential), n))


def back_origin(i: int) -> tuple[float, float]:
    """Where the back of the ``i``-th card is on the back page: mirrored left-right so a
    long-edge duplex print puts it behind its front."""
    k = i % (COLS * ROWS)
    col, row = k % COLS, k // COLS
    return card_origin(row * COLS + (COLS - 1 - col))


def _draw_back(c: object, card: Card, i: int) -> None:
    x, y = back_origin(i)
    tx, tw = x + 4.0, CARD_W - 8.0
    how = _channel(card.role)
    c.setFillColorRGB(0, 0, 0)  # type: ignore[attr-defined]
    ty = _text(c, tx, y + CARD_H - 6.0, f"사용 방법 · How to use  ({card.reviewer})", FONT_BOLD, 9.5, tw, lead=1.15)
    c.setFillColorRGB(0.1, 0.12, 0.16)  # type: ignore[attr-defined]
    size = INSTRUCTION_PT
    ty = _text(c, tx, ty - 0.6, HOW_KO[how], FONT, size, tw, lead=1.15)
    ty = _text(c, tx, ty - 0.2, HOW_EN[how], FONT, size, tw, lead=1.15)
    if how == "online":
        c.setFillColorRGB(0, 0, 0)  # type: ignore[attr-defined]
        _text(c, tx, ty - 0.9, grouped(card.credential), "Courier-Bold", size, tw, lead=1.12)
    else:
        ty = _text(c, tx, ty - 0.6, KEEP_KO, FONT, size, tw, lead=1.15)
        _text(c, tx, ty - 0.2, KEEP_EN, FONT, size, tw, lead=1.15)


def _badge(c: object, x: float, y: float) -> None:
    c.setFillColorRGB(0.85, 0.33, 0.1)  # type: ignore[attr-defined]
    c.roundRect(x * MM, y * MM, 11 * MM, 3.6 * MM, 0.8 * MM, stroke=0, fill=1)  # type: ignore[attr-defined]
    c.setFillColorRGB(1, 1, 1)  # type: ignore[attr-defined]
    c.setFont(FONT_BOLD, 6)  # type: ignore[attr-defined]
    c.drawCentredString((x + 5.5) * MM, (y + 1.05) * MM, "DEMO")  # type: ignore[attr-defined]


def _page_matrices(texts: list[str]) -> list[list[list[bool]]]:
    return [qr_matrix(t) for t in texts]


def _matrices(cards: Sequence[Card], per: int) -> Iterator[tuple[int, list[list[list[bool]]]]]:
    """Each page's QR matrices, in order; on every core when there are many cards (choosing
    the best mask pattern is most of the work of a QR code)."""
    pages = [[c.credential for c in cards[s : s + per]] for s in range(0, len(cards), per)]
    if len(cards) < 200:
        for k, texts in enumerate(pages):
            yield k * per, _page_matrices(texts)
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor() as pool:
        for k, matrices in enumerate(pool.map(_page_matrices, pages, chunksize=4)):
            yield k * per, matrices


def write_cards(
    out: Path, manifest: Manifest, cards: Sequence[Card], *, progress: Callable[[int], None] | None = None
) -> int:
    """Write the cards PDF; return the number of pages."""
    from reportlab.pdfgen.canvas import Canvas

    register_fonts()
    c = Canvas(str(out), pagesize=(PAGE_W * MM, PAGE_H * MM), pageCompression=1)
    c.setTitle(f"{manifest.title_ko} — credential cards")
    c.setAuthor("simsa cards")
    per = COLS * ROWS
    pages = 0
    for start, matrices in _matrices(cards, per):
        chunk = cards[start : start + per]
        _guides(c, [(*card_origin(i), CARD_W, CARD_H) for i in range(len(chunk))])
        for i, card in enumerate(chunk):
            _draw_card(c, manifest, card, i, matrices[i])
        _footer(c, manifest, f"cards {start + 1}–{start + len(chunk)} of {len(cards)} · 심사 카드 (앞면 · front)")
        c.showPage()
        _guides(c, [(*back_origin(i), CARD_W, CARD_H) for i in range(len(chunk))])
        for i, card in enumerate(chunk):
            _draw_back(c, card, i)
        _footer(c, manifest, f"cards {start + 1}–{start + len(chunk)} · 뒷면 · back (print both sides, long edge)",
                INSTRUCTION_PT)
        c.showPage()
        pages += 2
        if progress:
            progress(len(chunk))
    c.save()
    return pages


def _footer(c: object, m: Manifest, text: str, size: float = 6.5) -> None:
    c.setFillColorRGB(0.45, 0.5, 0.55)  # type: ignore[attr-defined]
    c.setFont(FONT, size)  # type: ignore[attr-defined]
    c.drawString(15 * MM, 6 * MM, f"{m.event} · {text} · 점선을 따라 자르세요 · cut along the dotted lines")  # type: ignore[attr-defined]


def slip_origin(i: int) -> tuple[float, float]:
    k = i % (SLIP_COLS * SLIP_ROWS)
    col, row = k % SLIP_COLS, k // SLIP_COLS
    x0 = (PAGE_W - SLIP_COLS * SLIP_W) / 2
    y0 = (PAGE_H - SLIP_ROWS * SLIP_H) / 2
    return x0 + col * SLIP_W, PAGE_H - y0 - (row + 1) * SLIP_H


def _pin_boxes(c: object, x: float, y: float, pin: str) -> None:
    """The PIN as one digit a box (8 × 10 mm), with a small label before it."""
    c.setFillColorRGB(0.38, 0.43, 0.49)  # type: ignore[attr-defined]
    c.setFont(FONT_BOLD, 7)  # type: ignore[attr-defined]
    c.drawString(x * MM, (y + 3.8) * MM, "PIN")  # type: ignore[attr-defined]
    c.setStrokeColorRGB(0.55, 0.6, 0.66)  # type: ignore[attr-defined]
    c.setLineWidth(0.6)  # type: ignore[attr-defined]
    pitch = min(9.5, PIN_BOXES_MM / max(1, len(pin)))  # 8 digits at full size; up to 12 narrower
    box = pitch - 1.5
    for k, digit in enumerate(pin):
        bx = x + 9 + k * pitch
        c.setFillColorRGB(0.96, 0.97, 0.98)  # type: ignore[attr-defined]
        c.roundRect(bx * MM, y * MM, box * MM, 10 * MM, 1.2 * MM, stroke=1, fill=1)  # type: ignore[attr-defined]
        c.setFillColorRGB(0, 0, 0)  # type: ignore[attr-defined]
        c.setFont("Courier-Bold", min(20.0, box * 2.5))  # type: ignore[attr-defined]
        c.drawCentredString((bx + box / 2) * MM, (y + 2.6) * MM, digit)  # type: ignore[attr-defined]


def write_pin_letters(out: Path, manifest: Manifest, cards: Sequence[Card]) -> int:
    """Write the PIN letters PDF (eight slips a sheet, in card order); return the pages."""
    from reportlab.pdfgen.canvas import Canvas

    register_fonts()
    missing = [c.reviewer for c in cards if not c.pin]
    if missing:
        raise CardError(f"pins.csv has no PIN for {', '.join(missing[:5])}")
    c = Canvas(str(out), pagesize=(PAGE_W * MM, PAGE_H * MM), pageCompression=1)
    c.setTitle(f"{manifest.title_ko} — PIN letters")
    c.setAuthor("simsa cards")
    per = SLIP_COLS * SLIP_ROWS
    pages = 0
    for start in range(0, len(cards), per):
        chunk = cards[start : start + per]
        _guides(c, [(*slip_origin(i), SLIP_W, SLIP_H) for i in range(len(chunk))])
        for i, card in enumerate(chunk):
            x, y = slip_origin(i)
            w = SLIP_W - 16
            c.setFillColorRGB(0.12, 0.16, 0.2)
            ty = _text(c, x + 8, y + SLIP_H - 11, manifest.title_ko, FONT_BOLD, 8.5, w)
            c.setFillColorRGB(0.38, 0.43, 0.49)
            ty = _text(c, x + 8, ty, manifest.title_en, FONT, 6.5, w)
            c.setFillColorRGB(0, 0, 0)
            ty = _text(c, x + 8, ty - 4, f"심사위원 · reviewer  {card.reviewer}", FONT_BOLD, 10, w)
            _pin_boxes(c, x + 8, ty - 11.5, card.pin or "")
            ty -= 17
            c.setFillColorRGB(0.2, 0.24, 0.28)
            ty = _text(
                c, x + 8, ty,
                "이 PIN은 심사 카드의 QR 코드와 함께 입력합니다. 카드와 따로 보관하고 아무에게도 알려 주지 마세요. "
                "여러 번 틀리면 그 키오스크에서 카드가 잠깁니다.",
                FONT, 6.6, w,
            )  # fmt: skip
            _text(
                c, x + 8, ty - 0.5,
                "Type this PIN after showing your card's QR code. Keep it apart from the card and tell no one. "
                "Too many wrong tries lock the card at that kiosk.",
                FONT, 6.2, w,
            )  # fmt: skip
            if manifest.is_demo:
                _badge(c, x + SLIP_W - 19, y + 4)
        _footer(c, manifest, f"PIN letters {start + 1}–{start + len(chunk)} of {len(cards)} · 비밀번호 안내")
        c.showPage()
        pages += 1
    c.save()
    return pages
