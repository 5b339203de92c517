"""Every text a person reads on the kiosk, in Korean (the default) and English.

``tr(key, lang, **params)`` formats one text; rejection codes reuse the wording of
:data:`shared.errors.CODE_TEXT` so kiosk, server and dashboard say the same thing.
"""

from __future__ import annotations

from typing import Final

from shared.errors import CODE_TEXT

LANGS: Final = ("ko", "en")

TEXT: Final[dict[str, tuple[str, str]]] = {
    # scan
    "scan.title": ("심사 카드를 보여 주세요", "Show your judging card"),
    "scan.help": (
        "카드의 QR 코드를 화면 위 카메라에 비춰 주세요",
        "Hold the QR code on your card up to the camera above the screen",
    ),
    "scan.hint.none": (
        "코드가 보이지 않아요. 카드를 네모 안에 맞추고 잠시 멈춰 주세요",
        "No code found yet. Fit the card inside the square and hold it still",
    ),
    "scan.hint.fit": ("카드를 네모 안에 맞춰 주세요", "Fit the card inside the square"),
    "scan.hint.two": ("카드를 한 장만 보여 주세요", "Show one card at a time"),
    "scan.hint.reading": ("읽는 중…", "Reading…"),
    "scan.no_camera.title": ("카메라 없음", "No camera"),
    "scan.no_camera.online": (
        "카드의 글자를 붙여 넣거나 스캐너로 읽어 주세요",
        "Paste the text of your card, or read it with a handheld scanner",
    ),
    "scan.no_camera": (
        "카메라를 쓸 수 없습니다. 스캐너나 직원에게 문의하세요",
        "The camera is not available. Use the handheld scanner or ask staff",
    ),
    "scan.step1": ("카드의 QR 코드를 카메라에 비춥니다", "Show the QR code on your card to the camera"),
    "scan.step2": ("PIN 번호를 누릅니다", "Type your PIN"),
    "scan.step3.rubric": ("배정된 제안마다 점수를 매깁니다", "Score each proposal assigned to you"),
    "scan.step3.approval": ("마음에 드는 제안에 좋아요를 누릅니다", "Like the proposals you support"),
    "scan.step4": ("영수증 번호를 받습니다", "Get your receipt code"),
    "scan.ime": (
        "스캐너가 한글로 입력했습니다. 키보드를 영문(한/영 키)으로 바꾼 뒤 다시 읽어 주세요",
        "The scanner typed Korean letters. Switch the keyboard to English (Han/Yeong key) and scan again",
    ),
    "scan.paste": ("카드 글자 붙여넣기", "Paste card text"),
    "scan.paste.go": ("열기", "Open"),
    "scan.paste.hint": ("SIMSA1.… 로 시작하는 글자", "Text starting with SIMSA1.…"),
    "staff.button": ("직원", "Staff"),
    "lang.button": ("English", "한국어"),
    "demo.banner": ("데모 행사 — 실제 심사가 아닙니다", "DEMO event — not a real vote"),
    "font.missing": ("한글 글꼴이 없습니다 (fonts-nanum 설치)", "Korean font missing (install fonts-nanum)"),
    # card problems
    "card.not_simsa": ("심사 카드가 아닙니다", "This is not a judging card"),
    "card.other_event": (
        "다른 행사의 카드입니다 ({event})",
        "This card is for another event ({event})",
    ),
    "card.unknown": ("이 행사에 등록되지 않은 카드입니다", "This card is not registered for this event"),
    "card.revoked": (
        "사용이 중지된 카드입니다. 안내 데스크로 가 주세요",
        "This card has been revoked. Please go to the help desk",
    ),
    "card.locked": (
        "PIN을 여러 번 틀려 이 기기에서 잠겼습니다. 직원에게 문의하세요",
        "Too many wrong PINs: this card is locked on this kiosk. Please ask staff",
    ),
    "card.weak": (
        "이 카드의 보안 수준(2^{logn})이 행사 기준(2^{min})보다 낮아 쓸 수 없습니다",
        "This card's protection (2^{logn}) is below the event's minimum (2^{min}); it cannot be used",
    ),
    "card.wrong_channel": (
        "이 카드는 {channel} 심사용입니다",
        "This card is for {channel} judging",
    ),
    "channel.kiosk": ("현장 키오스크", "on-site kiosk"),
    "channel.online": ("온라인", "online"),
    "card.mismatch": (
        "카드가 열렸지만 행사에 등록된 열쇠와 다릅니다. 직원에게 문의하세요",
        "The card opens, but not to the key the event knows. Please ask staff",
    ),
    "window.not_open": ("아직 심사 시간이 아닙니다 ({start})", "Judging has not started yet ({start})"),
    "window.closed": ("심사 시간이 끝났습니다 ({end})", "Judging has ended ({end})"),
    # pin
    "pin.title": ("PIN 번호를 눌러 주세요", "Enter your PIN"),
    "pin.for": ("심사위원 {reviewer}", "Reviewer {reviewer}"),
    "pin.wrong": (
        "PIN이 맞지 않습니다. {left}번 더 시도할 수 있어요",
        "Wrong PIN. {left} more tries on this kiosk",
    ),
    "pin.opening": ("카드를 여는 중…", "Opening your card…"),
    "pin.ok": ("확인", "OK"),
    "pin.clear": ("지우기", "Clear"),
    "pin.cancel": ("취소", "Cancel"),
    # assignments
    "list.title": ("심사할 제안", "Proposals to judge"),
    "list.title.approval": ("좋아요를 줄 모둠", "Groups to like"),
    "list.progress": ("완료 {done} · 남음 {left}", "Done {done} · Left {left}"),
    "list.group": ("모둠 {group}", "Group {group}"),
    "list.group.detail": ("제안 {n}개 중 좋아요 최대 {max}개", "Like up to {max} of {n} proposals"),
    "list.todo.approval": ("고르기", "Choose"),
    "list.done": ("완료", "Done"),
    "list.todo": ("심사하기", "Judge"),
    "list.again": ("다시 심사", "Judge again"),
    "list.all_done": ("모두 마쳤습니다. 감사합니다!", "All done. Thank you!"),
    "list.none": ("이 카드에 배정된 심사가 없습니다", "Nothing is assigned to this card"),
    "logout": ("끝내기", "Finish"),
    "back": ("뒤로", "Back"),
    # rubric
    "rubric.title": ("점수를 매겨 주세요", "Score this proposal"),
    "rubric.max": ("최대 {max}점", "up to {max}"),
    "rubric.previous": ("이전 점수 {score}", "Previous score {score}"),
    "rubric.rescore": (
        "이미 심사한 제안입니다. 새로 매긴 점수가 새 투표로 기록됩니다",
        "You judged this before. New scores are recorded as a new ballot",
    ),
    "rubric.missing": ("모든 항목에 점수를 매겨 주세요 ({n}개 남음)", "Score every criterion ({n} left)"),
    "next": ("다음", "Next"),
    # approval
    "approval.title": ("좋아요를 최대 {max}개까지 골라 주세요", "Choose up to {max} proposals you like"),
    "approval.counter": ("{n} / {max} 선택", "{n} of {max} chosen"),
    "approval.full": ("이미 {max}개를 골랐습니다. 하나를 빼고 고르세요", "You already chose {max}. Remove one first"),
    "approval.own": ("자기 공동체 제안은 목록에 없습니다", "Your own community's proposal is not listed"),
    "approval.was": ("이전에 선택", "liked before"),
    "approval.previous": ("이전 선택 {n}개", "Previously chose {n}"),
    # confirm
    "confirm.title": ("이대로 제출할까요?", "Submit this?"),
    "confirm.total": ("합계 {total}점 / {max}점", "Total {total} of {max}"),
    "confirm.likes": ("좋아요 {n}개", "{n} likes"),
    "confirm.none": ("좋아요를 하나도 고르지 않았습니다", "You chose no proposal"),
    "confirm.submit": ("제출", "Submit"),
    "confirm.fix": ("고치기", "Change"),
    "confirm.saving": ("저장하는 중…", "Saving…"),
    # receipt
    "receipt.title": ("저장되었습니다", "Saved"),
    "receipt.code": ("영수증 번호", "Receipt code"),
    "receipt.help": (
        "이 번호로 나중에 공개 원장에서 내 투표를 확인할 수 있어요",
        "With this code you can check your ballot on the public ledger later",
    ),
    "receipt.queued": ("인터넷이 연결되면 전송됩니다", "Will be sent when the network is back"),
    "receipt.sent": ("원장에 기록됨 (#{index})", "On the ledger (#{index})"),
    "receipt.refused": ("서버가 거부했습니다: {reason}", "The server refused it: {reason}"),
    "receipt.next": ("다음 제안", "Next proposal"),
    "receipt.finish": ("끝내기", "Finish"),
    "save.refused": ("저장할 수 없습니다: {reason}", "Cannot save: {reason}"),
    "save.failed": ("저장하지 못했습니다. 직원에게 문의하세요 ({error})", "Could not save. Please ask staff ({error})"),
    "idle.warning": (
        "{s}초 뒤 처음 화면으로 돌아갑니다. 계속하려면 화면을 누르세요",
        "Back to the start in {s} s. Touch the screen to continue",
    ),
    "idle.logout": ("오래 입력이 없어 처음 화면으로 돌아왔습니다", "Logged out after a while without input"),
    "bye": ("수고하셨습니다. 카드를 챙겨 가세요", "Thank you. Don't forget your card"),
    # staff
    "staff.pin.title": ("직원 PIN", "Staff PIN"),
    "staff.pin.wrong": ("직원 PIN이 맞지 않습니다", "Wrong staff PIN"),
    "staff.pin.locked": ("직원 PIN을 너무 많이 틀렸습니다. {minutes}분 뒤에 다시", "Too many wrong staff PINs. Try again in {minutes} min"),
    "staff.title": ("직원 메뉴", "Staff menu"),
    "staff.kiosk": ("키오스크", "Kiosk"),
    "staff.fingerprint": ("열쇠 지문", "Key fingerprint"),
    "staff.server": ("서버", "Server"),
    "staff.none": ("없음 (USB로만 전송)", "none (USB bundle only)"),
    "staff.enrolment": ("등록 상태", "Enrolment"),
    "staff.queue": ("전송 대기", "Waiting to sync"),
    "staff.chain": ("기록 {head}건 · 서버 보관 {synced}건", "{head} records · {synced} held by the server"),
    "staff.results": ("접수 {accepted} · 중복 {duplicate} · 거부 {rejected}", "accepted {accepted} · duplicate {duplicate} · rejected {rejected}"),
    "staff.last_sync": ("마지막 동기화", "Last sync"),
    "staff.last_sth": ("마지막 원장 머리", "Last tree head"),
    "staff.never": ("아직 없음", "never"),
    "staff.alarms": ("경보", "Alarms"),
    "staff.no_alarms": ("경보 없음", "No alarms"),
    "staff.locked": ("잠긴 카드 {n}장", "{n} locked cards"),
    "staff.opened": ("카드 열림 {n}회", "cards opened {n} times"),
    "staff.sync": ("지금 동기화", "Sync now"),
    "staff.export": ("USB로 내보내기", "Export USB bundle"),
    "staff.exported": ("{path} 에 {files}개 파일로 저장했습니다", "Saved {files} files in {path}"),
    "staff.close": ("키오스크 닫기", "Close kiosk"),
    "staff.close.confirm": ("한 번 더 누르면 닫힘", "Tap again to close"),
    "staff.close.warning": (
        "키오스크를 닫으면 더는 투표를 받지 않습니다. 마지막 기록에 서명해 서버에 보냅니다",
        "A closed kiosk takes no more ballots. It signs its last record and hands it to the server",
    ),
    "staff.exported.none": (
        "보낼 기록이 없습니다: 서버가 기록 {synced}건을 모두 보관하고 있습니다",
        "Nothing to export: the server holds all {synced} records",
    ),
    "staff.synced": ("동기화했습니다 · 서버 보관 {synced}건 / 기록 {head}건", "Synced · server holds {synced} of {head} records"),
    "staff.sync_failed": ("서버에 닿지 않습니다. 다시 시도합니다 ({error})", "Cannot reach the server; retrying ({error})"),
    "staff.quit": ("앱 종료", "Quit app"),
    "enrol.pending": ("직원 승인 대기", "waiting for staff approval"),
    "enrol.approved": ("승인됨", "approved"),
    "enrol.closed": ("닫힘", "closed"),
    "enrol.refused": ("거부됨 (경보 참조)", "refused (see alarms)"),
    "enrol.none": ("아직 등록 전", "not registered yet"),
    "staff.closed": ("닫힌 키오스크입니다", "This kiosk is closed"),
    "staff.leave": ("나가기", "Leave"),
    "staff.syncing": ("동기화하는 중…", "Syncing…"),
    "staff.error": ("마지막 오류", "Last error"),
    "closed.title": ("이 키오스크는 닫혔습니다", "This kiosk is closed"),
    "closed.help": ("다른 키오스크를 이용해 주세요", "Please use another kiosk"),
    # issue 11: layouts, honest outcomes, no accidental exits
    "demo.short": ("데모 · 연습용", "DEMO · practice"),
    "big_text.on": ("큰 글씨", "Large text"),
    "big_text.off": ("보통 글씨", "Normal text"),
    "finish.ask.title": ("아직 {n}개가 남았습니다", "{n} still to judge"),
    "finish.ask.body": ("그래도 끝낼까요? 남은 제안은 나중에 다시 와서 심사할 수 있어요",
                        "Finish anyway? You can come back later for the rest"),
    "finish.ask.leave": ("그래도 끝내기", "Finish anyway"),
    "finish.ask.stay": ("계속 심사", "Keep judging"),
    "idle.ask.title": ("계속하시겠어요?", "Are you still there?"),
    "idle.ask.body": ("{s}초 뒤 처음 화면으로 돌아갑니다. 적던 내용은 그대로 있어요",
                      "Back to the start in {s} s. What you entered is kept until then"),
    "idle.ask.stay": ("계속하기", "Continue"),
    "idle.ask.leave": ("끝내기", "Finish"),
    "list.next_todo": ("남은 제안 심사하기", "Judge the next one"),
    "list.rescore.ask": ("다시 심사할까요? 새 투표로 기록됩니다", "Judge again? It is recorded as a new ballot"),
    "list.rescore.yes": ("네, 다시 심사", "Yes, judge again"),
    "list.rescore.no": ("아니요", "No"),
    "list.refused": ("거부됨 · 직원에게 문의", "Refused · ask staff"),
    "list.refused.again": ("다시 제출", "Submit again"),
    "list.section.todo": ("남은 제안 {n}개", "{n} still to judge"),
    "list.section.done": ("마친 제안 {n}개", "{n} done"),
    "receipt.title.saved": ("이 키오스크에 저장되었습니다", "Saved on this kiosk"),
    "receipt.title.queued": ("저장되었습니다 · 전송 대기", "Saved · waiting to send"),
    "receipt.title.sent": ("원장에 기록되었습니다", "On the public record"),
    "receipt.title.refused": ("제출되지 않았습니다", "Not accepted"),
    "receipt.saved.detail": (
        "키오스크가 서버에 연결되면 공개 기록에 올라갑니다",
        "It goes on the public record when the kiosk reaches the server",
    ),
    "receipt.refused.detail": (
        "서버가 이 투표를 받지 않았습니다 ({reason}). 점수는 반영되지 않습니다. 직원에게 문의해 주세요",
        "The server did not accept this ballot ({reason}). It does not count. Please ask staff",
    ),
    "receipt.what": ("{target} {title}", "{target} {title}"),
    "receipt.total": ("합계 {total}점 / {max}점", "Total {total} of {max}"),
    "receipt.likes": ("좋아요 {n}개", "{n} likes"),
    "receipt.check": ("확인하는 곳: {url}", "Check it at: {url}"),
    "receipt.check.none": ("행사 안내 데스크에서 이 번호를 확인할 수 있어요",
                           "The help desk can check this code for you"),
    "receipt.help2": (
        "이 번호로 나중에 내 투표가 공개 기록에 들어갔는지 확인할 수 있어요",
        "With this code you can later check that your ballot is in the public record",
    ),
    "receipt.list": ("목록", "List"),
    "done.title": ("수고하셨습니다", "Thank you"),
    "done.help": ("이번에 받은 영수증 번호입니다. 사진을 찍거나 적어 두세요",
                  "These are your receipt codes from this visit. Take a photo or write them down"),
    "done.refused": ("거부됨", "refused"),
    "done.close": ("마치기", "Done"),
    "scan.title.online": ("심사 카드를 열어 주세요", "Open your judging card"),
    "scan.title.type": ("카드의 글자를 입력해 주세요", "Type the text on your card"),
    "scan.step1.type": ("카드 뒷면의 글자(SIMSA1.…)를 입력하거나 붙여 넣습니다",
                        "Type or paste the text on your card (SIMSA1.…)"),
    "scan.step1.online": ("카드의 QR 코드를 카메라에 비추거나 글자를 입력합니다",
                          "Show your card's QR code to the camera, or type its text"),
    "scan.hint.refused": ("이 카드는 열 수 없습니다 (위 안내를 보세요)", "This card cannot be used (see above)"),
    "staff.time_zone": ("시간대 {tz}", "time zone {tz}"),
    "staff.error.unreachable": ("서버에 닿지 않습니다. 네트워크를 확인하세요", "Cannot reach the server. Check the network"),
    "staff.error.refused": ("서버가 요청을 거부했습니다", "The server refused the request"),
    # high contrast (issue 11): the bar button says what a tap does
    "contrast.on": ("선명한 화면", "High contrast"),
    "contrast.off": ("보통 화면", "Normal colours"),
    # witnesses (DESIGN §4): receipts and the staff screen
    "receipt.witnessed": ("원장에 기록됨 (#{index}) · 증인 확인됨", "On the ledger (#{index}) · witnessed"),
    "receipt.witness_pending": ("원장에 기록됨 (#{index}) · 증인 확인 대기",
                                "On the ledger (#{index}) · witnessing pending"),
    "staff.witnessed": ("증인 확인", "Witnessed"),
    "staff.witnessed.size": ("#{size}까지 ({n}명 서명)", "up to #{size} ({n} cosigners)"),
    "alarm.not_witnessed": ("증인 서명이 모자랍니다: 원장의 기록이 아직 증인 확인되지 않았습니다",
                            "Not witnessed: no checkpoint of the ledger has enough witness cosignatures"),
    "alarm.witness_invalid": ("증인 서명이 올바르지 않습니다", "A witness cosignature is invalid"),
    "alarm.ledger_inconsistent": ("원장이 앞서 본 기록과 맞지 않습니다 (직원·감사인에게 알리세요)",
                                  "The ledger does not match what this kiosk saw before (tell staff and auditors)"),
}


def tr(key: str, lang: str = "ko", **params: object) -> str:
    """The text ``key`` in ``lang`` with ``params`` filled in; an unknown key shows itself."""
    i = 1 if lang == "en" else 0
    pair = TEXT.get(key)
    if pair is None and key.startswith("code.") and key[5:] in CODE_TEXT:
        pair = CODE_TEXT[key[5:]]
    if pair is None:
        return key
    return pair[i].format(**params) if params else pair[i]


def code_text(code: str, lang: str = "ko") -> str:
    """A rejection or alarm code as a sentence (the code itself when unknown)."""
    pair = CODE_TEXT.get(code) or TEXT.get(f"alarm.{code}")
    if pair is None:
        return code
    return pair[1 if lang == "en" else 0]
