"""The pages' words in Simplified Chinese (the default) and English, and dates in each language's form.

Every visible string of the pages is a key of MESSAGES with both languages; a missing key is an
error, not a silent fallback (the tests render every page in both languages).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from babel.dates import format_date

from service.words import PHRASES

LANGUAGES = {"zh": "zh_Hans_CN", "en": "en_GB"}
DEFAULT_LANGUAGE = "zh"
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}

# key: (Chinese, English); {name} fields are filled from keyword arguments.
MESSAGES: dict[str, tuple[str, str]] = {
    "app.title": ("夜间共享停车", "Shared parking at night"),
    "app.skip": ("跳到正文", "Skip to content"),
    "nav.tonight": ("今晚", "Tonight"),
    "nav.release": ("让出车位", "Release my space"),
    "nav.history": ("记录", "History"),
    "nav.night": ("夜间安排", "Night"),
    "nav.gate": ("门岗名单", "Gate list"),
    "nav.morning": ("早晨巡查", "Morning round"),
    "nav.households": ("住户", "Households"),
    "nav.spaces": ("车位", "Spaces"),
    "nav.audit": ("日志", "Log"),
    "nav.cars": ("车辆", "Cars"),
    "nav.inbox": ("消息", "Inbox"),
    "nav.unread": ("{count} 条未读", "{count:unread message|unread messages}"),
    "nav.messages": ("通知与报告", "Messages"),
    "nav.open_reports": ("{count} 个未处理的报告", "{count:open report|open reports}"),
    "inbox.title": ("消息", "Inbox"),
    "inbox.new": ("新", "new"),
    "inbox.empty": (
        "还没有消息。车位安排发布后，这里会告诉您结果。",
        "No messages yet. When a night is published, you are told here.",
    ),
    "report.title": ("报告车位被占", "Report a taken space"),
    "report.hint": (
        "您的出租车位或今晚分到的车位上停着别的车？告诉物业，物业会马上收到。",
        "Another car on your rented space, or on your space tonight? Tell the office: they are told at once.",
    ),
    "report.space": ("车位", "Space"),
    "report.plate": (
        "占用车辆的车牌（看得清的话）",
        "The plate of the car on it (if you can read it)",
    ),
    "report.note": ("补充说明", "Anything else"),
    "report.send": ("报告物业", "Tell the office"),
    "report.no_space": (
        "您没有出租车位，今晚也没有分到车位，所以没有可以报告的车位。",
        "You rent no space and have no space tonight, so there is no space to report.",
    ),
    "report.sent": ("已报告物业。", "The office has your report."),
    "contact.title": ("通知方式", "How you are told"),
    "contact.inbox_always": (
        "消息总会出现在这里；您还可以选择电子邮件，或小区接入的微信、短信。",
        "Messages always appear here; you may also choose e-mail, or the compound's WeChat or SMS bridge.",
    ),
    "contact.language": ("通知的语言", "Language of the messages"),
    "contact.email": ("电子邮件地址", "E-mail address"),
    "contact.by_email": ("用电子邮件通知我", "Tell me by e-mail"),
    "contact.by_bridge": (
        "通过小区的微信或短信通知我（如果小区已接入）",
        "Tell me through the compound's WeChat or SMS bridge (if it has one)",
    ),
    "contact.quiet": ("免打扰时段", "Quiet hours"),
    "contact.quiet_from": ("从", "From"),
    "contact.quiet_until": ("到", "Until"),
    "contact.quiet_hint": (
        "这段时间里只发到消息，电子邮件和微信、短信等到结束后再发。",
        "During these hours messages only reach the inbox; e-mail and the bridge wait until they end.",
    ),
    "contact.phone": ("手机号（可不填）", "Phone number (optional)"),
    "contact.phone_hint": (
        "只有物业人员能看到完整号码，物业处理报告时可能会打给您。",
        "Only the office's staff see the whole number; they may call you about a report.",
    ),
    "contact.save": ("保存", "Save"),
    "contact.saved": ("通知方式已保存。", "Saved."),
    "messages.title": ("通知与报告", "Messages"),
    "messages.reports": ("车位被占的报告", "Reports of taken spaces"),
    "messages.report_line": (
        "{space}：住户 {household} 报告被占",
        "{space}: reported taken by household {household}",
    ),
    "messages.report_plate": ("占用车辆：{plate}", "Car on it: {plate}"),
    "messages.plate_unknown": ("车牌未知", "plate unknown"),
    "messages.report_stay": ("今晚分到这个车位的：{stay}", "Tonight's stay there: {stay}"),
    "messages.report_phone": ("住户手机：{phone}", "Household's phone: {phone}"),
    "messages.closed": ("已处理：{note}", "Dealt with: {note}"),
    "messages.close_note": ("怎么处理的", "How it was dealt with"),
    "messages.close": ("标记为已处理", "Mark as dealt with"),
    "messages.no_reports": ("没有报告。", "No reports."),
    "report.closed": ("报告已标记为已处理。", "The report is marked as dealt with."),
    "messages.write": ("给住户发消息", "Write to households"),
    "messages.to": ("发给", "To"),
    "messages.to_household": ("一个住户", "One household"),
    "messages.to_served": ("这一晚所有分到车位的住户", "Every household served that night"),
    "messages.to_refused": ("这一晚所有未分到车位的住户", "Every household refused that night"),
    "messages.household": ("住户（例如 12-302）", "Household (e.g. 12-302)"),
    "messages.evening": ("哪一晚", "Night of"),
    "messages.text": ("内容", "Message"),
    "messages.send": ("发送", "Send"),
    "message.sent": ("消息已发出。", "Message sent."),
    "messages.deliveries": ("电子邮件和接口的发送情况", "E-mail and bridge deliveries"),
    "messages.channel": ("方式", "Channel"),
    "messages.state": ("状态", "State"),
    "messages.count": ("数量", "Count"),
    "messages.no_deliveries": (
        "还没有要发送的电子邮件或接口消息。",
        "Nothing to send by e-mail or bridge yet.",
    ),
    "messages.failures": ("没有发出的", "Not delivered"),
    "messages.to_staff": ("物业人员", "staff"),
    "messages.attempts": ("试了 {count} 次", "{count:attempt|attempts}"),
    "channel.email": ("电子邮件", "e-mail"),
    "channel.webhook": ("微信或短信接口", "WeChat or SMS bridge"),
    "delivery.pending": ("等待发送", "waiting"),
    "delivery.sending": ("正在发送", "sending"),
    "delivery.sent": ("已发出", "sent"),
    "delivery.failed": ("发送失败", "failed"),
    "delivery.dropped": ("不再发送", "dropped"),
    "nav.signout": ("退出", "Sign out"),
    "nav.language": ("语言", "Language"),
    "nav.main": ("主菜单", "Main menu"),
    # Signing in
    "signin.title": ("登录", "Sign in"),
    "signin.username": ("用户名", "Username"),
    "signin.username_hint": (
        "住户为 小区/楼号-室号，例如 laiyang/12-302",
        "Residents: compound/building-flat, e.g. laiyang/12-302",
    ),
    "signin.password": ("密码", "Password"),
    "signin.submit": ("登录", "Sign in"),
    "signin.first_time": (
        "第一次使用？用物业给的激活码设置密码。",
        "First time? Set your password with the code from the office.",
    ),
    "signin.wrong": ("用户名或密码错误。", "Wrong username or password."),
    "signin.locked": (
        "登录失败次数过多，请于 {until} 后再试。",
        "Too many failed sign-ins; try again after {until}.",
    ),
    "signin.expired": ("请先登录。", "Please sign in first."),
    "activate.title": ("激活账户", "Activate your account"),
    "activate.code": ("激活码", "Activation code"),
    "activate.code_hint": (
        "10 位，物业办公室提供，只能用一次",
        "10 characters from the office; it works once",
    ),
    "activate.password": ("新密码（至少 8 位）", "New password (at least 8 characters)"),
    "activate.submit": ("激活并登录", "Activate and sign in"),
    "activate.wrong": (
        "用户名或激活码错误（激活码只能用一次，可向物业索取新码）。",
        "Wrong username or activation code (codes work once; ask the office for a new one).",
    ),
    "activate.short": ("密码需 8 到 200 位。", "The password needs 8 to 200 characters."),
    "signout.done": ("您已退出。", "You are signed out."),
    # Resident: tonight
    "tonight.title": ("{date} 夜间", "The night of {date}"),
    "tonight.household": ("住户 {household}", "Household {household}"),
    "tonight.open": ("申请开放至 {cutoff}。", "Requests are open until {cutoff}."),
    "tonight.closed_early": (
        "物业已提前截止这一晚的申请，正在安排。",
        "The office closed requests for this night early and is allocating.",
    ),
    "tonight.closed": ("申请已于 {cutoff} 截止。", "Requests closed at {cutoff}."),
    "tonight.waiting": (
        "物业正在安排，发布后这里会显示您的车位。",
        "The office is allocating; your space shows here once it is published.",
    ),
    "tonight.none": ("这一晚您没有申请。", "You made no request for this night."),
    "tonight.other_night": ("查看其他夜晚", "Look at another night"),
    "tonight.show": ("查看", "Show"),
    "tonight.evening": ("日期（晚上）", "Evening"),
    "space.title": ("我的车位", "My space"),
    "space.number": ("车位 {space}", "Space {space}"),
    "space.car": ("车辆 {plate}", "Car {plate}"),
    "space.when": ("可停 {start} 至 {end}", "Yours from {start} to {end}"),
    "space.leave_by": ("请在 {end} 前驶离", "Leave by {end}"),
    "space.leave_rented": (
        "车位租户 {end} 后要用回车位，请按时驶离。",
        "The renter needs the space back from {end}; please leave on time.",
    ),
    "space.leave_street": (
        "潮汐车位 {end} 后恢复道路通行，请按时驶离。",
        "The street space is open to traffic again from {end}; please leave on time.",
    ),
    "space.penalty": (
        "早晨巡查如记录超时停放，接下来 {nights} 晚您住户的申请降为优先级 {level}。",
        "If the morning round records an overstay, your household's requests fall to priority level {level} for the next {nights:night|nights}.",
    ),
    "space.walk": ("距您的楼约 {walk} 米", "About {walk} m from your building"),
    "space.kind.rented": ("小区内让出的车位", "Released space in the compound"),
    "space.kind.street": ("潮汐车位", "Tidal street space"),
    "space.map": ("小区地图：您的楼与车位", "Site map: your building and your space"),
    "space.map_desc": (
        "虚线为从 {building} 号楼到车位 {space} 的步行方向。",
        "The dashed line is the way from building {building} to space {space}.",
    ),
    "space.building": ("{building} 号楼", "Building {building}"),
    "refused.title": ("这一晚未分到车位", "No space this night"),
    "refused.car": ("车辆 {plate}（{start}–{end}）", "Car {plate} ({start}–{end})"),
    "refused.reason.no_space_fits": (
        "没有适合这辆车和这个时段的车位。",
        "No space fits this car for these hours.",
    ),
    "refused.reason.all_fitting_spaces_taken": (
        "适合的车位在这个时段都已安排给其他申请。",
        "Every space that fits was given to other requests for these hours.",
    ),
    "refused.reason.household_cap": (
        "每户每晚的车位数已到上限。",
        "Your household already has as many spaces tonight as the plan allows.",
    ),
    "refused.reason.not_allocated": (
        "这一晚未能完成安排，请联系物业。",
        "This night could not be allocated; please ask the office.",
    ),
    "refused.detail": ("系统说明（英文）", "The engine's explanation"),
    "refused.fairness": (
        "未分到车位的夜晚计入公平轮换：下次您会排在同一优先级的其他住户前面。",
        "Refused nights count for fairness: next time, you go before other households of the same priority level.",
    ),
    # Resident: request form
    "request.title": ("申请 {date} 晚的车位", "Ask for a space on the night of {date}"),
    "request.car": ("车辆", "Car"),
    "request.arrive": ("到达时间", "Arrive"),
    "request.depart": ("离开时间（次日早晨）", "Leave (next morning)"),
    "request.times_hint": (
        "12:00 以前的时间算次日早晨。",
        "Times before 12:00 are the next morning.",
    ),
    "request.shared_hours": ("共享时段：{hours}。", "Shared hours: {hours}."),
    "request.kind_hours": ("{kind} {hours}", "{kind} spaces {hours}"),
    "guide.unfit_title": (
        "今晚没有车位能接受 {arrive}–{depart} 这个时段",
        "No space can take {arrive}–{depart} tonight",
    ),
    "guide.suggest": (
        "以下时段有车位可以接受（其他申请另算）：",
        "These hours some space would take (other requests aside):",
    ),
    "guide.use": ("改为 {arrive}–{depart}（{kind}）", "Use {arrive}–{depart} ({kind} spaces)"),
    "guide.anyway": ("仍按原时段提交", "Send as asked anyway"),
    "guide.anyway_hint": (
        "按原时段提交的申请会保留，但除非物业改变共享时段，今晚不会分到车位。",
        "A request sent as asked is kept, but it will not be served unless the office changes the shared hours.",
    ),
    "guide.unfit_kept": ("这个时段没有车位能接受：{why}", "No space can take these hours: {why}"),
    "guide.penalised": (
        "优先级 {level}（因超时停放降低）",
        "Priority level {level} (lowered after an overstay)",
    ),
    "guide.chance": (
        "近 {nights} 个已发布的夜晚里，类似的申请 {similar} 个中有 {served} 个分到车位。",
        "Requests like this: {served} of {similar} served on the last {nights:published night|published nights}.",
    ),
    "request.needs": ("需要", "Needs"),
    "request.submit": ("提交申请", "Send request"),
    "request.saved": ("申请已提交。", "Your request is in."),
    "request.cancelled": ("申请已取消。", "Request cancelled."),
    "request.mine": ("这一晚我的申请", "My requests for this night"),
    "request.cancel": ("取消", "Cancel"),
    "request.cancel_confirm": ("确定取消这个申请吗？", "Cancel this request?"),
    "request.cancel_for": ("取消 {plate} 的申请", "Cancel the request for {plate}"),
    "request.no_cars": ("您的住户还没有登记车辆。", "Your household has no car registered yet."),
    "request.closed_all": ("目前没有开放申请的夜晚。", "No night is open for requests now."),
    "need.ev_charger": ("充电桩", "EV charger"),
    "need.accessible": ("无障碍车位", "Accessible space"),
    "size.small": ("小型", "small"),
    "size.standard": ("标准", "standard"),
    "size.large": ("大型", "large"),
    "standing.title": ("长期申请", "Standing requests"),
    "standing.hint": (
        "在选定的晚上自动为这辆车申请（当晚已单独申请的除外）。",
        "Asks for the car on the chosen evenings automatically (unless you asked for it that night yourself).",
    ),
    "standing.days": ("每周", "Evenings"),
    "standing.add": ("添加长期申请", "Add standing request"),
    "standing.saved": ("长期申请已保存。", "Standing request saved."),
    "standing.remove": ("删除", "Remove"),
    "standing.remove_for": ("删除 {plate} 的长期申请", "Remove the standing request for {plate}"),
    "standing.removed": ("长期申请已删除。", "Standing request removed."),
    "standing.none": ("没有长期申请。", "No standing requests."),
    "standing.row": ("{plate}：{days}，{arrive}–{depart}", "{plate}: {days}, {arrive}–{depart}"),
    "weekday.0": ("周一", "Mon"),
    "weekday.1": ("周二", "Tue"),
    "weekday.2": ("周三", "Wed"),
    "weekday.3": ("周四", "Thu"),
    "weekday.4": ("周五", "Fri"),
    "weekday.5": ("周六", "Sat"),
    "weekday.6": ("周日", "Sun"),
    # Resident: releasing a rented space
    "release.title": ("让出我的车位", "Release my space"),
    "release.none": ("您的住户没有出租车位。", "Your household rents no space."),
    "release.space": ("车位", "Space"),
    "release.first": ("第一晚", "First evening"),
    "release.last": ("最后一晚", "Last evening"),
    "release.hint": (
        "{space}：在这些晚上 {hours}，车位供其他住户使用。",
        "{space}: on these evenings, {hours}, other residents may use the space.",
    ),
    "release.submit": ("让出", "Release"),
    "release.saved": ("车位已让出。", "Space released."),
    "release.mine": ("我的让出", "My releases"),
    "release.take_back": ("收回", "Take back"),
    "release.take_back_for": ("收回 {space} 的让出", "Take back the release of {space}"),
    "release.take_back_confirm": (
        "收回后，尚未截止、尚未安排的晚上不再让出。确定吗？",
        "The evenings not yet past their cutoff or allocated will no longer be released. Take back?",
    ),
    "release.taken_back": ("已收回尚未截止的晚上。", "Taken back for the evenings still open."),
    "release.row": ("{space}：{first} 至 {last}", "{space}: {first} to {last}"),
    "release.row_one": ("{space}：{date}", "{space}: {date}"),
    "release.nothing": ("还没有让出记录。", "No releases yet."),
    "release.users": ("谁在使用我的车位", "Who uses my space"),
    "release.users_row": (
        "{date}：{space} 由 {plate} 使用，{start}–{end}",
        "{date}: {space} used by {plate}, {start}–{end}",
    ),
    "release.users_none": (
        "已发布的夜晚里没有人使用您的车位。",
        "Nobody uses your space on the published nights.",
    ),
    # Resident: history
    "history.title": ("最近四周", "The last four weeks"),
    "history.summary": (
        "分到车位 {served} 晚，未分到车位 {refused} 晚。",
        "Nights served: {served}; refused: {refused}.",
    ),
    "history.refused_because": ("未分到车位：{reason}", "Refused: {reason}"),
    "history.served": ("分到车位：{space}", "Served: {space}"),
    "history.none": ("最近没有已发布的申请。", "No published requests lately."),
    "history.date": ("日期", "Date"),
    "history.car": ("车辆", "Car"),
    "history.outcome": ("结果", "Outcome"),
    # Staff: the night
    "night.title": ("{date} 夜间安排", "The night of {date}"),
    "night.state": ("状态", "State"),
    "state.open": ("接受申请中", "taking requests"),
    "state.locked": ("已截止，未安排", "closed, not allocated"),
    "state.allocated": ("已有草案", "draft ready"),
    "state.published": ("已发布", "published"),
    "state.closed": ("已结束（已记录超时）", "closed (overstays recorded)"),
    "night.cutoff": ("截止时间", "Cutoff"),
    "night.requests": ("申请", "Requests"),
    "night.released": ("让出的小区车位", "Released rented spaces"),
    "night.street": ("潮汐车位", "Tidal street spaces"),
    "night.draft": ("草案", "Draft"),
    "night.published": ("已发布", "Published"),
    "night.run_status": ("结果：{status}", "Result: {status}"),
    "night.refused_list": ("未分到车位的申请", "Refused requests"),
    "night.refused_hours": ("时段", "Hours"),
    "night.refused_reason": ("原因", "Reason"),
    "status.optimal": ("已证明没有更好的安排", "proven best: no allocation does better"),
    "status.feasible": (
        "可以使用，但未证明是最好的安排（到时限停止）",
        "usable, but not proven best (stopped at its time limit)",
    ),
    "status.infeasible": ("无法安排（指定的车位互相冲突）", "impossible (the pins conflict)"),
    "night.seconds": ("用时 {seconds} 秒", "{seconds} s"),
    "night.level": ("优先级 {level}", "Priority level {level}"),
    "night.level_rule": ("优先级 {level}：{label}", "Priority level {level}: {label}"),
    "night.level_default": ("其他申请", "other requests"),
    "night.level_penalty": ("超时停放后", "after an overstay"),
    "night.status_hint": (
        "“最好”按方案的规则比较：先看各优先级分到车位的申请数（从高到低），再看公平轮换，最后看步行距离。",
        "“Best” compares allocations by the plan's rules: requests served at each priority level (highest first), then fairness, then walks.",
    ),
    "night.level_column": ("优先级", "Priority level"),
    "night.served": ("分到车位", "Served"),
    "night.refused": ("未分到车位", "Refused"),
    "night.no_run": ("还没有运行安排。", "Not allocated yet."),
    "night.run": ("运行安排", "Run allocation"),
    "night.rerun": ("重新运行", "Run again"),
    "night.reoptimise": ("重新优化（保留已发布的安排）", "Re-optimise (keep what is published)"),
    "night.publish": ("发布", "Publish"),
    "night.run_confirm": ("现在运行这一晚的安排吗？", "Run the allocation for this night now?"),
    "night.run_early_confirm": (
        "截止时间（{cutoff}）还没到：现在运行会提前截止住户的申请。确定吗？",
        "The cutoff ({cutoff}) has not come yet: running now closes residents' requests early. Run?",
    ),
    "night.publish_confirm": (
        "发布后住户即可看到结果。确定发布吗？",
        "Residents will see this allocation. Publish it?",
    ),
    "night.ran": ("安排已完成（草案）。", "Allocated (draft)."),
    "night.published_done": ("已发布。", "Published."),
    "night.changes": ("与已发布安排相比的变化", "Changes from the published allocation"),
    "night.moved": (
        "{household}：{from_space} → {to_space}",
        "{household}: {from_space} → {to_space}",
    ),
    "night.newly": ("新安排 {household}：{to_space}", "Newly served {household}: {to_space}"),
    "night.dropped": (
        "不再安排 {household}（原 {from_space}）",
        "No longer served {household} (was {from_space})",
    ),
    "night.pick": ("日期", "Evening"),
    "night.previous": ("← 前一晚", "← Previous night"),
    "night.next": ("后一晚 →", "Next night →"),
    "night.days": ("切换夜晚", "Other nights"),
    "night.show": ("查看", "Show"),
    "map.title": ("小区地图", "Site map"),
    "map.zoom_in": ("放大地图（可左右滚动）", "Enlarge the map (it scrolls sideways)"),
    "map.zoom_out": ("显示整张地图", "Show the whole map"),
    "map.hint": (
        "点击车位查看停放情况；也可用 Tab 键选中车位后按回车。",
        "Click a space to see its stays, or reach it with Tab and press Enter.",
    ),
    "map.legend": ("图例", "Legend"),
    "map.state.used": ("有车（已安排）", "In use (allocated)"),
    "map.state.free": ("可共享、空闲", "Shared, empty"),
    "map.state.private": ("不共享（车位租户自用）", "Not shared (the renter's own)"),
    "map.state.mine": ("我的车位", "My space"),
    "map.state.other": ("其他车位", "Other spaces"),
    "map.building": ("楼", "Building"),
    "map.space_label": ("{space}：{state}", "{space}: {state}"),
    "stays.title": ("车位 {space} 的停放", "Stays on space {space}"),
    "stays.kind": ("{kind}，{size}", "{kind}, {size}"),
    "stays.renter": ("车位租户 {household}", "Renter {household}"),
    "stays.none": ("这一晚没有安排车辆。", "No car is allocated here this night."),
    "stays.row": ("{plate}（{household}）{start}–{end}", "{plate} ({household}) {start}–{end}"),
    "pin.title": ("指定或禁止", "Pin or keep off"),
    "pin.request": ("申请", "Request"),
    "pin.action": ("操作", "Action"),
    "pin.force": ("指定到这个车位", "Pin to this space"),
    "pin.forbid": ("不得停这个车位", "Keep off this space"),
    "pin.reason": ("原因", "Reason"),
    "pin.submit": ("保存", "Save"),
    "pin.saved": ("已保存，重新运行后生效。", "Saved; it takes effect at the next run."),
    "pin.list": ("指定与禁止", "Pins"),
    "pin.row": (
        "{request}：{action} {space}（{reason}）",
        "{request}: {action} {space} ({reason})",
    ),
    "pin.remove": ("删除", "Remove"),
    "pin.remove_for": ("删除申请 {request} 的指定", "Remove the pin of request {request}"),
    "pin.removed": ("已删除。", "Removed."),
    "pin.request_option": (
        "{household} {plate} {arrive}–{depart}",
        "{household} {plate} {arrive}–{depart}",
    ),
    "urgent.title": ("前台登记的申请", "A request taken at the desk"),
    "urgent.hint": (
        "截止后也可登记（紧急情况）；重新运行或重新优化后生效。",
        "Also after the cutoff (an urgent case); it counts once the night is run or re-optimised again.",
    ),
    "urgent.household": ("住户号", "Household"),
    "urgent.plate": ("车牌", "Plate"),
    "urgent.submit": ("登记申请", "Add the request"),
    "urgent.saved": (
        "申请已登记，重新运行或重新优化后生效。",
        "Request added; run or re-optimise the night for it to count.",
    ),
    "withdraw.title": ("车位租户提前回来", "The renter came back early"),
    "withdraw.hint": (
        "只收回这一晚的让出；如已发布，请重新优化以安排原来停在这里的车。",
        "Take the space back for this evening only; if the night is published, re-optimise to move whoever had it.",
    ),
    "withdraw.submit": ("收回这一晚的让出", "Take back tonight's release"),
    "withdraw.saved": ("已收回这一晚的让出。", "Tonight's release is taken back."),
    "audit.title": ("操作日志", "Log"),
    "audit.when": ("时间", "When"),
    "audit.who": ("操作人", "Who"),
    "audit.what": ("操作", "What"),
    "audit.detail": ("详情", "Detail"),
    "audit.system": ("系统", "system"),
    "common.none": ("无", "none"),
    "audit.detail.import": (
        "{name}：{spaces} 个车位，{households} 户",
        "{name}: {spaces:space|spaces}, {households:household|households}",
    ),
    "audit.detail.activate": ("{username}", "{username}"),
    "audit.detail.run": (
        "{evening}之夜：第 {run} 次运行，{status}",
        "Night of {evening}: run {run}, {status}",
    ),
    "audit.detail.publish": (
        "{evening}之夜：第 {run} 次运行的结果",
        "Night of {evening}: run {run}",
    ),
    "audit.detail.import households": (
        "从 {filename} 导入 {count} 户",
        "{count:household|households} from {filename}",
    ),
    "audit.detail.cancel request": (
        "{evening}之夜：{household} 的 {plate}",
        "Night of {evening}: {household}, {plate}",
    ),
    "audit.detail.take back release": (
        "{household} 收回 {space}：{evenings}",
        "{household} took back {space}: {evenings}",
    ),
    "audit.detail.create space": ("{space}", "{space}"),
    "audit.detail.change space": ("{space}：{fields}", "{space}: {fields}"),
    "audit.detail.create household": ("{household}", "{household}"),
    "audit.detail.change household": ("{household}：{fields}", "{household}: {fields}"),
    "audit.detail.activation code": ("{household}", "{household}"),
    "audit.detail.pin force": (
        "{evening}之夜：第 {request} 号申请指定到 {space}。原因：{reason}",
        "Night of {evening}: request {request} pinned to {space}. Reason: {reason}",
    ),
    "audit.detail.pin forbid": (
        "{evening}之夜：第 {request} 号申请不得停 {space}。原因：{reason}",
        "Night of {evening}: request {request} kept off {space}. Reason: {reason}",
    ),
    "audit.detail.unpin": (
        "{evening}之夜：删除第 {pin} 号指定",
        "Night of {evening}: pin {pin} removed",
    ),
    "audit.detail.urgent request": (
        "{evening}之夜：{household} 的 {plate}。原因：{reason}",
        "Night of {evening}: {household}, {plate}. Reason: {reason}",
    ),
    "audit.detail.withdraw release": (
        "{evening}之夜：{space}。原因：{reason}",
        "Night of {evening}: {space}. Reason: {reason}",
    ),
    "audit.detail.overstays": ("{evening}之夜：{spaces}", "Night of {evening}: {spaces}"),
    "audit.detail.space reported": (
        "{evening}之夜：住户 {household} 报告 {space} 被占（{plate}）",
        "Night of {evening}: household {household} reports {space} taken ({plate})",
    ),
    "audit.detail.close report": (
        "{space} 的报告（{report}）：{note}",
        "Report {report} on {space}: {note}",
    ),
    "audit.detail.message": ("发给住户 {to}", "To household {to}"),
    "audit.detail.message night": (
        "{evening}之夜：{to}（{households} 户）",
        "Night of {evening}: {to} ({households})",
    ),
    "audit.activate": ("激活账户", "account activated"),
    "audit.activation code": ("发激活码", "activation code issued"),
    "audit.cancel request": ("取消申请", "request cancelled"),
    "audit.change household": ("修改住户", "household changed"),
    "audit.change space": ("修改车位", "space changed"),
    "audit.create household": ("添加住户", "household added"),
    "audit.create space": ("添加车位", "space added"),
    "audit.import households": ("导入住户", "households imported"),
    "audit.import": ("导入小区", "compound imported"),
    "audit.overstays": ("记录超时", "overstays recorded"),
    "audit.publish": ("发布", "published"),
    "audit.run": ("运行安排", "allocation run"),
    "audit.unpin": ("删除指定", "pin removed"),
    "audit.urgent request": ("前台登记申请", "request taken at the desk"),
    "audit.withdraw release": ("前台收回让出", "release taken back at the desk"),
    "audit.take back release": ("车位租户收回让出", "release taken back by the renter"),
    "audit.pin force": ("指定车位", "pinned to a space"),
    "audit.pin forbid": ("禁止车位", "kept off a space"),
    "audit.space reported": ("报告车位被占", "space reported taken"),
    "audit.close report": ("处理报告", "report dealt with"),
    "audit.message": ("发消息", "message sent"),
    "audit.message night": ("群发消息", "message to a night's households"),
    "cars.title": ("我的车辆", "My cars"),
    "cars.plate": ("车牌", "Plate"),
    "cars.size": ("车型", "Size"),
    "cars.needs": ("通常需要", "Usually needs"),
    "cars.add": ("登记车辆", "Register a car"),
    "cars.saved": ("车辆已登记。", "Car registered."),
    "cars.none": ("还没有登记车辆。", "No car registered yet."),
    "error.car_exists": (
        "这个车牌已经登记（如果不是您家的车，请联系物业）。",
        "That plate is already registered (if it is not your household's, ask the office).",
    ),
    "error.field.plate": (
        "请填写车牌（最多 20 个字符）。",
        "Give the plate (20 characters at most).",
    ),
    "error.plate_empty": ("请填写车牌。", "Give the plate."),
    "error.plate_province": (
        "车牌须以省份简称开头，例如 沪A12345。",
        "A plate starts with its province's abbreviation, e.g. 沪A12345.",
    ),
    "error.plate_office": (
        "省份简称后应是发牌机关的字母（A 到 Z），例如 沪A12345。",
        "After the province comes the issuing office's letter (A to Z), e.g. 沪A12345.",
    ),
    "error.plate_io": (
        "车牌不使用字母 I 和 O（容易与 1 和 0 混淆），请检查。",
        "Plates never use the letters I and O (they read as 1 and 0); please check.",
    ),
    "error.plate_character": (
        "车牌中有不属于车牌的字符；字母和数字之外，只有“学、警、领、挂、港、澳”可以放在最后一位。",
        "The plate holds a character plates do not use; besides letters and digits only 学, 警, 领, 挂, 港 or 澳 may end a plate.",
    ),
    "error.plate_length": (
        "字母后面应有 5 位（普通车牌，沪A12345）或 6 位（新能源车牌，沪AD12345）。",
        "After the letter come 5 characters (ordinary plate, 沪A12345) or 6 (new-energy plate, 沪AD12345).",
    ),
    "error.plate_new_energy": (
        "新能源车牌的 6 位须以 D 或 F 开头、后 4 位为数字（沪AD12345），或为 5 位数字加 D 或 F（沪A12345D）。",
        "A new-energy plate's 6 characters start with D or F and end in 4 digits (沪AD12345), or are 5 digits and D or F (沪A12345D).",
    ),
    "error.plate_embassy": (
        "使馆车牌为“使”加 6 位数字，例如 使014578。",
        "An embassy plate is 使 and 6 digits, e.g. 使014578.",
    ),
    "error.field.household": ("住户号无效。", "The household is not valid."),
    "error.no_such_car": (
        "这个住户没有这个车牌的车辆。",
        "That household has no car with this plate.",
    ),
    "error.not_released": ("这个车位这一晚没有让出。", "This space is not released this evening."),
    # Staff: gate list and morning round
    "gate.title": ("{date} 夜间门岗名单", "Gate list for the night of {date}"),
    "gate.print": ("打印", "Print"),
    "gate.csv": ("下载 CSV", "Download CSV"),
    "gate.csv_phones": ("下载 CSV（含住户手机号）", "Download CSV with phone numbers"),
    "gate.phone": ("手机号", "Phone"),
    "gate.not_published": ("这一晚还没有发布。", "This night is not published yet."),
    "gate.space": ("车位", "Space"),
    "gate.kind": ("类型", "Kind"),
    "gate.plate": ("车牌", "Plate"),
    "gate.household": ("住户", "Household"),
    "gate.from": ("从", "From"),
    "gate.until": ("至", "Until"),
    "gate.count": ("共 {count} 辆车", "{count:car|cars}"),
    "gate.printed": ("打印时间 {moment}", "Printed {moment}"),
    "morning.title": ("{date} 夜间的早晨巡查", "Morning round after the night of {date}"),
    "morning.hint": (
        "勾选停放结束后仍在共享车位上的车辆。保存后这一晚结束，这些住户在之后几晚降为方案规定的优先级。",
        "Tick the cars still on a shared space after their stay ended. Saving closes the night; those households fall to the plan's penalty priority level for the next nights.",
    ),
    "morning.submit": ("保存并结束这一晚", "Save and close the night"),
    "morning.confirm": (
        "保存后这一晚不能再修改。确定吗？",
        "The night cannot change after this. Save?",
    ),
    "morning.saved": ("已记录，这一晚已结束。", "Recorded; the night is closed."),
    "morning.recorded": ("已记录超时的住户：{households}", "Overstays recorded for: {households}"),
    "morning.none_recorded": ("已记录：无超时。", "Recorded: no overstays."),
    "morning.opens": (
        "早晨巡查在 {moment} 开放（最早的停放结束时）。",
        "The morning round opens at {moment}, when the first stay ends.",
    ),
    "morning.correct": ("更正记录", "Correct the record"),
    "morning.save_correction": ("保存更正", "Save the correction"),
    "morning.overstayed": ("超时", "Overstayed"),
    "morning.not_ended": ("未到结束时间", "not ended yet"),
    # Staff: households and spaces
    "households.title": ("住户", "Households"),
    "households.code": ("住户号", "Household"),
    "households.tags": ("标签", "Tags"),
    "households.has_space": ("有车位", "Has a space"),
    "households.account": ("账户", "Account"),
    "households.active": ("已激活", "active"),
    "households.waiting": ("待激活", "waiting for activation"),
    "households.none_yet": ("未发码", "no code yet"),
    "households.new_code": ("发新激活码", "New activation code"),
    "households.new_code_for": ("为 {household} 发新激活码", "New activation code for {household}"),
    "households.new_code_confirm": (
        "发新激活码后，旧码失效。确定吗？",
        "A new code replaces the old one. Go on?",
    ),
    "households.code_for": (
        "{household} 的激活码：{code}（只显示这一次）",
        "Activation code for {household}: {code} (shown this once)",
    ),
    "households.add": ("添加住户", "Add a household"),
    "households.x": ("位置 x（米）", "Position x (m)"),
    "households.y": ("位置 y（米）", "Position y (m)"),
    "households.tags_hint": (
        "方案规则读取的标签请用上面的选项；其他标签用分号分隔",
        "Use the boxes above for the tags the plan's rules read; separate other tags with semicolons",
    ),
    "households.other_tags": ("其他标签", "Other tags"),
    "households.import": ("从 CSV 导入", "Import from CSV"),
    "households.import_hint": (
        "列：code,x,y,tags,has_space（tags 用分号分隔，例如 disabled;elderly；has_space 为 是/否）。UTF-8 或 GBK 编码。有任何错误时不导入任何一行。",
        "Columns: code,x,y,tags,has_space (tags separated by semicolons, e.g. disabled;elderly; has_space yes/no). UTF-8 or GBK. Nothing is imported if any line has an error.",
    ),
    "households.file": ("CSV 文件", "CSV file"),
    "households.import_submit": ("导入", "Import"),
    "households.importing": (
        "正在导入 {file}：已生成 {done} / {total} 个激活码。本页会自动刷新。",
        "Importing {file}: {done} of {total} activation codes made. This page refreshes itself.",
    ),
    "households.import_refresh": ("刷新", "Refresh"),
    "households.import_failed": (
        "{file} 没有导入：{error}。没有保存任何住户。",
        "{file} was not imported: {error}. No household was stored.",
    ),
    "households.import_shown": (
        "{file} 的 {total} 户已导入；激活码只显示一次，已经显示过。",
        "{file}: {total:household|households} imported; the activation codes are shown only once and already have been.",
    ),
    "households.imported": (
        "已导入 {count} 户，激活码如下（只显示这一次）：",
        "Imported {count:household|households}; their codes (shown this once):",
    ),
    "households.errors": ("文件有错误，未导入：", "The file has errors; nothing was imported:"),
    "households.error_line": (
        "第 {line} 行，{field}：{message}",
        "Line {line}, {field}: {message}",
    ),
    "households.error_file": ("{field}：{message}", "{field}: {message}"),
    "households.count": ("共 {count} 户", "{count:household|households}"),
    "list.find": ("查找编号", "Find by code"),
    "list.find_submit": ("查找", "Find"),
    "list.found": ("找到 {count} 个", "{count} found"),
    "list.page": ("第 {page} / {pages} 页", "Page {page} of {pages}"),
    "list.previous": ("上一页", "Previous page"),
    "list.next": ("下一页", "Next page"),
    "list.pages": ("翻页", "Pages"),
    "tag.disabled": ("残障", "disabled"),
    "tag.elderly": ("老人", "elderly"),
    "tag.new_resident": ("新住户", "new resident"),
    "spaces.title": ("车位", "Spaces"),
    "spaces.code": ("编号", "Code"),
    "spaces.kind": ("类型", "Kind"),
    "spaces.size": ("大小", "Size"),
    "spaces.features": ("设施", "Features"),
    "spaces.renter": ("车位租户", "Renter"),
    "spaces.hours": ("共享时段", "Shared hours"),
    "spaces.hours_hint": (
        "留空则用方案的时段；例如 22:00-09:00",
        "Empty for the plan's hours; e.g. 22:00-09:00",
    ),
    "spaces.plan_hours": ("按方案", "plan's"),
    "spaces.edit": ("修改", "Edit"),
    "spaces.save": ("保存", "Save"),
    "spaces.saved": ("车位已保存。", "Space saved."),
    "spaces.add": ("添加车位", "Add a space"),
    "spaces.added": ("车位已添加。", "Space added."),
    "spaces.count": ("共 {count} 个车位", "{count:space|spaces}"),
    "spaces.editing": ("修改车位 {space}", "Edit space {space}"),
    "kind.rented": ("小区出租车位", "rented"),
    "kind.street": ("潮汐车位", "tidal street"),
    # Shared words and errors
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "none": ("无", "none"),
    "error.title": ("没有完成：", "Not done:"),
    "error.cutoff_passed": ("这一晚的申请已截止。", "Requests for this night are closed."),
    "error.car_already_asked": (
        "这辆车这一晚已有申请；要改时间，请先取消原申请再提交。",
        "This car already has a request for this night; to change it, cancel that one and send a new one.",
    ),
    "error.night_busy": (
        "这一晚正在安排中，请稍后再试。",
        "This night is being allocated right now; try again in a minute.",
    ),
    "error.nothing_to_publish": (
        "没有可发布的新安排（或草案不可行），请先运行。",
        "There is no new allocation to publish (or the draft is infeasible); run it first.",
    ),
    "error.night_published": (
        "这一晚已发布，请用“重新优化”修改。",
        "This night is published; re-optimise it to change it.",
    ),
    "error.nothing_published": (
        "这一晚还没有发布，没有可保留的安排；请直接运行。",
        "This night is not published, so there is nothing to keep; run it.",
    ),
    "error.cutoff_grace": (
        "截止前送达的申请仍在受理；请在截止后的宽限时间（默认一分钟）过后再运行这一晚。",
        "Requests that reached the service before the cutoff are still being taken; run this night once the grace after the cutoff (a minute by default) has passed.",
    ),
    "error.night_closed": (
        "这一晚已结束，不能再修改。",
        "This night is closed; nothing about it can change.",
    ),
    "error.night_unusable": (
        "这一晚的数据无法安排，请检查车位设置。",
        "The night cannot be allocated as stored; check the spaces' settings.",
    ),
    "error.field.arrive": (
        "到达时间无效（用 时:分，例如 22:10）。",
        "The arrival time is not valid (use HH:MM, e.g. 22:10).",
    ),
    "error.field.depart": (
        "离开时间必须晚于到达时间（12:00 以前算次日早晨）。",
        "Leave must be after arrive (times before 12:00 are the next morning).",
    ),
    "error.field.weekdays": ("请至少选一个晚上。", "Choose at least one evening."),
    "error.field.last_evening": (
        "最后一晚的日期无效（2000 至 2099 年）。",
        "The last evening is not a valid date (2000 to 2099).",
    ),
    "error.release_order": (
        "最后一晚不能早于第一晚。",
        "The last evening cannot be before the first.",
    ),
    "error.gone": (
        "找不到这一项（可能已被取消或删除）。",
        "That item is not there (it may have been cancelled or removed).",
    ),
    "error.household_exists": ("这个住户号已经存在。", "That household already exists."),
    "error.space_exists": ("这个车位编号已经存在。", "A space with that code already exists."),
    "error.pin_exists": (
        "这个申请已指定到这个车位，请先删除原来的。",
        "That request is already pinned to this space; remove that pin first.",
    ),
    "error.not_published": ("这一晚还没有发布。", "This night is not published yet."),
    "error.form": ("表单内容无效：", "The form is not valid:"),
    "error.field.password": ("密码需 8 到 200 位。", "The password needs 8 to 200 characters."),
    "error.field.username": ("用户名无效。", "The username is not valid."),
    "error.field.code": (
        "编号无效：1 到 40 个字母、数字或 - . / _。",
        "The code is not valid: 1 to 40 letters, digits or - . / _.",
    ),
    "error.field.x": ("位置 x 必须是数字（米）。", "Position x must be a number (metres)."),
    "error.field.y": ("位置 y 必须是数字（米）。", "Position y must be a number (metres)."),
    "error.field.renter": ("没有这个住户号。", "There is no such household."),
    "error.field.windows": (
        "共享时段无效：写成 22:00-09:00，多个用逗号分隔，并且须在方案的时段内。",
        "The shared hours are not valid: write 22:00-09:00, several separated by commas, within the plan's hours.",
    ),
    "error.field.kind": ("类型无效。", "The kind is not valid."),
    "error.field.size": ("大小无效。", "The size is not valid."),
    "error.field.tags": ("标签无效（最多 20 个）。", "The tags are not valid (20 at most)."),
    "error.field.has_space": ("“有车位”须为“是”或“否”。", "has_space must be yes or no."),
    "error.field.reason": ("请写明原因（3 到 500 个字）。", "Give a reason (3 to 500 characters)."),
    "error.field.evening": (
        "日期无效（2000 至 2099 年）。",
        "The date is not valid (2000 to 2099).",
    ),
    "error.field.first_evening": (
        "第一晚的日期无效（2000 至 2099 年）。",
        "The first evening is not a valid date (2000 to 2099).",
    ),
    "error.field.first": (
        "第一晚的日期无效（2000 至 2099 年）。",
        "The first evening is not a valid date (2000 to 2099).",
    ),
    "error.field.last": (
        "最后一晚的日期无效（2000 至 2099 年）。",
        "The last evening is not a valid date (2000 to 2099).",
    ),
    "error.field.car_id": ("请选择车辆。", "Choose a car."),
    "error.field.request_id": ("请选择申请。", "Choose a request."),
    "error.field.space": ("车位无效。", "The space is not valid."),
    "error.field.spaces": ("勾选的车位无效。", "A ticked space is not valid."),
    "error.field.needs": ("需要的设施无效。", "The needs are not valid."),
    "error.field.action": ("请选择操作。", "Choose an action."),
    "error.field.file": (
        "文件必须是 UTF-8 或 GBK 编码的 CSV 文本。",
        "The file must be CSV text in UTF-8 or GBK.",
    ),
    "error.field.header": (
        "表头缺少列：需要 code,x,y（可选 tags,has_space）。",
        "The header lacks columns: code,x,y are needed (tags,has_space are optional).",
    ),
    "error.field.line": ("这一行有未知的或多余的列。", "This line has unknown or extra columns."),
    "error.field.email": ("电子邮件地址无效。", "The e-mail address is not valid."),
    "error.field.phone": (
        "手机号无效（5 到 20 位数字，可带 + 和空格）。",
        "The phone number is not valid (5 to 20 digits, + and spaces allowed).",
    ),
    "error.field.quiet_from": (
        "免打扰时段的开始时间无效（时:分）。",
        "The start of the quiet hours is not valid (HH:MM).",
    ),
    "error.field.quiet_until": (
        "免打扰时段的结束时间无效（时:分）。",
        "The end of the quiet hours is not valid (HH:MM).",
    ),
    "error.field.language": ("请选择中文或英文。", "Choose Chinese or English."),
    "error.field.text": (
        "请写消息内容（最多 1000 字）。",
        "Write the message (1,000 characters at most).",
    ),
    "error.field.note": ("说明最多 500 字。", "The note has 500 characters at most."),
    "error.field.to": ("请选择发给谁。", "Choose whom to write to."),
    "error.email_needed": (
        "要用电子邮件通知，请填写电子邮件地址。",
        "Give an e-mail address to be told by e-mail.",
    ),
    "error.quiet_both": (
        "免打扰时段请填写开始和结束，或都不填。",
        "Give both ends of the quiet hours, or neither.",
    ),
    "error.quiet_same": (
        "免打扰时段的结束时间不能与开始相同。",
        "The quiet hours must end at another time than they start.",
    ),
    "error.not_your_space": (
        "这不是您的出租车位，也不是您今晚分到的车位。",
        "This is neither your rented space nor your space tonight.",
    ),
    "error.household_needed": ("请填写要发给的住户。", "Name the household to write to."),
    "error.no_such_household": ("没有这个住户。", "There is no such household."),
    "error.evening_needed": ("请选择哪一晚。", "Choose the night."),
    "error.night_not_published": ("这一晚还没有发布。", "That night is not published yet."),
    "error.field.generic": ("{field} 无效：{message}", "{field} is not valid: {message}"),
    "error.release_overlaps": (
        "这些晚上与已有的让出重叠。",
        "These evenings overlap a release you already made.",
    ),
    "error.release_started": (
        "这次让出的晚上都已截止或已安排，请联系物业。",
        "Every evening of this release is past its cutoff or allocated; ask the office.",
    ),
    "error.night_allocated": (
        "其中有晚上已经安排过了，请从之后一晚开始让出。",
        "One of these nights is already allocated; release from the evening after it.",
    ),
    "error.generic": ("操作未完成：{detail}", "Not done: {detail}"),
    "error.too_large": (
        "发送的内容太大（最多 {size}）。",
        "What was sent is too large ({size} at most).",
    ),
    "error.stay_too_long": (
        "一次停车最长 16 小时（例如 18:00 到次日 10:00）。",
        "A stay lasts 16 hours at most (e.g. 18:00 to 10:00 the next morning).",
    ),
    "error.release_too_long": (
        "一次让出最长一年（366 个晚上）；更长的请分次登记。",
        "A release covers a year at most (366 evenings); give a longer one in parts.",
    ),
    "error.release_too_far": (
        "让出须在一年之内开始。",
        "A release must start within the next year.",
    ),
    "error.round_not_open": (
        "这一晚还没有停放结束，早晨巡查尚未开始。",
        "No stay of this night has ended yet; the morning round has not opened.",
    ),
    "error.csrf": ("页面已过期，请重新提交。", "The page had expired; please send it again."),
    "error.not_found": ("找不到这个页面。", "This page does not exist."),
    "error.forbidden": ("您没有权限查看这个页面。", "You may not see this page."),
    "error.staff_only": ("这个页面只供物业人员使用。", "This page is for the office staff."),
    "error.residents_only": ("这个页面只供住户使用。", "This page is for residents."),
    "back.home": ("返回首页", "Back to the start"),
    # Ballots (service/web/ballots.py)
    "nav.ballots": ("投票", "Ballots"),
    "ballots.title": ("投票", "Ballots"),
    "ballots.none": ("目前没有投票。", "There is no ballot yet."),
    "ballots.voted": (
        "您的住户已投票，截止前可以修改。",
        "Your household has voted; you can change the vote until it closes.",
    ),
    "ballots.not_voted": ("您的住户还没有投票。", "Your household has not voted yet."),
    "ballots.open_open": ("查看并投票", "Read and vote"),
    "ballots.open_upcoming": ("查看方案", "Read the plans"),
    "ballots.open_closed": ("查看结果", "See the result"),
    "ballots.back": ("返回投票列表", "Back to the ballots"),
    "ballots.question": ("投票事项", "Question"),
    "ballots.state": ("状态", "State"),
    "ballots.turnout": ("已投票", "Voted"),
    "ballots.new": ("发起投票", "New ballot"),
    "ballots.opens_at": ("开始时间", "Opens"),
    "ballots.closes_at": ("截止时间", "Closes"),
    "ballots.times_hint": (
        "按小区所在时区（上海时间）。",
        "In the compound's time zone (Shanghai time).",
    ),
    "ballots.rule": ("表决规则", "Rule"),
    "ballots.options": ("选项（2 到 5 个）", "Options (2 to 5)"),
    "ballots.option": ("选项 {number}", "Option {number}"),
    "ballots.option_unused": ("（不用）", "(not used)"),
    "ballots.option_custom": ("自定方案（见下）", "Custom plan (below)"),
    "ballots.option_none": ("都不同意：维持现行方案", "None of these: the plan in use stays"),
    "ballots.custom": ("自定方案", "Custom plan"),
    "ballots.custom_hint": (
        "在现行方案的基础上修改共享时段和潮汐车位数；选项中选“自定方案”时使用。时段写成 22:00-09:00，多个用逗号分隔；留空表示不共享。",
        "The plan in use with other shared hours and street spaces; used where an option says “Custom plan”. Write hours as 22:00-09:00, several separated by commas; empty means not shared.",
    ),
    "ballots.custom_name": ("方案名称", "Plan name"),
    "ballots.rented_hours": ("出租车位共享时段", "Rented spaces' shared hours"),
    "ballots.street_hours": ("潮汐车位共享时段", "Street spaces' shared hours"),
    "ballots.street_spaces": ("潮汐车位数（留空为现有数量）", "Street spaces (empty: as now)"),
    "ballots.seed": ("模拟随机种子", "Simulation seed"),
    "ballots.seed_hint": (
        "同一种子得到同样的模拟结果，便于复核。",
        "The same seed gives the same figures, so anyone can check them.",
    ),
    "ballots.create": ("发起投票并开始模拟", "Create the ballot and simulate"),
    "ballot.created": (
        "投票已发起，正在模拟各方案。",
        "The ballot is made; the plans are being simulated.",
    ),
    "ballot.voted": ("您的投票已记录。", "Your vote is recorded."),
    "ballot.closed": (
        "投票已截止并计票，结果已公示。",
        "The ballot is closed and counted; the result is posted.",
    ),
    "ballot.adopted": ("方案已设定生效日期。", "The plan is adopted from the evening chosen."),
    "ballot.state.upcoming": (
        "{opens} 开始投票，{closes} 截止。",
        "Voting opens {opens} and closes {closes}.",
    ),
    "ballot.state.open": (
        "投票进行中（{opens} 开始），{closes} 截止。",
        "Voting is open (since {opens}) until {closes}.",
    ),
    "ballot.state.closed": (
        "投票已于 {closes} 截止（{opens} 开始）。",
        "Voting closed at {closes} (it opened {opens}).",
    ),
    "ballot.rule.majority": (
        "表决规则（民法典第278条）：专有面积占三分之二以上、户数占三分之二以上的住户参与表决；参与表决的专有面积过半数、户数过半数同意，方案通过。",
        "The rule (Civil Code, art. 278): households holding at least two thirds of the floor area and at least two thirds of the households take part; an option passes with more than half of the participating area and more than half of the participating households.",
    ),
    "ballot.rule.common_parts": (
        "表决规则（民法典第278条，改变共有部分用途）：专有面积占三分之二以上、户数占三分之二以上的住户参与表决；参与表决的专有面积四分之三以上、户数四分之三以上同意，方案通过。",
        "The rule (Civil Code, art. 278, changing the use of common parts): households holding at least two thirds of the floor area and at least two thirds of the households take part; an option passes with at least three quarters of the participating area and of the participating households.",
    ),
    "ballot.missing_areas": (
        "{total} 户中有 {count} 户没有登记专有面积：计票时按户数计入，面积按 0 平方米计。",
        "{count} of {total} households have no recorded floor area: they count as households and as 0 m² of area.",
    ),
    "ballot.summary_title": ("各方案会怎样（模拟结果）", "What each plan would mean (simulated)"),
    "ballot.simulating": (
        "正在模拟各方案：已完成 {done} / {total}。",
        "Simulating the plans: {done} of {total} runs done.",
    ),
    "ballot.simulation_failed": (
        "模拟未能完成，请联系物业。",
        "The simulation could not finish; ask the office.",
    ),
    "ballot.headline": ("{sentence}。", "{sentence}."),
    "ballot.headline_first": (
        "按{plan}，没有车位的住户每月约有 {count} 晚未分到车位",
        "Under {plan}, a household without a space is refused on about {count} nights a month",
    ),
    "ballot.headline_next": ("按{plan}，约 {count} 晚", "under {plan}, on about {count}"),
    "ballot.plan_sentence": ("{plan}：{facts}。", "{plan}: {facts}."),
    "ballot.fact.served_per_night": (
        "每晚约 {count} 辆车停进共享车位",
        "about {count} cars park on shared spaces a night",
    ),
    "ballot.fact.refused_taken_month": (
        "每月约 {count} 次申请因合适的车位都已占满而未分到车位",
        "about {count} requests a month are refused because every fitting space is taken",
    ),
    "ballot.fact.refused_no_fit_month": (
        "另有约 {count} 次申请因所报时段或所需设施（如充电桩）没有车位能满足而未分到车位，这不是因为车位不够",
        "another {count} a month are refused because no space is open for those hours or has what the car needs (such as a charger), not for lack of space",
    ),
    "ballot.fact.renter_conflicts_month": (
        "车位租户回来时车位仍被占用，每月约 {count} 次",
        "a renter comes home to a taken space about {count} times a month",
    ),
    "ballot.fact.walk_m": ("平均步行约 {count} 米", "the walk to the space is about {count} m"),
    "ballot.none_sentence": (
        "如果“都不同意”得票通过，现行方案继续执行，以上数字不适用。",
        "If “none of these” wins, the plan in use goes on and these figures do not apply.",
    ),
    "ballot.what_if": (
        "主要假设：每晚约 {share}% 的车位租户外出并让出车位。若只有一半（{half}%），没有车位的住户每月未分到车位的晚数约为：{half_values}；若多一倍（{double}%），约为：{double_values}。",
        "The main assumption: on a night about {share} % of renters are away and release their space. If half as many were away ({half} %), a household without a space would be refused on about this many nights a month: {half_values}; if twice as many ({double} %): {double_values}.",
    ),
    "ballot.what_if_value": ("{plan}约 {count} 晚", "{count} under {plan}"),
    "ballot.details_title": ("详细数据（供业委会核对）", "Detailed figures (for the committee)"),
    "ballot.details_hint": (
        "每个方案模拟 {nights} 晚、{seeds} 组随机数（种子从 {seed} 起）；方括号内为 95% 置信区间。",
        "Each plan over {nights} nights and {seeds} runs (seeds from {seed}); brackets give the 95 % confidence interval.",
    ),
    "ballot.figure": ("指标", "Figure"),
    "figure.requests_per_night": ("每晚申请数", "Requests per night"),
    "figure.served_per_night": ("每晚分到车位数", "Served per night"),
    "figure.served_share": ("申请分到车位比例", "Share of requests served"),
    "figure.refused_nights": ("每户每月未分到车位晚数", "Refused nights per household a month"),
    "figure.refused_nights_without_space": (
        "无车位住户每月未分到车位晚数",
        "Refused nights a month, households without a space",
    ),
    "figure.refused_nights_max": (
        "未分到车位最多的住户，每月晚数",
        "Most refused household, nights a month",
    ),
    "figure.refused_gini": ("未分到车位分布的基尼系数", "Gini coefficient of refusals"),
    "figure.refused_over_share": (
        "每月超过 5 晚未分到车位的住户",
        "Households refused more than 5 nights a month",
    ),
    "figure.refused_p95": (
        "较差夜晚未分到车位数（第95百分位）",
        "Refused on a bad night (95th percentile)",
    ),
    "figure.refused_taken_month": (
        "每月因车位已满未分到车位",
        "Refused a month: every fitting space taken",
    ),
    "figure.refused_no_fit_month": (
        "每月因无车位能满足时段或设施未分到车位",
        "Refused a month: no space fits the hours or needs",
    ),
    "figure.renter_conflicts_month": (
        "车位租户回来车位被占，每月次数",
        "Renters back to a taken space, a month",
    ),
    "figure.window_overstays_month": ("超时停放，每月次数", "Cars past their hours, a month"),
    "figure.walk_m": ("平均步行距离（米）", "Walk (m)"),
    "figure.without_space_if_away_half": (
        "让出减半时：无车位住户每月未分到车位晚数",
        "Renters away half as often: refused nights, households without a space",
    ),
    "figure.without_space_if_away_double": (
        "让出加倍时：无车位住户每月未分到车位晚数",
        "Renters away twice as often: refused nights, households without a space",
    ),
    "result.title": ("投票结果公示", "The posted result"),
    "result.option": ("选项", "Option"),
    "result.table": ("计票明细", "The count by option"),
    "result.households": ("户数", "Households"),
    "result.area": ("专有面积（平方米）", "Floor area (m²)"),
    "result.approved": ("达到通过条件", "Passes"),
    "result.yes": ("是", "yes"),
    "result.no": ("否", "no"),
    "result.voted": ("参与表决 / 全部", "Voted / all"),
    "result.met": ("已达到", "met"),
    "result.not_met": ("未达到", "not met"),
    "result.households_participation": (
        "参与表决户数 {voted} / {total} 户，三分之二以上：{met}",
        "Households that voted: {voted} of {total}; at least two thirds: {met}",
    ),
    "result.area_participation": (
        "参与表决专有面积 {voted} / {total} 平方米，三分之二以上：{met}",
        "Floor area that voted: {voted} of {total} m²; at least two thirds: {met}",
    ),
    "result.area_not_counted": (
        "没有住户登记专有面积，面积条件无法计算，只按户数计。",
        "No household has a recorded floor area: the area conditions cannot be judged and households alone count.",
    ),
    "result.approval.majority": (
        "通过条件：参与表决的专有面积过半数、户数过半数同意。",
        "To pass, an option needs more than half of the participating area and more than half of the participating households.",
    ),
    "result.approval.common_parts": (
        "通过条件：参与表决的专有面积四分之三以上、户数四分之三以上同意。",
        "To pass, an option needs at least three quarters of the participating area and of the participating households.",
    ),
    "result.decided": ("结果：{plan}获得通过。", "Decided: {plan}."),
    "result.decided_none": (
        "结果：多数住户选择“都不同意”，现行方案不变。",
        "Decided: none of the plans; the plan in use stays.",
    ),
    "result.no_quorum": (
        "结果：参与表决的住户不足三分之二，未形成决定，现行方案不变。",
        "No decision: too few households took part; the plan in use stays.",
    ),
    "result.no_majority": (
        "结果：没有选项得到足够的同意，未形成决定，现行方案不变。",
        "No decision: no option won enough approval; the plan in use stays.",
    ),
    "result.adopted": (
        "物业已定从 {date} 起执行通过的方案。",
        "The office applies the decided plan from {date}.",
    ),
    "vote.title": ("投票", "Your vote"),
    "vote.mine_online": ("您的住户已投：{plan}。", "Your household voted: {plan}."),
    "vote.mine_paper": ("您的住户已交纸质选票：{plan}。", "Your household voted on paper: {plan}."),
    "vote.receipt": ("回执码：", "Receipt code:"),
    "vote.receipt_hint": (
        "请记下回执码。计票后可用它核对您的一票按所投计入；修改投票时回执码不变。投票结束后本页不再显示您投了哪个选项。",
        "Note this code. Once the votes are counted it shows that your vote was counted as cast; it stays the same when you change your vote. After closing this page no longer shows your choice.",
    ),
    "vote.not_on_roll": (
        "发起投票时您的住户还未登记，不能参加这次投票。",
        "Your household was not registered when the ballot was made and cannot vote in it.",
    ),
    "vote.not_open": ("{opens} 开始投票。", "Voting opens {opens}."),
    "vote.paper_office": (
        "您的住户已交纸质选票，纸质选票交了就不能再改。",
        "Your household voted on paper, and a paper vote cannot be changed.",
    ),
    "vote.choose": ("选择一个选项", "Choose one option"),
    "vote.cast": ("投票", "Vote"),
    "vote.change": ("修改投票", "Change my vote"),
    "vote.until": ("{closes} 截止前可以修改。", "You can change it until {closes}."),
    "receipt.title": ("核对回执码", "Check a receipt"),
    "receipt.code": ("回执码", "Receipt code"),
    "receipt.hint": (
        "12 个字母和数字，每 4 个一组，大小写均可。",
        "12 letters and digits in groups of 4, in any case.",
    ),
    "receipt.check": ("核对", "Check"),
    "receipt.counted": (
        "回执码 {receipt} 的一票已按“{plan}”计入结果。",
        "The vote with receipt {receipt} was counted for “{plan}”.",
    ),
    "receipt.recorded": (
        "回执码 {receipt} 的一票记录为“{plan}”，截止后计票。",
        "The vote with receipt {receipt} is recorded for “{plan}” and will be counted at closing.",
    ),
    "turnout.short": ("{voted} / {total} 户", "{voted} of {total}"),
    "turnout.households": ("已投票户数", "Households voted"),
    "turnout.area": ("已投票专有面积", "Floor area voted"),
    "turnout.online": ("网上投票", "Online"),
    "turnout.paper": ("纸质选票", "On paper"),
    "turnout.secret": (
        "投票是秘密的：这里只显示人数和面积，任何页面都不显示哪户投了什么。",
        "The vote is secret: only numbers and areas show here; no page shows what a household chose.",
    ),
    "paper.title": ("录入纸质选票", "Enter a paper ballot"),
    "paper.household": ("住户号", "Household"),
    "paper.hint": (
        "每户一票：已在网上或纸面投过票的住户不能再录入。录入记入日志（只记住户，不记选项）。",
        "One vote per household: a household that voted online or on paper cannot be entered again. The log records the household, never the choice.",
    ),
    "paper.option": ("选票上的选项", "Option on the paper"),
    "paper.submit": ("录入", "Enter"),
    "paper.entered": (
        "纸质选票已录入。请把回执码 {receipt} 交给该住户。",
        "The paper ballot is entered. Give the household its receipt code {receipt}.",
    ),
    "close.title": ("截止投票", "Close the ballot"),
    "close.hint": (
        "计划 {closes} 截止；截止后自动计票并公示，任何内容都不能再改。",
        "It closes at {closes}; once closed it is counted and posted and nothing of it can change.",
    ),
    "close.confirm": (
        "现在截止投票并计票吗？截止后不能再投票或修改。",
        "Close and count the ballot now? No vote can be cast or changed afterwards.",
    ),
    "close.submit": ("现在截止并计票", "Close and count now"),
    "adopt.title": ("执行通过的方案：{plan}", "Adopt the decided plan: {plan}"),
    "adopt.first_evening": ("从哪一晚起执行", "Applies from the evening of"),
    "adopt.hint": (
        "须是还在接受申请、尚未安排的一晚；之前的夜晚仍按原规则。",
        "An evening that still takes requests and is not allocated; the nights before keep the old rules.",
    ),
    "adopt.confirm": ("确定从这一晚起执行这个方案吗？", "Adopt this plan from that evening?"),
    "adopt.submit": ("执行方案", "Adopt the plan"),
    "notice.open": ("打印公示", "Print the notice"),
    "notice.title": ("停车方案投票结果公示", "Notice of the parking plan ballot's result"),
    "notice.print": ("打印", "Print"),
    "notice.intro": (
        "关于“{question}”的投票已于 {closes} 截止（{opens} 开始）。计票结果如下：",
        "The ballot on “{question}” closed at {closes} (it opened {opens}). The count:",
    ),
    "notice.rule_title": ("表决规则与计票", "The rule and the count"),
    "notice.receipts": (
        "每户可在住户页面用回执码核对自己的一票是否按所投计入。如有异议，请于公示期内向物业或业委会提出。",
        "Each household can check with its receipt code on its pages that its vote was counted as cast. Objections go to the office or the committee while the notice is posted.",
    ),
    "notice.not_closed": (
        "投票尚未截止，还没有结果。",
        "The ballot has not closed; there is no result yet.",
    ),
    "notice.signed": (
        "业委会、物业服务中心\u3000{date}",
        "The committee and the office, {date}",
    ),
    "audit.create ballot": ("发起投票", "ballot created"),
    "audit.close ballot": ("截止投票", "ballot closed"),
    "audit.paper vote": ("录入纸质选票", "paper ballot entered"),
    "audit.adopt plan": ("执行方案", "plan adopted"),
    "audit.detail.create ballot": ("第 {ballot} 号投票：{question}", "Ballot {ballot}: {question}"),
    "audit.detail.paper vote": ("第 {ballot} 号投票：{household}", "Ballot {ballot}: {household}"),
    "audit.detail.close ballot": ("第 {ballot} 号投票", "Ballot {ballot}"),
    "audit.detail.adopt plan": (
        "第 {ballot} 号投票通过的方案，自 {evening}起执行",
        "Ballot {ballot}: the decided plan from {evening}",
    ),
    "error.no_such_ballot": ("没有这个投票。", "There is no such ballot."),
    "error.ballot_not_open": ("投票还没有开始。", "The ballot has not opened yet."),
    "error.ballot_closed": (
        "投票已截止，不能再修改。",
        "The ballot is closed; nothing of it can change.",
    ),
    "error.not_on_roll": (
        "发起投票时这个住户还未登记，不能参加这次投票。",
        "The household was not registered when the ballot was made.",
    ),
    "error.voted_on_paper": (
        "您的住户已交纸质选票，纸质选票交了就不能再改。",
        "Your household voted on paper, and a paper vote cannot be changed.",
    ),
    "error.already_voted": (
        "这个住户已经投过票（网上或纸质）。",
        "This household has voted already (online or on paper).",
    ),
    "error.no_such_receipt": (
        "这次投票没有这个回执码。",
        "No vote of this ballot has this receipt code.",
    ),
    "error.ballot_key_missing": (
        "系统缺少投票密钥，请联系负责运行本系统的人员。",
        "The service has no ballot key; ask whoever runs it.",
    ),
    "error.ballot_not_counted": ("投票还没有计票。", "The ballot has not been counted yet."),
    "error.no_plan_decided": ("这次投票没有通过任何方案。", "The ballot decided no plan."),
    "error.plan_adopted": (
        "这个方案已设定执行，或这一晚起已有方案执行。",
        "The plan is adopted already, or a plan is adopted from that evening.",
    ),
    "error.plan_lacks_hours": (
        "这个方案没有给小区某类车位设共享时段。",
        "The plan gives no hours for a kind of space the compound has.",
    ),
    "error.adopt_too_late": (
        "执行日期须是还在接受申请的一晚（截止时间之前）。",
        "The first evening must still take requests (before its cutoff).",
    ),
    "error.adopt_over_allocated": (
        "这一晚之后已有夜晚安排过了，请选更晚的日期。",
        "A night from that evening on is allocated already; choose a later one.",
    ),
    "error.no_households": ("小区还没有住户。", "The compound has no households yet."),
    "error.field.option": ("请选择一个选项。", "Choose an option."),
    "error.field.question": (
        "请写明投票事项（3 到 500 个字）。",
        "Give the question (3 to 500 characters).",
    ),
    "error.field.opens_at": ("开始时间无效。", "The opening time is not valid."),
    "error.field.closes_at": (
        "截止时间无效：须晚于开始时间和现在，投票最长 90 天。",
        "The closing time is not valid: after the opening and now, 90 days at most.",
    ),
    "error.field.options": (
        "选项无效：2 到 5 个，至少一个方案，“都不同意”最多一个，方案不能重复。",
        "The options are not valid: 2 to 5, at least one plan, “none of these” once at most, no plan twice.",
    ),
    "error.field.bundled": ("没有这个方案。", "There is no such plan."),
    "error.field.seed": ("随机种子须是整数。", "The seed must be a whole number."),
    "error.field.rule": ("请选择表决规则。", "Choose a rule."),
}


@dataclass(frozen=True)
class Translator:
    language: str

    def __call__(self, key: str, **fields: object) -> str:
        text = MESSAGES[key][0 if self.language == "zh" else 1]
        return PHRASES.format(text, **fields) if fields else text

    def listing(self, items: Iterable[str]) -> str:
        """Items as this language lists them (甲、乙 / a, b), or "none"."""
        return ("、" if self.language == "zh" else ", ").join(items) or self("common.none")

    def sentence(self, phrase: str, language: str | None = None) -> str:
        """A phrase (the engine's, lower case without a stop) as a sentence of `language`
        (this page's by default): capital and full stop in English, 。 in Chinese."""
        if not phrase:
            return phrase
        if (language or self.language) == "zh":
            return phrase if phrase.endswith("。") else phrase + "。"
        return phrase[0].upper() + phrase[1:] + ("" if phrase.endswith(".") else ".")

    def has(self, key: str) -> bool:
        return key in MESSAGES

    def known(self, prefix: str, value: str) -> str:
        """A stored value (a tag, a kind, a feature) in this language if it is a known one, else as stored."""
        return self(prefix + value) if prefix + value in MESSAGES else value

    @property
    def locale(self) -> str:
        return LANGUAGES[self.language]

    @property
    def html_lang(self) -> str:
        return "zh-CN" if self.language == "zh" else "en"

    def date(self, day: dt.date, form: str = "full") -> str:
        """A date as this language writes it: 2026年11月24日星期二 / Tuesday, 24 November 2026."""
        return format_date(day, format=form, locale=self.locale)

    def moment(self, when: dt.datetime) -> str:
        """A date and a clock time in the moment's own time zone: 2026年11月24日 21:30 / 24 Nov 2026 21:30."""
        return f"{format_date(when.date(), format='medium', locale=self.locale)} {when:%H:%M}"


def language_of(value: str | None) -> str:
    return value if value in LANGUAGES else DEFAULT_LANGUAGE
