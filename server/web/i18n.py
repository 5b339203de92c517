"""Korean and English text of the dashboard and the public pages.

Korean is the default; ``?lang=en`` (or the toggle in the header, which sets the
``simsa_lang`` cookie) switches to English. Every key has both languages — a test checks
it — and templates call ``t("key", name=value)``.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from typing import Any, Final

from shared.errors import CODE_TEXT

from ..problems import SERVER_CODES
from .i18n_core import CORE_TEXT

LANGS: Final = ("ko", "en")
COOKIE: Final = "simsa_lang"

TEXT: Final[dict[str, tuple[str, str]]] = {
    # frame
    "brand": ("심사", "simsa"),
    "skip": ("본문으로 건너뛰기", "Skip to content"),
    "lang.other": ("English", "한국어"),
    "lang.other.code": ("en", "ko"),
    "nav.overview": ("개요", "Overview"),
    "nav.kiosks": ("키오스크", "Kiosks"),
    "nav.conflicts": ("중복 투표", "Conflicts"),
    "nav.rejections": ("거부", "Rejections"),
    "nav.reviewers": ("심사위원", "Reviewers"),
    "nav.close": ("마감·결과", "Close & results"),
    "nav.verify": ("영수증 확인", "Check a receipt"),
    "nav.ledger": ("공개 원장", "Public ledger"),
    "nav.results": ("결과", "Results"),
    "nav.staff": ("운영진", "Staff"),
    "signed_in": ("{name} 님", "Signed in as {name}"),
    "logout": ("로그아웃", "Log out"),
    "live.on": ("자동 갱신 중", "Live"),
    "live.off": ("자동 갱신 꺼짐: 최신 정보는 새로 고침으로", "Not live: reload the page for the latest figures"),
    "live.updated": ("갱신 {time}", "Updated {time}"),
    "live.stale": ("새 정보가 있습니다. 입력을 마친 뒤 새로 고치세요.", "New data is in. Reload when you have finished typing."),
    "live.reload": ("새로 고침", "Reload"),
    "live.offline": ("서버에 연결되지 않습니다", "Cannot reach the server"),
    "demo": ("데모 행사입니다: 실제 심사가 아닙니다.", "Demo event: not a real review."),
    "closed.banner": ("심사가 마감되었습니다. 원장에 더 이상 기록되지 않습니다.", "The event is closed. Nothing more is added to the ledger."),
    "footer": ("simsa — 서명된 투표, 공개 원장, 누구나 검증", "simsa — signed ballots, a public ledger anyone can verify"),
    "none": ("없음", "none"),
    "yes": ("예", "yes"),
    "no": ("아니오", "no"),
    "channel.kiosk": ("현장", "On-site"),
    "channel.online": ("온라인", "Online"),
    "back": ("돌아가기", "Back"),
    "cancel": ("취소", "Cancel"),
    "details": ("자세히", "Details"),
    "time.zone": ("시각은 {abbr} ({zone})", "times in {abbr} ({zone})"),
    # login
    "login.title": ("운영진 로그인", "Staff login"),
    "login.name": ("이름", "Name"),
    "login.password": ("비밀번호", "Password"),
    "login.submit": ("로그인", "Log in"),
    "login.wrong": ("이름이나 비밀번호가 틀렸습니다.", "Wrong name or password."),
    "login.throttled": (
        "비밀번호를 여러 번 틀렸습니다. {seconds}초 뒤에 다시 시도하세요.",
        "Too many wrong passwords. Try again in {seconds} seconds.",
    ),
    "login.stale": ("로그인 화면이 오래되었습니다. 다시 시도하세요.", "The login form expired. Please try again."),
    "login.help": (
        "운영진 계정은 서버 담당자가 만듭니다 (simsa staff add).",
        "Staff accounts are made by the server operator (simsa staff add).",
    ),
    # overview
    "ov.title": ("개요", "Overview"),
    "ov.ledger": ("원장", "Ledger"),
    "ov.entries": ("기록 {n}건", "{n} {n:entry|entries}"),
    "ov.sth_at": ("원장 서명 {time}", "Ledger signed {time}"),
    "ov.ballots": ("접수된 투표", "Ballots accepted"),
    "ov.kiosks": ("키오스크", "Kiosks"),
    "ov.kiosks.line": ("운영 {approved} · 대기 {pending} · 마감 {closed}", "{approved} running · {pending} waiting · {closed} closed"),
    "ov.conflicts": ("중복 투표", "Conflicts"),
    "ov.conflicts.line": ("미결정 {open} / 전체 {total}", "{open} open of {total}"),
    "ov.rejections": ("거부", "Rejections"),
    "ov.state": ("행사 상태", "Event"),
    "ov.state.open": ("진행 중", "Open"),
    "ov.state.closed": ("마감됨", "Closed"),
    "ov.event.line": ("제안 {p}건 · 심사위원 {r}명", "{p} {p:proposal|proposals} · {r} {r:reviewer|reviewers}"),
    "ov.alarms": ("확인할 일", "Needs attention"),
    "ov.alarms.none": ("지금 확인할 문제가 없습니다.", "Nothing needs attention right now."),
    "ov.progress": ("조별 진행", "Progress per group"),
    "ov.group": ("조", "Group"),
    "ov.proposals": ("제안", "Proposals"),
    "ov.onsite_done": ("현장 심사 (완료/배정)", "On-site scores (done / assigned)"),
    "ov.online_done": ("온라인 좋아요 (참여/배정)", "Online likes (cast / assigned)"),
    "ov.by_code": ("거부 사유별", "Rejections by reason"),
    "ov.code": ("사유", "Reason"),
    "ov.count": ("건수", "Count"),
    "alarm.pending": ("승인을 기다리는 키오스크 {n}대", "{n} {n:kiosk|kiosks} waiting for approval"),
    "alarm.missing": (
        "키오스크 {kiosk}: 기록 {n}건이 서버에 아직 없습니다 (순번 {first}–{last})",
        "Kiosk {kiosk}: {n} {n:record|records} not on the server yet (seq {first}–{last})",
    ),
    "alarm.gap": (
        "키오스크 {kiosk}: 순번 {seq}의 기록이 빈 곳 때문에 거부되었습니다 (서버는 {synced}까지 보유). 키오스크의 동기화를 확인하거나 USB 묶음을 가져오세요.",
        "Kiosk {kiosk}: a batch from seq {seq} was refused for a gap (the server holds up to {synced}). Check the kiosk's sync or import its USB bundle.",
    ),
    "alarm.fork": ("키오스크 {kiosk}: 같은 순번에 다른 기록이 와서 거부된 기록 {n}건", "Kiosk {kiosk}: {n} {n:record|records} refused: a different record with the same seq (a fork)"),
    "alarm.closure": ("키오스크 {kiosk}: 마감 보고가 서버 기록과 다릅니다", "Kiosk {kiosk}: its closure does not match the server"),
    "alarm.silent": (
        "키오스크 {kiosk}: {minutes}분 동안 보낸 기록이 없습니다 (쉬는 중이 아니라면 네트워크를 확인하세요)",
        "Kiosk {kiosk}: nothing sent for {minutes} min (if it is in use, check its network)",
    ),
    "alarm.silent.many": (
        "키오스크 {n}대가 10분 넘게 보낸 기록이 없습니다",
        "{n} kiosks have sent nothing for more than 10 min",
    ),
    "alarm.conflicts": ("결정되지 않은 중복 투표 {n}건", "{n} {n:conflict|conflicts} not decided by staff"),
    "alarm.revoked": ("취소된 자격증명으로 온 투표 {n}건", "{n} {n:ballot|ballots} from revoked credentials"),
    "alarm.split": (
        "심사위원 {reviewer}의 투표가 여러 곳에서 왔습니다 ({sources}): 카드를 도용당했을 수 있으니 본인에게 확인하세요",
        "Reviewer {reviewer}'s ballots came from more than one place ({sources}): the card may be stolen; ask them",
    ),
    "alarm.split.many": (
        "심사위원 {n}명의 투표가 여러 곳에서 왔습니다: 카드 도용 여부를 확인하세요",
        "{n} reviewers' ballots came from more than one place: check for stolen cards",
    ),
    # kiosks
    "k.title": ("키오스크", "Kiosks"),
    "k.intro": (
        "키오스크마다 기기에 기록된 마지막 순번(키오스크가 서명해 알려 온 값)과 서버가 받은 순번을 비교합니다. "
        "차이가 있으면 그 기록들이 아직 서버에 없습니다: 키오스크를 네트워크에 연결해 동기화하거나, USB 묶음을 가져오세요.",
        "For each kiosk, the last seq recorded on the device (from the head the kiosk signed) against the seq the "
        "server holds. A difference means those records are not on the server yet: connect the kiosk so it syncs, "
        "or import its USB bundle.",
    ),
    "k.pending": ("승인 대기", "Waiting for approval"),
    "k.pending.help": (
        "키오스크 화면에 보이는 키 지문이 아래 지문과 같은지 확인한 뒤 승인하세요.",
        "Check that the key fingerprint on the kiosk's screen matches the one below, then approve.",
    ),
    "k.approve": ("승인", "Approve"),
    "k.approve.named": ("{kiosk} 승인", "Approve {kiosk}"),
    "k.kiosk": ("키오스크", "Kiosk"),
    "k.status": ("상태", "State"),
    "k.status.pending": ("승인 대기", "Waiting"),
    "k.status.approved": ("운영 중", "Running"),
    "k.status.closed": ("마감", "Closed"),
    "k.fingerprint": ("키 지문", "Key fingerprint"),
    "k.requested": ("등록 요청", "Registered"),
    "k.contact": ("마지막 연락", "Last contact"),
    "k.recorded": ("기기 기록", "On kiosk"),
    "k.synced": ("서버 수신", "On server"),
    "k.missing": ("미수신", "Missing"),
    "k.missing.range": ("순번 {first}–{last}", "seq {first}–{last}"),
    "k.accepted": ("접수", "Accepted"),
    "k.rejected": ("거부", "Rejected"),
    "k.forks": ("같은 순번 다른 기록", "Forks"),
    "k.closure": ("마감 대조", "Closure"),
    "k.closure.none": ("보고 없음", "not sent"),
    "k.closure.match": ("일치", "matches"),
    "k.closure.mismatch": ("불일치", "differs"),
    "k.none": ("아직 등록된 키오스크가 없습니다.", "No kiosk has registered yet."),
    "k.bundle": ("USB 묶음 가져오기", "Import a USB bundle"),
    "k.bundle.help": (
        "네트워크에 연결되지 못한 키오스크가 USB에 내보낸 simsa‑bundle‑… 폴더의 파일을 모두 고르세요 (batch‑0001.json, registration.json 등). 결과는 네트워크 동기화와 같고, 같은 파일을 다시 가져와도 두 번 기록되지 않습니다.",
        "Select all the files of the simsa‑bundle‑… folder a kiosk that could not get online exported to USB "
        "(batch‑0001.json, registration.json, …). The result is the same as a network sync; importing the same "
        "files again records nothing twice.",
    ),
    "k.bundle.kind.batch": ("기록 묶음", "Batch of records"),
    "k.bundle.kind.registration": ("키오스크 등록", "Kiosk registration"),
    "k.bundle.kind.closure": ("키오스크 마감 보고", "Kiosk closure"),
    "k.bundle.kind.summary": ("묶음 요약", "Bundle summary"),
    "k.bundle.registered.new": ("키오스크 {kiosk:가} 묶음으로 등록되었습니다: {status}.", "Kiosk {kiosk} registered from the bundle: {status}."),
    "k.bundle.registered.known": ("키오스크 {kiosk:는} 이미 등록되어 있습니다: {status}.", "Kiosk {kiosk} was registered already: {status}."),
    "k.bundle.pending": (
        "키오스크 {kiosk:가} 승인을 기다립니다. 키오스크 화면의 키 지문이 {fp}인지 확인하고 승인한 뒤, 같은 파일들을 다시 가져오세요.",
        "Kiosk {kiosk} is waiting for approval. Check that the kiosk's screen shows key fingerprint {fp}, approve "
        "it, then import the same files again.",
    ),
    "k.bundle.closure.match": ("마감 보고(순번 {seq})가 서버 기록과 일치합니다. 이제 키오스크를 마감할 수 있습니다.", "The closure (seq {seq}) matches the server. The kiosk can be closed now."),
    "k.bundle.closure.mismatch": ("마감 보고(순번 {seq})가 서버 기록(순번 {synced})과 다릅니다.", "The closure (seq {seq}) differs from the server (seq {synced})."),
    "k.bundle.summary_file": ("키오스크의 마지막 순번 {seq}, 내보낸 시각 {at}", "Kiosk head at seq {seq}, exported at {at}"),
    "k.bundle.file": ("묶음 파일", "Bundle file"),
    "k.bundle.submit": ("가져오기", "Import"),
    "k.bundle.result": ("묶음 가져오기 결과", "Bundle import result"),
    "k.bundle.summary": (
        "키오스크 {kiosk}: 새로 접수 {accepted}, 이미 있음 {duplicate}, 거부 {rejected}. 서버 수신 순번 {synced}.",
        "Kiosk {kiosk}: {accepted} accepted, {duplicate} already held, {rejected} rejected. Server now holds up to seq {synced}.",
    ),
    "k.bundle.refused": ("묶음 전체가 거부되었습니다", "The whole bundle was refused"),
    "k.bundle.empty": ("파일을 고르세요.", "Choose a file."),
    "k.bundle.notjson": ("묶음 파일로 읽을 수 없습니다: {error}", "Not a bundle file: {error}"),
    "k.seq": ("순번", "Seq"),
    "k.result": ("결과", "Result"),
    "k.status.accepted": ("접수", "accepted"),
    "k.status.duplicate": ("이미 있음", "already held"),
    "k.status.rejected": ("거부", "rejected"),
    "k.receipt": ("영수증", "Receipt"),
    "k.index": ("원장 번호", "Ledger #"),
    "k.detail.title": ("키오스크 {kiosk}", "Kiosk {kiosk}"),
    "k.oldest": ("가장 오래된 미수신 기록", "Oldest unsynced record"),
    "k.oldest.value": ("순번 {seq} (키오스크가 {time}에 알려 온 기록에 포함)", "seq {seq} (in the head the kiosk reported at {time})"),
    "k.todo": ("해결 방법", "How to fix"),
    "k.todo.missing": (
        "이 키오스크에는 서버가 받지 못한 기록 {n}건(순번 {first}–{last})이 있습니다. 키오스크를 네트워크에 연결하면 자동으로 동기화됩니다. 연결할 수 없으면 키오스크의 관리 메뉴에서 USB 묶음을 내보내 이 페이지에서 가져오세요.",
        "This kiosk holds {n} {n:record|records} (seq {first}–{last}) the server has not received. Connect the kiosk to the "
        "network and it syncs by itself. If it cannot connect, export a USB bundle from the kiosk's admin menu and "
        "import it on this page.",
    ),
    "k.todo.ok": ("서버가 이 키오스크의 모든 기록을 받았습니다.", "The server holds every record this kiosk reported."),
    "k.refusals": ("거부된 묶음과 기록", "Refused batches and records"),
    "k.reconcile": ("마감 대조: 키오스크가 서명한 수치와 서버 수치", "Closure: the kiosk's signed counts against the server's"),
    "k.reconcile.item": ("항목", "Item"),
    "k.reconcile.kiosk": ("키오스크 보고", "Kiosk says"),
    "k.reconcile.server": ("서버", "Server holds"),
    "k.reconcile.seq": ("마지막 순번", "Last seq"),
    "k.reconcile.hash": ("마지막 기록의 지문", "Last record's fingerprint"),
    "k.reconcile.saved": ("저장한 투표", "Ballots saved"),
    "k.reconcile.onledger": ("원장에 기록된 투표 (접수+거부)", "Ballots on the ledger (accepted + rejected)"),
    "k.reconcile.opened": ("열린 자격증명", "Credentials opened"),
    "k.reconcile.wait": (
        "키오스크가 아직 마감 보고를 보내지 않았습니다. 키오스크의 관리 메뉴에서 '마감'을 누르세요.",
        "The kiosk has not sent its closure yet. Use 'Close' in the kiosk's admin menu.",
    ),
    "k.close": ("키오스크 마감", "Close kiosk"),
    "k.close.force": ("불일치를 알고도 마감 (차이는 계속 표시됩니다)", "Close despite the difference (it stays visible)"),
    "k.close.help": (
        "마감하면 이 키오스크에서 더 이상 기록을 받지 않습니다. 서명된 마감 기록이 원장에 남습니다.",
        "Once closed, the server takes no more records from this kiosk. A signed closing entry goes on the ledger.",
    ),
    "k.close.missing": (
        "서버에 아직 없는 기록이 {n}건 있습니다. 지금 마감하면 그 기록은 더 이상 받을 수 없습니다. 먼저 동기화하거나 USB 묶음을 가져오세요.",
        "{n} {n:record is|records are} not on the server yet. Once closed, they can no longer be taken: sync or import the bundle first.",
    ),
    "k.approved_by": ("승인", "Approved by"),
    # conflicts
    "c.title": ("중복 투표", "Conflicts"),
    "c.intro": (
        "한 심사위원이 같은 제안(또는 조)에 유효한 투표를 두 번 이상 한 경우입니다. 결정하지 않으면 행사 규칙({policy})에 따라 기본 투표가 반영됩니다. 결정하면 운영진 서명이 담긴 기록이 원장에 남습니다.",
        "A reviewer cast more than one valid ballot for the same proposal (or group). Unless staff decide, the "
        "event's rule ({policy}) picks the default. A decision goes on the ledger signed by you.",
    ),
    "c.policy.onsite-first": ("현장 우선, 같은 채널이면 나중 것", "on-site first, then the later one"),
    "c.policy.latest": ("나중 것 우선", "the latest"),
    "c.policy.first": ("먼저 것 우선", "the first"),
    "c.filter.open": ("미결정만", "Open only"),
    "c.filter.all": ("전체", "All"),
    "c.none": ("중복 투표가 없습니다.", "No conflicts."),
    "c.none.open": ("결정할 중복 투표가 없습니다.", "No open conflicts."),
    "c.reviewer": ("심사위원", "Reviewer"),
    "c.target": ("대상", "For"),
    "c.ballot": ("투표", "Ballot"),
    "c.channel": ("채널", "Channel"),
    "c.where": ("위치", "Where"),
    "c.created": ("작성 시각", "Cast at"),
    "c.received": ("원장 번호", "Ledger #"),
    "c.content": ("내용", "Content"),
    "c.default": ("기본 (규칙)", "Default (rule)"),
    "c.effective": ("반영됨", "Counts"),
    "c.resolved": ("{staff} 결정: {reason}", "Decided by {staff}: {reason}"),
    "c.choose": ("반영할 투표", "Ballot to count"),
    "c.reason": ("결정 이유 (필수)", "Reason (required)"),
    "c.reason.placeholder": ("예: 심사위원이 현장 점수를 정정했다고 확인함", "e.g. reviewer confirmed the on-site score is the correction"),
    "c.submit": ("결정 기록", "Record decision"),
    "c.decided": ("결정됨", "Decided"),
    "c.change": ("결정 바꾸기", "Change the decision"),
    "c.open": ("미결정", "Open"),
    "c.likes": ("좋아요 {n}: {list}", "{n} {n:like|likes}: {list}"),
    "c.count": ("{open}건 미결정 / 전체 {total}건", "{open} open of {total}"),
    # rejections
    "r.title": ("거부된 투표와 묶음", "Rejections"),
    "r.intro": (
        "서버가 받지 않은 투표와 키오스크 묶음입니다. 키오스크 기록은 거부되어도 원장에 남습니다 (원장 번호가 있는 경우).",
        "Ballots and kiosk batches the server refused. A refused kiosk record still goes on the ledger (when it has a ledger #).",
    ),
    "r.code": ("사유", "Reason"),
    "r.any": ("전체", "Any"),
    "r.kiosk": ("키오스크", "Kiosk"),
    "r.reviewer": ("심사위원", "Reviewer"),
    "r.channel": ("채널", "Channel"),
    "r.filter": ("거르기", "Filter"),
    "r.clear": ("초기화", "Clear"),
    "r.at": ("시각", "When"),
    "r.detail": ("자세한 내용", "Detail"),
    "r.none": ("조건에 맞는 거부가 없습니다.", "No rejections match."),
    "r.older": ("이전 항목", "Older"),
    # reviewers
    "v.title": ("심사위원 조회", "Reviewer lookup"),
    "v.id": ("심사위원 번호", "Reviewer id"),
    "v.find": ("조회", "Look up"),
    "v.id.hint": (
        "카드에 적힌 번호 (예: {examples}). 대소문자는 구분하지 않으며, 앞부분이나 '-' 뒤의 숫자만 적어도 찾습니다.",
        "The id on the card (like {examples}), in any case; its beginning or the number after a '-' is enough.",
    ),
    "v.matches": ("'{id}'에 맞는 심사위원이 {n}명 있습니다. 고르세요:", "{n} reviewers match '{id}'. Choose one:"),
    "v.matches.more": ("외 {n}명: 더 길게 입력하세요.", "{n} more: type more of the id."),
    "v.notfound": ("명단에 없는 심사위원입니다: {id}", "No reviewer {id} in the manifest"),
    "v.community": ("공동체", "Community"),
    "v.role": ("역할", "Role"),
    "v.role.representative": ("대표", "Representative"),
    "v.role.expert": ("전문가", "Expert"),
    "v.role.member": ("회원", "Member"),
    "v.assigned": ("배정", "Assigned"),
    "v.credential": ("자격증명", "Credential"),
    "v.valid": ("유효", "Valid"),
    "v.revoked": ("취소됨 (원장 #{index}, {by}): {reason}", "Revoked (ledger #{index}, {by}): {reason}"),
    "v.revoked.short": ("취소됨", "Revoked"),
    "v.ballots": ("투표", "Ballots"),
    "v.noballots": ("아직 접수된 투표가 없습니다.", "No ballot accepted yet."),
    "v.rejections": ("거부", "Rejections"),
    "v.conflicts": ("중복 투표", "Conflicts"),
    "v.revoke": ("자격증명 취소…", "Revoke credential…"),
    "v.revoke.title": ("{id}의 자격증명 취소", "Revoke the credential of {id}"),
    "v.revoke.warn": (
        "취소하면 이 카드로 만든 투표는 서버와 키오스크에서 모두 거부됩니다 (이미 접수된 투표는 그대로 남습니다). 되돌릴 수 없으며, 운영진 서명이 담긴 취소 기록이 원장에 남습니다.",
        "Once revoked, ballots made with this card are refused by the server and the kiosks (ballots already accepted "
        "stay). This cannot be undone; a revocation signed by you goes on the ledger.",
    ),
    "v.revoke.reason": ("취소 이유 (필수)", "Reason (required)"),
    "v.revoke.reason.placeholder": ("예: 카드 분실 신고", "e.g. card reported lost"),
    "v.revoke.confirm": ("자격증명 취소 확정", "Revoke now"),
    "v.target": ("대상", "For"),
    "v.effective": ("반영", "Counts"),
    # close & results
    "x.title": ("마감과 결과", "Close and results"),
    "x.step1": ("1. 키오스크 마감", "1. Close the kiosks"),
    "x.step1.help": (
        "각 키오스크에서 '마감'을 누르면 서명된 마감 보고가 옵니다. 서버 수치와 맞으면 마감하세요.",
        "Press 'Close' on each kiosk; it sends a signed closure. When it matches the server, close it here.",
    ),
    "x.step2": ("2. 확인", "2. Check"),
    "x.step3": ("3. 행사 마감과 결과 공개", "3. Close the event and publish the results"),
    "x.step3.help": (
        "행사를 마감하면 원장에서 결과를 다시 계산해 그 해시를 서명과 함께 원장에 기록하고, 결과를 공개합니다. 이후에는 아무것도 추가할 수 없습니다. 확인을 위해 행사 번호 '{event}'를 입력하세요.",
        "Closing the event recomputes the results from the ledger, puts their hash on the ledger signed by you, and "
        "publishes them. Nothing can be added afterwards. To confirm, type the event id '{event}'.",
    ),
    "x.confirm": ("행사 번호", "Event id"),
    "x.close": ("행사 마감하고 결과 공개", "Close the event and publish"),
    "x.wrong_event": ("행사 번호가 다릅니다. 확인하려면 {event:를} 그대로 입력하세요.", "Wrong event id: type '{event}'."),
    "x.closed": ("행사가 마감되었습니다 (원장 #{index}). 결과 해시 {hash}", "The event is closed (ledger #{index}). Results hash {hash}"),
    "x.check.ok": ("모든 키오스크의 기록이 서버에 있고, 결정할 중복 투표가 없습니다.", "Every kiosk's records are on the server and no conflict is open."),
    "x.check.missing": ("키오스크 {n}대의 기록이 서버에 다 오지 않았습니다.", "{n} {n:kiosk has|kiosks have} records the server does not hold."),
    "x.check.running": ("아직 마감하지 않은 키오스크 {n}대", "{n} {n:kiosk|kiosks} not closed yet"),
    "x.check.conflicts": ("결정하지 않은 중복 투표 {n}건 (규칙에 따른 기본 투표가 반영됩니다)", "{n} open {n:conflict|conflicts} (the rule's default will count)"),
    "x.check.pending": ("승인 대기 키오스크 {n}대 (마감 후에는 승인할 수 없습니다)", "{n} {n:kiosk|kiosks} waiting for approval (cannot be approved after closing)"),
    "x.preview": ("잠정 결과 (공개 전)", "Provisional results (not published)"),
    "res.title": ("심사 결과", "Results"),
    "res.notyet": ("아직 결과가 공개되지 않았습니다. 운영진이 행사를 마감하면 여기에 공개됩니다.", "The results are not published yet. They appear here when staff close the event."),
    "res.notyet.meanwhile": (
        "심사가 진행 중입니다. 지금 공개 원장에는 기록 {n}건이 있습니다. 투표 영수증이 원장에 들어 있는지는 지금도 확인할 수 있습니다.",
        "Judging is under way; the public ledger holds {n} {n:entry|entries} now. You can already check that your receipt is on the ledger.",
    ),
    "res.hash": ("결과 해시 (원장 #{index}의 마감 기록)", "Results hash (the close entry, ledger #{index})"),
    "res.selected": ("선정 {n}건", "{n} selected"),
    "res.quota": ("현장 순위 상위 {k}건, 나머지 중 온라인 순위 상위 {o}건", "Top {k} by the on-site ranking, then the top {o} of the rest by the online ranking"),
    "res.mix": ("현장 {wk} · 온라인 {wo} 가중 합산 상위 {n}건", "Top {n} by {wk} × on-site + {wo} × online"),
    "res.rank.kiosk": ("현장 순위", "On-site ranking"),
    "res.rank.online": ("온라인 순위 (현장 선정 제외)", "Online ranking (excluding on-site picks)"),
    "res.rank.mix": ("종합 순위", "Combined ranking"),
    "res.line": ("선정선 — 위 {n}건 선정", "Selection line — the {n} above are selected"),
    "res.rank": ("순위", "Rank"),
    "res.proposal": ("제안", "Proposal"),
    "res.group": ("조", "Group"),
    "res.kiosk_score": ("현장 점수", "On-site score"),
    "res.online_score": ("온라인 좋아요", "Online likes"),
    "res.ballots": ("투표 수", "Ballots"),
    "res.n_ballots": ("{n}표", "{n} ballots"),
    "res.n_ballot": ("{n}표", "{n} ballot"),
    "res.combined": ("종합", "Combined"),
    "res.selected_by": ("선정", "Selected"),
    "res.selected_by.kiosk": ("현장", "on-site"),
    "res.selected_by.online": ("온라인", "online"),
    "res.selected_by.mix": ("종합", "combined"),
    "res.all": ("전체 제안", "All proposals"),
    "res.more": ("… 이하 {n}건은 아래 전체 표와 CSV에 있습니다.", "… {n} more in the full table below and in the CSV."),
    "res.charts": ("그림", "Charts"),
    "res.dist.kiosk": ("현장 점수 분포", "On-site score distribution"),
    "res.dist.online": ("온라인 좋아요 분포", "Online likes distribution"),
    "res.scatter": ("제안별 현장 점수와 온라인 좋아요 (두 채널 모두 점수가 있는 제안)", "On-site score vs online likes per proposal (proposals scored on both channels)"),
    "res.axis.score": ("점수 (0–100)", "Score (0–100)"),
    "res.axis.likes": ("좋아요", "Likes"),
    "res.axis.proposals": ("제안 수", "Proposals"),
    "res.legend.kiosk": ("현장 선정", "Selected on-site"),
    "res.legend.online": ("온라인 선정", "Selected online"),
    "res.legend.mix": ("선정", "Selected"),
    "res.legend.none": ("미선정", "Not selected"),
    "res.download": ("내려받기", "Download"),
    "res.total": ("제안 {n}건", "{n} {n:proposal|proposals}"),
    "res.jump": ("결과 안에서 이동", "Jump within the results"),
    "res.jump.lines": ("선정선", "Selection lines"),
    "res.lines": ("순위와 선정선", "Rankings and selection lines"),
    "res.folded": ("… {first}–{last}위 {n}건은 아래 전체 표와 CSV에 있습니다", "… ranks {first}–{last} ({n}) are in the full table below and in the CSV"),
    "res.page": ("{total}건 중 {first}–{last}", "{first}–{last} of {total}"),
    "res.pages": ("전체 제안 쪽", "Pages of all proposals"),
    "res.prev": ("이전", "Previous"),
    "res.next": ("다음", "Next"),
    "res.effective": ("반영된 투표: 현장 {k}, 온라인 {o}", "Effective ballots: {k} on-site, {o} online"),
    "res.recompute": (
        "누구나 공개 원장에서 이 결과를 다시 계산할 수 있습니다: simsa results {url}",
        "Anyone can recompute these results from the public ledger: simsa results {url}",
    ),
    # verify
    "vf.title": ("영수증 확인", "Check your receipt"),
    "vf.intro": (
        "투표 후 받은 영수증 코드(예: 7Q2M-K4XD, 대소문자 구분 없음)나 전체 영수증 번호를 입력하거나, 영수증의 QR 코드를 스캐너나 카메라로 읽히세요. 이 브라우저가 직접 다음을 계산해 확인합니다.",
        "Type your receipt code (like 7Q2M-K4XD, in any case) or the full receipt id, or read the receipt's QR code with a "
        "scanner or the camera. This browser computes and checks the following itself.",
    ),
    "vf.what1": ("원장의 기록에 담긴 서명된 투표의 해시가 영수증 번호와 같은지", "the signed ballot in the ledger entry hashes to your receipt id"),
    "vf.what2": ("그 기록이 RFC 9162 포함 증명으로 현재 트리 헤드의 루트에 들어 있는지", "the entry is in the tree of the current signed tree head (RFC 9162 inclusion proof)"),
    "vf.what3": ("트리 헤드가 원장 키로 서명되었는지 (Ed25519)", "the tree head is signed by the ledger key (Ed25519)"),
    "vf.what4": (
        "원장 키 지문을 행사 공고에 인쇄된 지문과 비교하세요.",
        "Compare the ledger key fingerprint with the one printed in the event notice.",
    ),
    "vf.label": ("영수증 코드", "Receipt code"),
    "vf.submit": ("확인", "Check"),
    "vf.scan": ("카메라로 읽기", "Scan with camera"),
    "vf.scan.help": ("영수증의 QR 코드를 카메라에 비추세요.", "Hold the receipt's QR code in front of the camera."),
    "vf.camera_error": ("카메라를 쓸 수 없습니다", "The camera cannot be used"),
    "vf.cli": ("명령줄에서: simsa verify {url} --receipt 영수증번호", "From a terminal: simsa verify {url} --receipt RECEIPT"),
    "vf.checking": ("확인하는 중…", "Checking…"),
    "vf.ok": ("확인됨: 이 투표는 공개 원장에 들어 있습니다.", "Verified: this ballot is in the public ledger."),
    "vf.ok_rejected": ("원장에 들어 있으나 거부된 기록입니다 (집계되지 않음).", "On the ledger, but as a rejected record (not counted)."),
    "vf.failed": ("확인 실패: 아래 표시된 단계가 맞지 않습니다. 운영진에게 알려 주세요.", "Check failed: the step marked below does not hold. Please tell the staff."),
    "vf.not_found": ("이 영수증의 투표가 원장에 없습니다. 키오스크가 아직 동기화하지 않았을 수 있습니다. 잠시 후 다시 확인하세요.", "No ballot with this receipt is on the ledger. The kiosk may not have synced yet: try again later."),
    "vf.ambiguous": ("이 짧은 코드에 맞는 투표가 여러 개입니다. 전체 영수증 번호를 입력하세요.", "Several ballots match this short code: type the full receipt id."),
    "vf.format": (
        "영수증 코드는 숫자와 영문자 8자(XXXX-XXXX, 예: 7Q2M-K4XD, U는 쓰지 않음) 또는 43자 번호입니다.",
        "A receipt code is 8 digits and letters, XXXX-XXXX (like 7Q2M-K4XD; U is never used), or a 43-character id.",
    ),
    "vf.error": ("오류", "Error"),
    "vf.noscript": (
        "이 브라우저에서 자바스크립트가 꺼져 있어 확인할 수 없습니다. 확인 계산은 브라우저 안에서 하므로 자바스크립트가 필요합니다. 자바스크립트를 켜고 다시 읽어 들이거나, 명령줄에서 simsa verify {url} --receipt 영수증번호 를 쓰세요.",
        "JavaScript is off in this browser, so the check cannot run: the check is computed inside the browser. "
        "Turn JavaScript on and reload, or run simsa verify {url} --receipt RECEIPT in a terminal.",
    ),
    "detail.original": ("원문(영어):", "Original:"),
    "noscript.code": ("입력한 코드: {code}", "The code you typed: {code}"),
    "vf.insecure": (
        "이 브라우저는 안전한 연결(https 또는 localhost)에서만 암호 계산을 할 수 있습니다. https 주소로 접속하거나 명령줄에서 simsa verify URL --receipt 영수증번호 를 쓰세요.",
        "This browser does cryptography only on a secure connection (https or localhost). Open the https address, "
        "or run simsa verify URL --receipt RECEIPT in a terminal.",
    ),
    "vf.step_ballot": ("원장 기록의 투표 해시가 영수증과 같습니다", "The ledger entry's ballot hashes to your receipt"),
    "vf.step_ballot_bad": ("원장 기록의 투표 해시가 영수증과 다릅니다", "The ledger entry's ballot does NOT hash to your receipt"),
    "vf.step_leaf": ("기록의 잎 해시를 계산했습니다", "Computed the entry's leaf hash"),
    "vf.step_proof": ("포함 증명이 트리 헤드의 루트와 맞습니다", "The inclusion proof reaches the tree head's root"),
    "vf.step_proof_bad": ("포함 증명이 트리 헤드의 루트와 맞지 않습니다", "The inclusion proof does NOT reach the tree head's root"),
    "vf.step_sth": ("트리 헤드 서명이 원장 키로 확인됩니다", "The tree head's signature verifies with the ledger key"),
    "vf.step_sth_bad": ("트리 헤드 서명이 원장 키로 확인되지 않습니다", "The tree head's signature does NOT verify"),
    "vf.step_witnessed": ("증인 확인됨: 증인 서명을 받은 체크포인트가 이 투표를 포함합니다", "Witnessed: a checkpoint cosigned by the witnesses includes this ballot"),
    "vf.step_not_witnessed": ("원장에 있으나 아직 증인 확인 전입니다 (잠시 후 다시 확인하세요)", "On the ledger, not yet witnessed (check again shortly)"),
    "vf.step_witness_bad": ("증인 서명이 행사 설정의 요구 수에 못 미칩니다", "The witness cosignatures fall short of what the event demands"),
    "vf.witnesses": ("증인", "Witnesses"),
    "vf.receipt": ("영수증", "Receipt"),
    "vf.reviewer": ("심사위원", "Reviewer"),
    "vf.proposal": ("제안", "proposal"),
    "vf.group": ("조", "group"),
    "vf.kiosk": ("키오스크", "kiosk"),
    "vf.online": ("온라인", "online"),
    "vf.in_name": ("이 심사위원 이름으로 접수된 모든 투표:", "Every ballot accepted in the name of"),
    "vf.in_name_help": (
        "직접 하지 않은 투표가 있으면 카드를 도용당한 것일 수 있습니다. 바로 운영진에게 알려 주세요.",
        "If one of these is not yours, someone else may hold your card and PIN: tell the staff at once.",
    ),
    "vf.in_name_split": (
        "이 이름의 투표가 여러 곳(온라인·키오스크)에서 왔습니다. 모두 직접 한 것이 아니면 바로 운영진에게 알려 주세요.",
        "Ballots in this name came from more than one place (online, kiosks). If not all are yours, tell the staff at once.",
    ),
    "vf.this_one": ("이 영수증", "this receipt"),
    "vf.entry": ("원장 기록", "Ledger entry"),
    "vf.accepted": ("접수", "accepted"),
    "vf.rejected": ("거부", "rejected"),
    "vf.tree_size": ("트리 크기", "Tree size"),
    "vf.path": ("증명 길이", "path length"),
    "vf.root": ("루트", "Root"),
    "vf.ledger_key": ("원장 키", "Ledger key"),
    "vf.fingerprint": ("지문", "Fingerprint"),
    "vf.signed_at": ("서명 시각", "Signed at"),
    # ledger
    "l.title": ("공개 원장", "Public ledger"),
    "l.intro": (
        "모든 투표, 거부된 키오스크 기록, 운영진 조치가 이 원장에 순서대로 기록됩니다 (RFC 9162 머클 트리). 누구나 내려받아 모든 서명과 증명을 확인하고 결과를 다시 계산할 수 있습니다.",
        "Every ballot, refused kiosk record and staff action is logged here in order (an RFC 9162 Merkle tree). "
        "Anyone can download it, check every signature and proof, and recompute the results.",
    ),
    "l.sth": ("현재 서명된 트리 헤드 (STH)", "Current signed tree head (STH)"),
    "l.size": ("기록 수", "Entries"),
    "l.root": ("루트 해시", "Root hash"),
    "l.time": ("시각", "Time"),
    "l.sig": ("서명", "Signature"),
    "l.key": ("원장 키", "Ledger key"),
    "l.fingerprint": ("지문", "Fingerprint"),
    "l.authority": ("주최 기관 키 (행사 명세 서명)", "Authority key (signs the event manifest)"),
    "l.download": ("내려받기", "Downloads"),
    "l.download.entries": ("전체 기록 (JSON Lines, 한 줄에 한 기록)", "All entries (JSON Lines, one entry a line)"),
    "l.download.manifest": ("서명된 행사 명세", "The signed event manifest"),
    "l.download.sth": ("현재 트리 헤드", "The current tree head"),
    "l.api": ("공개 API", "Public API"),
    "l.cli": ("명령줄 검증", "Verify from a terminal"),
    "l.recent": ("최근 기록", "Latest entries"),
    "l.index": ("번호", "#"),
    "l.type": ("종류", "Type"),
    "l.received": ("받은 시각", "Received"),
    "l.summary": ("내용", "Summary"),
    "entry.manifest": ("행사 명세", "manifest"),
    "entry.kiosk": ("키오스크 승인", "kiosk approved"),
    "entry.ballot": ("투표", "ballot"),
    "entry.rejected": ("거부된 기록", "rejected record"),
    "entry.revocation": ("자격증명 취소", "revocation"),
    "entry.resolution": ("중복 결정", "resolution"),
    "entry.kiosk-close": ("키오스크 마감", "kiosk closed"),
    "entry.close": ("행사 마감", "event closed"),
    # error pages
    "e.stale.title": ("양식이 만료되었습니다", "The form has expired"),
    "e.stale": (
        "이 양식은 다른 로그인 세션에서 열렸거나 너무 오래되었습니다. 페이지를 새로 고친 뒤 다시 하세요. 아무것도 기록되지 않았습니다.",
        "This form was opened in another login session or is too old. Reload the page and try again. Nothing was recorded.",
    ),
    "e.notfound": ("찾을 수 없습니다", "Not found"),
    "e.kiosk": ("등록된 키오스크 {kiosk:가} 없습니다.", "No kiosk {kiosk} has registered."),
    # flash messages after actions
    "f.approved": ("키오스크 {kiosk:를} 승인했습니다 (원장 #{index}).", "Kiosk {kiosk} approved (ledger #{index})."),
    "f.dismissed": ("키오스크 {kiosk}의 등록 요청을 거절했습니다.", "Registration of kiosk {kiosk} dismissed."),
    "k.dismiss": ("거절", "Dismiss"),
    "f.kiosk_closed": ("키오스크 {kiosk:를} 마감했습니다 (원장 #{index}).", "Kiosk {kiosk} closed (ledger #{index})."),
    "f.resolved": ("{reviewer} / {target} 결정을 기록했습니다 (원장 #{index}).", "Decision for {reviewer} / {target} recorded (ledger #{index})."),
    "f.revoked": ("{reviewer}의 자격증명을 취소했습니다 (원장 #{index}).", "Credential of {reviewer} revoked (ledger #{index})."),
    "f.closed": ("행사를 마감하고 결과를 공개했습니다 (원장 #{index}).", "Event closed and results published (ledger #{index})."),
    "f.error": ("처리하지 못했습니다: {detail}", "Not done: {detail}"),
    "f.need_reason": ("이유를 적어 주세요.", "Please give a reason."),
    "f.need_choice": ("반영할 투표를 고르세요.", "Choose the ballot to count."),
    # technical terms, shown as a tooltip (title) next to the plain words
    "term.fork": (
        "기술 용어: 포크(fork) — 한 키오스크의 같은 순번에 서로 다른 두 기록",
        "Technical term: fork — two different records with the same seq from one kiosk",
    ),
    "term.hash": (
        "기술 용어: 마지막 기록 해시(SHA-256) — 기록 사슬 전체를 대표하는 값",
        "Technical term: last record hash (SHA-256), which stands for the whole chain of records",
    ),
    "term.sth": ("기술 용어: 서명된 트리 헤드(STH, RFC 9162)", "Technical term: signed tree head (STH, RFC 9162)"),
}

TEXT.update(CORE_TEXT)  # the accounting pages' texts (server.web.i18n_core)


def norm_lang(value: str | None) -> str | None:
    return value if value in LANGS else None


def text(lang: str, key: str, **kw: Any) -> str:
    """The text of ``key`` in ``lang``, formatted with ``kw``; an unknown key shows itself."""
    pair = TEXT.get(key)
    if pair is None:
        return key
    s = pair[0] if lang == "ko" else pair[1]
    return _FORMAT.format(s, **kw) if kw else s


def translator(lang: str) -> Callable[..., str]:
    def t(key: str, **kw: Any) -> str:
        return text(lang, key, **kw)

    return t


def code_text(code: str, lang: str) -> str:
    """A reason code in words (DESIGN §5 codes and the server's own); the same argument
    order as ``kiosk.i18n.code_text``."""
    pair = CODE_TEXT.get(code) or SERVER_CODES.get(code)
    if pair is None:
        return code
    return pair[0] if lang == "ko" else pair[1]


# --- Korean particles and English plurals in the texts --------------------------------------
#
# A Korean text writes ``{kiosk:를}`` (or ``{kiosk:을}``: either form of the pair) and gets the
# form that fits the last sound of the value as a Korean reader says it; an English text
# writes ``{n} {n:kiosk|kiosks}`` for a word that follows a count.

_PAIRS: Final = {
    "을": ("을", "를"), "를": ("을", "를"), "이": ("이", "가"), "가": ("이", "가"),
    "은": ("은", "는"), "는": ("은", "는"), "과": ("과", "와"), "와": ("과", "와"),
    "으로": ("으로", "로"), "로": ("으로", "로"), "이다": ("이다", "다"), "다": ("이다", "다"),
}
#: The last syllable of a Latin letter or digit read aloud in Korean (a 에이, l 엘, 1 일 …).
_SPOKEN: Final = dict(zip(
    "abcdefghijklmnopqrstuvwxyz0123456789",
    "이비씨디이프지치이이이엘엠엔오피큐알스티유이유스이트영일이삼사오육칠팔구", strict=True,
))
_RIEUL: Final = 8  # ㄹ as the final consonant of a syllable (takes 로, not 으로)


def _last_syllable(word: str) -> str | None:
    """The last syllable of ``word`` as said in Korean: Hangul as written, a letter or a
    digit as read (hall-a-01 → 일; 10 → 십, 100 → 백, 1000 → 천, 10000 → 만)."""
    w = word.rstrip().lower()
    w = re.sub(r"[^0-9a-z\uac00-\ud7a3]+$", "", w)
    if not w:
        return None
    last = w[-1]
    if "\uac00" <= last <= "\ud7a3":
        return last
    if last == "0":
        digits = re.search(r"[0-9]+$", w)
        run = digits.group(0).lstrip("0") if digits else ""
        if run:  # a number ending in zeros is read by its highest unit
            zeros = len(run) - len(run.rstrip("0"))
            return {1: "십", 2: "백", 3: "천"}.get(zeros, "만")
    return _SPOKEN.get(last)


def particle(word: str, form: str) -> str:
    """The form of a Korean particle that follows ``word``: ``particle("hall-a-01", "를")`` is
    "을" (01 ends in 일), ``particle("k2", "을")`` is "를" (2 is 이). ``form`` is either form of
    을/를, 이/가, 은/는, 과/와, 으로/로 or 이다/다; a word with no readable end gets "을(를)"-style
    both forms."""
    after_consonant, after_vowel = _PAIRS[form]
    syl = _last_syllable(word)
    if syl is None:
        return f"{after_consonant}({after_vowel})" if after_consonant != "으로" else "(으)로"
    final = (ord(syl) - 0xAC00) % 28
    if after_consonant == "으로":
        return "로" if final in (0, _RIEUL) else "으로"
    return after_consonant if final else after_vowel


def with_particle(word: str, form: str) -> str:
    """``word`` followed by the right form of the particle: ``with_particle("k1", "를")`` → "k1을"."""
    return word + particle(word, form)


def _is_one(value: Any) -> bool:
    try:
        return float(value) == 1
    except (TypeError, ValueError):
        return False


class _TextFormatter(string.Formatter):
    """``str.format`` plus ``{word:을}`` (Korean particle) and ``{n:one|many}`` (English plural)."""

    def format_field(self, value: Any, format_spec: str) -> Any:
        if format_spec in _PAIRS:
            return with_particle(str(value), format_spec)
        if "|" in format_spec:
            one, many = format_spec.split("|", 1)
            return one if _is_one(value) else many
        return super().format_field(value, format_spec)


_FORMAT: Final = _TextFormatter()


def fmt(template: str, *args: Any, **kw: Any) -> str:
    """``template.format`` with the particle and plural forms of the texts."""
    return _FORMAT.format(template, *args, **kw)
