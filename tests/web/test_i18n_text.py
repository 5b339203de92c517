"""Korean particles chosen by how the word before them ends when read aloud, and English
counts without "(s)": the text helpers of ``server.web.i18n`` (no browser)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from server.settings import Settings
from server.web import details, i18n, localtime, lookup
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


@pytest.mark.parametrize(
    ("detail", "korean"),
    [
        ("sync: expected seq 4, found 5", "네트워크 동기화: 순번 4가 와야 하는데 5가 왔습니다"),
        ("bundle by mina: records jump from seq 3 to 7", "USB 묶음 (mina): 기록의 순번이 3에서 7로 건너뜁니다"),
        ("kiosk hall-a-01 is closed already", "키오스크 hall-a-01은 이미 마감되었습니다"),
        ("proposal 'p07' is not assigned to mem-3-1", "제안 p07은 mem-3-1에게 배정되지 않았습니다"),
        ("notes.json is not valid JSON: Expecting value at 1:11", "notes.json은 올바른 JSON이 아닙니다 (1번째 줄 11번째 글자에서 깨짐)"),
        ("score 15 for c2 is outside 0..10", "항목 c2의 점수 15가 0부터 10까지의 범위 밖입니다"),
        ("created at 2026-12-02T10:00:00Z, outside the online window",
         "작성 시각 2026-12-02T10:00:00Z가 온라인 투표 기간 밖입니다"),
    ],
)
def test_refusal_details_in_korean(detail: str, korean: str) -> None:
    assert details.detail_plain("ko", detail) == korean
    assert details.detail_plain("en", detail) == detail
    shown = str(details.detail_text("ko", detail))
    assert korean in html.unescape(re.sub(r"<[^>]+>", "", shown.split(">", 1)[1]))
    assert all(f'<span class="id">{m}' in shown for m in re.findall(r"\w+(?:-\w+)+", korean) if ":" not in m)


def test_unknown_detail_stays_whole_and_marked() -> None:
    html = str(details.detail_text("ko", "something <new> happened"))
    assert "원문(영어):" in html and 'lang="en"' in html and "something &lt;new&gt; happened" in html


def test_reviewer_lookup_rules() -> None:
    ids = ["REP-0117", "REP-0118", "REP-1117", "mem-3-1", "exp-01-2"]
    for typed in ("REP-0117", "rep-0117", " Rep-0117 ", "0117", "117"):
        assert lookup.find(ids, typed) == ["REP-0117"], typed
    assert lookup.find(ids, "rep-01") == ["REP-0117", "REP-0118"]
    assert lookup.find(ids, "mem") == ["mem-3-1"]
    assert lookup.find(ids, "zzz") == [] and lookup.find(ids, "") == []
    assert lookup.examples(ids) == ["REP-0117", "exp-01-2", "mem-3-1"]


def test_times_in_the_event_zone() -> None:
    assert localtime.local("2026-12-02T18:30:05Z", "Asia/Seoul") == "12-03 03:30:05 KST"
    assert localtime.full(1_780_000_000_000, "Asia/Seoul").endswith(" KST")
    assert localtime.local("2026-07-01T10:00:00Z", "Europe/Berlin") == "07-01 12:00:00 CEST"
    assert localtime.local("2026-12-02T18:30:05.250+00:00", "UTC") == "12-02 18:30:05 UTC"
    assert localtime.local("not a time", "Asia/Seoul") == "not a time"


def test_timezone_setting_is_checked(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text("{}")
    assert Settings(event_dir=tmp_path).timezone == "Asia/Seoul"
    assert Settings(event_dir=tmp_path, timezone="Europe/Berlin").timezone == "Europe/Berlin"
    with pytest.raises(ValidationError, match="unknown time zone"):
        Settings(event_dir=tmp_path, timezone="Mars/Olympus")


def test_action_problems_in_korean() -> None:
    got = details.detail_plain("ko", "kiosk k1 closed at seq 9 but the server holds its chain to 6: import its bundle first, or close with force")
    assert got.startswith("키오스크 k1은 순번 9에서 마감했지만 서버는 순번 6까지만")
    assert details.detail_plain("ko", "the event is closed already") == "행사가 마감되었습니다. 원장에 더 이상 기록되지 않습니다"


def test_both_code_texts_take_the_code_then_the_language() -> None:
    """The server's and the kiosk's ``code_text`` take (code, lang) alike: a caller used to
    one cannot swap them in the other (a swapped call gives back the language tag)."""
    import inspect

    from kiosk import i18n as kiosk_i18n

    server_params = list(inspect.signature(i18n.code_text).parameters)
    kiosk_params = list(inspect.signature(kiosk_i18n.code_text).parameters)
    assert server_params == kiosk_params == ["code", "lang"]
    for lang in ("ko", "en"):
        assert i18n.code_text("chain_gap", lang) == kiosk_i18n.code_text("chain_gap", lang)
