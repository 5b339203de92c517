"""Korean particles chosen by how the word before them ends when read aloud, and English
counts without "(s)": the text helpers of ``server.web.i18n`` (no browser)."""

from __future__ import annotations

import pytest

from server.web import i18n
from server.web.i18n import TEXT, particle, with_particle


@pytest.mark.parametrize(
    ("word", "form", "expected"),
    [
        ("hall-a-01", "를", "을"),  # 01 is read 공일: ends in ㄹ
        ("hall-a-02", "을", "를"),  # 이
        ("k1", "가", "이"),
        ("k2", "이", "가"),
        ("k3", "는", "은"),  # 삼
        ("k4", "은", "는"),  # 사
        ("k6", "를", "을"),  # 육
        ("k9", "을", "를"),  # 구
        ("k10", "를", "을"),  # 십
        ("k100", "를", "을"),  # 백
        ("k1000", "를", "을"),  # 천
        ("k20000", "를", "을"),  # 만
        ("k0", "를", "을"),  # 영
        ("REP-0117", "가", "이"),  # 칠
        ("hall-b", "을", "를"),  # 비
        ("room-l", "를", "을"),  # 엘
        ("room-M", "가", "이"),  # 엠 (case does not matter)
        ("desk-R", "는", "은"),  # 알
        ("키오스크", "을", "를"),
        ("심사위원", "를", "을"),
        ("심사위원", "와", "과"),
        ("키오스크", "과", "와"),
        ("k1", "으로", "로"),  # ㄹ takes 로
        ("k3", "로", "으로"),
        ("k2", "으로", "로"),
        ("'hall-a-01'", "를", "을"),  # quotes and brackets are not read
        ("", "를", "을(를)"),
        ("!!", "이", "이(가)"),
    ],
)
def test_particle_follows_the_spoken_end(word: str, form: str, expected: str) -> None:
    assert particle(word, form) == expected


def test_texts_use_the_right_particle() -> None:
    assert i18n.text("ko", "f.approved", kiosk="hall-a-01", index=5) == "키오스크 hall-a-01을 승인했습니다 (원장 #5)."
    assert i18n.text("ko", "f.approved", kiosk="k2", index=5) == "키오스크 k2를 승인했습니다 (원장 #5)."
    assert i18n.text("ko", "e.kiosk", kiosk="k1") == "등록된 키오스크 k1이 없습니다."
    assert i18n.text("ko", "k.bundle.registered.known", kiosk="k2", status="x").startswith("키오스크 k2는 ")
    assert with_particle("hall-a-01", "을") == "hall-a-01을"


def test_english_counts_without_s_in_brackets() -> None:
    assert i18n.text("en", "alarm.pending", n=1) == "1 kiosk waiting for approval"
    assert i18n.text("en", "alarm.pending", n=3) == "3 kiosks waiting for approval"
    assert i18n.text("en", "x.check.missing", n=1) == "1 kiosk has records the server does not hold."
    assert i18n.text("en", "x.check.missing", n="2") == "2 kiosks have records the server does not hold."
    assert [k for k, (ko, en) in TEXT.items() if "(s)" in en or "(s)" in ko] == []


def test_no_staff_jargon_in_korean_labels() -> None:
    for key in ("k.forks", "k.reconcile.hash", "alarm.fork", "ov.sth_at"):
        ko = TEXT[key][0]
        assert "포크" not in ko and "해시" not in ko and "트리 헤드" not in ko, key
    assert "포크" in TEXT["term.fork"][0]
