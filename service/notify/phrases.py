"""The notifications' phrasebook: a title and a text per kind, in Simplified Chinese and English,
in the glossary's words (docs/glossary.md; tests/test_glossary.py reads this file).

A notification stores its kind and parameters, never its text: the text is written in the
reader's language when it is shown in the inbox or sent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from babel.dates import format_date

from service.words import PHRASES

KINDS: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "served": (
        ("{date} 晚的车位：{space}", "Your space on the night of {date}: {space}"),
        (
            "{plate} 停 {space}（{kind}），{arrive}–{depart}。请在 {depart} 前离开。",
            "{plate} parks on {space} ({kind}) from {arrive} to {depart}. "
            "Please leave by {depart}.",
        ),
    ),
    "refused": (
        ("{date} 晚 {plate} 未分到车位", "No space for {plate} on the night of {date}"),
        ("{reason}{suggestion}", "{reason}{suggestion}"),
    ),
    "charging_served": (
        ("{date} 晚的充电桩：{space}", "Your charger on the night of {date}: {space}"),
        (
            "{plate} 在 {space}（{kind}）充电，{arrive}–{depart}。请在 {depart} 前把车挪走，"
            "留给下一位。",
            "{plate} charges at {space} ({kind}) from {arrive} to {depart}. Please move the car "
            "by {depart}, for the next one.",
        ),
    ),
    "charging_refused": (
        ("{date} 晚 {plate} 未分到充电桩", "No charger for {plate} on the night of {date}"),
        ("{reason}{suggestion}", "{reason}{suggestion}"),
    ),
    "moved": (
        ("{date} 晚 {plate} 换了车位", "{plate} has another space on the night of {date}"),
        (
            "物业重新优化了这一晚：{plate} 改停 {space}（原为 {before}），{arrive}–{depart}。",
            "The office re-optimised the night: {plate} now parks on {space} (was {before}) "
            "from {arrive} to {depart}.",
        ),
    ),
    "no_longer_served": (
        ("{date} 晚 {plate} 不再有车位", "{plate} no longer has a space on the night of {date}"),
        (
            "物业重新优化了这一晚，{plate} 不能再停 {space}。{reason}",
            "The office re-optimised the night and {plate} can no longer park on {space}. {reason}",
        ),
    ),
    "space_used": (
        ("{date} 晚您让出的车位有人停", "Your released space is used on the night of {date}"),
        (
            "{plate} 停您的车位 {space}，{arrive}–{depart}。",
            "{plate} parks on your space {space} from {arrive} to {depart}.",
        ),
    ),
    "leave_by": (
        ("请在 {depart} 前离开 {space}", "Please leave {space} by {depart}"),
        (
            "{plate} 停在 {space}，须在 {depart} 前离开。超时停放会降低您住户之后申请的优先级。",
            "{plate} is on {space} until {depart}. An overstay lowers your household's "
            "priority level on the next nights.",
        ),
    ),
    "overstay": (
        ("{date} 晚记录了超时停放", "An overstay was recorded on the night of {date}"),
        (
            "早晨巡查记录到您住户的车在 {space} 超时停放。接下来 {nights} 晚您住户的申请降为"
            "优先级 {level}。",
            "The morning round found your household's car on {space} after its stay ended. "
            "Your household's requests fall to priority level {level} for the next "
            "{nights:night|nights}.",
        ),
    ),
    "closed_early": (
        ("{date} 晚的申请已提前截止", "Requests for the night of {date} closed early"),
        (
            "物业在 {at} 提前安排了这一晚，此后不能再提交或修改申请。您已提交的申请照常参加安排。",
            "The office allocated the night early, at {at}; requests can no longer be sent or "
            "changed. The requests you sent are in the allocation.",
        ),
    ),
    "no_show": (
        ("{date} 晚 {plate} 未到场", "{plate} did not come on the night of {date}"),
        (
            "{plate} 没有在 {space} 按时签到，车位已按候补名单给了别人。如果车其实已经停在那里，"
            "请联系物业。",
            "{plate} did not check in on {space} in time, so the space went to the waiting "
            "list. If the car is there after all, please tell the office.",
        ),
    ),
    "space_offered": (
        ("{date} 晚有空出的车位给您", "A freed space for you on the night of {date}"),
        (
            "有车位空出，按候补名单轮到 {plate}：{space}。"
            "请在 {until} 前在“今晚”页面确认要这个车位，过时车位转给下一位。",
            "A space freed up and {plate} is next on the waiting list: {space}. Take it on "
            "the Tonight page by {until}; after that it passes to the next on the list.",
        ),
    ),
    "space_given": (
        ("{date} 晚您有车位了：{space}", "You have a space on the night of {date}: {space}"),
        (
            "有车位空出，按候补名单轮到 {plate}：{space}，车位已为您保留。",
            "A space freed up and {plate} is next on the waiting list: {space} is yours.",
        ),
    ),
    "message": (
        ("物业的消息", "A message from the office"),
        ("{text}", "{text}"),
    ),
    "ballot_posted": (
        ("投票结果已公示：{question}", "The ballot's result is posted: {question}"),
        (
            "通过的是：{decision}。各选项的票数和面积见投票页面。",
            "Passed: {decision}. Each option's votes and floor area are on the ballot's page.",
        ),
    ),
    "ballot_posted_none": (
        ("投票结果已公示：{question}", "The ballot's result is posted: {question}"),
        (
            "没有选项通过，现行方案不变。各选项的票数和面积见投票页面。",
            "No option passed: the plan in use stays. Each option's votes and floor area are on "
            "the ballot's page.",
        ),
    ),
    "space_reported": (
        ("{date} 晚报告车位被占：{space}", "Space {space} reported taken on the night of {date}"),
        (
            "住户 {household} 报告 {space} 被 {plate} 占用。今晚分到这个车位的：{stay}。{note}",
            "Household {household} reports {space} taken by {plate}. Tonight's stay there: "
            "{stay}. {note}",
        ),
    ),
}
"""Per kind: (title in zh, in en), (text in zh, in en)."""

SUGGESTION = (
    "按现在的共享时段，{hours} 的申请可以考虑。",
    " Within the shared hours, a request for {hours} would have been considered.",
)
KIND_NAMES = {
    "rented": ("小区出租车位", "rented space"),
    "street": ("潮汐车位", "tidal street space"),
    "charger": ("充电桩车位", "charger space"),
}
"""Kinds of space in words; another kind is said as stored."""
UNKNOWN_PLATE = ("车牌未知", "plate unknown")
NO_STAY = ("无", "none")


@dataclass(frozen=True)
class Said:
    """A notification in words."""

    title: str
    text: str


def said(kind: str, params: dict[str, Any], language: str) -> Said:
    """The notification `kind` with `params` in `language` ("zh" or "en")."""
    which = 0 if language == "zh" else 1
    words = dict(params)
    if "evening" in params:
        words["date"] = format_date(
            dt.date.fromisoformat(params["evening"]),
            format="medium",
            locale="zh_CN" if which == 0 else "en_GB",
        )
    if "kind" in params:
        words["kind"] = KIND_NAMES.get(params["kind"], (params["kind"],) * 2)[which]
    for field in ("reason", "decision"):
        value = params.get(field)
        if isinstance(value, list):  # (zh, en) pairs are chosen here, by language
            words[field] = value[which]
    if kind in ("refused", "charging_refused"):
        hours = params.get("suggested_hours")
        words["suggestion"] = PHRASES.format(SUGGESTION[which], hours=hours) if hours else ""
    if kind == "space_reported":
        words.setdefault("plate", "")
        words["plate"] = words["plate"] or UNKNOWN_PLATE[which]
        words["stay"] = words.get("stay") or NO_STAY[which]
    title, text = KINDS[kind]
    return Said(
        title=PHRASES.format(title[which], **words), text=PHRASES.format(text[which], **words)
    )
