"""Korean and English texts of the accounting pages: signed heads, records that arrived
after a close, the override a close needs, reconciliation figures and bundle advice.
Merged into :data:`server.web.i18n.TEXT`."""

from __future__ import annotations

CORE_TEXT: dict[str, tuple[str, str]] = {
    "alarm.nohead": (
        "키오스크 {kiosk}: 승인 후 서명된 마지막 기록을 한 번도 보내지 않았습니다. 몇 표를 갖고 있는지 알 수 없습니다 — 동기화하거나 USB 묶음을 가져오세요.",
        "Kiosk {kiosk}: no signed head since approval, so what it holds is unknown — sync it or import its USB bundle.",
    ),
    "alarm.late": (
        "키오스크 {kiosk}: 마감 뒤에 도착한 기록 {n}건 — 원장에 '거부'로 남았고 집계되지 않습니다",
        "Kiosk {kiosk}: {n} {n:record|records} arrived after the close — on the ledger as rejected, not counted",
    ),
    "k.nohead": (
        "이 키오스크는 승인 후 서명된 마지막 기록을 보내지 않았습니다. 서버는 이 키오스크가 몇 표를 갖고 있는지 모릅니다. 동기화하거나 USB 묶음(README.json 포함)을 가져오세요.",
        "This kiosk has sent no signed head since approval: the server does not know how many ballots it holds. Sync it or import its USB bundle (with README.json).",
    ),
    "k.late": (
        "마감 뒤에 도착한 기록 {n}건이 원장에 '거부'(kiosk_closed/event_closed)로 기록되었습니다. 잃어버린 것은 없지만 집계되지 않습니다.",
        "{n} {n:record|records} arrived after the close and are on the ledger as rejected (kiosk_closed/event_closed): nothing is lost, but they are not counted.",
    ),
    "k.stake": ("마감하면 남는 것", "What closing now leaves behind"),
    "k.stake.signed": ("키오스크가 서명한 마지막 기록", "Kiosk's last signed head"),
    "k.stake.signed.none": ("없음 (알 수 없음)", "none (unknown)"),
    "k.stake.synced": ("서버가 가진 체인", "Chain the server holds"),
    "k.stake.missing": ("서버에 없는 서명된 기록", "Signed records not on the server"),
    "k.stake.missing.none": ("알려진 누락 없음", "none known"),
    "k.stake.contact": ("마지막 연락", "Last contact"),
    "k.stake.contact.ago": ("{minutes}분 전", "{minutes} min ago"),
    "k.stake.closure": ("키오스크 마감 보고", "Kiosk's closure"),
    "k.stake.closure.none": ("보내지 않음", "not sent"),
    "k.stake.closure.mismatch": ("서버 기록과 다름", "differs from the server"),
    "k.override.help": (
        "키오스크의 마감 보고가 서버 기록과 일치해야 마감할 수 있습니다. 먼저 동기화하거나 USB 묶음과 마감 보고를 가져오세요. 그래도 지금 마감해야 한다면 키오스크 이름과 사유를 입력하세요: 사유와 누락 범위가 원장에 기록되고, 나중에 도착하는 기록도 원장에 '거부'로 남습니다.",
        "A kiosk closes when its closure matches the server. Sync it, or import its USB bundle and closure, first. If it must close now, type its name and a reason: the reason and the missing range go on the ledger, and records that arrive later are still logged as rejected.",
    ),
    "k.override.confirm": ("확인: 키오스크 이름 {kiosk} 입력", "Confirm: type the kiosk name {kiosk}"),
    "k.override.reason": ("사유 (원장에 기록됨)", "Reason (goes on the ledger)"),
    "k.override.submit": ("사유를 남기고 강제 마감", "Override and close"),
    "k.override.done": (
        "{staff}이(가) 강제 마감함 · 사유: {reason}",
        "Closed by override ({staff}) · reason: {reason}",
    ),
    "k.override.missing": ("마감 때 누락된 순번: {first}–{last}", "Missing at the close: seq {first}–{last}"),
    "k.refusal.times": ("{n}회", "{n} times"),
    "x.check.nohead": (
        "서명된 마지막 기록을 보낸 적 없는 키오스크 {n}대 (보유 표 수를 알 수 없음)",
        "{n} {n:kiosk|kiosks} never sent a signed head (what they hold is unknown)",
    ),
    "x.override.help": (
        "열려 있거나 기록이 덜 온 키오스크가 있습니다. 그래도 마감하려면 사유를 입력하세요: 사유와 해당 키오스크 목록이 원장의 마감 기록에 남습니다.",
        "Some kiosks are still open or behind. To close anyway, give a reason: it goes on the ledger's close entry with those kiosks.",
    ),
    "x.override.reason": ("강제 마감 사유 (원장에 기록됨)", "Reason for closing anyway (goes on the ledger)"),
    "ov.reconcile": ("맞춰보기", "Reconciliation"),
    "ov.types": ("원장 항목 (종류별)", "Ledger entries by type"),
    "ov.counted": ("접수 대 집계", "Accepted vs counted"),
    "ov.counted.row": (
        "{channel}: 접수 {accepted} = 집계 {counted} + 중복 투표에서 밀린 표 {lost} (규칙 {rule}, 운영자 결정 {staff})",
        "{channel}: accepted {accepted} = counted {counted} + conflict losers {lost} (by rule {rule}, by staff {staff})",
    ),
    "ov.ballot_rejections": ("투표 거부", "Ballot rejections"),
    "ov.batch_refusals": ("묶음 거부 (반복은 한 번으로)", "Batch refusals (repeats collapsed)"),
    "ov.batch_refusals.row": ("{code}: {distinct}건 (받은 횟수 {received})", "{code}: {distinct} (received {received} times)"),
    "ov.late": ("마감 뒤 도착 (원장에 기록, 집계 안 됨)", "Arrived after close (on the ledger, not counted)"),
    "b.readme.missing": (
        "README.json에 적힌 묶음 파일 {files:이} 업로드되지 않았습니다. 묶음 폴더의 파일을 모두 선택해서 다시 올리세요.",
        "README.json lists batch files that were not uploaded: {files}. Select every file of the bundle folder and upload again.",
    ),
    "b.readme.only": (
        "README.json만 올라와 아무것도 가져오지 않았습니다. README.json은 묶음의 목록일 뿐입니다: 같은 폴더의 batch-*.json 파일(과 registration.json, closure.json)을 함께 선택하세요.",
        "Only README.json was uploaded, so nothing was imported. README.json only lists the bundle: select the batch-*.json files of the same folder too (and registration.json, closure.json).",
    ),
    "b.readme.order": (
        "README.json의 순서대로 적용했습니다 (순번 {first}–{last}).",
        "Applied in README.json's order (seq {first}–{last}).",
    ),
    "b.gap": (
        "순번 {seq}부터의 묶음이 빈 곳 때문에 거부되었습니다: 서버는 {synced}까지만 갖고 있습니다. 그 앞의 묶음 파일(순번 {first}부터)을 함께 올리세요.",
        "The batch from seq {seq} was refused for a gap: the server holds the chain only to {synced}. Upload the batch files before it too (from seq {first}).",
    ),
    "b.readme.kiosk": (
        "README.json은 키오스크 {readme}의 것인데 다른 키오스크 {other}의 파일이 섞여 있습니다.",
        "README.json is kiosk {readme}'s but files of kiosk {other} are mixed in.",
    ),
    "f.close.override_unconfirmed": (
        "키오스크 {kiosk:를} 마감하지 않았습니다: 확인란에 키오스크 이름 {kiosk:를} 정확히 입력하고 사유를 적으세요.",
        "Kiosk {kiosk} was not closed: type its name {kiosk} exactly and give a reason.",
    ),
    "f.close.needs_override": (
        "키오스크 {kiosk:를} 마감하지 않았습니다: 일치하는 마감 보고가 없습니다. '마감하면 남는 것'을 확인하고 동기화하거나 묶음을 가져오세요.",
        "Kiosk {kiosk} was not closed: no matching closure. See what closing would leave behind, then sync it or import its bundle.",
    ),
    "x.needs_reason": (
        "행사를 마감하지 않았습니다: 열려 있거나 기록이 덜 온 키오스크가 {n}대 있습니다. 각 키오스크를 먼저 마감하거나 사유를 입력하세요.",
        "The event was not closed: {n} {n:kiosk is|kiosks are} open or behind. Close each kiosk first, or give a reason.",
    ),
    "x.reason_blank": ("행사를 마감하지 않았습니다: 사유를 입력하세요.", "The event was not closed: give a reason."),
    "res.counted": (
        "접수된 투표와 집계된 투표: 한 심사위원이 한 대상에 여러 번 낸 투표는 하나만 집계됩니다 (병합 규칙이나 운영진 결정으로).",
        "Accepted and counted ballots: when a reviewer sent several ballots for one target, one is counted (by the merge rule or a staff decision).",
    ),
    "res.counted.row": (
        "{channel}: 접수 {accepted} = 집계 {counted} + 중복 투표에서 밀린 표 {lost} (규칙 {rule}, 운영진 결정 {staff})",
        "{channel}: accepted {accepted} = counted {counted} + conflict losers {lost} (by rule {rule}, by staff decision {staff})",
    ),
}
