"""The detail of a refusal in the reader's language.

The server, the API and the ledger keep one English detail per refusal (what the API
answers and the ledger records). Staff pages show it in Korean by these patterns; a
detail no pattern knows is shown as it is, marked as the original English text.
"""

from __future__ import annotations

import re
from typing import Final

from markupsafe import Markup, escape

from . import i18n

_CHANNEL: Final = {"kiosk": "현장", "online": "온라인", "sync": "네트워크 동기화", "usb": "USB 묶음", "bundle": "USB 묶음"}
_WHO = r"'?([^'\s,;:]+)'?"

#: (English pattern, Korean text): groups become {0}, {1} …; {0:을} picks the particle.
PATTERNS: Final[list[tuple[re.Pattern[str], str]]] = [
    (re.compile(p + r"\.?\Z"), ko)
    for p, ko in [
        (r"expected seq (\d+), found (\d+)", "순번 {0:이} 와야 하는데 {1:이} 왔습니다"),
        (r"records jump from seq (\d+) to (\d+)", "기록의 순번이 {0}에서 {1:으로} 건너뜁니다"),
        (r"record (\d+) does not link to record (\d+)", "기록 {0:이} 기록 {1}에 이어지지 않습니다 (앞 기록의 지문이 다릅니다)"),
        (r"the batch head does not name its last record", "묶음의 헤드가 묶음의 마지막 기록을 가리키지 않습니다"),
        (r"the batch head names another kiosk", "묶음의 헤드가 다른 키오스크의 것입니다"),
        (r"kiosk " + _WHO + r" is closed already", "키오스크 {0:은} 이미 마감되었습니다"),
        (r"kiosk " + _WHO + r" is not an approved kiosk", "키오스크 {0:은} 승인된 키오스크가 아닙니다"),
        (r"no approved kiosk " + _WHO, "승인된 키오스크 {0:이} 없습니다"),
        (r"no kiosk " + _WHO + r" has registered", "등록된 키오스크 {0:이} 없습니다"),
        (r"kiosk " + _WHO + r" is registered with another key; choose a new kiosk id",
         "키오스크 {0:은} 다른 키로 등록되어 있습니다. 새 키오스크 번호를 쓰세요"),
        (r"the closure names kiosk " + _WHO, "마감 보고에 다른 키오스크 {0:이} 적혀 있습니다"),
        (r"(.+) is not a kiosk batch, registration or closure", "{0:은} 키오스크의 기록 묶음, 등록, 마감 보고 파일이 아닙니다"),
        (r"group " + _WHO + r" is not assigned to " + _WHO, "조 {0:은} {1}에게 배정되지 않았습니다"),
        (r"proposal " + _WHO + r" is not assigned to " + _WHO, "제안 {0:은} {1}에게 배정되지 않았습니다"),
        (r"(\S+) is (\S+)'s own community's proposal", "{0:은} {1}의 소속 공동체 제안입니다"),
        (r"choices (.+) are not in group " + _WHO, "선택한 {0:이} 조 {1}에 없습니다"),
        (r"created at (\S+), outside the (kiosk|online) window", "작성 시각 {0:이} {1} 투표 기간 밖입니다"),
        (r"criteria missing (.*) / unknown (.*)", "빠진 항목 {0}, 알 수 없는 항목 {1}"),
        (r"score (\S+) for (\S+) is outside 0\.\.(\S+)", "항목 {1}의 점수 {0:이} 0부터 {2}까지의 범위 밖입니다"),
        (r"score for (\S+) is not a whole number", "항목 {0}의 점수가 정수가 아닙니다"),
        (r"signature is not (\S+)'s", "서명이 {0}의 것이 아닙니다"),
        (r"the ballot names kiosk (\S+), not (\S+)", "투표에 적힌 키오스크가 {1:이} 아니라 {0}입니다"),
        (r"ballot is for event " + _WHO + r", not " + _WHO, "다른 행사 {0}의 투표입니다 (이 행사: {1})"),
        (r"no reviewer " + _WHO + r" in the manifest", "명단에 없는 심사위원입니다: {0}"),
        (r"(\d+) choices, at most (\d+) allowed", "{0}개를 골랐습니다. 최대 {1}개까지 고를 수 있습니다"),
        (r"kiosk " + _WHO + r" closed at seq (\d+) but the server holds its chain to (\d+): import its bundle first, or close with force",
         "키오스크 {0:은} 순번 {1}에서 마감했지만 서버는 순번 {2}까지만 받았습니다. 먼저 USB 묶음을 가져오거나, 차이를 알고 마감하세요"),
        (r"no accepted ballot (\S+) by (\S+) for (\S+)", "{1}의 {2}에 대한 접수된 투표 {0:이} 없습니다"),
        (r"the registration raced with another; send it again", "등록이 다른 요청과 겹쳤습니다. 다시 보내세요"),
        (r"reviewer, target and ballot must be strings", "심사위원, 대상, 투표는 글자여야 합니다"),
        (r"form field (\S+) is longer than (\d+) characters", "입력란 {0:이} {1}자보다 깁니다"),
        (r"the same proposal is chosen twice", "같은 제안을 두 번 골랐습니다"),
        (r"a (kiosk|online) ballot arrived on the (kiosk|online) channel", "{0} 투표가 {1} 채널로 왔습니다"),
        (r"the event is closed.*", "행사가 마감되었습니다. 원장에 더 이상 기록되지 않습니다"),
        (r"an online ballot has kiosk null", "온라인 투표에 키오스크가 적혀 있지 않아야 합니다"),
        (r"ballot nonce must be a lower-case UUID", "투표의 nonce가 소문자 UUID가 아닙니다"),
        (r"(.+) is not valid JSON: .+ at (\d+):(\d+)", "{0:은} 올바른 JSON이 아닙니다 ({1}번째 줄 {2}번째 글자에서 깨짐)"),
        (r"(.+) is (\d+) bytes, more than (\d+)", "{0:이} {1}바이트로, 한도 {2}바이트보다 큽니다"),
        (r"(.+) is not UTF-8", "{0:은} UTF-8 텍스트가 아닙니다"),
        (r"(.+) is nested deeper than (\d+)", "{0:은} {1}단계보다 깊게 중첩되어 있습니다"),
        (r"(.+) must be a JSON object", "{0:은} JSON 객체여야 합니다"),
        (r"(.+) is missing (.+)", "{0}에 {1:이} 빠져 있습니다"),
        (r"(.+) has unexpected fields? (.+)", "{0}에 알 수 없는 항목 {1:이} 있습니다"),
        (r"(.+) must be one of (.+), got (.+)", "{0:은} {1} 중 하나여야 합니다 (받은 값 {2})"),
        (r"(.+) is longer than (\d+) characters", "{0:이} {1}자보다 깁니다"),
        # the server's own refusals (flood limits, late records, closing)
        (r"seq (\d+) arrived after the kiosk was closed: logged, not counted",
         "순번 {0}의 기록이 키오스크 마감 뒤에 왔습니다. 원장에 남겼지만 집계하지 않습니다"),
        (r"seq (\d+) arrived after the event was closed: logged, not counted",
         "순번 {0}의 기록이 행사 마감 뒤에 왔습니다. 원장에 남겼지만 집계하지 않습니다"),
        (r"(\S+) sent more than (\d+) ballots in a minute", "{0:이} 1분에 {1}개보다 많은 투표를 보냈습니다"),
        (r"(\S+) has (\d+) ballots for (\S+) already, the most this event takes \(merge\.max_per_target\)",
         "{0}의 {2}에 대한 투표가 이미 {1}개로, 이 행사가 받는 최대치입니다 (merge.max_per_target)"),
        (r"(\d+) kiosks are waiting for staff approval already, the most this server holds: ask staff to approve or dismiss some",
         "승인을 기다리는 키오스크가 이미 {0}대로, 이 서버가 받는 최대치입니다. 운영진이 승인하거나 거절해야 합니다"),
        (r"more than (\d+) kiosk registrations from this address in an hour",
         "이 주소에서 한 시간에 키오스크 등록이 {0}건을 넘었습니다"),
        (r"(\d+) kiosk registrations from this address are waiting for staff approval already, the most per address "
         r"\(pending_kiosks_per_address\): ask staff to approve or dismiss some",
         "이 주소에서 승인을 기다리는 키오스크 등록이 이미 {0}건으로, 주소당 최대치입니다 (pending_kiosks_per_address). "
         "운영진이 승인하거나 거절해야 합니다"),
        (r"kiosk " + _WHO + r" is not registered: register it and have staff approve it",
         "키오스크 {0:은} 등록되지 않았습니다. 등록한 뒤 운영진의 승인을 받으세요"),
        (r"kiosk " + _WHO + r" is registered but staff have not approved it yet",
         "키오스크 {0:은} 등록되었지만 아직 운영진이 승인하지 않았습니다"),
        (r"the (.+) holds (?:at least )?(\d+) JSON objects and arrays; at most (\d+) are accepted",
         "{0}에 JSON 객체와 배열이 너무 많습니다 ({1}개 이상, 한도 {2}개)"),
        (r"too many submissions from this address", "이 주소에서 보낸 요청이 너무 많습니다"),
        (r"too many wrong passwords", "비밀번호를 여러 번 틀렸습니다"),
        (r"the server is checking many passwords", "서버가 많은 비밀번호를 확인하고 있습니다"),
        (r"send (.+) with Content-Type: application/json", "본문({0})을 Content-Type: application/json으로 보내세요"),
        (r"send (.+) as application/json, not (.+)", "본문({0})을 {1:이} 아니라 application/json으로 보내세요"),
        (r"the body is (\d+) bytes; at most (\d+) are accepted here", "요청 본문이 {0}바이트로, 한도 {1}바이트보다 큽니다"),
        (r"the body is more than (\d+) bytes, the limit here", "요청 본문이 한도 {0}바이트보다 큽니다"),
        (r"type (.+) to confirm the override", "강제 마감을 확인하려면 {0:을} 입력하세요"),
        (r"give the reason for the override \(1-500 characters\); it goes on the ledger",
         "강제 마감 사유를 적으세요 (1~500자). 사유는 원장에 기록됩니다"),
        (r"(\d+) kiosk\(s\) are open or behind: (.+)\. Close each kiosk first, or override with a reason \(it goes on the ledger\)",
         "열려 있거나 기록이 덜 온 키오스크가 {0}대입니다: {1}. 먼저 각 키오스크를 마감하거나, 사유를 적고 강제로 마감하세요 (사유는 원장에 기록됩니다)"),
        (r"(\d+) more refusals like this from (.+) in the minute from (\S+):00Z, not kept one by one",
         "{2}:00Z부터 1분 동안 {1}에서 같은 거절이 {0}건 더 있었습니다 (하나하나 남기지 않음)"),
        (r"(\d+) more refusals from (\d+) other sources in the minute from (\S+):00Z",
         "{2}:00Z부터 1분 동안 다른 주소 {1}곳에서 거절이 {0}건 더 있었습니다"),
    ]
]

#: "…; retry in N s" after a flood limit's detail.
_RETRY: Final = re.compile(r"(.+); (?:retry|try again) in (\d+) s\Z", re.S)


def _ko(detail: str) -> str | None:
    via = re.match(r"(sync|bundle by (\S+)): (.+)\Z", detail, re.S)
    if via:
        inner = _ko(via.group(3))
        where = f"USB 묶음 ({via.group(2)})" if via.group(2) else _CHANNEL["sync"]
        return None if inner is None else f"{where}: {inner}"
    retry = _RETRY.match(detail)
    if retry:
        inner = _ko(retry.group(1))
        return None if inner is None else f"{inner}. {retry.group(2)}초 뒤에 다시 시도하세요"
    for pattern, ko in PATTERNS:
        m = pattern.match(detail)
        if m:
            args = [_CHANNEL.get(g, g) if g in ("kiosk", "online") else g for g in m.groups()]
            return i18n.fmt(ko, *args)
    return None


def detail_plain(lang: str, detail: str) -> str:
    """``detail`` as plain text in ``lang`` (the English original when no pattern knows it)."""
    if lang != "ko":
        return detail
    ko = _ko(detail.strip())
    return ko if ko is not None else f"{i18n.text(lang, 'detail.original')} {detail}"


#: An id with hyphens (hall-a-01, mem-01-1) and the particle after it: kept on one line.
_ID = re.compile(r"(?<![\w-])\w+(?:-\w+)+(?![\w-])")


def ids_whole(text: str) -> Markup:
    """``text`` escaped, with every hyphenated id (and its particle) in a ``span.id`` so a
    narrow column never breaks it at a hyphen."""
    out, last = [], 0
    for m in _ID.finditer(text):
        if len(m.group(0)) > 40:
            continue
        out += [escape(text[last : m.start()]), Markup('<span class="id">{}</span>').format(m.group(0))]
        last = m.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def detail_text(lang: str, detail: str | None) -> Markup:
    """``detail`` for a page in ``lang``: Korean by pattern, else the English original,
    marked as such (``lang="en"``) and kept whole."""
    if not detail:
        return Markup("")
    if lang != "ko":
        return ids_whole(detail)
    ko = _ko(detail.strip())
    if ko is not None:
        return Markup('<span title="{}">{}</span>').format(detail, ids_whole(ko))
    return Markup('<span class="muted">{}</span> <span lang="en">{}</span>').format(
        i18n.text(lang, "detail.original"), ids_whole(detail))

