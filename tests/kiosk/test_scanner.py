"""The QR pipeline on fixture frames made from a real credential: the troubles of a venue,
frames with no code, two cards at once, damaged codes — and never a wrong text."""

from __future__ import annotations

import json
import random
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.camera import FolderFrames, ScanWorker
from kiosk.scanner import decode, read_image, to_gray
from kiosk.tools.frames import KINDS, WIDTH, Look, frame, qr_image, render
from shared.credential import parse
from tests.support.events import EventFiles

TROUBLES = [k for k in KINDS if k != "none"]
SEEDS = (100, 101, 102)


@pytest.fixture(scope="module")
def card(mini_event: EventFiles) -> str:
    return mini_event.credentials["rep-01"]


@pytest.mark.parametrize("kind", TROUBLES)
def test_reads_every_venue_trouble(card: str, kind: str) -> None:
    for seed in SEEDS:
        r = decode(frame(card, kind, seed))
        assert r.text == card, f"{kind} frame {seed} not read"
        assert parse(r.text).reviewer == "rep-01"  # the kiosk's own gate accepts it
        assert r.ms > 0 and r.view is not None


@pytest.mark.parametrize("kind", TROUBLES)
def test_pyzbar_ladder_alone_reads_every_venue_trouble(card: str, kind: str) -> None:
    """Without zxing-cpp the pre-processing ladder (gray, inverted, contrast, scale,
    rectified, thresholded) still reads each trouble."""
    for seed in SEEDS:
        r = decode(frame(card, kind, seed), decoders=("zbar",))
        assert r.text == card, f"{kind} frame {seed} not read by the pyzbar ladder"
        assert r.view != "zxing"


def test_frames_with_no_code_give_nothing() -> None:
    blank = np.full((720, 1280, 3), 128, np.uint8)
    noise = np.random.default_rng(1).integers(0, 256, (720, 1280), dtype=np.uint8)
    for f in (frame(None, "none", 1), frame(None, "none", 2), blank, noise):
        r = decode(f)
        assert r.text is None and not r.ambiguous


def test_two_different_cards_in_view_give_nothing(card: str) -> None:
    other = card[:-4] + ("AAAA" if not card.endswith("AAAA") else "BBBB")
    left, right = qr_image(card, 6), qr_image(other, 6)
    scene = np.full((720, 1280), 200, np.uint8)
    scene[100 : 100 + left.shape[0], 80 : 80 + left.shape[1]] = left
    scene[100 : 100 + right.shape[0], 700 : 700 + right.shape[1]] = right
    r = decode(scene)
    assert r.text is None and r.ambiguous and set(r.texts) == {card, other}
    twice = scene.copy()
    twice[100 : 100 + left.shape[0], 700 : 700 + left.shape[1]] = left  # the same card twice is one card
    assert decode(twice).text == card


def test_a_damaged_code_is_not_misread(card: str) -> None:
    img = qr_image(card, 8)
    rng = np.random.default_rng(7)
    h, w = img.shape
    for _ in range(6):  # scratches and stickers beyond what error correction can repair
        y, x = int(rng.integers(40, h - 120)), int(rng.integers(40, w - 120))
        img[y : y + 80, x : x + 80] = 255 - img[y : y + 80, x : x + 80]
    r = decode(img)
    assert r.text in (None, card)


def test_never_a_wrong_text_on_camera_frames(card: str) -> None:
    rng = random.Random(5)
    read = 0
    for seed in range(16):
        r = decode(frame(card, "camera", 9000 + seed))
        assert r.text in (None, card)
        read += r.text == card
        if rng.random() < 0.2:  # and a frame of another card now and then
            other = card.replace("rep-01", "rep-02")
            assert decode(frame(other, "clean", seed)).text == other
    assert read >= 8  # most camera-like frames are read


#: A card text and camera frame (seed 9008) where zxing-cpp, asked for QR codes, also
#: returned a Micro QR code reading "507768" from a corner of the real card (found by a
#: random-order run of test_never_a_wrong_text_on_camera_frames, whose card differs a run).
MICRO_QR_CARD = ("SIMSA1.mini.rep-01.10.iyLa3uhNLhVMCbS3Hpg8jA.wRPFtf-NcWLpXXBT.e49MEkqTw4iW0kRiG-06pA93tR5bvTsNJf"
                 "IBJWtskuZa-oPAC-0PkOmU-sY6-cNr")


def test_a_micro_qr_inside_the_card_is_not_read() -> None:
    r = decode(frame(MICRO_QR_CARD, "camera", 9008))
    assert r.text in (None, MICRO_QR_CARD) and set(r.texts) <= {MICRO_QR_CARD}


def test_gray_conversion_and_bad_input() -> None:
    bgr = np.zeros((10, 2000, 3), np.uint8)
    assert to_gray(bgr).shape == (6, 1280)  # wide frames are scaled down
    assert to_gray(np.zeros((8, 8, 4), np.uint8)).shape == (8, 8)
    assert to_gray(np.zeros((8, 8, 1), np.uint8)).shape == (8, 8)
    with pytest.raises(ValueError, match="8-bit"):
        to_gray(np.zeros((8, 8), np.float32))
    with pytest.raises(ValueError, match="shape"):
        to_gray(np.zeros((8, 8, 2), np.uint8))


def test_simsa_scan_prints_one_json_line_per_file(card: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from simsa.cli import main

    files = {
        "card.png": frame(card, "inverted", 3),
        "hall.jpg": frame(None, "none", 3),
    }
    for name, img in files.items():
        cv2.imwrite(str(tmp_path / name), img)
    (tmp_path / "notes.txt").write_text("not an image")
    args = [str(tmp_path / n) for n in ("card.png", "hall.jpg", "notes.txt")]
    assert main(["scan", *args]) == 1  # one file could not be read
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["file"] for line in lines] == args
    assert lines[0]["text"] == card and isinstance(lines[0]["ms"], float)
    assert lines[1]["text"] is None and lines[1]["ms"] >= 0
    assert lines[2]["text"] is None and "not an image" in lines[2]["error"]
    assert main(["scan", "--decoder", "zbar", args[0]]) == 0
    assert json.loads(capsys.readouterr().out)["text"] == card
    with pytest.raises(ValueError, match="not an image"):
        read_image(str(tmp_path / "notes.txt"))


def test_scan_worker_reports_each_card_once(card: str, tmp_path: Path) -> None:
    cv2.imwrite(str(tmp_path / "a.png"), frame(card, "clean", 1))
    cv2.imwrite(str(tmp_path / "b.png"), render(None, Look(has_code=False), 2))
    seen: list[str] = []
    got = threading.Event()
    source = FolderFrames(tmp_path, fps=50)

    def on_text(text: str) -> None:
        seen.append(text)
        got.set()

    worker = ScanWorker(source, on_text, repeat_s=60)
    source.start()
    worker.start()
    try:
        time.sleep(0.3)
        assert seen == []  # not active: the kiosk is not on the scan screen
        worker.active.set()
        assert got.wait(10)
        time.sleep(0.5)  # the card stays in view: no second report
        assert seen == [card]
    finally:
        worker.stop()
        source.stop()
    assert WIDTH == 1280


def test_folder_frames_decode_a_file_once_and_again_when_it_changes(tmp_path: Path) -> None:
    """A looping folder is decoded once a file, not at every frame; a file written anew is
    read anew, and a removed one is forgotten."""
    a = tmp_path / "a.png"
    cv2.imwrite(str(a), np.full((40, 60, 3), 10, np.uint8))
    source = FolderFrames(tmp_path)
    first = source._image(a)
    assert source._image(a) is first  # the same decoded frame, not a second decode
    cv2.imwrite(str(a), np.full((50, 60, 3), 200, np.uint8))  # another picture, another size
    again = source._image(a)
    assert again is not first and again.shape == (50, 60, 3) and int(again[0, 0, 0]) == 200
    b = tmp_path / "b.png"
    cv2.imwrite(str(b), np.zeros((10, 10, 3), np.uint8))
    a.unlink()
    source._image(b)
    assert set(source._decoded) == {b}
    with pytest.raises(FileNotFoundError):
        source._image(a)
